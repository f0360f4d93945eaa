/* Turnout refreshes every 10 s during the vote (counts only, never choices); the JSON address is
   the data-turnout-url of the #turnout table. */
(function () {
  var table = document.getElementById("turnout"), url = table && table.getAttribute("data-turnout-url");
  if (!url) return;
  setInterval(function () {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      d.groups.forEach(function (g) {
        var tr = document.querySelector('#turnout tr[data-key="' + g.key + '"]'); if (!tr) return;
        tr.querySelector(".roll").textContent = g.roll; tr.querySelector(".voted").textContent = g.voted;
        tr.querySelector(".share").textContent = (g.roll ? (100 * g.voted / g.roll).toFixed(1) : "0.0") + "%";
      });
      document.getElementById("roll-total").textContent = d.roll; document.getElementById("voted-total").textContent = d.voted;
    }).catch(function () {});
  }, 10000);
})();
