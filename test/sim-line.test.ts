// Simulator: character timing on a segment, DE truncation and collisions, determinism.
import test from "ava";
import { appendCrc } from "../modules/rtu/crc16";
import { NO_DEADLINE } from "../modules/port/contract";
import { ScriptedNode, Simulation } from "../hosts/sim/index";
import { Poller, traceOnFailure } from "./harness/sim";

function request(unit: number, address: number, count: number): Uint8Array {
  const b = new Uint8Array(8);
  b.set([unit, 3, address >> 8, address & 0xff, count >> 8, count & 0xff]);
  appendCrc(b, 0, 6);
  return b;
}

test("every node sees each character at its stop bit, back to back at the segment's baud and framing", (t) => {
  for (const [baud, framing, bits] of [[9600, "8N1", 10], [19200, "8E1", 11], [115200, "8N2", 11]] as const) {
    const sim = new Simulation({ seed: 1 });
    traceOnFailure(t, sim);
    const bus = sim.segment({ baud, framing });
    const a = sim.host({ name: "a", ports: [{ segment: bus }] });
    const b = sim.host({ name: "b", ports: [{ segment: bus }] });
    const c = sim.host({ name: "c", ports: [{ segment: bus }] });
    const tx = new ScriptedNode(a.port(0)).send(500, [0x55, 0x00, 0xff, 0x12, 0x34]);
    const rb = new ScriptedNode(b.port(0));
    const rc = new ScriptedNode(c.port(0));
    a.attach(tx);
    b.attach(rb);
    c.attach(rc);
    sim.runUntil(50000);
    for (const r of [rb, rc]) {
      t.deepEqual(Array.from(r.rx), [0x55, 0x00, 0xff, 0x12, 0x34]);
      t.deepEqual(r.batches.map((x) => x.time), [1, 2, 3, 4, 5].map((k) => 500 + Math.ceil((k * bits * 1e6) / baud)), `${baud} ${framing}`);
    }
    t.is(tx.rx.length, 0, "no local echo by default (DE/RE tied)");
    t.is(bus.counters.collisions + bus.counters.truncated, 0);
  }
});

test("dropping DE before the last stop bit truncates the frame: counted, traced, and the slave does not answer", (t) => {
  const sim = new Simulation({ seed: 2 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600 });
  // Release DE 600 µs too early: the last character loses its last bits.
  const host = sim.host({ name: "master", ports: [{ segment: bus, deAdjustUs: -800 }], tick: 0 });
  const node = new ScriptedNode(host.port(0)).send(1000, request(1, 0, 2));
  host.attach(node);
  const meter = sim.meter(bus, { unit: 1, holding: [7, 8] });
  sim.runUntil(100000);
  t.is(bus.counters.truncated, 1);
  t.is(meter.counters.requests, 0);
  t.is(meter.counters.ignoredCrc, 1);
  t.regex(sim.trace.lines()[0], /master .* 8B .*\| CRC bad, truncated, framing error/);
});

test("holding DE into the reply collides: counted and traced, and the master never gets a valid reply", (t) => {
  const sim = new Simulation({ seed: 3 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 19200 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, deAdjustUs: 20000 }], tick: 0 });
  const node = new ScriptedNode(host.port(0)).send(1000, request(1, 0, 2));
  host.attach(node);
  const meter = sim.meter(bus, { unit: 1, holding: [7, 8], turnaroundUs: 2000 });
  sim.runUntil(100000);
  t.is(meter.counters.replies, 1);
  t.is(bus.counters.collisions, 9, "every character of the 9-byte reply");
  t.is(node.rx.length, 0, "the master's receiver is off while its DE is on");
  t.regex(sim.trace.lines()[1], /unit1 .* 9B .*\| CRC bad, collision/);
});

test("two nodes transmitting at once garble each other's characters", (t) => {
  const sim = new Simulation({ seed: 4 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600 });
  const a = sim.host({ name: "a", ports: [{ segment: bus }] });
  const b = sim.host({ name: "b", ports: [{ segment: bus }] });
  const c = sim.host({ name: "c", ports: [{ segment: bus }] });
  a.attach(new ScriptedNode(a.port(0)).send(1000, [1, 2, 3, 4]));
  b.attach(new ScriptedNode(b.port(0)).send(2500, [5, 6, 7, 8]));
  const listener = new ScriptedNode(c.port(0));
  c.attach(listener);
  sim.runUntil(50000);
  // a: characters end at 2042, 3084, 4125, 5167 µs, DE until 5272; b: 2500..6667. a's first and b's last are clear.
  t.is(bus.counters.collisions, 6);
  const rx = Array.from(listener.rx);
  t.is(rx.length, 8);
  t.is(rx[0], 1);
  t.is(rx[7], 8);
  t.notDeepEqual(rx.slice(1, 7), [2, 3, 4, 5, 6, 7]);
});

test("the host adapter's DE pacing with a 1 ms tick: no truncation and no collision over 10,000 transactions at 9600, 19200 and 115200", (t) => {
  for (const baud of [9600, 19200, 115200]) {
    const sim = new Simulation({ seed: baud });
    traceOnFailure(t, sim);
    const bus = sim.segment({ baud });
    const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 1000 });
    // Meters that answer as early as the spec allows: exactly t3.5 after the request.
    for (let u = 1; u <= 4; u++) sim.meter(bus, { unit: u, holding: [1, 2, 3, 4] });
    const poller = new Poller(host.port(0), request(2, 0, 4), 13, 10000, bus.timing.t35Us, 100000);
    host.attach(poller);
    t.true(sim.runUntilTrue(() => poller.done, 1e10));
    t.is(poller.replies, 10000, `${baud}`);
    t.is(bus.counters.truncated, 0, `${baud}`);
    t.is(bus.counters.collisions, 0, `${baud}`);
  }
});

