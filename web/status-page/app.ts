/*
 * The concentrator's status page script (browser code, type-checked against the DOM by tsconfig.web.json and bundled by
 * scripts/build-status-page.mjs into the app.js both hosts serve).
 *
 * Theory of operation. The page holds no data: every REFRESH_MS it fetches the JSON endpoints (/api/meters, /api/history,
 * /api/links, /api/health; modules/forwarding/status-json.ts writes them) with relative URLs, so it also works behind a path prefix,
 * and rebuilds the DOM with textContent and SVG elements only: no value from a meter, profile or site file is ever parsed
 * as markup, and the server can send Content-Security-Policy "default-src 'self'". Charts are inline SVG drawn here (no
 * library, no CDN: it works offline): per meter, mean active power over the last hour; for all meters, the link error
 * rate (failed polls / polls) over the last hour.
 *
 * For an energy manager the page opens with the site totals (power now, energy today and this month, summed per direction
 * from /api/meters' `totals`), then one table row per meter with the same figures, the repeater segment it sits behind,
 * and a total row; the table fits a 1280 px screen. The links table explains its columns (what "residual" means) in
 * place and names the meters behind each repeater link. Meter cards show their key points (power, energy, then the
 * profile's order) and fold the rest under a "more points" disclosure, so a meter with dozens of points stays compact.
 * After each render the body's data-rendered attribute counts up (the Chromium test waits for it).
 */

// What the page reads of the JSON documents: the server's own types (modules/forwarding/status-json.ts), imported for
// their types only (the bundle takes no code from there), so a field the server renames breaks this file's type check.
import type { HistoryJson, LinkStats, MeterJson, TotalsJson } from "../../modules/forwarding/status-json";

type TotalKey = "powerKw" | "todayKwh" | "monthKwh";
type PointView = MeterJson["points"][number];
type MeterView = MeterJson;

interface MetersDocument {
  readonly time: number | string;
  readonly meters: readonly MeterView[];
  readonly totals: TotalsJson;
}

type HistoryDocument = HistoryJson;

interface LinksDocument {
  readonly links: readonly LinkStats[];
}

interface HealthDocument {
  readonly status: string;
  readonly meters: { readonly online: number; readonly total: number };
  readonly mqtt?: { readonly connected: boolean; readonly queued: number; readonly dropped: number } | null;
}

interface Series {
  readonly values: readonly (number | null)[];
  readonly color?: string;
}

interface ChartOptions {
  readonly label: string;
  readonly w?: number;
  readonly h?: number;
  readonly area?: boolean;
  readonly fixedMax?: number;
  readonly tick: (v: number) => string;
}

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#2f6fdb", "#d64545", "#1f9d55", "#d98e04", "#8e44ad", "#16a2b8", "#e67e22", "#5d6d7e"];
const DASH = "\u2013";
const REFRESH_MS = 5000;
/** Cards list at most this many points; the rest fold under a "more points" disclosure. */
const COMPACT = 6;

