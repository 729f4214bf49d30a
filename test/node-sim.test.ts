// `rc485 sim` as a real process: the demo site runs at 100x, its HTTP JSON has readings from every meter, headless Chromium
// (Debian chromium through playwright-core) loads the status page it serves and finds the table and charts filled
// (screenshot: test-output/status-page-sim.png), and the --json summary covers the site time asked for with the master at
// >= 98% bus efficiency in virtual time.
import test from "ava";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { getJson, killAll, rc485Background, waitFor, waitForAsync } from "./harness/node-peers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const OUT = new URL("../test-output/", import.meta.url);

test.after.always(() => killAll());

test("rc485 sim: HTTP JSON with readings, the status page in Chromium, and the summary", async (t) => {
  // Two runs side by side, so that no step races a wall-clock deadline: one serves HTTP until the browser is done
  // (stopped with SIGTERM; its readings are waited for, not slept for), the other covers the 12 s × 100 site time asked
  // for with --duration and prints the summary, whatever the browser is doing meanwhile.
  const timed = rc485Background(["sim", "--duration", "12", "--speed", "100", "--no-http", "--json", "--seed", "3"]);
  const sim = rc485Background(["sim", "--speed", "100", "--http-port", "0", "--json", "--seed", "3"]);
  try {
    await waitFor(() => /status page http:\/\/127\.0\.0\.1:\d+\//.test(sim.stderr()) || sim.child.exitCode !== null, 60000, "the status page URL");
    const url = /status page (http:\/\/127\.0\.0\.1:\d+\/)/.exec(sim.stderr())?.[1];
    t.truthy(url, sim.stderr());
    type Meters = { meters: { name: string; online: boolean; points: { name: string; value: number | null }[] }[] };
    // Until every meter has three values and three power history buckets (what the charts draw), and the pacer has run
    // more than ten slices: site time, however long a loaded machine takes to get there (bounded).
    await waitForAsync(async () => {
      const m = (await getJson(`${url}api/meters`)) as Meters | null;
      const h = (await getJson(`${url}api/health`)) as { sim?: { slices: number } } | null;
      const hist = (await getJson(`${url}api/history`)) as { meters: { power: (number | null)[] }[] } | null;
      return m !== null && m.meters.every((x) => x.points.filter((p) => p.value !== null).length >= 3) && (h?.sim?.slices ?? 0) > 10 &&
        hist !== null && hist.meters.every((x) => x.power.filter((v) => v !== null).length >= 3);
    }, 90000, "readings and power history from every meter");
    const meters = (await (await fetch(`${url}api/meters`)).json()) as Meters;
    t.deepEqual(meters.meters.map((m) => m.name), ["house", "heatpump", "workshop", "office", "barn"]);
    for (const m of meters.meters) {
      const values = m.points.filter((p) => p.value !== null);
      t.true(values.length >= 3, `${m.name} has values: ${JSON.stringify(m.points)}`);
      const v = m.points.find((p) => p.name.startsWith("voltage"));
      t.true(v !== undefined && v.value !== null && v.value > 200 && v.value < 260, `${m.name} voltage ${JSON.stringify(v)}`);
    }
    const health = (await (await fetch(`${url}api/health`)).json()) as { sim?: { speed: number; behindS: number; slices: number } };
    t.is(health.sim?.speed, 100, "/api/health says how the simulation keeps pace");
    t.true((health.sim?.slices ?? 0) > 10, JSON.stringify(health.sim));
    const links = (await (await fetch(`${url}api/links`)).json()) as { links: { name: string; kind: string; frames: number }[] };
    t.deepEqual(links.links.map((l) => l.kind), ["bus", "fec"]);
    t.true(links.links.every((l) => l.frames > 0));

    t.true(existsSync(CHROMIUM), `${CHROMIUM} (Debian package chromium)`);
    const profile = mkdtempSync(join(tmpdir(), "rc485-chromium-"));
    // Chromium's time limits are hang guards: on a loaded two-core machine it takes many seconds to start and render.
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, timeout: 120_000 });
    try {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(url!, { waitUntil: "load", timeout: 60_000 });
      await page.waitForSelector("body[data-rendered]", { timeout: 60_000 });
      const rows = await page.$$eval("#meters tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-meter")));
      t.deepEqual(rows, ["house", "heatpump", "workshop", "office", "barn"]);
      const charts = await page.$$eval("#cards svg.chart", (svgs) => svgs.map((s) => Number(s.getAttribute("data-points"))));
      t.is(charts.length, 5, "one power chart per meter");
      for (const n of charts) t.true(n >= 3, `power chart has ${n} points`);
      t.deepEqual(errors, []);
      mkdirSync(OUT, { recursive: true });
      const file = new URL("status-page-sim.png", OUT).pathname;
      await page.screenshot({ path: file, fullPage: true });
      t.true(existsSync(file));
      t.log(`screenshot: ${file}`);
    } finally {
      await ctx.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    }

    t.is(await sim.stop("SIGTERM"), 0, sim.stderr());
    await waitFor(() => timed.child.exitCode !== null, 120000, "rc485 sim --duration 12 to finish");
    t.is(timed.child.exitCode, 0, timed.stderr());
    await new Promise<void>((r) => { if (timed.child.stdout!.readableEnded) r(); else timed.child.stdout!.once("end", () => r()); });
    const summary = JSON.parse(timed.stdout());
    t.is(summary.siteTimeS, 1200);
    t.is(summary.requestedSiteTimeS, 1200);
    t.is(summary.pace.speed, 100);
    t.true(summary.pace.slices > 100, `${summary.pace.slices} slices`);
    t.true(summary.busEfficiency >= 0.98, `bus efficiency ${summary.busEfficiency}`);
    t.true(summary.efficiencyTransactions > 1000);
    for (const m of summary.meters) t.true(m.readings >= 100, `${m.name}: ${m.readings} readings`);
    const fec = summary.links.find((l: { kind: string }) => l.kind === "fec");
    t.true(fec.errors > 0 && fec.corrected > 0, "the noisy segment damaged frames and the R/C pair corrected some");
    t.true(fec.uncorrectable < fec.errors, "fewer frames stay damaged after correction than before");
  } finally {
    await sim.stop("SIGKILL");
    await timed.stop("SIGKILL");
  }
});

