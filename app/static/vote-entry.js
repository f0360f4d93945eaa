/* A QR code opens /v#CODE: the code is moved from the address into the form (and out of the
   browser history) and submitted. The page marks the form data-autosubmit unless it shows an error. */
(function () {
  var h = location.hash.slice(1);
  if (!h) return;
  try { history.replaceState(null, "", location.pathname); } catch (e) { /* old browsers */ }
  var f = document.getElementById("codeform");
  if (!f || !f.hasAttribute("data-autosubmit")) return;
  f.code.value = decodeURIComponent(h);
  f.submit();
})();
