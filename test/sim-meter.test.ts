// Meter emulator: answers valid requests, exceptions, broadcasts, garbage and other units, and the faults it can be told
// to show (dead, late, stray zeros, turnaround).
import test from "ava";
import { appendCrc, crcMatches } from "../modules/rtu/crc16";
import { ScriptedNode, Simulation, type MeterOptions } from "../hosts/sim/index";
import { traceOnFailure } from "./harness/sim";

function frame(...bytes: number[]): Uint8Array {
  const b = new Uint8Array(bytes.length + 2);
  b.set(bytes);
  appendCrc(b, 0, bytes.length);
  return b;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** Sends each request 100 ms apart to one meter; returns each reply (bytes received after that request) as hex. */
function exchange(t: any, options: MeterOptions, requests: Uint8Array[], baud = 9600) {
  const sim = new Simulation({ seed: 41 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud });
  const host = sim.host({ name: "master", ports: [{ segment: bus }] });
  const node = new ScriptedNode(host.port(0));
  requests.forEach((r, i) => node.send(1000 + i * 100000, r));
  host.attach(node);
  const meter = sim.meter(bus, options);
  sim.runUntil(1000 + requests.length * 100000);
  const replies = requests.map((_, i) => {
    const from = 1000 + i * 100000, to = from + 100000;
    const bytes = node.batches.filter((b) => b.time >= from && b.time < to).flatMap((b) => Array.from(b.bytes));
    return hex(Uint8Array.from(bytes));
  });
  return { sim, bus, meter, node, replies };
}

const regs = { 0: 0x1234, 1: 0x5678, 2: 0x9abc, 3: 0xdef0, 100: 1 };

test("answers a valid read of holding and input registers, coils and discrete inputs", (t) => {
  const { replies, meter } = exchange(t, { unit: 5, holding: regs, input: { 10: 7, 11: 8 }, coils: [1, 0, 1, 1, 0, 0, 0, 0, 1], discrete: { 3: true } }, [
    frame(5, 3, 0, 0, 0, 3),
    frame(5, 4, 0, 10, 0, 2),
    frame(5, 1, 0, 0, 0, 9),
    frame(5, 2, 0, 3, 0, 1),
  ]);
  t.is(replies[0], hex(frame(5, 3, 6, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc)));
  t.is(replies[1], hex(frame(5, 4, 4, 0, 7, 0, 8)));
  t.is(replies[2], hex(frame(5, 1, 2, 0x0d, 0x01)));
  t.is(replies[3], hex(frame(5, 2, 1, 1)));
  t.is(meter.counters.replies, 4);
});

test("executes writes (05, 06, 15, 16) and echoes them", (t) => {
  const { replies, meter } = exchange(t, { unit: 5, holding: regs, coils: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, [
    frame(5, 6, 0, 1, 0xab, 0xcd),
    frame(5, 5, 0, 2, 0xff, 0),
    frame(5, 16, 0, 2, 0, 2, 4, 1, 2, 3, 4),
    frame(5, 15, 0, 4, 0, 6, 1, 0x2d),
  ]);
  t.is(replies[0], hex(frame(5, 6, 0, 1, 0xab, 0xcd)));
  t.is(replies[1], hex(frame(5, 5, 0, 2, 0xff, 0)));
  t.is(replies[2], hex(frame(5, 16, 0, 2, 0, 2)));
  t.is(replies[3], hex(frame(5, 15, 0, 4, 0, 6)));
  t.is(meter.holding.get(1), 0xabcd);
  t.is(meter.holding.get(2), 0x0102);
  t.is(meter.holding.get(3), 0x0304);
  t.deepEqual([2, 4, 5, 6, 7, 8, 9].map((a) => meter.coils.get(a)), [1, 1, 0, 1, 1, 0, 1]);
});

test("exceptions: illegal function, illegal address, illegal value, and device limits", (t) => {
  const { replies, meter } = exchange(t, { unit: 5, holding: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [i, i])), coils: [0], maxRegisters: 80, evenRegisterCount: true }, [
    frame(5, 0x2b, 0x0e, 1, 0),  // unsupported function -> 01
    frame(5, 3, 0, 99, 0, 2),    // 99..100: 100 is not mapped -> 02
    frame(5, 3, 0, 0, 0, 126),   // over the spec's 125 -> 03
    frame(5, 3, 0, 0, 0, 82),    // over the device's 80 -> 03
    frame(5, 3, 0, 0, 0, 3),     // odd count -> 03
    frame(5, 5, 0, 0, 0x12, 0x34), // coil value neither FF00 nor 0000 -> 03
    frame(5, 3, 0, 0, 0, 80),    // fine
    frame(5, 0x41, 0, 0),        // a function rc485 has no rule for -> 01
    frame(5, 0x00, 0, 0),        // function 0 is no request: no answer
    frame(5, 3, 0, 0, 0, 1, 0),  // CRC-valid but one byte too long for 03: no answer
  ], 115200);
  t.deepEqual(replies.slice(0, 6), [
    hex(frame(5, 0xab, 1)),
    hex(frame(5, 0x83, 2)),
    hex(frame(5, 0x83, 3)),
    hex(frame(5, 0x83, 3)),
    hex(frame(5, 0x83, 3)),
    hex(frame(5, 0x85, 3)),
  ]);
  t.is(replies[6].split(" ").length, 5 + 160);
  t.deepEqual(replies.slice(7), [hex(frame(5, 0xc1, 1)), "", ""]);
  t.is(meter.counters.exceptions, 7);
  t.is(meter.counters.ignoredMalformed, 2);
});

