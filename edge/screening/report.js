// The index's search, filters and sorting. Rows are rendered by the server; this only hides and reorders
// them, so the page is readable before (or without) the script.
// - Search: every word typed must appear in the row's entry, category, discipline, status or notes.
// - Category / discipline: one value, or "(no category)".
// - Sort: click a heading (or Enter on it); again to reverse. Scores sort highest first on the first
//   click, ranks and text ascending; empty cells always last; ties keep the ranking's order.
// The state lives in the address, so a view can be bookmarked or sent:
//   report.html#sort=-sync&category=under%2012&q=solo   (`-` = descending)
(function () {
  "use strict";
  var table = document.getElementById("ranking");
  if (!table) return;
  var headers = table.tHead.rows[0].cells;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("search");
  var selects = {category: document.getElementById("category"), discipline: document.getElementById("discipline")};
  var shown = document.getElementById("shown");
  var nothing = document.getElementById("nothing");
  var textColumns = [];
  var sortKey = null, sortDescending = false;

  Array.prototype.forEach.call(headers, function (th, i) {
    var key = th.getAttribute("data-key");
    if (["entry", "category", "discipline", "status", "notes"].indexOf(key) >= 0) textColumns.push(i);
  });
  // What the search looks at, once: lower-case text of the searchable cells.
  var haystack = rows.map(function (row, order) {
    row.order = order;
    return textColumns.map(function (i) { return row.cells[i].textContent; }).join("\u0001").toLowerCase();
  });

  function indexOf(key) {
    for (var i = 0; i < headers.length; i++) if (headers[i].getAttribute("data-key") === key) return i;
    return -1;
  }

  function selectedValue(select) {
    if (!select || select.selectedIndex <= 0) return null;  // "all"
    var option = select.options[select.selectedIndex];
    return option.getAttribute("data-none") ? "" : option.value;
  }

  function filter() {
    var words = (search ? search.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    var want = {category: selectedValue(selects.category), discipline: selectedValue(selects.discipline)};
    var count = 0;
    rows.forEach(function (row, n) {
      var keep = words.every(function (w) { return haystack[n].indexOf(w) >= 0; });
      for (var attr in want) {
        if (keep && want[attr] !== null && row.getAttribute("data-" + attr) !== want[attr]) keep = false;
      }
      row.hidden = !keep;
      if (keep) count++;
    });
    if (shown) shown.textContent = count + " of " + rows.length + " entries shown";
    if (nothing) nothing.hidden = count > 0;
  }

  function sortValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (raw === "") return null;
    return numeric ? parseFloat(raw) : raw.toLowerCase();
  }

  function sortBy(key, descending) {
    var index = indexOf(key);
    if (index < 0) return;
    var numeric = headers[index].getAttribute("data-type") === "num";
    var keyed = rows.map(function (row) { return [sortValue(row, index, numeric), row]; });
    keyed.sort(function (a, b) {
      var x = a[0], y = b[0];
      if (x === null || y === null) {
        if (x === y) return a[1].order - b[1].order;
        return x === null ? 1 : -1;
      }
      var c = x < y ? -1 : x > y ? 1 : 0;
      if (descending) c = -c;
      return c || a[1].order - b[1].order;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (pair) { fragment.appendChild(pair[1]); });
    body.appendChild(fragment);
    for (var i = 0; i < headers.length; i++) headers[i].removeAttribute("aria-sort");
    headers[index].setAttribute("aria-sort", descending ? "descending" : "ascending");
    sortKey = key;
    sortDescending = descending;
  }

  function saveState() {
    var parts = [];
    if (sortKey) parts.push("sort=" + (sortDescending ? "-" : "") + sortKey);
    ["category", "discipline"].forEach(function (name) {
      var value = selectedValue(selects[name]);
      if (value !== null) parts.push(name + "=" + (value === "" ? "~none" : encodeURIComponent(value)));
    });
    if (search && search.value) parts.push("q=" + encodeURIComponent(search.value));
    var address = parts.length ? "#" + parts.join("&") : location.pathname + location.search;
    if (window.history && history.replaceState) history.replaceState(null, "", address);
  }

  function loadState() {
    var state = {};
    window.location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) state[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1));
    });
    ["category", "discipline"].forEach(function (name) {
      var select = selects[name], value = state[name];
      if (!select || value === undefined) return;
      for (var i = 1; i < select.options.length; i++) {
        var option = select.options[i];
        var none = !!option.getAttribute("data-none");
        if ((value === "~none" && none) || (!none && option.value === value)) select.selectedIndex = i;
      }
    });
    if (search && state.q) search.value = state.q;
    var match = /^(-?)([a-z_]+)$/.exec(state.sort || "");
    if (match) sortBy(match[2], match[1] === "-");
  }

  Array.prototype.forEach.call(headers, function (th) {
    function activate() {
      var key = th.getAttribute("data-key");
      var scoreDefault = th.getAttribute("data-type") === "num" && key !== "rank" && key !== "category_rank";
      sortBy(key, sortKey === key ? !sortDescending : scoreDefault);
      saveState();
    }
    th.addEventListener("click", activate);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter") activate(); });
  });
  if (search) search.addEventListener("input", function () { filter(); saveState(); });
  for (var name in selects) {
    if (selects[name]) selects[name].addEventListener("change", function () { filter(); saveState(); });
  }
  loadState();
  filter();
})();
