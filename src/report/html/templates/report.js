// Filters of the crosscheck report index: status, engine, suite and text search.
// Reads only data- attributes; never builds HTML from report data.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  var statusBoxes = Array.prototype.slice.call(document.querySelectorAll("input[data-filter-status]"));
  var engineSelect = document.getElementById("filter-engine");
  var suiteSelect = document.getElementById("filter-suite");
  var search = document.getElementById("filter-text");
  var shown = document.getElementById("shown");
  var headers = Array.prototype.slice.call(table.querySelectorAll("thead th[data-engine]"));

  function apply() {
    var statuses = {};
    statusBoxes.forEach(function (box) { statuses[box.getAttribute("data-filter-status")] = box.checked; });
    var engine = engineSelect.value;
    var suite = suiteSelect.value;
    var text = search.value.trim().toLowerCase();
    var visible = 0;
    rows.forEach(function (row) {
      var cells = Array.prototype.slice.call(row.querySelectorAll("td[data-engine]"));
      var anyStatus = cells.some(function (cell) {
        var st = cell.getAttribute("data-status");
        return st && statuses[st] && (engine === "" || cell.getAttribute("data-engine") === engine);
      });
      var okSuite = suite === "" || row.getAttribute("data-suite") === suite;
      var okText = text === "" || row.getAttribute("data-text").indexOf(text) >= 0;
      var show = anyStatus && okSuite && okText;
      row.classList.toggle("hidden", !show);
      if (show) { visible += 1; }
      cells.forEach(function (cell) {
        cell.classList.toggle("hidden", engine !== "" && cell.getAttribute("data-engine") !== engine);
      });
    });
    headers.forEach(function (th) {
      th.classList.toggle("hidden", engine !== "" && th.getAttribute("data-engine") !== engine);
    });
    shown.textContent = visible + " of " + rows.length + " models shown";
  }

  statusBoxes.forEach(function (box) { box.addEventListener("change", apply); });
  engineSelect.addEventListener("change", apply);
  suiteSelect.addEventListener("change", apply);
  search.addEventListener("input", apply);
  apply();
})();
