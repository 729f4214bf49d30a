/*
 * The concentrator's status page: static HTML, CSS and JavaScript served as four files ("/", "/app.css", "/app.js", "/icon.svg") by
 * both hosts. The page holds no data: its script polls the JSON endpoints (modules/status-json.ts) every few seconds and
 * builds the DOM with textContent and SVG elements only, so no value from a meter, profile or site file is ever parsed as
 * markup (the server can send Content-Security-Policy "default-src 'self'"). Charts are inline SVG drawn by the script
 * (no library, no CDN: it works offline): per meter, mean active power over the last hour; for all meters, the link
 * error rate (failed polls / polls) over the last hour.
 *
 * For an energy manager the page opens with the site totals (power now, energy today and this month, summed per direction
 * from /api/meters' `totals`), then one table row per meter with the same figures, the repeater segment it sits behind,
 * and a total row; the table fits a 1280 px screen. The links table explains its columns (what "residual" means) in
 * place and names the meters behind each repeater link. Meter cards show their key points (power, energy, then the
 * profile's order) and fold the rest under a "more points" disclosure, so a meter with dozens of points stays compact.
 */

export const STATUS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rc485 status</title>
<link rel="stylesheet" href="app.css">
<link rel="icon" href="icon.svg" type="image/svg+xml">
</head>
<body>
<header>
  <div class="brand">rc485 <span class="sub">concentrator</span></div>
  <div id="health" class="pill">loading…</div>
  <div id="mqtt" class="pill muted" hidden></div>
  <div id="updated" class="muted"></div>
