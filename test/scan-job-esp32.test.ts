// The ESP32 scan job across line settings, on the real ESP32 host (hosts/esp32: Esp32SerialPort, EngineLoop, sitePoller,
// HttpRoutes) over the fake board (hosts/sim/esp32-fakes.ts): the bench bus of `rc485 scan` (sites/scan-demo.json: 8
// meters of 4 models at 9600 and 19200 baud, 8N1 and 8E1) wired to UART1, a concentrator polling the two meters at the
// site's own 9600 8N1. POST /api/scan reopens the port at each baud × framing (ECMA-419 serial for 8N1, the native class
// for 8E1), finds and identifies every meter, reopens it at 9600 8N1 and polling goes on without a failed read. Settings
// the port cannot open are reported and skipped; bad parameters are 400; the site keeps polling throughout.
import test, { type ExecutionContext } from "ava";
import { EngineLoop } from "../hosts/esp32/deadline-timer";
import { HttpRoutes, scanTuning } from "../hosts/esp32/http-routes";
import type { Esp32Io } from "../hosts/esp32/io";
import { Esp32SerialPort } from "../hosts/esp32/serial-port";
import { sitePoller } from "../hosts/esp32/site-poller";
import { SCAN_DEMO_SITE } from "../hosts/node/commands/scan";
import { liveMeterOptions, meterLine, type MeterSim } from "../hosts/node/sim-meter-options";
import { readSiteFile } from "../hosts/node/site-file";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation } from "../hosts/sim/index";
import { LiveMeter } from "../hosts/sim/live-meter";
import type { Segment } from "../hosts/sim/segment";
import { ScanJob, type ScanJobStatus } from "../modules/scan-job";
import type { Framing } from "../modules/rtu/timing";
import { checkSite, profileTable } from "../modules/site";
import { traceOnFailure } from "./harness/sim";

const TOKEN = "0123456789abcdef-scan";
const WIRING = { uart: 2 as const, txPin: 17, rxPin: 16, dePin: 4 };
const CALLBACK_LATENCY_US = 1000;

interface Bench {
  sim: Simulation;
  port: Esp32SerialPort;
  job: ScanJob;
  routes: HttpRoutes;
  polls: { ok: number; failed: number };
  expected: { baud: number; framing: string; unit: number; profile: string; zero: boolean }[];
}

/** The scan-demo bus on a fake ESP32 with segments at `lines` (others left unwired); `native` false: no native UART class. */
function bench(t: ExecutionContext, lines: readonly [number, Framing][], native = true): Bench {
  const sf = readSiteFile(SCAN_DEMO_SITE);
  if (!sf.site) throw new Error(sf.errors.join("\n"));
  const demo = sf.site;
  const metersSim = (sf.simulation.meters ?? {}) as Record<string, MeterSim>;
  const sim = new Simulation({ seed: 11 });
  traceOnFailure(t, sim);
  const segments: Segment[] = lines.map(([baud, framing]) => sim.segment({ name: `bus@${baud}/${framing}`, baud, framing }));
  const expected: Bench["expected"] = [];
  demo.meters.forEach((m, i) => {
    const ms = metersSim[m.name] ?? {};
    const own = meterLine(ms, demo.bus);
    const k = lines.findIndex(([b, f]) => b === own.baud && f === own.framing);
    if (k < 0) return;
    new LiveMeter(sim, segments[k], m.profile, liveMeterOptions(m, ms, 7919 + i * 104729));
    expected.push({ baud: own.baud, framing: own.framing, unit: m.unit, profile: m.profile.id, zero: ms.answerBroadcast === true });
  });
  // The site polled: the meters at 9600 8N1, the bus's own setting.
  const polled = demo.meters.filter((m) => { const l = meterLine(metersSim[m.name] ?? {}, demo.bus); return l.baud === 9600 && l.framing === "8N1"; });
  const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: polled.map((m) => ({ name: m.name, profile: m.profile.id, unit: m.unit, intervalMs: 1000 })) }, profileTable(sf.profiles));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: segments[0], otherSegments: segments.slice(1), ...WIRING }] });
  const io: Esp32Io = native ? board.io : { ...board.io, UartRs485: undefined };
  const port = new Esp32SerialPort(io, { ...WIRING, baud: 9600, framing: "8N1", field: "bus" });
  const loop = new EngineLoop(io);
  const polls = { ok: 0, failed: 0 };
  const poller = sitePoller(r.site, port, port.rxIdleUs, CALLBACK_LATENCY_US, { reading() { polls.ok++; }, failure() { polls.failed++; } });
  const job = new ScanJob(poller.loop, port, { baud: 9600, framing: "8N1" }, () => sf.profiles, () => port.rxIdleUs + CALLBACK_LATENCY_US);
  port.listener = job;
  port.loop = loop;
  poller.loop.start(io.now());
  loop.attach(job);
  const routes = new HttpRoutes({
    documents: { "/api/scan": () => JSON.stringify(job.status()) }, adminToken: TOKEN, now: io.now, checkSite: () => [], accept: () => {},
    scan: { get running() { return job.running; }, start: (tuning) => { const why = job.start(io.now(), tuning); loop.rearm(); return why; }, status: () => job.status() },
  });
  return { sim, port, job, routes, polls, expected };
}

function scanStatus(b: Bench): ScanJobStatus {
  return JSON.parse(b.routes.handle("GET", "/api/scan", "", "").body) as ScanJobStatus;
}

