/* Live count of the units rated so far on the leader's rating form. */
(function () {
  var inputs = document.querySelectorAll(".score-input"), out = document.getElementById("rated-count");
  if (!out) return;
  function count() { var n = 0; inputs.forEach(function (i) { if (i.value.trim()) n++; }); out.textContent = n; }
  inputs.forEach(function (i) { i.addEventListener("input", count); });
})();
