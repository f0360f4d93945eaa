/* Scoring cell: preview the rule's points and explanation as facts are typed (server-side score()). */
(function () {
  var form = document.getElementById('cell-form');
  if (!form || !window.fetch || form.querySelector('[disabled]')) return;
  var box = document.getElementById('result'), timer = null;
  function run() {
    fetch(form.dataset.preview, { method: 'POST', credentials: 'same-origin', body: new FormData(form),
      headers: { 'X-CSRFToken': (document.querySelector('meta[name="csrf-token"]') || {}).content || '' } })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var pts = box.querySelector('[data-points]'), ex = box.querySelector('[data-explanation]'), pv = box.querySelector('[data-prov]');
        if (!j.ok) { ex.textContent = j.message; ex.className = 'small bad'; return; }
        pts.textContent = j.status === 'ok' ? j.points : '—';
        ex.textContent = j.explanation; ex.className = 'small' + (j.status === 'error' ? ' bad' : '');
        pv.textContent = j.provisional ? '（暂定：需与本类其他单位比较，尚有单位数据未齐）' : '';
      }).catch(function () {});
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 500); });
})();
