(function () {
  "use strict";
  // The report data is read as text and parsed; nothing from it is ever set as HTML:
  // every cell is built with createElement and filled with textContent.
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 100;
  var STATUS = {
    sanctioned: "Sanctioned", unsanctioned: "Unsanctioned", monitored: "Monitored",
    unreviewed: "Unreviewed", uncatalogued: "Uncatalogued"
  };
  var UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];

  function bytes(value) {
    var size = Number(value) || 0, unit = 0;
    while (Math.abs(size) >= 999.95 && unit < UNITS.length - 1) { size /= 1000; unit += 1; }
    return unit === 0 ? size.toFixed(0) + " B" : size.toFixed(1) + " " + UNITS[unit];
  }
  function num(value) { return value === null || value === undefined ? "\u2014" : Number(value).toLocaleString("en-US"); }
  function when(value) { return value ? value.replace("T", " ").slice(0, 16) + " UTC" : "\u2014"; }
  // times of the apps and users tables: whole minutes after data.origin (epoch seconds)
  function minute(value) {
    if (value === null || value === undefined || data.origin === null) { return null; }
    return new Date((data.origin + value * 60) * 1000).toISOString().slice(0, 19) + "Z";
  }
  function undelta(column) {
    for (var i = 1; i < column.length; i++) { column[i] += column[i - 1]; }
  }
  undelta(data.user_apps.u);
  undelta(data.app_users.a);
  undelta(data.app_ips.a);
  undelta(data.app_timeline.a);
  data.apps.last_seen = data.apps.last_seen.map(minute);
  data.users.last_seen = data.users.last_seen.map(minute);
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(1) + "%" : "\u2014"; }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function cell(row, text, cls) { var td = el("td", text, cls); row.appendChild(td); return td; }
  function link(text, onclick) {
    var button = el("button", text, "link");
    button.type = "button";
    button.addEventListener("click", onclick);
    return button;
  }
  function riskBadge(score) {
    if (score === null || score === undefined) { return el("span", "not assessed", "badge none"); }
    return el("span", score, "badge " + (score <= 5 ? "high" : score <= 7 ? "medium" : "low"));
  }
  function statusBadge(status) { return el("span", STATUS[status] || status, "status " + status); }

  // Rows of a column table: row i of table t is t[column][i].
  function size(table) { var k = Object.keys(table)[0]; return k ? table[k].length : 0; }
  function range(n) { var out = new Array(n); for (var i = 0; i < n; i++) { out[i] = i; } return out; }
  function groupBy(column) {
    var groups = {};
    column.forEach(function (key, i) { (groups[key] = groups[key] || []).push(i); });
    return groups;
  }

  // ---- CSV download (cells that a spreadsheet would run as a formula are neutralised) ----
  function csvCell(value) {
    if (value === null || value === undefined) { return ""; }
    var text = Array.isArray(value) ? value.join(";") : String(value);
    if (typeof value !== "number" && /^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function download(name, header, rows) {
    var lines = [header.map(csvCell).join(",")];
    rows.forEach(function (row) { lines.push(row.map(csvCell).join(",")); });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var anchor = document.createElement("a");
    anchor.href = URL.createObjectURL(blob);
    anchor.download = name;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(function () { URL.revokeObjectURL(anchor.href); }, 10000);
  }

  // ---- a big table: filtered, sorted and rendered a page at a time ----
  function BigTable(options) {
    var self = this;
    self.o = options;
    self.table = document.getElementById(options.id);
    self.body = self.table.tBodies[0];
    self.more = document.getElementById(options.more);
    self.counter = document.getElementById(options.count);
    self.total = size(options.data);
    self.sortKey = options.sortKey;
    self.descending = true;
    self.search = null; // built on the first search: one lowercase string per row
    self.query = "";
    self.filter = null;
    self.more.addEventListener("click", function () { self.shown += PAGE * 5; self.render(); });
    Array.prototype.forEach.call(self.table.tHead.rows[0].cells, function (header) {
      var button = header.querySelector("button");
      var key = header.getAttribute("data-key");
      if (!button || !key) { return; }
      button.addEventListener("click", function () {
        var numeric = header.getAttribute("data-type") === "num";
        self.descending = self.sortKey === key ? !self.descending : numeric;
        self.sortKey = key;
        Array.prototype.forEach.call(self.table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", self.descending ? "descending" : "ascending");
        self.update();
      });
    });
    self.update();
  }
  BigTable.prototype.matches = function () {
    var self = this, o = self.o, query = self.query, rows = [];
    if (query && !self.search) {
      self.search = range(self.total).map(function (i) { return o.text(i).toLowerCase(); });
    }
    for (var i = 0; i < self.total; i++) {
      if ((!query || self.search[i].indexOf(query) !== -1) && (!self.filter || self.filter(i))) { rows.push(i); }
    }
    var column = o.data[self.sortKey], sign = self.descending ? -1 : 1;
    rows.sort(function (a, b) {
      var x = column[a], y = column[b];
      if (Array.isArray(x)) { x = x.join(" "); y = y.join(" "); }
      if (x === null || x === undefined) { return y === null || y === undefined ? a - b : 1; }
      if (y === null || y === undefined) { return -1; }
      if (typeof x === "string") { x = x.toLowerCase(); y = y.toLowerCase(); }
      return x < y ? -sign : x > y ? sign : a - b;
    });
    return rows;
  };
  BigTable.prototype.update = function () {
    this.rows = this.matches();
    this.shown = PAGE;
    this.render();
  };
  BigTable.prototype.render = function () {
    var self = this, fragment = document.createDocumentFragment();
    var count = Math.min(self.shown, self.rows.length);
    for (var n = 0; n < count; n++) {
      var tr = document.createElement("tr");
      self.o.row(self.rows[n], tr);
      fragment.appendChild(tr);
    }
    self.body.textContent = "";
    self.body.appendChild(fragment);
    if (!self.rows.length) {
      var empty = cell(self.body.insertRow(), self.total ? "Nothing matches" : self.o.empty, "muted");
      empty.colSpan = self.table.tHead.rows[0].cells.length;
    }
    self.more.hidden = count >= self.rows.length;
    self.counter.textContent = "Showing " + num(count) + " of " + num(self.rows.length) +
      (self.rows.length === self.total ? "" : " matching (" + num(self.total) + ")") + " " + self.o.noun;
  };
  BigTable.prototype.csv = function (name) {
    var o = this.o;
    download(name, o.csvColumns, this.rows.map(function (i) {
      return o.csvColumns.map(function (key) { return o.data[key][i]; });
    }));
  };

  var apps = data.apps, users = data.users;
  var appIndex = {};
  apps.app_id.forEach(function (id, i) { appIndex[id] = i; });

  // ---- drill-downs ----
  var drill = document.getElementById("drill");
  var drillTitle = document.getElementById("drill-title");
  var drillBody = document.getElementById("drill-body");
  var byApp = { users: null, ips: null, time: null }, byUser = null;

  function facts(pairs) {
    var dl = el("dl", null, "facts");
    pairs.forEach(function (pair) {
      var box = el("div");
      box.appendChild(el("dt", pair[0]));
      var dd = el("dd");
      if (pair[1] instanceof Node) { dd.appendChild(pair[1]); } else { dd.textContent = pair[1]; }
      box.appendChild(dd);
      dl.appendChild(box);
    });
    return dl;
  }
  function miniTable(id, headers, rows, fill) {
    var wrap = el("div", null, "table-wrap");
    var table = el("table");
    table.id = id;
    var head = table.createTHead().insertRow();
    headers.forEach(function (h) { var th = el("th", h[0], h[1] ? "n" : ""); th.scope = "col"; head.appendChild(th); });
    var body = table.createTBody();
    rows.forEach(function (i) { fill(i, body.insertRow()); });
    if (!rows.length) { cell(body.insertRow(), "None", "muted").colSpan = headers.length; }
    wrap.appendChild(table);
    return wrap;
  }
  function sparkline(points, label) {
    // columns per time bucket, drawn with SVG attributes only (the CSP forbids inline styles)
    var ns = "http://www.w3.org/2000/svg", width = 520, height = 90;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    var buckets = data.timeline.start.length, peak = 1;
    points.forEach(function (p) { peak = Math.max(peak, p[1]); });
    var step = width / Math.max(buckets, 1);
    points.forEach(function (p) {
      var rect = document.createElementNS(ns, "rect"), h = Math.max(1, p[1] / peak * (height - 4));
      rect.setAttribute("x", (p[0] * step).toFixed(2));
      rect.setAttribute("y", (height - h).toFixed(2));
      rect.setAttribute("width", Math.max(step - 1, 0.5).toFixed(2));
      rect.setAttribute("height", h.toFixed(2));
      rect.setAttribute("fill", "#2563eb");
      var title = document.createElementNS(ns, "title");
      title.textContent = when(data.timeline.start[p[0]]) + ": " + num(p[1]) + " transactions";
      rect.appendChild(title);
      svg.appendChild(rect);
    });
    return svg;
  }
  function openDrill(title, kind, nodes) {
    drillTitle.textContent = title;
    drill.setAttribute("data-kind", kind);
    drillBody.textContent = "";
    nodes.forEach(function (node) { drillBody.appendChild(node); });
    drill.hidden = false;
    drill.scrollTop = 0;
    document.getElementById("drill-close").focus();
  }

  function openApp(a) {
    if (!byApp.users) {
      byApp.users = groupBy(data.app_users.a);
      byApp.ips = groupBy(data.app_ips.a);
      byApp.time = groupBy(data.app_timeline.a);
    }
    var u = data.app_users, ip = data.app_ips, t = data.app_timeline;
    var userRows = byApp.users[a] || [], ipRows = byApp.ips[a] || [], timeRows = byApp.time[a] || [];
    var domains = apps.domains[a].join(" \u00b7 ");
    openDrill(apps.name[a] || apps.app_id[a], "app", [
      facts([
        ["Category", apps.category[a] || "\u2014"],
        ["Status", statusBadge(apps.status[a])],
        ["Risk", riskBadge(apps.risk[a])],
        ["Tags", apps.tags[a].length ? apps.tags[a].join(", ") : "\u2014"],
        ["Domains", domains || "\u2014"],
        ["Upload", bytes(apps.upload[a])],
        ["Download", bytes(apps.download[a])],
        ["Transactions", num(apps.transactions[a])],
        ["Blocked", num(apps.blocked[a]) + " (" + pct(apps.blocked[a], apps.transactions[a]) + ")"],
        ["Users", num(apps.users[a])],
        ["Source IPs", num(apps.ips[a])],
        ["Last seen", when(apps.last_seen[a])]
      ]),
      el("h3", "Activity per " + data.granularity + " (UTC)"),
      sparkline(timeRows.map(function (i) { return [t.t[i], t.transactions[i]]; }), "Transactions over time"),
      el("h3", "Users (top " + userRows.length + " of " + num(apps.users[a]) + ")"),
      miniTable("drill-app-users", [["User"], ["Traffic", 1], ["Upload", 1], ["Transactions", 1], ["Blocked", 1]], userRows, function (i, tr) {
        var who = u.u[i];
        cell(tr, null, "mono").appendChild(link(users.user[who], function () { openUser(who); }));
        cell(tr, bytes(u.traffic[i]), "n");
        cell(tr, bytes(u.upload[i]), "n");
        cell(tr, num(u.transactions[i]), "n");
        cell(tr, num(u.blocked[i]), "n");
      }),
      el("h3", "Source IPs (top " + ipRows.length + " of " + num(apps.ips[a]) + ")"),
      miniTable("drill-app-ips", [["Source IP"], ["Traffic", 1], ["Upload", 1], ["Transactions", 1], ["Blocked", 1]], ipRows, function (i, tr) {
        cell(tr, ip.ip[i], "mono");
        cell(tr, bytes(ip.traffic[i]), "n");
        cell(tr, bytes(ip.upload[i]), "n");
        cell(tr, num(ip.transactions[i]), "n");
        cell(tr, num(ip.blocked[i]), "n");
      })
    ]);
  }

  function openUser(who) {
    if (!byUser) { byUser = groupBy(data.user_apps.u); }
    var p = data.user_apps, rows = byUser[who] || [];
    openDrill(users.user[who], "user", [
      facts([
        ["Traffic", bytes(users.traffic[who])],
        ["Upload", bytes(users.upload[who])],
        ["Download", bytes(users.download[who])],
        ["Transactions", num(users.transactions[who])],
        ["Blocked", num(users.blocked[who]) + " (" + pct(users.blocked[who], users.transactions[who]) + ")"],
        ["Apps", num(users.apps[who])],
        ["Last seen", when(users.last_seen[who])]
      ]),
      el("h3", "Apps (top " + rows.length + " of " + num(users.apps[who]) + ")"),
      miniTable("drill-user-apps", [["App"], ["Status"], ["Risk", 1], ["Traffic", 1], ["Upload", 1], ["Transactions", 1], ["Blocked", 1]], rows, function (i, tr) {
        var a = p.a[i];
        cell(tr).appendChild(link(apps.name[a] || apps.app_id[a], function () { openApp(a); }));
        cell(tr).appendChild(statusBadge(apps.status[a]));
        cell(tr, null, "n").appendChild(riskBadge(apps.risk[a]));
        cell(tr, bytes(p.traffic[i]), "n");
        cell(tr, bytes(p.upload[i]), "n");
        cell(tr, num(p.transactions[i]), "n");
        cell(tr, num(p.blocked[i]), "n");
      })
    ]);
  }

  document.getElementById("drill-close").addEventListener("click", function () { drill.hidden = true; });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { drill.hidden = true; } });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-app]"), function (button) {
    var a = appIndex[button.getAttribute("data-app")];
    if (a !== undefined) { button.addEventListener("click", function () { openApp(a); }); }
  });

  // ---- the apps and users tables ----
  var appsTable = new BigTable({
    id: "apps-table", more: "apps-more", count: "apps-count", data: apps, sortKey: "traffic",
    noun: "apps", empty: "No catalogued apps in the logs",
    text: function (i) {
      return [apps.name[i], apps.app_id[i], apps.category[i], apps.tags[i].join(" "),
        apps.domains[i].join(" "), STATUS[apps.status[i]]].join(" ");
    },
    csvColumns: ["app_id", "name", "category", "status", "risk", "tags", "traffic", "upload",
      "download", "transactions", "blocked", "users", "ips", "last_seen"],
    row: function (i, tr) {
      var first = cell(tr);
      first.appendChild(link(apps.name[i] || apps.app_id[i], function () { openApp(i); })).classList.add("app-name");
      if (apps.domains[i].length) { first.appendChild(el("div", apps.domains[i].slice(0, 2).join(" \u00b7 "), "app-dom")); }
      cell(tr, apps.category[i] || "");
      cell(tr).appendChild(statusBadge(apps.status[i]));
      cell(tr, null, "n").appendChild(riskBadge(apps.risk[i]));
      var tags = cell(tr);
      apps.tags[i].forEach(function (tag) {
        var low = String(tag).toLowerCase();
        tags.appendChild(el("span", tag, "tag" + (STATUS[low] ? " " + low : "")));
      });
      cell(tr, bytes(apps.traffic[i]), "n");
      cell(tr, bytes(apps.upload[i]), "n");
      cell(tr, bytes(apps.download[i]), "n");
      cell(tr, num(apps.transactions[i]), "n");
      cell(tr, num(apps.blocked[i]) + " (" + pct(apps.blocked[i], apps.transactions[i]) + ")", "n");
      cell(tr, num(apps.users[i]), "n");
      cell(tr, num(apps.ips[i]), "n");
      cell(tr, when(apps.last_seen[i]), "nowrap");
    }
  });
  var usersTable = new BigTable({
    id: "users-table", more: "users-more", count: "users-count", data: users, sortKey: "traffic",
    noun: "users", empty: "No user names in the logs",
    text: function (i) { return users.user[i]; },
    csvColumns: ["user", "traffic", "upload", "download", "transactions", "blocked", "apps", "last_seen"],
    row: function (i, tr) {
      cell(tr, null, "mono").appendChild(link(users.user[i], function () { openUser(i); }));
      cell(tr, bytes(users.traffic[i]), "n");
      cell(tr, bytes(users.upload[i]), "n");
      cell(tr, bytes(users.download[i]), "n");
      cell(tr, num(users.transactions[i]), "n");
      cell(tr, num(users.blocked[i]) + " (" + pct(users.blocked[i], users.transactions[i]) + ")", "n");
      cell(tr, num(users.apps[i]), "n");
      cell(tr, when(users.last_seen[i]), "nowrap");
    }
  });

  function debounce(fn) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, 120); };
  }
  var appsSearch = document.getElementById("apps-search");
  var statusFilter = document.getElementById("status-filter");
  function filterApps() {
    var status = statusFilter.value;
    appsTable.query = appsSearch.value.trim().toLowerCase();
    appsTable.filter = status ? function (i) { return apps.status[i] === status; } : null;
    appsTable.update();
  }
  appsSearch.addEventListener("input", debounce(filterApps));
  statusFilter.addEventListener("change", filterApps);
  Array.prototype.forEach.call(document.querySelectorAll("button[data-status]"), function (button) {
    button.addEventListener("click", function () {
      statusFilter.value = button.getAttribute("data-status");
      filterApps();
      document.getElementById("apps").scrollIntoView();
    });
  });
  var usersSearch = document.getElementById("users-search");
  usersSearch.addEventListener("input", debounce(function () {
    usersTable.query = usersSearch.value.trim().toLowerCase();
    usersTable.update();
  }));
  document.getElementById("apps-csv").addEventListener("click", function () { appsTable.csv("shadowlens-apps.csv"); });
  document.getElementById("users-csv").addEventListener("click", function () { usersTable.csv("shadowlens-users.csv"); });

  // ---- the small server-rendered tables: sort by a header, filter by a box ----
  function sortKey(row, index, numeric) {
    var c = row.cells[index];
    var raw = c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent.trim();
    if (!numeric) { return raw.toLowerCase(); }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable:not([data-table])"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = header.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = header.getAttribute("data-type") === "num";
        var current = header.getAttribute("aria-sort");
        var descending = current ? current === "ascending" : numeric;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortKey(a, index, numeric), y = sortKey(b, index, numeric);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
      });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var counter = document.querySelector("[data-count-for='" + table.id + "']");
    var total = table.tBodies[0].rows.length;
    var noun = counter ? counter.getAttribute("data-noun") : "";
    function update() {
      var query = input.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = !query || row.textContent.toLowerCase().indexOf(query) !== -1;
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (counter) { counter.textContent = "Showing " + num(shown) + " of " + num(total) + " " + noun; }
    }
    input.addEventListener("input", update);
    update();
  });
  document.body.setAttribute("data-ready", "true");
})();
