// `npm run bench:scan` (Node only, the simulator's virtual clock): the scan target of issue 14 — the bench bus
// sites/scan-demo.json (8 meters of 4 models at 2 bauds × 2 framings) scanned, every meter found and identified, the
// time stated, and each written site planned and polled without a fault — measured twice:
//  1. `rc485 scan --sim` (hosts/node/scan-sim.ts): one line setting after another, the written sites (sitesFromScan, as
//     `--write` writes them) planned and polled for 60 s of bus time each (hosts/node/sim-site.ts).
//  2. The ESP32 scan job (POST /api/scan) on the ESP32 host over the fake board (test/harness/esp32-scan-site.ts): the
//     UART closed and reopened at each setting and back, while the concentrator polls the site's own 9600 8N1 meters;
//     their failed reads before, during and 60 s after the scan.
// Bus times are virtual (deterministic for the seed), not wall-clock.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCAN_DEMO_SITE, sitesFromScan, summarize } from "../hosts/node/commands/scan";
import { scanSimulated } from "../hosts/node/scan-sim";
import { SimSite } from "../hosts/node/sim-site";
import { readSiteFile } from "../hosts/node/site-file";
import { planForSite } from "../modules/site/site";
import type { ScanJobStatus } from "../modules/commissioning/scan-job";
import { esp32ScanSite, SCAN_TOKEN } from "../test/harness/esp32-scan-site";

const sf = readSiteFile(SCAN_DEMO_SITE);
if (!sf.site) throw new Error(sf.errors.join("\n"));
const site = sf.site;
const metersSim = sf.simulation.meters as Record<string, { baud: number; framing: string }>;
const settings = [{ baud: 9600, framing: "8N1" as const }, { baud: 9600, framing: "8E1" as const }, { baud: 19200, framing: "8N1" as const }, { baud: 19200, framing: "8E1" as const }];
const here = (baud: number, framing: string) => site.meters.filter((m) => metersSim[m.name].baud === baud && metersSim[m.name].framing === framing);

// 1. rc485 scan --sim, and the sites it writes.
const scans = scanSimulated(site, sf.simulation, settings, sf.profiles, { timeoutUs: 50000 });
const summary = summarize(scans);
const byLine = new Map<string, Record<string, unknown>>();
for (const m of site.meters) byLine.set(`${metersSim[m.name].baud}/${metersSim[m.name].framing}/${m.unit}`, metersSim[m.name] as unknown as Record<string, unknown>);
const written = sitesFromScan(summary, "sim", { seed: sf.simulation.seed as number | undefined, tickUs: sf.simulation.tickUs as number | undefined, meters: byLine });
const dir = mkdtempSync(join(tmpdir(), "rc485-bench-scan-"));
console.log("| rc485 scan --sim: line setting | meters there | found | identified | requests | bus time | written site: reads per cycle | readings in 60 s | failed reads |");
console.log("|---|---|---|---|---|---|---|---|---|");
let total = 0;
let found = 0;
let identified = 0;
let failedAll = 0;
for (const s of scans) {
  const m = here(s.setting.baud, s.setting.framing);
  const f = m.filter((x) => s.scanner.found[x.unit] !== 0).length;
  const id = m.filter((x) => s.scanner.profileFor(x.unit)?.id === x.profileId).length;
  found += f;
  identified += id;
  total += s.busUs;
  const w = written.find((x) => x.setting.baud === s.setting.baud && x.setting.framing === s.setting.framing);
  let polled = "–";
  if (w !== undefined) {
    const file = join(dir, `site-${s.setting.baud}-${s.setting.framing}.json`);
    writeFileSync(file, JSON.stringify(w.json));
    const ws = readSiteFile(file);
    if (!ws.site) throw new Error(ws.errors.join("\n"));
    const reads = planForSite(ws.site).readCount;
    const sim = await SimSite.create(ws.site, ws.simulation, { epochMs: Date.UTC(2026, 11, 3), http: { enabled: false } });
    sim.runUntil(60_000_000);
    const readings = sim.conc.store.meters.reduce((a, x) => a + x.readings, 0);
    const failures = sim.conc.store.meters.reduce((a, x) => a + x.failures, 0);
    failedAll += failures;
    await sim.conc.stop(0);
    polled = `${reads} | ${readings} | ${failures}`;
  }
  console.log(`| ${s.setting.baud} ${s.setting.framing} | ${m.length} | ${f} | ${id} | ${s.scanner.requests} | ${(s.busUs / 1e6).toFixed(1)} s | ${polled} |`);
}
console.log(`| all | ${site.meters.length} | ${found} | ${identified} | | ${(total / 1e6).toFixed(1)} s | ${written.length} sites | | ${failedAll} |`);
rmSync(dir, { recursive: true, force: true });

// 2. The ESP32 scan job.
const b = esp32ScanSite(settings.map((s) => [s.baud, s.framing] as const));
b.sim.runUntil(5_000_000);
const before = { ...b.polls };
const started = b.routes.handle("POST", "/api/scan?bauds=9600,19200&framings=8N1,8E1&timeoutMs=50", `Bearer ${SCAN_TOKEN}`, "");
if (started.status !== 202) throw new Error(started.body);
const t0 = b.sim.now;
b.sim.runUntilTrue(() => !b.job.running, t0 + 600_000_000);
const wall = b.sim.now - t0;
const during = { ok: b.polls.ok - before.ok, failed: b.polls.failed - before.failed };
const st = JSON.parse(b.routes.handle("GET", "/api/scan", "", "").body) as ScanJobStatus;
const afterStart = { ...b.polls };
b.sim.runUntil(b.sim.now + 60_000_000);
console.log("");
console.log("| ESP32 scan job: line setting | meters there | found | identified | requests | bus time |");
console.log("|---|---|---|---|---|---|");
let eFound = 0;
let eId = 0;
for (const s of st.settings) {
  const m = here(s.baud, s.framing);
  const f = st.found.filter((x) => x.baud === s.baud && x.framing === s.framing);
  const id = m.filter((x) => f.some((y) => y.unit === x.unit && y.profile === x.profileId)).length;
  eFound += f.length;
  eId += id;
  console.log(`| ${s.baud} ${s.framing} | ${m.length} | ${f.length} | ${id} | ${s.requests} | ${(s.busMs / 1000).toFixed(1)} s |`);
}
console.log(`| all | ${site.meters.length} | ${eFound} | ${eId} | ${st.requests} | ${(st.busMs / 1000).toFixed(1)} s (start to polling again: ${(wall / 1e6).toFixed(1)} s) |`);
console.log(`polled site (9600 8N1, 2 meters): ${before.ok} readings and ${before.failed} failed reads in the 5 s before, ${during.ok} and ${during.failed} during the scan, ` +
  `${b.polls.ok - afterStart.ok} and ${b.polls.failed - afterStart.failed} in the 60 s after; port back at ${b.port.timing.baud} ${b.port.timing.framing}, reopened ${b.port.counters.reopens} times`);
