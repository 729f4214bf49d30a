// Quirky meters (hosts/sim/meter.ts, profile-meter.ts): the field behaviours commissioning must cope with — an answer to
// address 0, a register cap below the profile's that times out instead of refusing, a reboot when polled too fast, a
// word order other than the manual's, a slow turnaround — each shown on the wire.
import test from "ava";
import { appendCrc } from "../modules/rtu/crc16";
import { ScriptedNode, Simulation, type MeterOptions } from "../hosts/sim/index";
import { profileMeter } from "../hosts/sim/profile-meter";
import { traceOnFailure } from "./harness/sim";
import { SDM120 } from "./fixtures/maps";

function frame(...bytes: number[]): Uint8Array {
  const b = new Uint8Array(bytes.length + 2);
  b.set(bytes);
  appendCrc(b, 0, bytes.length);
  return b;
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** Sends each request at its time (µs) to one meter; returns the bytes heard after each request, up to the next, as hex. */
function exchange(t: any, options: MeterOptions, requests: [number, Uint8Array][], end: number) {
  const sim = new Simulation({ seed: 7 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600 });
  const host = sim.host({ name: "master", ports: [{ segment: bus }] });
  const node = new ScriptedNode(host.port(0));
  for (const [at, r] of requests) node.send(at, r);
  host.attach(node);
  const meter = sim.meter(bus, options);
  sim.runUntil(end);
  const replies = requests.map(([from], i) => {
    const to = i + 1 < requests.length ? requests[i + 1][0] : end + 1;
    return hex(Uint8Array.from(node.batches.filter((b) => b.time >= from && b.time < to).flatMap((b) => Array.from(b.bytes))));
  });
  return { meter, replies };
}

test("answerBroadcast: the UBS field exchange, request 00 03 00 0C 00 02 answered as unit 1; without the quirk, silence", (t) => {
  const request = frame(0, 3, 0, 0x0c, 0, 2);
  t.is(hex(request), "00 03 00 0c 00 02 05 d9");
  const holding = { 12: 0, 13: 0 };
  const quirky = exchange(t, { unit: 1, holding, answerBroadcast: true }, [[1000, request]], 200000);
  t.is(quirky.replies[0], "01 03 04 00 00 00 00 fa 33");
  t.is(quirky.meter.counters.broadcastAnswers, 1);
  const plain = exchange(t, { unit: 1, holding }, [[1000, request]], 200000);
  t.is(plain.replies[0], "");
  t.is(plain.meter.counters.broadcasts, 1);
});

test("limitSilent: a read over the meter's cap times out while smaller reads are answered", (t) => {
  const holding = Array.from({ length: 40 }, (_, i) => i);
  const { replies, meter } = exchange(t, { unit: 3, holding, maxRegisters: 10, limitSilent: true }, [
    [1000, frame(3, 3, 0, 0, 0, 20)],
    [200000, frame(3, 3, 0, 0, 0, 10)],
    [400000, frame(3, 3, 0, 10, 0, 10)],
  ], 600000);
  t.is(replies[0], "");
  t.is(meter.counters.ignoredLimit, 1);
  t.is(replies[1].split(" ").length, 5 + 20);
  t.is(replies[2].split(" ").length, 5 + 20);
  // Without the quirk the same meter refuses with exception 03.
  const refusing = exchange(t, { unit: 3, holding, maxRegisters: 10 }, [[1000, frame(3, 3, 0, 0, 0, 20)]], 200000);
  t.is(refusing.replies[0], hex(frame(3, 0x83, 3)));
});

test("rebootBelowUs: polled too fast the meter reboots and stays silent for rebootUs, then answers again", (t) => {
  const req = frame(4, 3, 0, 0, 0, 1);
  const { replies, meter } = exchange(t, { unit: 4, holding: [42], rebootBelowUs: 50000, rebootUs: 500000 }, [
    [1000, req],        // answered
    [100000, req],      // 90 ms after the reply: fine
    [120000, req],      // ~12 ms after the reply: reboot
    [300000, req],      // still rebooting
    [700000, req],      // back
  ], 900000);
  const ok = hex(frame(4, 3, 2, 0, 42));
  t.deepEqual(replies, [ok, ok, "", "", ok]);
  t.is(meter.counters.reboots, 1);
  t.is(meter.counters.ignoredRebooting, 1);
});

test("a meter whose word order differs from its profile: decoded by the profile it reads wrong, by its own order right", (t) => {
  const pm = profileMeter(SDM120, 1, { voltage: 231.5 }, {}, {}, "CDAB");
  t.is(Math.round((pm.trueValues.get("voltage") as number) * 10), 2315);
  t.not(Math.round((pm.values.get("voltage") as number) * 10), 2315);
  // The registers hold the low word first.
  const hi = new DataView(new ArrayBuffer(4));
  hi.setFloat32(0, 231.5);
  t.is(pm.options.input instanceof Map ? pm.options.input.get(0) : -1, hi.getUint16(2));
});

test("slow turnaround: the reply starts no sooner than the meter's turnaround", (t) => {
  const sim = new Simulation({ seed: 3 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600 });
  const host = sim.host({ name: "master", ports: [{ segment: bus }] });
  const node = new ScriptedNode(host.port(0));
  const req = frame(5, 3, 0, 0, 0, 1);
  node.send(1000, req);
  host.attach(node);
  sim.meter(bus, { unit: 5, holding: [1], turnaroundUs: 180000 });
  sim.runUntil(600000);
  const reqEnd = 1000 + bus.timing.airTimeUs(req.length);
  const first = node.batches.find((b) => b.time > reqEnd);
  t.truthy(first);
  t.true((first as { time: number }).time - bus.timing.characterUs >= reqEnd + 180000);
});

test("bad quirk options are RangeErrors naming the field", (t) => {
  const sim = new Simulation();
  const bus = sim.segment({ baud: 9600 });
  t.throws(() => sim.meter(bus, { unit: 1, rebootBelowUs: -1 }), { instanceOf: RangeError, message: /rebootBelowUs/ });
  t.throws(() => sim.meter(bus, { unit: 1, rebootUs: 1.5 }), { instanceOf: RangeError, message: /rebootUs/ });
});
