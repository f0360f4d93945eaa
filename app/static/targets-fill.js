/* A target table's actuals page (up to a few hundred rows): each row is saved shortly after typing (the
   page's save button still saves everything, with the versions kept current here), and the section list
   shows how many rows of each section have an actual. */
(function () {
  var form = document.getElementById('actuals');
  if (!form || !form.dataset.autosave || !window.fetch) return;
  var url = form.dataset.autosave;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.content : '';
  var timers = {}, dirty = {}, inflight = [];
  function field(p, name) { return document.querySelector('[form="actuals"][name="a' + p + '_' + name + '"]'); }
  function show(row, text, cls) {
    var el = row.querySelector('.autosave');
    if (el) { el.textContent = text; el.className = 'autosave ' + (cls || ''); }
  }
  function counts() {
    var per = {};
    document.querySelectorAll('.ind[data-tsec]').forEach(function (row) {
      var s = row.dataset.tsec, t = field(row.dataset.position, 'text');
      per[s] = per[s] || [0, 0];
      per[s][1] += 1;
      if (t && t.value.trim() !== '') per[s][0] += 1;
    });
    Object.keys(per).forEach(function (s) {
      var text = per[s][0] + '/' + per[s][1];
      document.querySelectorAll('[data-tsec-link="' + s + '"] [data-tsec-progress], #' + s + ' [data-tsec-progress]')
        .forEach(function (el) { el.textContent = text; });
    });
  }
  function save(row) {
    var p = row.dataset.position, v = field(p, 'v');
    delete dirty[p];
    show(row, '正在保存…');
    var req = fetch(url, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token },
      body: JSON.stringify({ position: +p, text: field(p, 'text').value, note: field(p, 'note').value, version: +v.value }) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.ok) { v.value = j.version; show(row, '已自动保存', 'ok'); }
        else { dirty[p] = true; show(row, j.message || '保存失败', 'bad'); }
      })
      .catch(function () { dirty[p] = true; show(row, '自动保存失败（网络），请点页面底部“保存”', 'bad'); })
      .then(function () { inflight.splice(inflight.indexOf(req), 1); });
    inflight.push(req);
    return req;
  }
  document.addEventListener('input', function (e) {
    var el = e.target;
    if (!el.name || el.getAttribute('form') !== 'actuals') return;
    var row = el.closest('.ind[data-position]');
    if (!row) return;
    var p = row.dataset.position;
    dirty[p] = true;
    clearTimeout(timers[p]);
    show(row, '有未保存的修改…');
    timers[p] = setTimeout(function () { delete timers[p]; save(row); }, 1200);
    counts();
  });
  // the save button waits for the row saves under way (and makes the pending ones), so that the versions it
  // posts are current: otherwise a row saved a moment before would be refused as changed by someone else
  form.addEventListener('submit', function (e) {
    if (form.dataset.submitting) return;
    e.preventDefault();
    form.dataset.submitting = '1';
    Object.keys(timers).forEach(function (p) {
      clearTimeout(timers[p]); delete timers[p];
      var row = document.getElementById('row-' + p);
      if (row) save(row);
    });
    Promise.all(inflight.slice()).then(function () { form.submit(); });
  });
  window.addEventListener('beforeunload', function (e) {
    if (Object.keys(dirty).length && !form.dataset.submitting) { e.preventDefault(); e.returnValue = ''; }
  });
})();