test("a broadcast write is executed and never answered", (t) => {
  const { replies, meter, sim } = exchange(t, { unit: 5, holding: regs }, [frame(0, 6, 0, 0, 0, 9), frame(0, 3, 0, 0, 0, 1)]);
  t.deepEqual(replies, ["", ""]);
  t.is(meter.holding.get(0), 9);
  t.is(meter.counters.broadcasts, 2);
  t.is(sim.trace.lines().length, 2, "only the two requests are on the line");
});

test("ignores frames for other units, bad CRCs, garbage and short bursts", (t) => {
  const bad = frame(5, 3, 0, 0, 0, 1);
  bad[7] ^= 1;
  const { replies, meter } = exchange(t, { unit: 5, holding: regs }, [
    frame(6, 3, 0, 0, 0, 1),
    bad,
    Uint8Array.from([0xff, 0x00, 0x13, 0x37, 0x42, 0x99, 0x01, 0x02, 0x03]),
    Uint8Array.from([5, 3]),
    frame(248, 3, 0, 0, 0, 1), // a reserved address (parity bursts of the FEC link start like this)
    frame(5, 3, 0, 0, 0, 1),
  ]);
  t.deepEqual(replies.slice(0, 5), ["", "", "", "", ""]);
  t.is(replies[5], hex(frame(5, 3, 2, 0x12, 0x34)));
  t.is(meter.counters.ignoredOtherUnit, 2);
  t.is(meter.counters.ignoredCrc, 2);
  t.is(meter.counters.ignoredShort, 1);
});

test("a dead meter never answers; switching it back on at run time works", (t) => {
  const { replies, meter } = exchange(t, { unit: 5, holding: regs, dead: true }, [frame(5, 3, 0, 0, 0, 1)]);
  t.deepEqual(replies, [""]);
  t.is(meter.counters.ignoredDead, 1);
  meter.dead = false;
  t.false(meter.dead);
});

