/* Live count of the first level (优秀) per category against the limit; blocks submit when over.
   The server checks the same rules, so the ballot also works without this script. */
(function () {
  var form = document.getElementById("ballot");
  if (!form) return;
  var cats = form.querySelectorAll("fieldset.cat"), submit = document.getElementById("submit");
  function update() {
    var over = false;
    for (var i = 0; i < cats.length; i++) {
      var fs = cats[i], lim = fs.getAttribute("data-limit"), n = fs.querySelectorAll('input[value="0"]:checked').length;
      var c = fs.querySelector(".counter"), msg = c.querySelector(".msg");
      c.querySelector(".n").textContent = n;
      var bad = lim !== "" && n > +lim;
      c.className = bad ? "counter over" : "counter";
      msg.textContent = bad ? "超出 " + (n - lim) + " 个，请改评其他等次" : "";
      if (bad) over = true;
    }
    submit.disabled = over;
    return !over;
  }
  form.addEventListener("change", update);
  form.addEventListener("submit", function (e) { if (!update()) e.preventDefault(); });
  update();
})();
