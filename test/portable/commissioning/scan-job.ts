// The scan job (modules/commissioning/scan-job.ts) across line settings, on a scripted bus behind a ReconfigurablePort (modules/port/contract.ts):
// devices listen at their own baud and framing and only answer when the port is open at it. The job waits for the
// master's request in flight, reopens the port at each setting, scans it, reports each setting, skips one the port
// refuses, and puts the port back at the site's setting before the loop resumes. Portable: runs on Node and on XS.
import { NO_DEADLINE, type ReconfigurablePort } from "../../../modules/port/contract";
import { parseProfile, type Profile } from "../../../modules/concentrator/profile";
import { buildReadRegistersResponse } from "../../../modules/rtu/build-response";
import { LineTiming, type Framing } from "../../../modules/rtu/timing";
import { SCAN_BAUDS, SCAN_FRAMINGS, ScanJob, scanSettings, type PausableLoop, type ScanJobStatus, type ScanTuning } from "../../../modules/commissioning/scan-job";
import type { Cases, Check } from "../../harness/check";

interface Device {
  baud: number;
  framing: Framing;
  unit: number;
  /** Volts in input registers 0–1 (f32); 0 for a device no profile matches. */
  volts: number;
}

function profile(): Profile {
  return parseProfile({
    id: "volt-meter", manufacturer: "Test", model: "V", sources: [{ title: "t", url: "https://example.invalid/t" }],
    serial: { baud: 9600, framing: "8N1" }, addressBase: 0, limits: { maxRegisters: 100, functions: [3, 4] },
    points: [{ name: "voltage_l1_n", source_name: "Voltage", function: 4, address: 0, type: "f32" }],
    signature: { checks: [{ point: "voltage_l1_n", min: 80, max: 300 }] },
  });
}

interface World {
  job: ScanJob;
  loop: PausableLoop & { polls: number; pending: number };
  port: ReconfigurablePort & { baud: number; framing: Framing; reopens: string[]; refuse: string[] };
  /** Runs events and deadlines until `until` returns true or nothing is left; returns the time. */
  run(until: () => boolean): number;
  now(): number;
}

/** A scripted bus: requests and replies take their air time at the port's setting; each device answers after 5 ms. */
function world(devices: Device[], options: { reconfigurable?: boolean; refuse?: string[] } = {}): World {
  const events: { at: number; kind: number; bytes: Uint8Array }[] = [];
  let now = 0;
  const reply = new Uint8Array(16);
  const values = Uint16Array.of(0, 0);
  const dv = new DataView(new ArrayBuffer(4));
  const port = {
    baud: 9600, framing: "8N1" as Framing, reopens: [] as string[], refuse: options.refuse ?? [],
    transmit(b: Uint8Array, o: number, n: number): void {
      const line = new LineTiming(port.baud, port.framing);
      const req = b.slice(o, o + n);
      const end = now + line.airTimeUs(n);
      events.push({ at: end, kind: 0, bytes: req });
      const d = devices.find((x) => x.unit === req[0] && x.baud === port.baud && x.framing === port.framing);
      if (d === undefined || req[1] !== 3 && req[1] !== 4) return;
      dv.setFloat32(0, req[1] === 4 ? d.volts : 0);
      values[0] = dv.getUint16(0);
      values[1] = dv.getUint16(2);
      const len = buildReadRegistersResponse(reply, 0, d.unit, req[1], values, 0, 2);
      for (let i = 0; i < len; i++) events.push({ at: end + 5000 + line.airTimeUs(i + 1), kind: 1, bytes: reply.slice(i, i + 1) });
    },
    reconfigure(baud: number, framing: Framing): string | null {
      const key = `${baud} ${framing}`;
      if (port.refuse.indexOf(key) >= 0) return `cannot open at ${key}; the port stays at ${port.baud} ${port.framing}`;
      port.reopens.push(key);
      port.baud = baud;
      port.framing = framing;
      return null;
    },
  };
  const loop = {
    paused: false, polls: 0, pending: 0,
    master: { get pending(): number { return loop.pending; } },
    nextDeadline: () => (loop.paused ? NO_DEADLINE : now + 1000000),
    service(_now: number): void { if (!loop.paused) loop.polls++; },
    received(): void {},
    transmitted(): void {},
  };
  const plain = { transmit: port.transmit };
  const job = new ScanJob(loop, options.reconfigurable === false ? plain : port, { baud: 9600, framing: "8N1", timeoutUs: 20000 }, () => [profile()]);
  return {
    job, loop, port, now: () => now,
    run(until: () => boolean): number {
      for (let guard = 0; guard < 200000 && !until(); guard++) {
        events.sort((a, b) => a.at - b.at || a.kind - b.kind);
        const d = job.nextDeadline();
        if (events.length > 0 && (d < 0 || events[0].at <= d)) {
          const e = events.shift()!;
          now = e.at;
          if (e.kind === 0) job.transmitted(now);
          else job.received(e.bytes, 0, e.bytes.length, now);
        } else if (d >= 0) {
          if (d > now) now = d;
          job.service(now);
        } else break;
      }
      return now;
    },
  };
}

const BUS: Device[] = [
  { baud: 9600, framing: "8N1", unit: 1, volts: 230 },
  { baud: 9600, framing: "8E1", unit: 4, volts: 231 },
  { baud: 19200, framing: "8N1", unit: 2, volts: 0 },
  { baud: 19200, framing: "8E1", unit: 30, volts: 229 },
];
const FOUR: ScanTuning = { bauds: [9600, 19200], framings: ["8N1", "8E1"], lastUnit: 40 };