test("with 1 ms tick and 500 µs jitter at 115200 (DE held at most 1,597 µs < t3.5) there is still no collision", (t) => {
  const sim = new Simulation({ seed: 77 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 115200 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 1000, jitter: 500 });
  sim.meter(bus, { unit: 1, holding: [1, 2, 3, 4] });
  const poller = new Poller(host.port(0), request(1, 0, 4), 13, 3000, bus.timing.t35Us, 100000);
  host.attach(poller);
  t.true(sim.runUntilTrue(() => poller.done, 1e10));
  t.is(poller.replies, 3000);
  t.is(bus.counters.collisions + bus.counters.truncated, 0);
});

test("a host whose tick is too coarse for the baud collides with replies that come t3.5 later", (t) => {
  const sim = new Simulation({ seed: 78 });
  const bus = sim.segment({ baud: 115200 });
  // 8 bytes take 704 µs with the start-latency bit; a 3 ms tick holds DE 2,296 µs more, past t3.5 = 1,750 µs.
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 3000, unsafeDe: true });
  sim.meter(bus, { unit: 1, holding: [1, 2, 3, 4] });
  const poller = new Poller(host.port(0), request(1, 0, 4), 13, 200, bus.timing.t35Us, 20000);
  host.attach(poller);
  sim.runUntilTrue(() => poller.done, 1e10);
  // The reply starts 1,750 µs after the request; DE stays until 2,296 µs: the first 7 characters (87 µs each) collide.
  t.is(bus.counters.collisions, 200 * 7);
  t.is(sim.trace.lines().filter((l) => / unit1 .*collision/.test(l)).length, Math.min(200, sim.trace.capacity / 2));
});

test("the host timer: service() never before the deadline; 1 ms tick rounds up from the arming time; jitter stays in range", (t) => {
  const sim = new Simulation({ seed: 5 });
  const bus = sim.segment({ baud: 9600 });
  const calls: [number, number][] = [];
  const deadlines = [1500, 2000, 2001, 7777, 7778];
  const engine = {
    i: 0,
    nextDeadline: () => (engine.i < deadlines.length ? deadlines[engine.i] : NO_DEADLINE),
    service(now: number) {
      calls.push([deadlines[engine.i], now]);
      engine.i++;
    },
    received() {},
    transmitted() {},
  };
  const host = sim.host({ ports: [{ segment: bus }], tick: 1000 });
  host.attach(engine);
  sim.runUntil(20000);
  // Armed at 0 for 1500 -> 2000; armed at 2000 for 2000 -> 2000; at 2000 for 2001 -> 3000; at 3000 for 7777 -> 8000; at 8000 -> 8000.
  t.deepEqual(calls, [[1500, 2000], [2000, 2000], [2001, 3000], [7777, 8000], [7778, 8000]]);

  const sim2 = new Simulation({ seed: 6 });
  const bus2 = sim2.segment({ baud: 9600 });
  let last = 0;
  let late = 0;
  const e2 = {
    due: 1000,
    nextDeadline: () => e2.due,
    service(now: number) {
      t.true(now >= e2.due);
      late = Math.max(late, now - e2.due);
      last = now;
      e2.due = now + 1234;
    },
    received() {},
    transmitted() {},
  };
  sim2.host({ ports: [{ segment: bus2 }], tick: 0, jitter: 300 }).attach(e2);
  sim2.runUntil(2000000);
  t.true(last > 1900000);
  t.true(late <= 300 && late > 250, `max lateness ${late}`);
});

test("a tick too coarse for the baud is refused unless asked for", (t) => {
  const sim = new Simulation();
  const bus = sim.segment({ baud: 115200 });
  t.throws(() => sim.host({ ports: [{ segment: bus }], tick: 2000 }), { instanceOf: RangeError, message: /t3\.5/ });
  t.notThrows(() => sim.host({ ports: [{ segment: bus }], tick: 2000, unsafeDe: true }));
  t.throws(() => sim.segment({ baud: 9600, framing: "7N1" as any }), { instanceOf: RangeError });
  t.throws(() => sim.host({ ports: [] }), { instanceOf: TypeError });
});

test("the same seed gives the same run; another seed a different one", (t) => {
  const run = (seed: number) => {
    const sim = new Simulation({ seed });
    const bus = sim.segment({ baud: 9600, noise: { bitErrorRate: 2e-3, burstsPerSecond: 5, spuriousPerSecond: 5 } });
    const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 1000, jitter: 200 });
    sim.meter(bus, { unit: 1, holding: [1, 2, 3, 4], turnaroundUs: [1000, 9000] });
    const p = new Poller(host.port(0), request(1, 0, 4), 13, 300, 5000, 50000);
    host.attach(p);
    sim.runUntilTrue(() => p.done, 1e9);
    return JSON.stringify([sim.now, sim.counters(), p.replies, p.timeouts]) + sim.trace.dump();
  };
  t.is(run(11), run(11));
  t.not(run(11), run(12));
});
