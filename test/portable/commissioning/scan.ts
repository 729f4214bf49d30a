// The bus scan engine (modules/commissioning/scan.ts) on a scripted bus of devices (no simulator): who answers, how fast, address 0,
// a slow device heard late, identification by profile signatures (best score wins, ties are ambiguous), the time budget.
// Portable: runs on Node and on XS.
import { checkProfile, parseProfile, type Profile } from "../../../modules/concentrator/profile";
import { buildExceptionResponse, buildReadRegistersResponse } from "../../../modules/rtu/build-response";
import { LineTiming } from "../../../modules/rtu/timing";
import { AMBIGUOUS, BusScanner, FOUND, FOUND_LATE, NOT_FOUND, UNKNOWN_MODEL, ZERO_GARBLED, ZERO_SILENT, type ScanOptions } from "../../../modules/commissioning/scan";
import type { Cases, Check } from "../../harness/check";

interface Device {
  unit: number;
  /** Input registers (FC04) by address; FC03 reads are refused with exception 01. */
  input: Record<number, number>;
  latencyUs: number;
  answersZero?: boolean;
}

const LINE = new LineTiming(9600, "8N1");

/** Runs a scan over `devices`: requests and replies take their air time, each device answers after its latency. */
function scan(devices: Device[], options: Partial<ScanOptions> = {}): BusScanner {
  const events: { at: number; kind: number; bytes: Uint8Array }[] = [];
  let now = 0;
  const reply = new Uint8Array(256);
  const values = new Uint16Array(125);
  const scanner = new BusScanner({
    transmit(b, o, n) {
      const req = b.slice(o, o + n);
      const end = now + LINE.airTimeUs(n);
      events.push({ at: end, kind: 0, bytes: req });
      const unit = req[0];
      const fc = req[1];
      const address = (req[2] << 8) | req[3];
      const count = (req[4] << 8) | req[5];
      const answering = devices.filter((d) => d.unit === unit || (unit === 0 && d.answersZero));
      if (answering.length === 0) return;
      const d = answering[0];
      let len: number;
      if (fc !== 4) len = buildExceptionResponse(reply, 0, d.unit, fc, 1);
      else {
        let ok = true;
        for (let i = 0; i < count; i++) {
          const v = d.input[address + i];
          if (v === undefined) ok = false;
          values[i] = v ?? 0;
        }
        len = ok ? buildReadRegistersResponse(reply, 0, d.unit, 4, values, 0, count) : buildExceptionResponse(reply, 0, d.unit, 4, 2);
      }
      const bytes = reply.slice(0, len);
      // Two devices answering at once garble the reply.
      if (answering.length > 1) bytes[3] ^= 0x55;
      // Each character is delivered at its stop bit, as an ideal UART does.
      for (let i = 0; i < len; i++) events.push({ at: end + d.latencyUs + LINE.airTimeUs(i + 1), kind: 1, bytes: bytes.subarray(i, i + 1) });
    },
  }, { baud: 9600, profiles: PROFILES, ...options });
  scanner.start(0);
  for (let guard = 0; guard < 100000 && !scanner.done; guard++) {
    events.sort((a, b) => a.at - b.at || a.kind - b.kind);
    const d = scanner.nextDeadline();
    if (events.length > 0 && (d < 0 || events[0].at <= d)) {
      const e = events.shift()!;
      now = e.at;
      if (e.kind === 0) scanner.transmitted(now);
      else scanner.received(e.bytes, 0, e.bytes.length, now);
    } else if (d >= 0) {
      now = d;
      scanner.service(now);
    } else break;
  }
  return scanner;
}

function profile(id: string, voltages: number[]): Profile {
  return parseProfile({
    id, manufacturer: "Test", model: id, sources: [{ title: "t", url: "https://example.invalid/t" }],
    serial: { baud: 9600, framing: "8N1" }, addressBase: 0,
    limits: { maxRegisters: 100, functions: [4] },
    points: [
      ...voltages.map((a, i) => ({ name: `voltage_l${i + 1}_n`, source_name: `Voltage ${i + 1}`, function: 4, address: a, type: "f32" })),
      { name: "frequency", source_name: "Frequency", function: 4, address: 70, type: "f32" },
    ],
    signature: { checks: [...voltages.map((_, i) => ({ point: `voltage_l${i + 1}_n`, min: 80, max: 300 })), { point: "frequency", min: 45, max: 65 }] },
  });
}

const PROFILES = [profile("single", [0]), profile("triple", [0, 2, 4])];

function f32(map: Record<number, number>, address: number, v: number): void {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, v);
  map[address] = dv.getUint16(0);
  map[address + 1] = dv.getUint16(2);
}

function meter(unit: number, voltages: number, latencyUs = 5000): Device {
  const input: Record<number, number> = {};
  for (let a = 0; a < 80; a++) input[a] = 0;
  for (let i = 0; i < voltages; i++) f32(input, 2 * i, 230 + i);
  f32(input, 70, 50);
  return { unit, input, latencyUs };
}