export const cases: Cases = {
  "every baud × framing asked for is scanned with the port reopened at it; all devices found and identified; the site's setting restored"(t: Check) {
    const w = world(BUS);
    t.is(w.job.start(0, FOUR), null);
    t.ok(w.loop.paused);
    w.run(() => !w.job.running);
    const s: ScanJobStatus = w.job.status();
    t.is(s.state, "done");
    t.is(s.progress, 1);
    t.deepEqual(w.port.reopens, ["9600 8E1", "19200 8N1", "19200 8E1", "9600 8N1"]);
    t.is(w.port.baud, 9600);
    t.is(w.port.framing, "8N1");
    t.deepEqual(s.settings.map((x) => [x.baud, x.framing, x.state, x.found]), [[9600, "8N1", "done", 1], [9600, "8E1", "done", 1], [19200, "8N1", "done", 1], [19200, "8E1", "done", 1]]);
    t.deepEqual(s.found.map((f) => [f.baud, f.framing, f.unit, f.profile]), [[9600, "8N1", 1, "volt-meter"], [9600, "8E1", 4, "volt-meter"], [19200, "8N1", 2, null], [19200, "8E1", 30, "volt-meter"]]);
    for (const x of s.settings) t.ok(x.busMs > 0 && x.requests >= 41, `${x.baud} ${x.framing}: ${x.busMs} ms, ${x.requests} requests`);
    t.ok(!w.loop.paused, "polling resumes");
  },
  "progress and the setting being scanned are in the status while it runs"(t: Check) {
    const w = world(BUS);
    w.job.start(0, FOUR);
    w.run(() => w.port.baud === 19200);
    const s = w.job.status();
    t.is(s.state, "scanning");
    t.is(s.baud, 19200);
    t.deepEqual(s.settings.map((x) => x.state), ["done", "done", "scanning", "pending"]);
    t.ok(s.progress >= 0.5 && s.progress < 0.75, `progress ${s.progress}`);
    t.is(w.job.start(w.now(), FOUR), "a scan is already running");
  },
  "the job waits for the master's request in flight before it reopens the port"(t: Check) {
    const w = world(BUS);
    w.loop.pending = 1;
    w.job.start(0, FOUR);
    w.run(() => w.port.reopens.length > 0);
    t.is(w.port.reopens.length, 0, "nothing while a request is in flight");
    t.is(w.job.status().state, "waiting");
    w.loop.pending = 0;
    w.run(() => !w.job.running);
    t.is(w.job.status().state, "done");
  },
  "a setting the port refuses is reported with the port's reason and skipped; a failed restore is reported"(t: Check) {
    const w = world(BUS, { refuse: ["9600 8E1"] });
    w.job.start(0, FOUR);
    w.run(() => !w.job.running);
    const s = w.job.status();
    t.deepEqual(s.settings.map((x) => x.state), ["done", "failed", "done", "done"]);
    t.is(s.settings[1].error, "cannot open at 9600 8E1; the port stays at 9600 8N1");
    t.deepEqual(s.found.map((f) => f.unit), [1, 2, 30]);
    t.is(s.restoreError, undefined);
    const v = world(BUS, { refuse: ["9600 8N1"] });
    v.job.start(0, { ...FOUR, bauds: [19200] });
    v.run(() => !v.job.running);
    const r = v.job.status();
    t.is(r.restoreError, "cannot open at 9600 8N1; the port stays at 19200 8E1");
    t.ok(!v.loop.paused, "the loop runs (and counts its faults) rather than stay paused");
  },
  "a port that cannot reopen scans its own setting only, and says so for others"(t: Check) {
    const w = world(BUS, { reconfigurable: false });
    t.is(w.job.start(0, FOUR), "this port cannot be reopened at another line setting (asked for 9600 8E1); scan at 9600 8N1 only");
    t.ok(!w.loop.paused);
    t.is(w.job.start(0, { bauds: [9600], framings: ["8N1"], lastUnit: 10 }), null);
    w.run(() => !w.job.running);
    t.deepEqual(w.job.status().found.map((f) => f.unit), [1]);
  },
  "the default settings are the common bauds × framings (as rc485 scan); bad ones are one-line reasons"(t: Check) {
    const all = scanSettings();
    t.ok(typeof all !== "string");
    t.is((all as unknown[]).length, SCAN_BAUDS.length * SCAN_FRAMINGS.length);
    t.deepEqual(SCAN_BAUDS, [9600, 19200, 2400, 4800, 38400]);
    t.deepEqual(SCAN_FRAMINGS, ["8N1", "8E1"]);
    t.is(scanSettings([1000]), "baud 1000 is not one of 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600");
    t.is(scanSettings([9600], ["7E1"]), 'framing "7E1" is not one of 8N1, 8E1, 8O1, 8N2');
    t.is(scanSettings([], ["8N1"]), "bauds and framings need at least one value each");
    t.deepEqual(scanSettings([9600, 9600], ["8N1"]), [{ baud: 9600, framing: "8N1" }]);
    const w = world(BUS);
    t.is(w.job.start(0, { bauds: [1000] }), "baud 1000 is not one of 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600");
    t.ok(!w.job.running);
  },
};