</header>
<main>
  <section>
    <h2>Site</h2>
    <div id="totals" class="totals"></div>
  </section>
  <section>
    <h2>Meters</h2>
    <table id="meters" class="grid">
      <thead><tr><th>Meter</th><th>Status</th><th>Path</th><th class="num">Power</th><th class="num">Energy today</th><th class="num">This month</th><th class="num">Errors</th><th>Last fault</th></tr></thead>
      <tbody></tbody>
      <tfoot></tfoot>
    </table>
    <p class="note muted">Energy today and this month: the rise of each meter's energy total since local midnight and since the 1st, from the concentrator's own readings (a later start time is shown when it started during the period). A total appears once the sanity filter has confirmed it, so a transient 0 or garbage value never counts. Path: the plain RS-485 bus, or the repeater segment (R/C pair) the meter sits behind.</p>
  </section>
  <section>
    <h2>Readings and power, last hour</h2>
    <div id="cards" class="cards"></div>
  </section>
  <section class="split">
    <div class="card wide">
      <h3>Link error rate, last hour</h3>
      <div id="linkchart"></div>
      <div id="legend" class="legend"></div>
    </div>
    <div class="card wide">
      <h3>Links</h3>
      <table id="links" class="grid small">
        <thead><tr><th>Link</th><th>Kind</th><th class="num">Frames</th><th class="num" title="frames damaged on arrival, before any correction">Errors</th><th class="num" title="damaged frames repaired by Reed-Solomon forward error correction">Corrected</th><th class="num" title="frames still damaged after correction: what the master sees as CRC errors or timeouts">Residual</th><th class="num">Timeouts</th></tr></thead>
        <tbody></tbody>
      </table>
      <dl id="linkterms" class="terms">
        <dt>Errors</dt><dd>frames damaged on arrival, before any correction</dd>
        <dt>Corrected</dt><dd>damaged frames the R/C repeater repaired from their Reed&#8211;Solomon parity</dd>
        <dt>Residual</dt><dd>frames still damaged after correction (errors &#8722; corrected): the master sees them as CRC errors or timeouts and polls again. On the plain bus nothing corrects, so residual = errors.</dd>
      </dl>
    </div>
  </section>
</main>
<footer class="muted">Refreshes every 5 s · JSON: <a href="api/meters">meters</a> · <a href="api/history">history</a> · <a href="api/links">links</a> · <a href="api/plan">plan</a> · <a href="api/health">health</a></footer>
<script src="app.js"></script>
</body>
</html>
`;

/** A small icon (a meter dial) for the browser tab. */
export const STATUS_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#16202c"/><path d="M6 21a10 10 0 0 1 20 0" fill="none" stroke="#2f6fdb" stroke-width="3" stroke-linecap="round"/><path d="M16 21l6-7" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/><circle cx="16" cy="21" r="2.5" fill="#fff"/></svg>`;

export const STATUS_CSS = `:root{--bg:#f4f6f9;--card:#fff;--ink:#1d2733;--muted:#6b7785;--line:#e3e8ee;--ok:#1f9d55;--warn:#d98e04;--bad:#d64545;--accent:#2f6fdb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{display:flex;align-items:center;gap:14px;padding:14px 24px;background:#16202c;color:#fff}
.brand{font-weight:700;font-size:18px;letter-spacing:.3px}.brand .sub{font-weight:400;opacity:.7;margin-left:4px}
header .muted{color:#aab6c3;margin-left:auto}
.pill{padding:3px 10px;border-radius:999px;font-size:12px;font-weight:600;background:#3a4756;color:#fff}
.pill.ok{background:var(--ok)}.pill.degraded{background:var(--warn)}.pill.down{background:var(--bad)}
main{padding:8px 24px 24px;max-width:1400px;margin:0 auto}
h2{font-size:15px;margin:22px 0 10px;color:#334155;text-transform:uppercase;letter-spacing:.6px}
h3{font-size:14px;margin:0 0 8px}
table.grid{width:100%;border-collapse:collapse;background:var(--card);border-radius:8px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.grid th,.grid td{padding:8px 12px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
.grid th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
.grid.small th,.grid.small td{padding:6px 10px}
.num{text-align:right!important;font-variant-numeric:tabular-nums}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:var(--ok)}
.dot.off{background:var(--bad)}.dot.never{background:#aab}
tr.stale td.age,.card.stale .age{color:var(--warn);font-weight:600}
tr.stale td.val,.card.stale .vals{opacity:.55}
.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}
.card{background:var(--card);border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card .head{display:flex;align-items:baseline;gap:8px;margin-bottom:6px}
.card .head .name{font-weight:700;font-size:15px}.card .head .age{margin-left:auto;font-size:12px}
.vals{width:100%;border-collapse:collapse;margin:4px 0 8px}
.vals td{padding:2px 0;border-bottom:1px dotted var(--line)}.vals td.v{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.vals td.u{width:42px;padding-left:6px;color:var(--muted)}
.split{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin-top:22px}
@media (max-width:900px){.split{grid-template-columns:1fr}}
svg.chart{width:100%;height:auto;display:block}
svg.chart .axis{stroke:#c9d2dc;stroke-width:1}
svg.chart .gridl{stroke:#eef1f5;stroke-width:1}
svg.chart text{fill:var(--muted);font-size:10px}
svg.chart .area{fill:rgba(47,111,219,.12)}
svg.chart .line{fill:none;stroke:var(--accent);stroke-width:1.8;stroke-linejoin:round}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin-top:6px;font-size:12px}
.legend span::before{content:"";display:inline-block;width:10px;height:3px;margin-right:5px;vertical-align:middle;background:var(--c)}
.totals{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}
.total{background:var(--card);border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.total .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.5px}
.total .v{font-size:26px;font-weight:700;font-variant-numeric:tabular-nums;margin-top:2px}
.total .v .u{font-size:14px;font-weight:600;color:var(--muted);margin-left:4px}
.total .d{font-size:12px;color:var(--muted)}
.grid td .sub{display:block;font-size:12px;color:var(--muted);font-weight:400}
.grid tfoot td{font-weight:700;background:#fafbfc;border-bottom:0}
.note{font-size:12px;margin:6px 2px 0;max-width:1100px}
.terms{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:12px;margin:10px 0 0}
.terms dt{font-weight:600}.terms dd{margin:0;color:var(--muted)}
.via{display:inline-block;padding:1px 8px;border-radius:999px;background:#eef3fd;color:#2f5fb8;font-size:12px}
.card details{margin:0 0 8px}.card details summary{cursor:pointer;color:var(--muted);font-size:12px}
footer{padding:10px 24px 24px;font-size:12px;text-align:center}
footer a{color:var(--muted)}
`;

export const STATUS_JS = `"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#2f6fdb", "#d64545", "#1f9d55", "#d98e04", "#8e44ad", "#16a2b8", "#e67e22", "#5d6d7e"];
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "\\u2013";
    var a = Math.abs(v);
    var d = a >= 1000 ? 1 : a >= 100 ? 2 : a >= 1 ? 3 : 4;
    return Number(v.toFixed(d)).toLocaleString("en-US", { maximumFractionDigits: d });
  }
  function age(s) {
    if (s === null || s === undefined) return "never";
    if (s < 60) return Math.round(s) + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }
  function nice(max) {
    if (!(max > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(max)));
    var m = max / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function tickSi(unit) {
    return function (v) {
      var a = Math.abs(v), k = a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1, p = k === 1e6 ? " M" : k === 1e3 ? " k" : " ";
      return Number((v / k).toFixed(2)) + p + unit;
    };
  }
  // A line chart of one or more series (arrays of numbers or null) over the last hour; gaps where values are null.
  function chart(series, opts) {
    var W = opts.w || 320, H = opts.h || 120, L = 48, R = 8, T = 8, B = 18;
    var svg = sv("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
    svg.setAttribute("aria-label", opts.label);
    var max = 0, n = 0;
    series.forEach(function (s) { n = Math.max(n, s.values.length); s.values.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var top = opts.fixedMax || nice(max);
    for (var g = 0; g <= 4; g++) {
      var y = T + (H - T - B) * g / 4;
      svg.appendChild(sv("line", { x1: L, x2: W - R, y1: y, y2: y, class: g === 4 ? "axis" : "gridl" }));
      var lbl = sv("text", { x: L - 5, y: y + 3, "text-anchor": "end" });
      lbl.textContent = opts.tick(top * (4 - g) / 4);
      svg.appendChild(lbl);
    }
    [["-60 min", 0], ["-45", 0.25], ["-30 min", 0.5], ["-15", 0.75], ["now", 1]].forEach(function (t) {
      var tx = sv("text", { x: L + (W - L - R) * t[1], y: H - 4, "text-anchor": t[1] === 0 ? "start" : t[1] === 1 ? "end" : "middle" });
      tx.textContent = t[0];
      svg.appendChild(tx);
    });
    var points = 0;
    series.forEach(function (s) {
      var d = "", area = "", seg = "", pen = false, segStart = 0, lastX = 0;
      function close() {
        if (seg) area += seg + "L" + lastX.toFixed(1) + " " + (H - B) + " L" + segStart.toFixed(1) + " " + (H - B) + " Z ";
        seg = "";
      }
      for (var i = 0; i < s.values.length; i++) {
        var v = s.values[i];
        if (v === null) { pen = false; close(); continue; }
        var x = L + (W - L - R) * (n > 1 ? i / (n - 1) : 1);
        var yy = T + (H - T - B) * (1 - Math.max(0, Math.min(v, top)) / top);
        var step = (pen ? "L" : "M") + x.toFixed(1) + " " + yy.toFixed(1) + " ";
        if (!pen) segStart = x;
        d += step; seg += step;
        lastX = x; pen = true; points++;
      }
      close();
      if (!d) return;
      if (opts.area) svg.appendChild(sv("path", { d: area, class: "area" }));
      var line = sv("path", { d: d, class: "line" });
      if (s.color) line.style.stroke = s.color;
      svg.appendChild(line);
    });
    svg.setAttribute("data-points", String(points));
    return svg;
  }
  function energyFmt(v) { return v === null || v === undefined ? "\\u2013" : fmt(v); }
  function since(iso, daily) {
    if (!iso) return "";
    var d = new Date(iso);
    var start = d.getHours() === 0 && d.getMinutes() < 5 && (daily || d.getDate() === 1);
    if (start) return "";
    var hm = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    return "since " + (daily ? hm : d.toLocaleDateString("en-GB", { month: "short", day: "numeric" }) + " " + hm);
  }
  // One card of the site totals: the consumption (import) sum large, generation (export) and what is missing below.
  function totalCard(title, key, unit, totals) {
    var c = el("div", "total");
    c.setAttribute("data-total", key);
    c.appendChild(el("div", "k", title));
    var imp = totals["import"], exp = totals["export"];
    var v = el("div", "v", imp[key] === null ? "\\u2013" : fmt(imp[key]));
    v.appendChild(el("span", "u", unit));
    c.appendChild(v);
    var lines = [];
    if (imp.meters.length) lines.push("consumption, sum of " + (imp.meters.length - imp.missing[key].length) + " of " + imp.meters.length + " meters");
    if (exp.meters.length) lines.push("generation (export): " + (exp[key] === null ? "\\u2013" : fmt(exp[key])) + " " + unit + " (" + exp.meters.join(", ") + ")");
    var missing = imp.missing[key].concat(exp.missing[key]);
    if (missing.length) lines.push("not in the sum: " + missing.join(", ") + (key === "powerKw" ? " (no fresh reading)" : " (energy total not confirmed yet)"));
    lines.forEach(function (l) { c.appendChild(el("div", "d", l)); });
    return c;
  }
  // The points a card shows first: its power and energy points, then the profile's order.
  function keyPoints(m) {
    var first = [], rest = [];
    m.points.forEach(function (p) {
      var key = (m.energy && p.name === m.energy.point) || p.deviceClass === "power";
      (key ? first : rest).push(p);
    });
    return first.concat(rest);
  }
  function pointRows(list) {
    var t = el("table", "vals");
    list.forEach(function (p) {
      var r = el("tr");
      r.appendChild(el("td", "", p.label));
      // A point that is stale or invalid (modules/point-quality.ts) shows its quality, never a number taken for current.
      r.appendChild(el("td", "v", p.quality === "stale" || p.quality === "invalid" ? p.quality : fmt(p.value)));
      r.appendChild(el("td", "u", p.unit || ""));
      t.appendChild(r);
    });
    return t;
  }
  // Cards list at most this many points; the rest fold under a "more points" disclosure.
  var COMPACT = 6;
  function get(path) {
    return fetch(path, { cache: "no-store" }).then(function (r) { if (!r.ok) throw new Error(path + ": " + r.status); return r.json(); });
  }
  function render(meters, history, links, health) {
    var hp = document.getElementById("health");
    hp.textContent = health.status + " \\u00b7 " + health.meters.online + "/" + health.meters.total + " meters online";
    hp.className = "pill " + health.status;
    var mq = document.getElementById("mqtt");
    if (health.mqtt) {
      mq.hidden = false;
      mq.textContent = "MQTT " + (health.mqtt.connected ? "connected" : "offline") + " \\u00b7 queued " + health.mqtt.queued + (health.mqtt.dropped ? " \\u00b7 dropped " + health.mqtt.dropped : "");
      mq.className = "pill " + (health.mqtt.connected ? "ok" : "degraded");
    }
    document.getElementById("updated").textContent = "updated " + new Date(meters.time).toLocaleTimeString();
    var tot = document.getElementById("totals");
    tot.textContent = "";
    tot.appendChild(totalCard("Power now", "powerKw", "kW", meters.totals));
    tot.appendChild(totalCard("Energy today", "todayKwh", "kWh", meters.totals));
    tot.appendChild(totalCard("Energy this month", "monthKwh", "kWh", meters.totals));
    var hist = {};
    history.meters.forEach(function (h) { hist[h.name] = h; });
    var tb = document.querySelector("#meters tbody");
    tb.textContent = "";
    var cards = document.getElementById("cards");
    cards.textContent = "";
    meters.meters.forEach(function (m) {
      var tr = el("tr", m.stale ? "stale" : "");
      tr.setAttribute("data-meter", m.name);
      var name = el("td");
      name.appendChild(el("strong", "", m.name));
      name.appendChild(el("span", "muted", " unit " + (m.unit === null ? "?" : m.unit)));
      name.appendChild(el("span", "sub", ((m.manufacturer || "") + " " + (m.model || m.profile)).trim()));
      tr.appendChild(name);
      var st = el("td", "age");
      st.appendChild(el("span", "dot" + (m.online ? "" : m.hasReading ? " off" : " never")));
      st.appendChild(document.createTextNode(m.online ? "online" : m.hasReading ? "offline" : "no reading"));
      st.appendChild(el("span", "sub", age(m.ageS) + (m.stale && m.hasReading ? " (stale)" : "")));
      tr.appendChild(st);
      var path = el("td", "path");
      if (m.via) path.appendChild(el("span", "via", "via " + m.via)); else path.appendChild(el("span", "muted", "bus"));
      tr.appendChild(path);
      var h = hist[m.name];
      tr.appendChild(el("td", "num val", m.power === null ? "\\u2013" : fmt(m.power) + " " + (m.powerUnit || "")));
      var e = m.energy, eu = e ? " " + (e.unit || "") : "";
      var today = el("td", "num val energy-today", e ? energyFmt(e.today) + (e.today === null ? "" : eu) : "\\u2013");
      var note = !e ? "" : e.total === null && m.hasReading ? "total not confirmed yet" : e.direction === "export" ? "export" : since(e.todayFrom, true);
      if (note) today.appendChild(el("span", "sub", note));
      tr.appendChild(today);
      var month = el("td", "num val", e ? energyFmt(e.month) + (e.month === null ? "" : eu) : "\\u2013");
      if (e && e.month !== null && since(e.monthFrom, false)) month.appendChild(el("span", "sub", since(e.monthFrom, false)));
      tr.appendChild(month);
      var errs = el("td", "num", m.errorRate === null ? "\\u2013" : (m.errorRate * 100).toFixed(2) + " %");
      errs.appendChild(el("span", "sub", "of " + m.polls + " polls"));
      tr.appendChild(errs);
      tr.appendChild(el("td", "muted", m.lastFault || "\\u2013"));
      tb.appendChild(tr);

      var card = el("div", "card" + (m.stale ? " stale" : ""));
      card.setAttribute("data-meter", m.name);
      var head = el("div", "head");
      head.appendChild(el("span", "dot" + (m.online ? "" : m.hasReading ? " off" : " never")));
      head.appendChild(el("span", "name", m.name));
      head.appendChild(el("span", "muted", m.model || m.profile));
      head.appendChild(el("span", "age", age(m.ageS)));
      card.appendChild(head);
      var pts = keyPoints(m);
      var shown = pts.length > COMPACT + 1 ? COMPACT : pts.length;
      card.appendChild(pointRows(pts.slice(0, shown)));
      if (shown < pts.length) {
        var more = el("details", "more");
        more.appendChild(el("summary", "", (pts.length - shown) + " more points"));
        more.appendChild(pointRows(pts.slice(shown)));
        card.appendChild(more);
      }
      if (h && h.powerPoint) {
        var unit = h.powerUnit || "";
        card.appendChild(chart([{ values: h.power }], { label: m.name + " power, last hour", area: true, tick: tickSi(unit) }));
      } else {
        card.appendChild(el("div", "muted", "no power point to chart"));
      }
      cards.appendChild(card);
    });
    // The site total row: consumption sums (generation, when there is any, below them).
    var tf = document.querySelector("#meters tfoot");
    tf.textContent = "";
    var T = meters.totals, ft = el("tr");
    ft.setAttribute("data-total", "site");
    function cell(key, unit) {
      var c = el("td", "num", T["import"][key] === null ? "\\u2013" : fmt(T["import"][key]) + " " + unit);
      if (T["export"].meters.length) c.appendChild(el("span", "sub", "export " + (T["export"][key] === null ? "\\u2013" : fmt(T["export"][key]) + " " + unit)));
      return c;
    }
    var label = el("td", "", "Site total");
    label.setAttribute("colspan", "3");
    ft.appendChild(label);
    ft.appendChild(cell("powerKw", "kW"));
    ft.appendChild(cell("todayKwh", "kWh"));
    ft.appendChild(cell("monthKwh", "kWh"));
    ft.appendChild(el("td", ""));
    ft.appendChild(el("td", ""));
    tf.appendChild(ft);
    var lc = document.getElementById("linkchart");
    lc.textContent = "";
    var legend = document.getElementById("legend");
    legend.textContent = "";
    var series = history.meters.map(function (h, i) {
      var c = COLORS[i % COLORS.length];
      var s = el("span", "", h.name);
      s.style.setProperty("--c", c);
      legend.appendChild(s);
      return { values: h.errorRate.map(function (v) { return v === null ? null : v * 100; }), color: c };
    });
    var maxRate = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v > maxRate) maxRate = v; }); });
    lc.appendChild(chart(series, { label: "link error rate, last hour", w: 560, h: 200, fixedMax: nice(Math.max(maxRate, 1)), tick: function (v) { return Number(v.toFixed(1)) + " %"; } }));
    var lb = document.querySelector("#links tbody");
    lb.textContent = "";
    if (links.links.length === 0) {
      var tr0 = el("tr");
      var td0 = el("td", "muted", "no link statistics reported");
      td0.setAttribute("colspan", "7");
      tr0.appendChild(td0);
      lb.appendChild(tr0);
    }
    links.links.forEach(function (l) {
      var tr = el("tr");
      tr.setAttribute("data-link", l.name);
      var n = el("td", "", l.name);
      var behind = meters.meters.filter(function (m) { return m.via === l.name; }).map(function (m) { return m.name; });
      if (behind.length) n.appendChild(el("span", "sub", "meters behind it: " + behind.join(", ")));
      else if (l.kind === "bus") n.appendChild(el("span", "sub", "every meter's requests"));
      tr.appendChild(n);
      tr.appendChild(el("td", "muted", l.kind === "fec" ? "R/C (FEC)" : l.kind));
      [l.frames, l.errors, l.corrected].forEach(function (v) { tr.appendChild(el("td", "num", v)); });
      var res = el("td", "num residual", l.uncorrectable);
      if (l.frames > 0) res.appendChild(el("span", "sub", (100 * l.uncorrectable / l.frames).toFixed(2) + " % of frames"));
      tr.appendChild(res);
      tr.appendChild(el("td", "num", l.timeouts));
      lb.appendChild(tr);
    });
    document.body.setAttribute("data-rendered", String(Number(document.body.getAttribute("data-rendered") || "0") + 1));
  }
  function refresh() {
    Promise.all([get("api/meters"), get("api/history"), get("api/links"), get("api/health")])
      .then(function (r) { render(r[0], r[1], r[2], r[3]); })
      .catch(function (e) { var hp = document.getElementById("health"); hp.textContent = "unreachable: " + e.message; hp.className = "pill down"; });
  }
  refresh();
  setInterval(refresh, 5000);
})();
`;
