/* Self-report editor, long forms: the section list beside the indicators keeps each section's progress
   (complete indicators / all) up to date while typing, and 「只看未完成」 hides the complete indicators.
   An indicator is complete when its required facts (data-needs) are filled, or, having none, when its
   explanation is written: the rule the server uses (report.routes.is_complete). */
(function () {
  var nav = document.getElementById('section-nav');
  var form = document.getElementById('report-form');
  if (!nav || !form) return;
  var only = document.getElementById('only-incomplete');
  var cards = Array.prototype.slice.call(form.querySelectorAll('.indicator[data-section]'));

  function filled(el) { return !!el && el.value.replace(/\s+/g, '') !== ''; }
  function complete(card) {
    var code = card.dataset.code, needs = card.dataset.needs ? card.dataset.needs.split(',') : [];
    if (!needs.length) return filled(form.querySelector('[name="n_' + code + '"]'));
    return needs.every(function (name) { return filled(form.querySelector('[name="f_' + code + '_' + name + '"]')); });
  }
  function refresh() {
    var per = {}, total = 0;
    cards.forEach(function (card) {
      var ok = complete(card), s = card.dataset.section;
      card.dataset.complete = ok ? '1' : '0';
      per[s] = per[s] || { done: 0, all: 0 };
      per[s].all += 1; per[s].done += ok ? 1 : 0; total += ok ? 1 : 0;
      card.hidden = !!(only && only.checked && ok);
    });
    var anyShown = false;
    Object.keys(per).forEach(function (s) {
      var p = per[s], text = p.done + '/' + p.all;
      var link = nav.querySelector('[data-section-link="' + s + '"]');
      var head = form.querySelector('.section-head[data-section="' + s + '"]');
      if (link) { link.querySelector('[data-progress]').textContent = text; link.classList.toggle('complete', p.done === p.all); }
      if (head) { head.querySelector('[data-progress]').textContent = text; head.hidden = !!(only && only.checked && p.done === p.all); }
      if (link) link.hidden = !!(only && only.checked && p.done === p.all);
      anyShown = anyShown || p.done < p.all;
    });
    var t = nav.querySelector('[data-total-done]');
    if (t) t.textContent = total;
    var empty = nav.querySelector('[data-filter-empty]');
    if (empty) empty.hidden = !(only && only.checked && !anyShown);
  }
  var pending = null;
  function later() { clearTimeout(pending); pending = setTimeout(refresh, 150); }
  form.addEventListener('input', later);
  form.addEventListener('change', later);
  if (only) only.addEventListener('change', refresh);
  // the section being read is marked in the list
  if ('IntersectionObserver' in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        nav.querySelectorAll('a.current').forEach(function (a) { a.classList.remove('current'); });
        var a = nav.querySelector('[data-section-link="' + e.target.dataset.section + '"]');
        if (a) a.classList.add('current');
      });
    }, { rootMargin: '0px 0px -70% 0px' });
    cards.forEach(function (c) { io.observe(c); });
  }
  refresh();
})();