test("turnaround: the reply starts min..max µs after the request's last stop bit, never before t3.5", (t) => {
  const sim = new Simulation({ seed: 42 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 19200 });
  const host = sim.host({ name: "master", ports: [{ segment: bus }] });
  const node = new ScriptedNode(host.port(0));
  for (let i = 0; i < 200; i++) node.send(1000 + i * 30000, frame(5, 3, 0, 0, 0, 1));
  host.attach(node);
  sim.meter(bus, { unit: 5, holding: regs, turnaroundUs: [3000, 9000] });
  const fast = sim.meter(bus, { unit: 6, holding: regs, turnaroundUs: 100 });
  sim.runUntil(200 * 30000);
  const starts: number[] = [];
  for (const l of sim.trace.lines()) {
    const m = /^\s*(\d+) \S+\s+unit5 /.exec(l);
    if (m) starts.push(Number(m[1]));
  }
  t.is(starts.length, 200);
  const delays = starts.map((s, i) => s - (1000 + i * 30000 + bus.timing.airTimeUs(8)));
  t.true(Math.min(...delays) >= 3000 && Math.max(...delays) <= 9000, `${Math.min(...delays)}..${Math.max(...delays)}`);
  t.true(Math.max(...delays) - Math.min(...delays) > 5000, "spread over the range");
  t.is(fast.counters.requests, 0);
  // Unit 6 with a 100 µs turnaround still waits for the t3.5 frame end.
  const sim2 = new Simulation();
  const bus2 = sim2.segment({ baud: 19200 });
  const h2 = sim2.host({ name: "master", ports: [{ segment: bus2 }] });
  h2.attach(new ScriptedNode(h2.port(0)).send(1000, frame(6, 3, 0, 0, 0, 1)));
  sim2.meter(bus2, { unit: 6, holding: regs, turnaroundUs: 100 });
  sim2.runUntil(100000);
  t.regex(sim2.trace.lines()[1], new RegExp(`^\\s*${1000 + bus2.timing.airTimeUs(8) + bus2.timing.t35Us} `));
});

test("frameEnd 'length' answers before the t3.5 silence when the expected length and CRC are in", (t) => {
  const { sim, bus } = exchange(t, { unit: 5, holding: regs, frameEnd: "length", turnaroundUs: 500 }, [frame(5, 3, 0, 0, 0, 1)]);
  t.regex(sim.trace.lines()[1], new RegExp(`^\\s*${1000 + bus.timing.airTimeUs(8) + 500} `));
});

test("stray leading zeros and late replies", (t) => {
  const { replies, meter } = exchange(t, { unit: 5, holding: regs, leadingZeros: 2, lateProbability: 1, lateUs: 40000 }, [frame(5, 3, 0, 0, 0, 1)]);
  t.is(replies[0], "00 00 " + hex(frame(5, 3, 2, 0x12, 0x34)));
  t.is(meter.counters.lateReplies, 1);
  const on = exchange(t, { unit: 5, holding: regs, lateProbability: 1, lateUs: 40000 }, [frame(5, 3, 0, 0, 0, 1)]);
  const reply = on.sim.trace.lines()[1];
  t.true(Number(/^\s*(\d+)/.exec(reply)![1]) >= 1000 + on.bus.timing.airTimeUs(8) + 40000);
});

test("floats and 32-bit values in either word order", (t) => {
  const { replies } = exchange(t, { unit: 5 }, [frame(5, 4, 0, 0, 0, 4)]);
  t.is(replies[0], hex(frame(5, 0x84, 2)));
  const sim = new Simulation();
  const bus = sim.segment({ baud: 9600 });
  const m = sim.meter(bus, { unit: 1 });
  m.setFloat32("input", 0, 230.5);
  m.setFloat32("input", 2, 230.5, "CDAB");
  m.setUint32("holding", 0, 0x01020304);
  t.deepEqual([0, 1, 2, 3].map((a) => m.input.get(a)), [0x4366, 0x8000, 0x8000, 0x4366]);
  t.deepEqual([m.holding.get(0), m.holding.get(1)], [0x0102, 0x0304]);
  t.true(crcMatches(frame(1, 2, 3), 0, 5));
});

test("bad meter options are RangeErrors naming the field", (t) => {
  const sim = new Simulation();
  const bus = sim.segment({ baud: 9600 });
  t.throws(() => sim.meter(bus, { unit: 0 }), { instanceOf: RangeError, message: /unit/ });
  t.throws(() => sim.meter(bus, { unit: 1, turnaroundUs: [5, 1] }), { instanceOf: RangeError, message: /turnaroundUs/ });
  t.throws(() => sim.meter(bus, { unit: 1, holding: { 3: 70000 } }), { instanceOf: RangeError, message: /holding/ });
  t.throws(() => sim.meter(bus, { unit: 1, maxRegisters: 126 }), { instanceOf: RangeError, message: /maxRegisters/ });
});
