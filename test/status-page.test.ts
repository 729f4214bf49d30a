// The HTTP server and status page: the page's source (web/status-page/) and its bundle, JSON endpoints over a real
// socket, then headless Chromium (Debian chromium driven by playwright-core) loading the page fed by a synthetic hour of a
// four-meter site; asserts the table and charts have data and saves a screenshot under test-output/.
import test from "ava";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { startHttpServer, type StatusServer } from "../hosts/node/http";
import { statusPageFile } from "../hosts/node/status-page-files";
import { ReadingsStore } from "../modules/concentrator/readings";
import { syntheticSite } from "./harness/synthetic-site";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUT = new URL("../test-output/", import.meta.url);

async function serve(site = syntheticSite()): Promise<StatusServer> {
  return startHttpServer({
    store: site.store, links: site.links, plan: site.plan, port: 0,
    nowUs: () => site.nowUs, nowMs: () => site.nowMs,
    health: () => ({ mqtt: { connected: true, queued: 0, dropped: 0 } }),
  });
}

async function browse<T>(fn: (ctx: BrowserContext) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "rc485-chromium-"));
  let ctx: BrowserContext | undefined;
  try {
    // Chromium's time limits are hang guards: on a loaded two-core machine it takes many seconds to start and render.
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, timeout: 120_000 });
    return await fn(ctx);
  } finally {
    await ctx?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const SOURCE = new URL("../web/status-page/", import.meta.url);
const source = (name: string) => readFileSync(new URL(name, SOURCE), "utf8");

test("the page works offline: no external scripts, styles, fonts or images (source and bundle)", (t) => {
  const html = source("index.html");
  for (const [name, text] of [["index.html", html], ["app.css", source("app.css")], ["app.ts", source("app.ts")], ["bundle", statusPageFile("app.js.txt").toString("utf8")]]) {
    const urls = text.match(/(?:https?:)?\/\/[A-Za-z0-9.-]+/g) ?? [];
    t.deepEqual(urls.filter((u) => u !== "http://www.w3.org"), [], `${name} loads nothing from the network`);
    t.false(/@import|url\(/.test(text), `${name} pulls in no further resources`);
  }
  t.true(html.indexOf('<script src="app.js"></script>') > 0);
  t.true(html.indexOf('href="app.css"') > 0);
  t.true(source("icon.svg").startsWith("<svg"));
});

test("the script never parses data as markup, and the page has no inline script, style or handler", (t) => {
  for (const [name, text] of [["app.ts", source("app.ts")], ["bundle", statusPageFile("app.js.txt").toString("utf8")]]) {
    t.false(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/.test(text), name);
    t.false(/setAttribute\("style"/.test(text), `${name}: inline style attributes would be blocked by the CSP`);
    for (const ep of ["api/meters", "api/history", "api/links", "api/health"]) t.true(text.indexOf(`("${ep}")`) >= 0, `${name} polls ${ep} with a relative URL (works behind a path prefix)`);
    t.true(text.indexOf('"/api') < 0, name);
  }
  const html = source("index.html");
  t.true(!/<script>/.test(html) && !/ style="/.test(html) && !/ on[a-z]+="/.test(html), "no inline script, style or handler");
});

test("JSON endpoints, headers, 404 and 405, loopback by default", async (t) => {
  const server = await serve();
  try {
    t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const meters = await fetch(server.url + "api/meters");
    t.is(meters.status, 200);
    t.regex(meters.headers.get("content-type") ?? "", /^application\/json/);
    t.is(meters.headers.get("x-content-type-options"), "nosniff");
    const m = (await meters.json()) as { meters: { name: string; points: unknown[] }[] };
    t.deepEqual(m.meters.map((x) => x.name), ["house", "heatpump", "pv", "barn"]);
    const health = (await (await fetch(server.url + "api/health")).json()) as Record<string, unknown>;
    t.is(health.status, "degraded");
    t.deepEqual(health.mqtt, { connected: true, queued: 0, dropped: 0 });
    const links = (await (await fetch(server.url + "api/links")).json()) as { links: unknown[] };
    t.is(links.links.length, 2);
    const plan = (await (await fetch(server.url + "api/plan")).json()) as { plan: { meters: unknown[] } };
    t.is(plan.plan.meters.length, 4);
    const hist = (await (await fetch(server.url + "api/history?x=1")).json()) as { meters: { power: unknown[] }[] };
    t.is(hist.meters[0].power.length, 120);
    const page = await fetch(server.url);
    t.regex(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    t.regex(await page.text(), /<title>rc485 status<\/title>/);
    const nf = await fetch(server.url + "api/nope");
    t.is(nf.status, 404);
    t.is((await fetch(server.url + "api/meters", { method: "POST" })).status, 405);
    t.is((await fetch(server.url + "__proto__")).status, 404);
    const head = await fetch(server.url + "api/meters", { method: "HEAD" });
    t.is(head.status, 200);
    t.is(Number(head.headers.get("content-length")), JSON.stringify(m).length, "HEAD announces the GET body length");
    t.is((await head.text()).length, 0);
  } finally {
    await server.close();
  }
});

test.serial("a person would rather look at it: table, per-meter power charts and the link chart have data (screenshot)", async (t) => {
  t.true(existsSync(CHROMIUM), `${CHROMIUM} (Debian package chromium)`);
  const server = await serve();
  try {
    await browse(async (ctx) => {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
      await page.goto(server.url, { waitUntil: "load", timeout: 60_000 });
      await page.waitForSelector("body[data-rendered]", { timeout: 60_000 });
      const rows = await page.$$eval("#meters tbody tr", (trs) => trs.map((tr) => ({
        meter: tr.getAttribute("data-meter"), stale: tr.classList.contains("stale"), cells: Array.from(tr.children).map((c) => (c.textContent ?? "").trim()),
      })));
      t.deepEqual(rows.map((r) => r.meter), ["house", "heatpump", "pv", "barn"]);
      t.deepEqual(rows.map((r) => r.stale), [false, false, false, true], "the barn's reading is stale");
      t.regex(rows[0].cells[1], /^online\d+ s ago$/);
      t.regex(rows[0].cells[3], /^[\d,.]+ W$/, "power column shows a value");
      t.regex(rows[3].cells[1], /offline/);
      t.regex(rows[3].cells[1], /stale/);
      const charts = await page.$$eval("#cards svg.chart", (svgs) => svgs.map((s) => Number(s.getAttribute("data-points"))));
      t.is(charts.length, 4, "one power chart per meter");
      for (const n of charts) t.true(n >= 100, `power chart has ${n} points`);
      const values = await page.$$eval(".card[data-meter=house] .vals tr", (trs) => trs.map((tr) => (tr.textContent ?? "").trim()));
      t.is(values.length, 8);
      t.regex(values[0], /^Active power, total[\d,.]+W$/, "the key points come first");
      t.regex(values[1], /^Active energy import, total[\d,.]+kWh$/);

      // An energy manager's view: site totals, energy today / this month per meter and in sum.
      const api = (await (await fetch(server.url + "api/meters")).json()) as { meters: { name: string; stale: boolean; power: number | null; energy: { direction: string; today: number | null; month: number | null } | null }[]; totals: Record<string, { powerKw: number | null; todayKwh: number | null; monthKwh: number | null; meters: string[]; missing: Record<string, string[]> }> };
      const fresh = api.meters.filter((m) => m.energy?.direction === "import" && !m.stale);
      const powerKw = fresh.reduce((a, m) => a + m.power!, 0) / 1000;
      t.deepEqual(api.totals.import.meters, ["house", "heatpump", "barn"]);
      t.deepEqual(api.totals.import.missing.powerKw, ["barn"], "the stale barn's power is named, not summed");
      t.deepEqual(api.totals.import.missing.todayKwh, [], "its energy up to its last reading counts");
      const todaySum = api.meters.filter((m) => m.energy?.direction === "import").reduce((a, m) => a + m.energy!.today!, 0);
      t.true(Math.abs(api.totals.import.todayKwh! - todaySum) < 2e-3, `site energy today ${api.totals.import.todayKwh} kWh vs ${todaySum}`);
      t.deepEqual(api.totals.export.meters, ["pv"]);
      t.true(Math.abs(api.totals.import.powerKw! - powerKw) < 1e-3, `site power ${api.totals.import.powerKw} kW`);
      const house = api.meters[0].energy!;
      t.true(house.today! > 1 && house.today! < 2, `house used ${house.today} kWh in the synthetic hour`);
      t.is(house.month, house.today, "the store began this month with this hour");
      const cards = await page.$$eval("#totals .total", (cs) => cs.map((c) => ({ key: c.getAttribute("data-total"), text: (c.textContent ?? "").trim() })));
      t.deepEqual(cards.map((c) => c.key), ["powerKw", "todayKwh", "monthKwh"]);
      t.regex(cards[0].text, new RegExp(`^Power now${api.totals.import.powerKw!.toFixed(3).replace(".", "\\.").replace(/0+$/, "").replace(/\\\.$/, "")}`));
      t.regex(cards[0].text, /generation \(export\): [\d,.]+ kW \(pv\)/);
      t.regex(cards[0].text, /not in the sum: barn \(no fresh reading\)/);
      t.regex(cards[1].text, /consumption, sum of 3 of 3 meters/);
      t.regex(rows[0].cells[4], /^[\d.]+ kWh/, "energy today per meter");
      t.regex(rows[0].cells[5], /^[\d.]+ kWh/, "energy this month per meter");
      const foot = await page.$$eval("#meters tfoot td", (tds) => tds.map((td) => (td.textContent ?? "").trim()));
      t.is(foot[0], "Site total");
      t.regex(foot[2], /^[\d.]+ kWhexport [\d.]+ kWh$/, "energy today in sum, consumption and generation");

      // Which meters sit behind which repeater, and what "residual" means, in place.
      t.is(rows[3].cells[2], "via barn segment (R/C)");
      t.is(rows[0].cells[2], "bus");
      const rc = await page.$$eval("#links tr[data-link]", (trs) => trs.map((tr) => (tr.textContent ?? "").trim()));
      t.regex(rc[1], /^barn segment \(R\/C\)meters behind it: barn/);
      t.regex((await page.textContent("#linkterms")) ?? "", /Residual.*still damaged after correction/s);
      t.regex((await page.getAttribute("#links th:nth-child(6)", "title")) ?? "", /still damaged after correction/);

      // The compact view: the house's 8 points show 6, the other 2 fold under "2 more points".
      const visible = await page.$$eval(".card[data-meter=house] .vals tr", (trs) => trs.filter((tr) => tr.checkVisibility()).length);
      t.is(visible, 6);
      t.is((await page.textContent(".card[data-meter=house] details summary"))?.trim(), "2 more points");
      t.is(await page.$$eval(".card[data-meter=heatpump] details", (d) => d.length), 0, "a meter with few points shows them all");

      // The meters table fits a 1280 px screen: nothing scrolls sideways.
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, table: (document.querySelector("#meters") as HTMLElement).scrollWidth, main: (document.querySelector("main") as HTMLElement).clientWidth }));
      t.true(widths.page <= 1280, `page ${widths.page} px wide`);
      t.true(widths.table <= widths.main, `meters table ${widths.table} px in ${widths.main} px`);
      const linkPoints = Number(await page.getAttribute("#linkchart svg", "data-points"));
      t.true(linkPoints >= 400, `link chart has ${linkPoints} points`);
      t.is(await page.$$eval("#links tbody tr", (trs) => trs.length), 2);
      t.regex((await page.textContent("#health")) ?? "", /degraded · 3\/4 meters online/);
      t.deepEqual(errors, [], "no script errors (CSP blocks nothing the page needs)");
      mkdirSync(OUT, { recursive: true });
      const file = new URL("status-page.png", OUT);
      await page.screenshot({ path: file.pathname, fullPage: true });
      t.true(existsSync(file.pathname));
      t.log(`screenshot: ${file.pathname}`);
    });
  } finally {
    await server.close();
  }
});

test.serial("names and labels from site and profile files are shown as text, never run as markup", async (t) => {
  const evil = "<img src=x onerror=\"document.body.dataset.pwned=1\">";
  const store = new ReadingsStore({ meters: [{ name: "m1", profile: "p", manufacturer: evil, model: "</script><script>document.body.dataset.pwned=2</script>",
    points: [{ name: "power", label: evil, unit: "<b>W</b>", deviceClass: "power" }] }] });
  store.record(0, [12], 1_000_000, Date.UTC(2026, 0, 1));
  const server = await startHttpServer({ store, port: 0, nowUs: () => 2_000_000, nowMs: () => Date.UTC(2026, 0, 1, 0, 0, 1) });
  try {
    await browse(async (ctx) => {
      const page = await ctx.newPage();
      await page.goto(server.url, { waitUntil: "load", timeout: 60_000 });
      await page.waitForSelector("body[data-rendered]", { timeout: 60_000 });
      t.is(await page.$$eval("main img, main b, main script", (e) => e.length), 0, "no element was created from data");
      t.is(await page.getAttribute("body", "data-pwned"), null);
      t.true(((await page.textContent(".card .vals")) ?? "").includes(evil), "the label is shown literally");
    });
  } finally {
    await server.close();
  }
});
