// The ESP32 scan job across line settings, on the real ESP32 host (hosts/esp32: Esp32SerialPort, EngineLoop, sitePoller,
// HttpRoutes) over the fake board (hosts/sim/esp32-fakes.ts): the bench bus of `rc485 scan` (sites/scan-demo.json: 8
// meters of 4 models at 9600 and 19200 baud, 8N1 and 8E1) wired to UART1, a concentrator polling the two meters at the
// site's own 9600 8N1. POST /api/scan reopens the port at each baud × framing (ECMA-419 serial for 8N1, the native class
// for 8E1), finds and identifies every meter, reopens it at 9600 8N1 and polling goes on without a failed read. Settings
// the port cannot open are reported and skipped; bad parameters are 400; the site keeps polling throughout.
import test, { type ExecutionContext } from "ava";
import { deviceGatewayConfig } from "../hosts/esp32/gateway-service";
import { scanTuning } from "../hosts/esp32/http-routes";
import { Gateway } from "../modules/gateway/engine";
import type { ScanJobStatus } from "../modules/commissioning/scan-job";
import type { Framing } from "../modules/rtu/timing";
import { esp32ScanSite, SCAN_TOKEN, type Esp32ScanSite } from "./harness/esp32-scan-site";
import { traceOnFailure } from "./harness/sim";

type Bench = Esp32ScanSite;
const TOKEN = SCAN_TOKEN;

function bench(t: ExecutionContext, lines: readonly (readonly [number, Framing])[], native = true): Bench {
  const b = esp32ScanSite(lines, native);
  traceOnFailure(t, b.sim);
  return b;
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

test("the Modbus TCP gateway holds off while a scan has the line: its requests get exception 0A, none reaches the reopened port; served again after", (t) => {
  const b = esp32ScanSite([[9600, "8N1"], [19200, "8E1"]], true, 11, true);
  traceOnFailure(t, b.sim);
  const guest = b.poller.guest!;
  const gw = new Gateway(deviceGatewayConfig({ port: 502 }), b.poller.loop.master);
  const replies: number[][] = [];
  gw.attach({ send: (_c, buf, o, n) => { replies.push(Array.from(buf.subarray(o, o + n))); }, close() {}, resume() {} });
  guest.gateway = gw;
  const client = gw.accept("192.168.1.9", b.io.now());
  // MBAP transaction `tid`, unit 1, read 2 input registers at 0 (the SDM630's voltage).
  const ask = (tid: number) => {
    gw.received(client, Uint8Array.of(0, tid, 0, 0, 0, 6, 1, 4, 0, 0, 0, 2), 0, 12, b.io.now());
    b.loop.rearm();
  };
  b.sim.runUntil(3_000_000);
  ask(1);
  b.sim.runUntil(b.sim.now + 500_000);
  t.deepEqual(replies.map((r) => [r[1], r[7]]), [[1, 4]], "answered from the bus before the scan");
  t.is(b.routes.handle("POST", "/api/scan?bauds=9600,19200&framings=8N1,8E1&last=20&timeoutMs=30", `Bearer ${TOKEN}`, "").status, 202);
  b.sim.runUntil(b.sim.now + 2_000_000);
  t.true(b.job.running);
  ask(2);
  b.sim.runUntil(b.sim.now + 100_000);
  t.deepEqual(replies.map((r) => [r[1], r[7], r[8]]).slice(1), [[2, 0x84, 0x0a]], "exception 0A while the scan has the line");
  // A gateway rebuilt while the scan runs (Wi-Fi rejoined) starts held off too.
  const again = new Gateway(deviceGatewayConfig({ port: 502 }), b.poller.loop.master);
  guest.gateway = again;
  t.false(again.busAvailable);
  guest.gateway = gw;
  t.true(b.sim.runUntilTrue(() => !b.job.running, b.sim.now + 120_000_000));
  t.deepEqual(scanStatus(b).found.map((f) => [f.baud, f.unit]), [[9600, 1], [9600, 7], [19200, 5]]);
  t.true(gw.busAvailable);
  ask(3);
  b.sim.runUntil(b.sim.now + 500_000);
  t.deepEqual(replies.map((r) => [r[1], r[7]]).slice(2), [[3, 4]], "served from the bus again");
  t.is(b.polls.failed, 0);
});

test("scan parameters: bauds and framings lists", (t) => {
  t.deepEqual(scanTuning("bauds=9600,19200&framings=8N1,8E1&first=1&last=20"), { tuning: { bauds: [9600, 19200], framings: ["8N1", "8E1"], firstUnit: 1, lastUnit: 20 } });
  t.regex((scanTuning("bauds=9600&framings=8X1") as { error: string }).error, /framing "8X1" is not one of 8N1, 8E1, 8O1, 8N2/);
  t.regex((scanTuning("bauds=1000") as { error: string }).error, /baud 1000 is not one of/);
});
