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
