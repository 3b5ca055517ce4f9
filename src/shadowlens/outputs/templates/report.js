(function () {
  "use strict";
  // The report data is read as text and parsed; nothing from it is ever set as HTML.
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function sortKey(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!numeric) {
      return raw.toLowerCase();
    }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }

  function sortTable(table, index, header) {
    var numeric = header.getAttribute("data-type") === "num";
    var current = header.getAttribute("aria-sort");
    var descending = current ? current === "ascending" : numeric;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a, index, numeric);
      var y = sortKey(b, index, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = header.querySelector("button");
      if (button) {
        button.addEventListener("click", function () { sortTable(table, index, header); });
      }
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var counter = document.querySelector("[data-count-for='" + table.id + "']");
    var total = table.id === "apps-table" ? data.apps.length : table.tBodies[0].rows.length;
    var noun = counter ? counter.getAttribute("data-noun") : "";
    function update() {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = !query || row.textContent.toLowerCase().indexOf(query) !== -1;
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (counter) {
        counter.textContent = "Showing " + shown.toLocaleString("en-US") + " of " +
          total.toLocaleString("en-US") + " " + noun;
      }
    }
    input.addEventListener("input", update);
    update();
  });
})();
