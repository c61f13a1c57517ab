// The console's page for a question file being read: asks the server how far it has got (a small
// JSON answer) and moves the <progress> bar and its text, then reloads the page, which shows the
// report, once the reading is done. Without JavaScript the page refreshes itself every second
// (a meta refresh inside <noscript>), so it works the same, only less smoothly.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  if (!window.fetch) {
    setTimeout(function () { location.reload(); }, 1000);
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  function again(ms) {
    setTimeout(poll, ms);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        // Gone (a restart, or another server): the page itself says what to do.
        if (r.status === 404) {
          location.reload();
          return null;
        }
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (p) {
        if (!p) return;
        if (p.finished) {
          location.reload();
          return;
        }
        if (p.total > 0) {
          bar.max = p.total;
          bar.value = p.done;
        } else {
          bar.removeAttribute("value");
        }
        if (text && p.text) text.textContent = p.text;
        again(500);
      })
      .catch(function () {
        again(2000);
      });
  }
  again(500);
})();
