// Pages with live figures (the console's statistics): every 20 seconds, while the tab is
// visible, the page is fetched again and the element marked data-live is replaced by its new
// version. Without JavaScript the page shows the figures of when it was loaded, and a link
// reloads it.
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box || !window.fetch || !window.DOMParser) return;
  var every = 20000;
  function refresh() {
    if (document.hidden) return setTimeout(refresh, every);
    fetch(location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (fresh) box.innerHTML = fresh.innerHTML;
      })
      .catch(function () {})
      .then(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