test("POST /api/scan on the ESP32 host: 8 meters of 4 models at 2 bauds × 2 framings all found and identified, the port back at 9600 8N1, polling without a failed read", (t) => {
  const b = bench(t, [[9600, "8N1"], [9600, "8E1"], [19200, "8N1"], [19200, "8E1"]]);
  t.is(b.expected.length, 8);
  b.sim.runUntil(5_000_000);
  t.true(b.polls.ok >= 4, `${b.polls.ok} readings before the scan`);
  const started = b.routes.handle("POST", "/api/scan?bauds=9600,19200&framings=8N1,8E1&timeoutMs=50&budgetS=60", `Bearer ${TOKEN}`, "");
  t.is(started.status, 202, started.body);
  t.is(b.routes.handle("POST", "/api/scan", `Bearer ${TOKEN}`, "").status, 409);
  // Progress per setting while it runs.
  b.sim.runUntilTrue(() => b.port.timing.baud === 19200, b.sim.now + 120_000_000);
  const mid = scanStatus(b);
  t.is(mid.state, "scanning");
  t.deepEqual(mid.settings.map((s) => s.state), ["done", "done", "scanning", "pending"]);
  t.true(mid.progress >= 0.5 && mid.progress < 0.75, `progress ${mid.progress}`);
  t.is(mid.baud, 19200);
  const readingsDuring = b.polls.ok;
  t.true(b.sim.runUntilTrue(() => !b.job.running, b.sim.now + 300_000_000), "the scan ends");
  t.is(b.polls.ok, readingsDuring, "no poll while the scan has the line");
  const done = scanStatus(b);
  t.is(done.state, "done");
  t.is(done.progress, 1);
  t.deepEqual(done.settings.map((s) => [s.baud, s.framing, s.state, s.found]), [[9600, "8N1", "done", 2], [9600, "8E1", "done", 2], [19200, "8N1", "done", 2], [19200, "8E1", "done", 2]]);
  const key = (x: { baud: number; framing: string; unit: number }) => `${x.baud}/${x.framing}/${x.unit}`;
  t.deepEqual(done.found.map((f) => [key(f), f.profile]).sort(), b.expected.map((e) => [key(e), e.profile]).sort());
  t.deepEqual(done.found.filter((f) => f.answersAddressZero).map(key), b.expected.filter((e) => e.zero).map(key));
  for (const s of done.settings) t.true(s.busMs > 0 && s.requests >= 248, `${s.baud} ${s.framing}: ${s.busMs} ms, ${s.requests} requests`);
  t.is(done.busMs, done.settings.reduce((a, s) => a + s.busMs, 0));
  t.is(done.restoreError, undefined);
  // The site's own setting again, on the ECMA-419 class.
  t.is(b.port.timing.baud, 9600);
  t.is(b.port.timing.framing, "8N1");
  t.false(b.port.native);
  t.is(b.port.counters.reopens, 4, "three settings besides the site's, and back");
  b.sim.runUntil(b.sim.now + 10_000_000);
  t.true(b.polls.ok >= readingsDuring + 8, `polling resumed: ${b.polls.ok - readingsDuring} readings`);
  t.is(b.polls.failed, 0, "no failed read, before, during or after the scan");
});

test("settings the port cannot open are reported and skipped, the site survives; bad parameters are 400", (t) => {
  // No native UART class on this build (8E1 cannot open), and nothing wired at 57600 (the UART refuses to open there).
  const b = bench(t, [[9600, "8N1"], [19200, "8N1"]], false);
  b.sim.runUntil(3_000_000);
  for (const q of ["bauds=1234", "framings=7N1", "bauds=96x0", "framings=", "timeoutMs=abc", "units=3"]) {
    const a = b.routes.handle("POST", `/api/scan?${q}`, `Bearer ${TOKEN}`, "");
    t.is(a.status, 400, `${q}: ${a.body}`);
    t.regex(JSON.parse(a.body).error as string, /\S/);
  }
  t.false(b.job.running);
  const started = b.routes.handle("POST", "/api/scan?bauds=9600,19200,57600&framings=8N1,8E1&timeoutMs=30&last=40", `Bearer ${TOKEN}`, "");
  t.is(started.status, 202, started.body);
  t.true(b.sim.runUntilTrue(() => !b.job.running, b.sim.now + 120_000_000), "the scan ends");
  const done = scanStatus(b);
  t.deepEqual(done.settings.map((s) => [s.baud, s.framing, s.state]), [
    [9600, "8N1", "done"], [9600, "8E1", "failed"], [19200, "8N1", "done"], [19200, "8E1", "failed"], [57600, "8N1", "failed"], [57600, "8E1", "failed"],
  ]);
  t.regex(done.settings[1].error ?? "", /native UART class/);
  t.regex(done.settings[4].error ?? "", /cannot open UART2 at 57600 8N1: .*no meter line.*; the port stays at 19200 8N1/);
  t.deepEqual(done.found.map((f) => [f.baud, f.unit, f.profile]), [[9600, 1, "eastron-sdm630"], [9600, 7, "eastron-sdm120"], [19200, 2, "eastron-sdm120"]]);
  t.is(b.port.timing.baud, 9600);
  const before = b.polls.ok;
  b.sim.runUntil(b.sim.now + 5_000_000);
  t.true(b.polls.ok >= before + 4, "polling resumed");
  t.is(b.polls.failed, 0);
});

test("scan parameters: bauds and framings lists", (t) => {
  t.deepEqual(scanTuning("bauds=9600,19200&framings=8N1,8E1&first=1&last=20"), { tuning: { bauds: [9600, 19200], framings: ["8N1", "8E1"], firstUnit: 1, lastUnit: 20 } });
  t.regex((scanTuning("bauds=9600&framings=8X1") as { error: string }).error, /framing "8X1" is not one of 8N1, 8E1, 8O1, 8N2/);
  t.regex((scanTuning("bauds=1000") as { error: string }).error, /baud 1000 is not one of/);
});
