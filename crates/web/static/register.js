// Long lists on the registration form (units, communes) get a search box: typing "nguyen trai"
// finds "Phường Nguyễn Trãi". Marks, case and đ are folded as the server folds them. Without
// JavaScript the plain list works as before.
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  document.querySelectorAll("input.filter[data-filter-for]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-filter-for"));
    if (!select || select.options.length < 12) return;
    box.hidden = false;
    var options = Array.prototype.slice.call(select.options, 1);
    options.forEach(function (o) { o.setAttribute("data-fold", fold(o.textContent)); });
    box.addEventListener("input", function () {
      var q = fold(box.value.trim());
      var first = null;
      options.forEach(function (o) {
        var hit = !q || o.getAttribute("data-fold").indexOf(q) !== -1;
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      select.querySelectorAll("optgroup").forEach(function (g) {
        g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
      });
      if (q && first && (select.selectedIndex <= 0 || select.options[select.selectedIndex].hidden)) {
        first.selected = true;
      }
    });
  });
})();
// A date typed on a number pad ("12051988") gets its slashes as the person types: after the day
// and after the month. A date typed with its own slashes ("1/5/1988") and deleting are left
// alone; the server reads eight digits the same way, so nothing depends on this script.
(function () {
  "use strict";
  function slashed(v) {
    var m;
    if (/^\d{2}$/.test(v)) return v + "/";
    if (/^\d{3,8}$/.test(v)) return v.slice(0, 2) + "/" + v.slice(2, 4) + (v.length >= 4 ? "/" + v.slice(4) : "");
    if (/^\d{2}\/\d{2}$/.test(v)) return v + "/";
    if ((m = /^(\d{2})\/(\d{3,6})$/.exec(v))) return m[1] + "/" + m[2].slice(0, 2) + "/" + m[2].slice(2);
    return v;
  }
  document.querySelectorAll("input[data-date]").forEach(function (box) {
    box.addEventListener("input", function (e) {
      if (e.inputType && e.inputType.indexOf("delete") === 0) return;
      var v = slashed(box.value);
      if (v !== box.value) box.value = v;
    });
  });
})();