test("rc485 sim --help, and bad input is one line with exit status 2", async (t) => {
  const { rc485 } = await import("./harness/node-peers");
  const h = await rc485(["sim", "--help"]);
  t.is(h.code, 0);
  t.regex(h.stdout, /--speed X/);
  const dir = mkdtempSync(join(tmpdir(), "rc485-bad-"));
  try {
    const { writeFileSync } = await import("node:fs");
    const malformed = join(dir, "malformed.json");
    writeFileSync(malformed, "{ \"bus\": { \"port\": \"sim\", ");
    const unknown = join(dir, "unknown.json");
    writeFileSync(unknown, JSON.stringify({ bus: { port: "sim", baud: 9600, framing: "8N1" }, meters: [{ name: "m", profile: "eastron-sdm999", unit: 1, intervalMs: 1000 }] }));
    const broker = join(dir, "broker.json");
    writeFileSync(broker, JSON.stringify({ bus: { port: "sim", baud: 9600, framing: "8N1" }, meters: [{ name: "m", profile: "eastron-sdm120", unit: 1, intervalMs: 1000 }], forwarding: { mqtt: { url: "ftp://nowhere" } } }));
    const cases: [string[], RegExp][] = [
      [["sim", "--site", malformed], /malformed\.json: not valid JSON/],
      [["sim", "--site", unknown], /unknown\.json: \$\.meters\[0\]\.profile: unknown profile "eastron-sdm999"/],
      [["sim", "--site", broker], /forwarding\.mqtt\.url/],
      [["sim", "--site", join(dir, "absent.json")], /absent\.json: no such file/],
      [["sim", "--speed", "fast"], /--speed must be a number/],
    ];
    for (const [args, re] of cases) {
      const r = await rc485(args);
      t.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
      t.regex(r.stderr, re);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
