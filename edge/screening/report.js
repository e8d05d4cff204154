// Sortable ranking table: click a header to sort by it, click again to reverse. Empty cells
// (a sub-score that does not apply, a failed entry) always sort last; ties keep the entry order.
// The page can open sorted: report.html#sort=overall (ascending) or #sort=-overall (descending).
(function () {
  "use strict";
  var table = document.getElementById("ranking");
  if (!table) return;
  var headers = table.tHead.rows[0].cells;
  var body = table.tBodies[0];

  function cellValue(row, index, numeric) {
    var raw = row.cells[index].getAttribute("data-v");
    if (raw === null || raw === "") return null;
    return numeric ? parseFloat(raw) : raw.toLowerCase();
  }

  function sortBy(index, descending) {
    var numeric = headers[index].getAttribute("data-type") === "num";
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-i", row.getAttribute("data-i") || i); });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x === null || y === null) {
        if (x === y) return a.getAttribute("data-i") - b.getAttribute("data-i");
        return x === null ? 1 : -1;
      }
      var c = x < y ? -1 : x > y ? 1 : 0;
      if (descending) c = -c;
      return c || a.getAttribute("data-i") - b.getAttribute("data-i");
    });
    rows.forEach(function (row) { body.appendChild(row); });
    for (var i = 0; i < headers.length; i++) headers[i].removeAttribute("aria-sort");
    headers[index].setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function indexOf(key) {
    for (var i = 0; i < headers.length; i++) if (headers[i].getAttribute("data-key") === key) return i;
    return -1;
  }

  Array.prototype.forEach.call(headers, function (th, index) {
    th.addEventListener("click", function () {
      var current = th.getAttribute("aria-sort");
      var numericDefault = th.getAttribute("data-type") === "num" && th.getAttribute("data-key") !== "rank";
      sortBy(index, current ? current === "ascending" : numericDefault);
    });
  });

  var match = /(?:^#|&)sort=(-?)([a-z_]+)/.exec(window.location.hash);
  if (match && indexOf(match[2]) >= 0) sortBy(indexOf(match[2]), match[1] === "-");
})();