export const cases: Cases = {
  "finds exactly the units that answer, with their reply latency"(t: Check) {
    const s = scan([meter(3, 1, 4000), meter(200, 3, 9000)], { profiles: [] });
    t.ok(s.done);
    t.deepEqual(s.units(), [3, 200]);
    t.is(s.found[3], FOUND);
    t.is(s.found[4], NOT_FOUND);
    t.is(s.latencyUs[3], 4000);
    t.is(s.latencyUs[200], 9000);
    t.is(s.zeroAnswer, ZERO_SILENT);
    t.is(s.requests, 1 + 247);
    t.is(s.stoppedAt, 0);
    t.is(s.profileOf[3], UNKNOWN_MODEL);
  },
  "an exception to the probe is a device (probe FC03 refused with 01)"(t: Check) {
    const s = scan([meter(9, 1)], { profiles: [] });
    t.deepEqual(s.units(), [9]);
    t.is(s.probeException[9], 1);
  },
  "a device that answers address 0 is reported by the address in its reply; two garble it"(t: Check) {
    const a = meter(7, 1);
    a.answersZero = true;
    const s = scan([a, meter(8, 1)], { profiles: [] });
    t.is(s.zeroAnswer, 7);
    t.deepEqual(s.units(), [7, 8]);
    const b = meter(8, 1);
    b.answersZero = true;
    const two = scan([a, b], { profiles: [] });
    t.is(two.zeroAnswer, ZERO_GARBLED);
    const off = scan([a], { profiles: [], probeZero: false });
    t.is(off.zeroAnswer, ZERO_SILENT);
    t.is(off.requests, 247);
  },
  "a device slower than the timeout is heard during the next probe and marked late"(t: Check) {
    const s = scan([meter(10, 1, 70000)], { profiles: [], timeoutUs: 50000 });
    t.is(s.found[10], FOUND_LATE);
    t.is(s.found[11], NOT_FOUND);
    t.deepEqual(s.units(), [10]);
  },
  "identification: the matching profile with the most checks wins; nothing plausible is unknown"(t: Check) {
    const blank = meter(30, 0);
    const s = scan([meter(1, 1), meter(2, 3), blank]);
    t.is(s.profileFor(1)?.id, "single");
    t.is(s.score[1], 2);
    t.is(s.profileFor(2)?.id, "triple");
    t.is(s.score[2], 4);
    t.is(s.profileOf[30], UNKNOWN_MODEL);
    t.is(s.profileFor(30), null);
  },
  "two profiles with the same signature are ambiguous, and both are named"(t: Check) {
    const s = scan([meter(4, 1)], { profiles: [profile("one", [0]), profile("other", [0])] });
    t.is(s.profileOf[4], AMBIGUOUS);
    t.deepEqual(s.candidatesFor(4).map((p) => p.id), ["one", "other"]);
  },
  "the budget bounds a line setting: the scan stops, says where, and still identifies what it found"(t: Check) {
    const s = scan([meter(2, 3), meter(240, 1)], { budgetUs: 2000000, timeoutUs: 50000 });
    t.ok(s.done);
    t.ok(s.stoppedAt > 2 && s.stoppedAt < 240, `stopped at ${s.stoppedAt}`);
    t.deepEqual(s.units(), [2]);
    t.is(s.profileFor(2)?.id, "triple");
    t.ok(s.progress === 1);
  },
  "bad options are RangeErrors"(t: Check) {
    const port = { transmit() {} };
    t.throws(() => new BusScanner(port, { baud: 9600, firstUnit: 0 }), RangeError);
    t.throws(() => new BusScanner(port, { baud: 9600, firstUnit: 10, lastUnit: 5 }), RangeError);
    t.throws(() => new BusScanner(port, { baud: 9600, timeoutUs: 10 }), RangeError);
    t.throws(() => new BusScanner(port, { baud: 9600, probeFunction: 1 as 3 }), RangeError);
  },
  "a profile's identification (43/14 VendorName, ProductCode) is parsed and checked"(t: Check) {
    const base = {
      id: "x", manufacturer: "Test", model: "x", sources: [{ title: "t", url: "https://example.invalid/t" }],
      serial: { baud: 9600, framing: "8N1" }, addressBase: 0, limits: { maxRegisters: 100, functions: [4] },
      points: [{ name: "frequency", source_name: "Frequency", function: 4, address: 70, type: "f32" }],
    };
    const good = checkProfile({ ...base, identification: { vendor: "Test Works", product: "X-1" } });
    t.ok(good.ok && good.profile.identification !== null && good.profile.identification!.vendor === "Test Works" && good.profile.identification!.product === "X-1");
    const vendorOnly = checkProfile({ ...base, identification: { vendor: "Test Works" } });
    t.ok(vendorOnly.ok && vendorOnly.profile.identification!.product === "");
    const none = checkProfile(base);
    t.ok(none.ok && none.profile.identification === null);
    for (const bad of [{ product: "X" }, { vendor: "" }, { vendor: "\u00e9" }, { vendor: "T", model: "X" }, "Test"]) {
      const r = checkProfile({ ...base, identification: bad });
      t.ok(!r.ok && r.errors.some((e) => e.indexOf("identification") >= 0), JSON.stringify(bad));
    }
  },
};
