// The contest page's countdown to the round's opening or closing: the server renders the time
// left; this keeps it ticking from the server's figure (never the phone's clock) and reloads the
// page when the moment comes, so the button matches the round's state. No announcements: it is
// not live-region text.
(function () {
  "use strict";
  var nodes = document.querySelectorAll("[data-left-ms]");
  if (!nodes.length) return;
  var t0 = performance.now();
  function text(ms, units) {
    var u = units.split(",");
    var s = Math.max(0, Math.floor(ms / 1000));
    var parts = [[Math.floor(s / 86400), 0], [Math.floor(s / 3600) % 24, 1], [Math.floor(s / 60) % 60, 2], [s % 60, 3]];
    var first = 0;
    while (first < 3 && parts[first][0] === 0) first++;
    var shown = parts.slice(first, first === 0 ? 3 : 4);
    return shown.map(function (p) { return p[0] + " " + u[p[1]]; }).join(" ");
  }
  function tick() {
    var elapsed = performance.now() - t0;
    var due = false;
    nodes.forEach(function (n) {
      var left = parseInt(n.getAttribute("data-left-ms"), 10) - elapsed;
      if (left <= 0) due = true;
      n.textContent = text(left, n.getAttribute("data-units") || "d,h,min,s");
    });
    if (due) { window.location.reload(); return; }
    setTimeout(tick, 1000);
  }
  setTimeout(tick, 1000);
})();
