// report.html's only script (inlined, allowed by its sha256): follow links into collapsed
// details and the folds around them, expand or collapse the shown ones, filter by text, sort a
// table by a column.
(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    // A scenario's details sit in its cause's fold: open the folds around it, then itself.
    for (var d = el; d; d = d.parentElement && d.parentElement.closest("details")) {
      if (d.tagName === "DETAILS") { d.open = true; }
    }
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  function setShown(open) {
    document.querySelectorAll("details.group").forEach(function (d) { d.open = open; });
    document.querySelectorAll("details.scenario").forEach(function (d) {
      if (d.offsetParent !== null) { d.open = open; }
    });
  }
  var expand = document.getElementById("expand");
  var collapse = document.getElementById("collapse");
  if (expand) { expand.addEventListener("click", function () { setShown(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setShown(false); }); }

  // Search: every row of a searchable table and every details block whose text lacks all the
  // words typed is hidden; an empty box shows everything again.
  var search = document.getElementById("search");
  var shown = document.getElementById("search-count");
  if (search) {
    var items = Array.prototype.slice.call(
      document.querySelectorAll("table.searchable tbody tr, details.scenario"));
    var texts = items.map(function (el) { return el.textContent.toLowerCase(); });
    var total = items.filter(function (el) { return el.tagName === "TR"; }).length;
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = 0;
      items.forEach(function (el, i) {
        var hit = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        el.hidden = !hit;
        if (hit && el.tagName === "TR") { rows += 1; }
      });
      if (shown) { shown.textContent = words.length ? rows + " of " + total + " rows match" : ""; }
    });
  }

  // Sort: a header's button sorts its table's body by that column (data-sort, else the text;
  // numbers as numbers), ascending then descending.
  function key(row, column) {
    var cell = row.children[column];
    var value = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
    return /^-?\d+(\.\d+)?$/.test(value)
      ? { n: true, v: parseFloat(value) } : { n: false, v: value.toLowerCase() };
  }
  function compare(a, b) {
    if (a.n && b.n) { return a.v - b.v; }
    if (a.n !== b.n) { return a.n ? -1 : 1; }
    return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  }
  document.querySelectorAll("table.sortable th button.sort").forEach(function (button) {
    button.addEventListener("click", function () {
      var th = button.closest("th");
      var table = th.closest("table");
      var column = Array.prototype.indexOf.call(th.parentNode.children, th);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var order = compare(key(a, column), key(b, column));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });

  // A table or block wider than its box (on a phone) scrolls inside it: that box takes the
  // keyboard focus, so that it scrolls without a mouse (WCAG 2.1.1); the others do not.
  function focusableScrolls() {
    document.querySelectorAll(".scroll, pre").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) { box.setAttribute("tabindex", "0"); }
      else { box.removeAttribute("tabindex"); }
    });
  }
  window.addEventListener("resize", focusableScrolls);
  document.addEventListener("toggle", focusableScrolls, true);
  focusableScrolls();
})();
