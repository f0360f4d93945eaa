/* Self-report editor: autosave each indicator card and the overall text shortly after typing.
   The page works without this script (the 保存草稿 button posts everything).
   Nothing typed is lost on leaving the page: before another form of the page is submitted (an
   evidence upload or removal) or a link is followed, the pending saves are made first; closing or
   reloading the tab with unsaved text asks first (beforeunload).
   While typing, each section of the index shows how many of its indicators are not filled in, and
   the confirmation of 提交报告 lists them per section. */
(function () {
  var form = document.getElementById('report-form');
  if (!form || form.dataset.editable !== '1' || !window.fetch) return;
  var url = form.dataset.autosave;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.content : '';
  var timers = {};    // key -> pending timer
  var dirty = {};     // key -> generation of the last change not yet saved
  var inflight = [];  // promises of saves under way
  var gen = 0, leaving = false;
  function now() { var d = new Date(); return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2); }
  function show(el, text, cls) { if (el) { el.textContent = text; el.className = 'autosave ' + (cls || ''); } }
  var queue = Promise.resolve();
  function post(key, makeBody, statusEl, onok) {
    /* One save at a time, each body made when it is sent: the first save creates the report, and
       every save carries the versions the previous one returned. */
    var mine = dirty[key];
    show(statusEl, '正在保存…');
    var p = queue.then(function () {
      return fetch(url, { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token }, body: JSON.stringify(makeBody()) });
    })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.ok) {
          var vs = j.versions || {}, vr = form.querySelector('[name="v_report"]');
          if (vs.report !== undefined && vr) vr.value = vs.report;  // the first save creates the report
          onok(vs); show(statusEl, '已自动保存 ' + now(), 'ok');
          if (dirty[key] === mine) delete dirty[key];
        }
        else { show(statusEl, j.message || '保存失败', 'bad'); }
      })
      .catch(function () { show(statusEl, '自动保存失败（网络），请点“保存草稿”', 'bad'); });
    queue = p;
    inflight.push(p);
    p.then(function () { inflight = inflight.filter(function (q) { return q !== p; }); });
    return p;
  }
  function saveEntry(card) {
    var code = card.dataset.code, prefix = 'f_' + code + '_', facts = {};
    card.querySelectorAll('[name^="' + prefix + '"]').forEach(function (el) { facts[el.name.slice(prefix.length)] = el.value; });
    var n = form.querySelector('[name="n_' + code + '"]');
    var v = form.querySelector('[name="v_' + code + '"]');
    return post(code, function () { return { code: code, facts: facts, narrative: n ? n.value : '', version: +v.value }; },
      card.querySelector('.autosave'), function (vs) { if (vs[code] !== undefined) v.value = vs[code]; });
  }
  function saveTexts(box) {
    var texts = {};
    box.querySelectorAll('[name^="t_"]').forEach(function (el) { texts[el.name.slice(2)] = el.value; });
    var v = form.querySelector('[name="v_report"]');
    return post('__texts', function () { return { texts: texts, version: +v.value }; }, box.querySelector('.autosave'),
      function (vs) { if (vs.report !== undefined) v.value = vs.report; });
  }
  function saveKey(key) {
    if (key === '__texts') return saveTexts(form.querySelector('[data-texts]'));
    return saveEntry(form.querySelector('[data-code="' + key + '"]'));
  }
  function schedule(e) {
    var el = e.target;
    if (!el.name || el.form !== form) return;
    var card = el.closest('[data-code]'), box = el.closest('[data-texts]');
    var key = card ? card.dataset.code : (box ? '__texts' : null);
    if (!key) return;
    clearTimeout(timers[key]);
    dirty[key] = ++gen;
    show((card || box).querySelector('.autosave'), '有未保存的修改…');
    timers[key] = setTimeout(function () { delete timers[key]; saveKey(key); }, 1500);
  }
  function flush() {
    /* Make every pending save now; resolves when all saves under way have answered. */
    Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); delete timers[k]; saveKey(k); });
    return Promise.all(inflight.slice());
  }
  function unsaved() { return Object.keys(dirty).length > 0; }
  function afterFlush(go) {
    flush().then(function () {
      if (!unsaved() || window.confirm('有修改未能保存（见各栏提示）。仍要离开本页吗？')) { leaving = true; go(); }
    });
  }
  function cardComplete(card) {  /* the rule of reports.entry_complete */
    var needs = card.dataset.needKind;
    if (needs === 'facts') {
      return Array.prototype.every.call(card.querySelectorAll('[data-required]'), function (el) { return el.value.trim() !== ''; });
    }
    if (needs === 'narrative') {
      var n = card.querySelector('[name="n_' + card.dataset.code + '"]');
      return !!(n && n.value.trim());
    }
    return true;
  }
  function missingBySection() {
    var out = {}, order = [];
    form.querySelectorAll('.indicator[data-code]').forEach(function (card) {
      var done = cardComplete(card), code = card.dataset.code, sec = card.dataset.sectionName;
      var li = document.querySelector('[data-index-code="' + code + '"] .mark');
      if (li) { li.textContent = done ? '✔' : '●'; li.className = 'mark ' + (done ? 'ok' : 'warnc'); }
      if (!(sec in out)) { out[sec] = []; order.push(sec); }
      if (!done) out[sec].push(code + ' ' + card.dataset.name);
    });
    return order.map(function (sec) { return [sec, out[sec]]; });
  }
  function refreshProgress() {
    var total = 0;
    missingBySection().forEach(function (pair) {
      var box = document.querySelector('[data-section-index="' + pair[0] + '"] [data-section-open]');
      if (box) box.textContent = pair[1].length;
      total += pair[1].length;
    });
    var done = document.querySelector('[data-count-done]');
    if (done) done.textContent = form.querySelectorAll('.indicator[data-code]').length - total;
  }
  // 提交报告: the confirmation lists what is still empty, per section
  document.addEventListener('click', function (e) {
    var btn = e.target.closest ? e.target.closest('[data-submit-report]') : null;
    if (!btn) return;
    var lines = [], n = 0;
    missingBySection().forEach(function (pair) {
      if (!pair[1].length) return;
      n += pair[1].length;
      lines.push('【' + pair[0] + '】' + pair[1].length + ' 项：' + pair[1].slice(0, 8).join('、') + (pair[1].length > 8 ? '等' : ''));
    });
    var summary = form.querySelector('[name="t_summary"]');
    var head = summary && !summary.value.trim() ? '「报告总体情况」尚未填写，不能提交。\n\n' : '';
    btn.setAttribute('data-confirm', head + (n ? '以下 ' + n + ' 项指标尚未填写完整：\n' + lines.join('\n') + '\n\n' : '所有指标均已填写。\n\n') +
      '提交后不能再修改（除非目标办退回）。确认提交？');
  }, true);
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  form.addEventListener('input', refreshProgress);
  form.addEventListener('change', refreshProgress);
  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (e.defaultPrevented) return;
    if (f === form) {  // the whole form is posted: nothing is left to autosave
      Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); delete timers[k]; });
      leaving = true;
      return;
    }
    if (!unsaved() && !inflight.length) { leaving = true; return; }
    e.preventDefault();  // an upload or a removal reloads the page: save what was typed first
    afterFlush(function () { HTMLFormElement.prototype.submit.call(f); });
  });
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('a[href]') : null;
    if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    if (a.target && a.target !== '_self') return;
    if (a.hasAttribute('download') || a.getAttribute('href').charAt(0) === '#') return;
    if (!unsaved() && !inflight.length) return;
    e.preventDefault();
    afterFlush(function () { window.location.href = a.href; });
  });
  window.addEventListener('beforeunload', function (e) {
    if (leaving || !unsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  });
})();
