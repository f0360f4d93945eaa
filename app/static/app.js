/* Small behaviours shared by every page, declared in the markup instead of inline handlers
   (the Content-Security-Policy allows no inline script):
   data-confirm="…" on a form or a submit button asks before submitting;
   data-print on a button prints the page; data-autosubmit on a select submits its form;
   data-check-all="name" on a checkbox ticks or clears the boxes of that name in its form;
   data-require-checked="name" on a form submits only when a box of that name is ticked.
   The top bar's grouped menus (<details class="navgroup">) open one at a time and close on a click
   elsewhere or on Escape (the keyboard opens them with Enter or Space, as any <details>). */
(function () {
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-print],button[data-confirm],input[data-confirm]") : null;
    if (!el) return;
    if (el.hasAttribute("data-print")) { e.preventDefault(); window.print(); return; }
    if (!window.confirm(el.getAttribute("data-confirm"))) e.preventDefault();
  });
  document.addEventListener("submit", function (e) {
    var f = e.target, need = f.getAttribute && f.getAttribute("data-require-checked");
    if (need && !f.querySelector('input[name="' + need + '"]:checked')) { e.preventDefault(); return; }
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  var groups = document.querySelectorAll("details.navgroup");
  groups.forEach(function (g) {
    g.addEventListener("toggle", function () {
      if (g.open) groups.forEach(function (o) { if (o !== g) o.open = false; });
    });
  });
  document.addEventListener("click", function (e) {
    groups.forEach(function (g) { if (g.open && !g.contains(e.target)) g.open = false; });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    groups.forEach(function (g) {
      if (g.open) { g.open = false; g.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
    var all = el.getAttribute && el.getAttribute("data-check-all");
    if (all && el.form) {
      el.form.querySelectorAll('input[name="' + all + '"]').forEach(function (c) { c.checked = el.checked; });
    }
  });
})();
