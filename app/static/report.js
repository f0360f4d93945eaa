/* Self-report editor: autosave each indicator card and the overall text shortly after typing.
   The page works without this script (the 保存草稿 button posts everything). */
(function () {
  var form = document.getElementById('report-form');
  if (!form || form.dataset.editable !== '1' || !window.fetch) return;
  var url = form.dataset.autosave;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.content : '';
  var timers = {};
  function now() { var d = new Date(); return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2); }
  function show(el, text, cls) { if (el) { el.textContent = text; el.className = 'autosave ' + (cls || ''); } }
  function post(body, statusEl, onok) {
    show(statusEl, '正在保存…');
    fetch(url, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.ok) {
          var vs = j.versions || {}, vr = form.querySelector('[name="v_report"]');
          if (vs.report !== undefined && vr) vr.value = vs.report;  // the first save creates the report
          onok(vs); show(statusEl, '已自动保存 ' + now(), 'ok');
        }
        else { show(statusEl, j.message || '保存失败', 'bad'); }
      })
      .catch(function () { show(statusEl, '自动保存失败（网络），请点“保存草稿”', 'bad'); });
  }
  function saveEntry(card) {
    var code = card.dataset.code, prefix = 'f_' + code + '_', facts = {};
    card.querySelectorAll('[name^="' + prefix + '"]').forEach(function (el) { facts[el.name.slice(prefix.length)] = el.value; });
    var n = form.querySelector('[name="n_' + code + '"]');
    var v = form.querySelector('[name="v_' + code + '"]');
    post({ code: code, facts: facts, narrative: n ? n.value : '', version: +v.value }, card.querySelector('.autosave'),
      function (vs) { if (vs[code] !== undefined) v.value = vs[code]; });
  }
  function saveTexts(box) {
    var texts = {};
    box.querySelectorAll('[name^="t_"]').forEach(function (el) { texts[el.name.slice(2)] = el.value; });
    var v = form.querySelector('[name="v_report"]');
    post({ texts: texts, version: +v.value }, box.querySelector('.autosave'), function (vs) { if (vs.report !== undefined) v.value = vs.report; });
  }
  function schedule(e) {
    var el = e.target;
    if (!el.name || el.form !== form) return;
    var card = el.closest('[data-code]'), box = el.closest('[data-texts]');
    var key = card ? card.dataset.code : (box ? '__texts' : null);
    if (!key) return;
    clearTimeout(timers[key]);
    show((card || box).querySelector('.autosave'), '有未保存的修改…');
    timers[key] = setTimeout(function () { delete timers[key]; card ? saveEntry(card) : saveTexts(box); }, 1500);
  }
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  form.addEventListener('submit', function () { Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); }); });
})();