function el(tag: string, cls?: string, text?: unknown): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} is missing from index.html`);
  return e;
}

function query(selector: string): Element {
  const e = document.querySelector(selector);
  if (e === null) throw new Error(`${selector} is missing from index.html`);
  return e;
}

function sv(tag: string, attrs: Readonly<Record<string, string | number>>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return DASH;
  const a = Math.abs(v);
  const d = a >= 1000 ? 1 : a >= 100 ? 2 : a >= 1 ? 3 : 4;
  return Number(v.toFixed(d)).toLocaleString("en-US", { maximumFractionDigits: d });
}

function age(s: number | null | undefined): string {
  if (s === null || s === undefined) return "never";
  if (s < 60) return Math.round(s) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function nice(max: number): number {
  if (!(max > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(max)));
  const m = max / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function tickSi(unit: string): (v: number) => string {
  return (v) => {
    const a = Math.abs(v);
    const k = a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1;
    const p = k === 1e6 ? " M" : k === 1e3 ? " k" : " ";
    return Number((v / k).toFixed(2)) + p + unit;
  };
}

/** A line chart of one or more series (arrays of numbers or null) over the last hour; gaps where values are null. */
function chart(series: readonly Series[], opts: ChartOptions): SVGElement {
  const W = opts.w || 320, H = opts.h || 120, L = 48, R = 8, T = 8, B = 18;
  const svg = sv("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
  svg.setAttribute("aria-label", opts.label);
  let max = 0, n = 0;
  series.forEach((s) => {
    n = Math.max(n, s.values.length);
    s.values.forEach((v) => { if (v !== null && v > max) max = v; });
  });
  const top = opts.fixedMax || nice(max);
  for (let g = 0; g <= 4; g++) {
    const y = T + (H - T - B) * g / 4;
    svg.appendChild(sv("line", { x1: L, x2: W - R, y1: y, y2: y, class: g === 4 ? "axis" : "gridl" }));
    const lbl = sv("text", { x: L - 5, y: y + 3, "text-anchor": "end" });
    lbl.textContent = opts.tick(top * (4 - g) / 4);
    svg.appendChild(lbl);
  }
  const ticks: readonly [string, number][] = [["-60 min", 0], ["-45", 0.25], ["-30 min", 0.5], ["-15", 0.75], ["now", 1]];
  ticks.forEach((t) => {
    const tx = sv("text", { x: L + (W - L - R) * t[1], y: H - 4, "text-anchor": t[1] === 0 ? "start" : t[1] === 1 ? "end" : "middle" });
    tx.textContent = t[0];
    svg.appendChild(tx);
  });
  let points = 0;
  series.forEach((s) => {
    let d = "", area = "", seg = "", pen = false, segStart = 0, lastX = 0;
    const close = () => {
      if (seg) area += seg + "L" + lastX.toFixed(1) + " " + (H - B) + " L" + segStart.toFixed(1) + " " + (H - B) + " Z ";
      seg = "";
    };
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (v === null) { pen = false; close(); continue; }
      const x = L + (W - L - R) * (n > 1 ? i / (n - 1) : 1);
      const yy = T + (H - T - B) * (1 - Math.max(0, Math.min(v, top)) / top);
      const step = (pen ? "L" : "M") + x.toFixed(1) + " " + yy.toFixed(1) + " ";
      if (!pen) segStart = x;
      d += step; seg += step;
      lastX = x; pen = true; points++;
    }
    close();
    if (!d) return;
    if (opts.area) svg.appendChild(sv("path", { d: area, class: "area" }));
    const line = sv("path", { d, class: "line" });
    if (s.color) line.style.stroke = s.color;
    svg.appendChild(line);
  });
  svg.setAttribute("data-points", String(points));
  return svg;
}

function energyFmt(v: number | null | undefined): string {
  return v === null || v === undefined ? DASH : fmt(v);
}

function since(iso: string | null | undefined, daily: boolean): string {
  if (!iso) return "";
  const d = new Date(iso);
  const start = d.getHours() === 0 && d.getMinutes() < 5 && (daily || d.getDate() === 1);
  if (start) return "";
  const hm = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return "since " + (daily ? hm : d.toLocaleDateString("en-GB", { month: "short", day: "numeric" }) + " " + hm);
}

/** One card of the site totals: the consumption (import) sum large, generation (export) and what is missing below. */
function totalCard(title: string, key: TotalKey, unit: string, totals: MetersDocument["totals"]): HTMLElement {
  const c = el("div", "total");
  c.setAttribute("data-total", key);
  c.appendChild(el("div", "k", title));
  const imp = totals["import"], exp = totals["export"];
  const v = el("div", "v", imp[key] === null ? DASH : fmt(imp[key]));
  v.appendChild(el("span", "u", unit));
  c.appendChild(v);
  const lines: string[] = [];
  if (imp.meters.length) lines.push("consumption, sum of " + (imp.meters.length - imp.missing[key].length) + " of " + imp.meters.length + " meters");
  if (exp.meters.length) lines.push("generation (export): " + (exp[key] === null ? DASH : fmt(exp[key])) + " " + unit + " (" + exp.meters.join(", ") + ")");
  const missing = imp.missing[key].concat(exp.missing[key]);
  if (missing.length) lines.push("not in the sum: " + missing.join(", ") + (key === "powerKw" ? " (no fresh reading)" : " (energy total not confirmed yet)"));
  lines.forEach((l) => { c.appendChild(el("div", "d", l)); });
  return c;
}

/** The points a card shows first: its power and energy points, then the profile's order. */
function keyPoints(m: MeterView): PointView[] {
  const first: PointView[] = [], rest: PointView[] = [];
  m.points.forEach((p) => {
    const key = (m.energy && p.name === m.energy.point) || p.deviceClass === "power";
    (key ? first : rest).push(p);
  });
  return first.concat(rest);
}

function pointRows(list: readonly PointView[]): HTMLElement {
  const t = el("table", "vals");
  list.forEach((p) => {
    const r = el("tr");
    r.appendChild(el("td", "", p.label));
    // A point that is stale or invalid (modules/concentrator/point-quality.ts) shows its quality, never a number taken for current.
    r.appendChild(el("td", "v", p.quality === "stale" || p.quality === "invalid" ? p.quality : fmt(p.value)));
    r.appendChild(el("td", "u", p.unit || ""));
    t.appendChild(r);
  });
  return t;
}

function get<T>(path: string): Promise<T> {
  return fetch(path, { cache: "no-store" }).then((r) => {
    if (!r.ok) throw new Error(path + ": " + r.status);
    return r.json() as Promise<T>;
  });
}

function render(meters: MetersDocument, history: HistoryDocument, links: LinksDocument, health: HealthDocument): void {
  const hp = byId("health");
  hp.textContent = health.status + " \u00b7 " + health.meters.online + "/" + health.meters.total + " meters online";
  hp.className = "pill " + health.status;
  const mq = byId("mqtt");
  if (health.mqtt) {
    mq.hidden = false;
    mq.textContent = "MQTT " + (health.mqtt.connected ? "connected" : "offline") + " \u00b7 queued " + health.mqtt.queued + (health.mqtt.dropped ? " \u00b7 dropped " + health.mqtt.dropped : "");
    mq.className = "pill " + (health.mqtt.connected ? "ok" : "degraded");
  }
  byId("updated").textContent = "updated " + new Date(meters.time).toLocaleTimeString();
  const tot = byId("totals");
  tot.textContent = "";
  tot.appendChild(totalCard("Power now", "powerKw", "kW", meters.totals));
  tot.appendChild(totalCard("Energy today", "todayKwh", "kWh", meters.totals));
  tot.appendChild(totalCard("Energy this month", "monthKwh", "kWh", meters.totals));
  const hist: Record<string, HistoryDocument["meters"][number]> = {};
  history.meters.forEach((h) => { hist[h.name] = h; });
  const tb = query("#meters tbody");
  tb.textContent = "";
  const cards = byId("cards");
  cards.textContent = "";
  meters.meters.forEach((m) => {
    const tr = el("tr", m.stale ? "stale" : "");
    tr.setAttribute("data-meter", m.name);
    const name = el("td");
    name.appendChild(el("strong", "", m.name));
    name.appendChild(el("span", "muted", " unit " + (m.unit === null ? "?" : m.unit)));
    name.appendChild(el("span", "sub", ((m.manufacturer || "") + " " + (m.model || m.profile)).trim()));
    tr.appendChild(name);
    const st = el("td", "age");
    st.appendChild(el("span", "dot" + (m.online ? "" : m.hasReading ? " off" : " never")));
    st.appendChild(document.createTextNode(m.online ? "online" : m.hasReading ? "offline" : "no reading"));
    st.appendChild(el("span", "sub", age(m.ageS) + (m.stale && m.hasReading ? " (stale)" : "")));
    tr.appendChild(st);
    const path = el("td", "path");
    if (m.via) path.appendChild(el("span", "via", "via " + m.via)); else path.appendChild(el("span", "muted", "bus"));
    tr.appendChild(path);
    const h = hist[m.name];
    tr.appendChild(el("td", "num val", m.power === null ? DASH : fmt(m.power) + " " + (m.powerUnit || "")));
    const e = m.energy, eu = e ? " " + (e.unit || "") : "";
    const today = el("td", "num val energy-today", e ? energyFmt(e.today) + (e.today === null ? "" : eu) : DASH);
    const note = !e ? "" : e.total === null && m.hasReading ? "total not confirmed yet" : e.direction === "export" ? "export" : since(e.todayFrom, true);
    if (note) today.appendChild(el("span", "sub", note));
    tr.appendChild(today);
    const month = el("td", "num val", e ? energyFmt(e.month) + (e.month === null ? "" : eu) : DASH);
    if (e && e.month !== null && since(e.monthFrom, false)) month.appendChild(el("span", "sub", since(e.monthFrom, false)));
    tr.appendChild(month);
    const errs = el("td", "num", m.errorRate === null ? DASH : (m.errorRate * 100).toFixed(2) + " %");
    errs.appendChild(el("span", "sub", "of " + m.polls + " polls"));
    tr.appendChild(errs);
    tr.appendChild(el("td", "muted", m.lastFault || DASH));
    tb.appendChild(tr);

    const card = el("div", "card" + (m.stale ? " stale" : ""));
    card.setAttribute("data-meter", m.name);
    const head = el("div", "head");
    head.appendChild(el("span", "dot" + (m.online ? "" : m.hasReading ? " off" : " never")));
    head.appendChild(el("span", "name", m.name));
    head.appendChild(el("span", "muted", m.model || m.profile));
    head.appendChild(el("span", "age", age(m.ageS)));
    card.appendChild(head);
    const pts = keyPoints(m);
    const shown = pts.length > COMPACT + 1 ? COMPACT : pts.length;
    card.appendChild(pointRows(pts.slice(0, shown)));
    if (shown < pts.length) {
      const more = el("details", "more");
      more.appendChild(el("summary", "", (pts.length - shown) + " more points"));
      more.appendChild(pointRows(pts.slice(shown)));
      card.appendChild(more);
    }
    if (h && h.powerPoint) {
      const unit = h.powerUnit || "";
      card.appendChild(chart([{ values: h.power }], { label: m.name + " power, last hour", area: true, tick: tickSi(unit) }));
    } else {
      card.appendChild(el("div", "muted", "no power point to chart"));
    }
    cards.appendChild(card);
  });
  // The site total row: consumption sums (generation, when there is any, below them).
  const tf = query("#meters tfoot");
  tf.textContent = "";
  const T = meters.totals, ft = el("tr");
  ft.setAttribute("data-total", "site");
  const cell = (key: TotalKey, unit: string) => {
    const c = el("td", "num", T["import"][key] === null ? DASH : fmt(T["import"][key]) + " " + unit);
    if (T["export"].meters.length) c.appendChild(el("span", "sub", "export " + (T["export"][key] === null ? DASH : fmt(T["export"][key]) + " " + unit)));
    return c;
  };
  const label = el("td", "", "Site total");
  label.setAttribute("colspan", "3");
  ft.appendChild(label);
  ft.appendChild(cell("powerKw", "kW"));
  ft.appendChild(cell("todayKwh", "kWh"));
  ft.appendChild(cell("monthKwh", "kWh"));
  ft.appendChild(el("td", ""));
  ft.appendChild(el("td", ""));
  tf.appendChild(ft);
  const lc = byId("linkchart");
  lc.textContent = "";
  const legend = byId("legend");
  legend.textContent = "";
  const series: Series[] = history.meters.map((h, i) => {
    const c = COLORS[i % COLORS.length];
    const s = el("span", "", h.name);
    s.style.setProperty("--c", c);
    legend.appendChild(s);
    return { values: h.errorRate.map((v) => v === null ? null : v * 100), color: c };
  });
  let maxRate = 0;
  series.forEach((s) => { s.values.forEach((v) => { if (v !== null && v > maxRate) maxRate = v; }); });
  lc.appendChild(chart(series, { label: "link error rate, last hour", w: 560, h: 200, fixedMax: nice(Math.max(maxRate, 1)), tick: (v) => Number(v.toFixed(1)) + " %" }));
  const lb = query("#links tbody");
  lb.textContent = "";
  if (links.links.length === 0) {
    const tr0 = el("tr");
    const td0 = el("td", "muted", "no link statistics reported");
    td0.setAttribute("colspan", "7");
    tr0.appendChild(td0);
    lb.appendChild(tr0);
  }
  links.links.forEach((l) => {
    const tr = el("tr");
    tr.setAttribute("data-link", l.name);
    const n = el("td", "", l.name);
    const behind = meters.meters.filter((m) => m.via === l.name).map((m) => m.name);
    if (behind.length) n.appendChild(el("span", "sub", "meters behind it: " + behind.join(", ")));
    else if (l.kind === "bus") n.appendChild(el("span", "sub", "every meter's requests"));
    tr.appendChild(n);
    tr.appendChild(el("td", "muted", l.kind === "fec" ? "R/C (FEC)" : l.kind));
    [l.frames, l.errors, l.corrected].forEach((v) => { tr.appendChild(el("td", "num", v)); });
    const res = el("td", "num residual", l.uncorrectable);
    if (l.frames > 0) res.appendChild(el("span", "sub", (100 * l.uncorrectable / l.frames).toFixed(2) + " % of frames"));
    tr.appendChild(res);
    tr.appendChild(el("td", "num", l.timeouts));
    lb.appendChild(tr);
  });
  document.body.setAttribute("data-rendered", String(Number(document.body.getAttribute("data-rendered") || "0") + 1));
}

function refresh(): void {
  Promise.all([get<MetersDocument>("api/meters"), get<HistoryDocument>("api/history"), get<LinksDocument>("api/links"), get<HealthDocument>("api/health")])
    .then((r) => { render(r[0], r[1], r[2], r[3]); })
    .catch((e: unknown) => {
      const hp = byId("health");
      hp.textContent = "unreachable: " + (e instanceof Error ? e.message : String(e));
      hp.className = "pill down";
    });
}

refresh();
setInterval(refresh, REFRESH_MS);
