// The HTTP server and status page: JSON endpoints over a real socket, then headless Chromium (Debian chromium driven by
// playwright-core) loading the page fed by a synthetic hour of a four-meter site; asserts the table and charts have data
// and saves a screenshot under test-output/.
import test from "ava";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { startHttpServer, type StatusServer } from "../hosts/node/http";
import { ReadingsStore } from "../modules/readings";
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
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, timeout: 30_000 });
    return await fn(ctx);
  } finally {
    await ctx?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

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
      await page.goto(server.url, { waitUntil: "load", timeout: 15_000 });
      await page.waitForSelector("body[data-rendered]", { timeout: 10_000 });
      const rows = await page.$$eval("#meters tbody tr", (trs) => trs.map((tr) => ({
        meter: tr.getAttribute("data-meter"), stale: tr.classList.contains("stale"), cells: Array.from(tr.children).map((c) => (c.textContent ?? "").trim()),
      })));
      t.deepEqual(rows.map((r) => r.meter), ["house", "heatpump", "pv", "barn"]);
      t.deepEqual(rows.map((r) => r.stale), [false, false, false, true], "the barn's reading is stale");
      t.regex(rows[0].cells[3], /^\d+ s ago$/);
      t.regex(rows[0].cells[4], /^[\d,.]+ W$/, "power column shows a value");
      t.regex(rows[3].cells[2], /offline/);
      t.regex(rows[3].cells[3], /stale/);
      const charts = await page.$$eval("#cards svg.chart", (svgs) => svgs.map((s) => Number(s.getAttribute("data-points"))));
      t.is(charts.length, 4, "one power chart per meter");
      for (const n of charts) t.true(n >= 100, `power chart has ${n} points`);
      const values = await page.$$eval(".card[data-meter=house] .vals tr", (trs) => trs.map((tr) => (tr.textContent ?? "").trim()));
      t.is(values.length, 8);
      t.regex(values[0], /^Voltage L1\d{3}\.\d+V$/);
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
      await page.goto(server.url, { waitUntil: "load", timeout: 15_000 });
      await page.waitForSelector("body[data-rendered]", { timeout: 10_000 });
      t.is(await page.$$eval("main img, main b, main script", (e) => e.length), 0, "no element was created from data");
      t.is(await page.getAttribute("body", "data-pwned"), null);
      t.true(((await page.textContent(".card .vals")) ?? "").includes(evil), "the label is shown literally");
    });
  } finally {
    await server.close();
  }
});
