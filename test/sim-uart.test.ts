// Simulator UARTs: ESP32 RX FIFO batching and overflow, TX FIFO refusal and piecewise writes, local echo, hardware DE, receive errors.
import test from "ava";
import { appendCrc } from "../modules/rtu/crc16";
import { ScriptedNode, Simulation } from "../hosts/sim/index";
import { traceOnFailure } from "./harness/sim";

function readRequest(unit: number, address: number, count: number): Uint8Array {
  const b = new Uint8Array(8);
  b.set([unit, 3, address >> 8, address & 0xff, count >> 8, count & 0xff]);
  appendCrc(b, 0, 6);
  return b;
}

function site(uart: any, count: number) {
  const sim = new Simulation({ seed: 31 });
  const bus = sim.segment({ baud: 9600 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart }], tick: 1000 });
  const node = new ScriptedNode(host.port(0)).send(1000, readRequest(1, 0, count));
  host.attach(node);
  sim.meter(bus, { unit: 1, holding: Array.from({ length: 125 }, (_, i) => i) });
  return { sim, bus, host, node };
}

test("ESP32 RX FIFO: a short reply is handed over in one batch, 4 character times after its last stop bit", (t) => {
  const { sim, bus, node } = site("esp32", 10);
  traceOnFailure(t, sim);
  sim.runUntil(200000);
  const ch = bus.timing.characterUs;
  // Request 1000..9334 µs, reply (25 bytes) starts at t3.5 = 3646 µs later.
  const replyEnd = 1000 + bus.timing.airTimeUs(8) + bus.timing.t35Us + bus.timing.airTimeUs(25);
  t.is(node.batches.length, 1);
  t.is(node.batches[0].bytes.length, 25);
  t.true(Math.abs(node.batches[0].time - (replyEnd + 4 * ch)) <= 1, `${node.batches[0].time} vs ${replyEnd + 4 * ch}`);
});

test("ESP32 RX FIFO: a 255-byte reply arrives in batches at the full threshold (120) and the timeout", (t) => {
  const { sim, node } = site("esp32", 125);
  traceOnFailure(t, sim);
  sim.runUntil(500000);
  t.deepEqual(node.batches.map((b) => b.bytes.length), [120, 120, 15]);
  t.is(node.rx[2], 250);
});

test("ideal UART: one byte per hand-over, at its stop bit", (t) => {
  const { sim, node } = site("ideal", 10);
  sim.runUntil(200000);
  t.is(node.batches.length, 25);
  t.true(node.batches.every((b) => b.bytes.length === 1));
});

test("ESP32 RX FIFO overflow: a host that reads late loses the bytes beyond 128, counted and traced", (t) => {
  const { sim, host, node, bus } = site({ kind: "esp32", latencyUs: 200 * 1042 }, 125);
  traceOnFailure(t, sim);
  sim.runUntil(1000000);
  const u = host.port(0).uart.counters;
  t.is(u.rxOverflow, 255 - 128);
  t.is(node.rx.length, 128);
  t.is(bus.counters.collisions, 0);
  t.true(sim.trace.lines().some((l) => /master .*! RX FIFO overflow/.test(l)));
});

test("ESP32 TX FIFO refuses a write that does not fit, and takes one that does", (t) => {
  const sim = new Simulation();
  const bus = sim.segment({ baud: 9600 });
  const host = sim.host({ ports: [{ segment: bus, uart: "esp32" }] });
  const uart = host.port(0).uart;
  t.is(uart.writable, 128);
  t.false(uart.write(new Uint8Array(129), 0, 129));
  t.is(uart.counters.txRefused, 1);
  t.is(uart.writable, 128);
  t.true(uart.write(new Uint8Array(100), 0, 100));
  // One byte went straight into the shift register.
  t.is(uart.txQueued, 99);
  t.false(uart.write(new Uint8Array(30), 0, 30));
  t.true(uart.write(new Uint8Array(29), 0, 29));
});

test("a 256-byte frame through the ESP32 TX FIFO is written in pieces and leaves the wire back to back", (t) => {
  const sim = new Simulation({ seed: 32 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 19200 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 1000 });
  const frame = new Uint8Array(256);
  for (let i = 0; i < 254; i++) frame[i] = i;
  appendCrc(frame, 0, 254);
  const node = new ScriptedNode(host.port(0)).send(1000, frame);
  host.attach(node);
  const h2 = sim.host({ name: "ear", ports: [{ segment: bus }] });
  const ear = new ScriptedNode(h2.port(0));
  h2.attach(ear);
  sim.runUntil(400000);
  t.deepEqual(ear.rx, frame);
  const per = (11 - 1) * 1e6; // 8N1: 10 bits
  t.deepEqual(ear.batches.map((b) => b.time), Array.from({ length: 256 }, (_, k) => 1000 + Math.ceil(((k + 1) * per) / 19200)));
  const u = host.port(0).uart.counters;
  t.true(u.txWritable >= 1, `onWritable ${u.txWritable} times`);
  t.is(u.txRefused, 0);
  t.is(bus.counters.truncated, 0);
  t.true(node.transmittedAt[0] >= 1000 + bus.timing.airTimeUs(256));
  t.regex(sim.trace.lines()[0], /master .*256B .*\| CRC ok$/);
});

test("a host slow to refill the TX FIFO leaves a gap inside the frame: the sniffer marks it and a strict slave ignores the frame", (t) => {
  // onWritable fires when 9 bytes (4.7 ms at 19200) are left; this host needs 6 ms to refill: a 1.3 ms gap, over t1.5 (782 µs), under t3.5.
  const sim = new Simulation({ seed: 33 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 19200 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart: { kind: "esp32", latencyUs: 6000 } }] });
  const frame = new Uint8Array(9 + 2 * 100);
  frame.set([1, 16, 0, 0, 0, 100, 200]);
  appendCrc(frame, 0, 7 + 200);
  host.attach(new ScriptedNode(host.port(0)).send(1000, frame));
  const meter = sim.meter(bus, { unit: 1, holding: Array.from({ length: 100 }, () => 0) });
  sim.runUntil(400000);
  t.regex(sim.trace.lines()[0], /master .*209B .*gap>t1\.5/);
  t.is(meter.counters.ignoredGap, 1);
  t.is(meter.counters.replies, 0);
});

test("local echo: a port configured with echo hears its own frame", (t) => {
  const sim = new Simulation();
  const bus = sim.segment({ baud: 9600 });
  const host = sim.host({ name: "master", ports: [{ segment: bus, echo: true }] });
  const node = new ScriptedNode(host.port(0)).send(1000, [1, 2, 3]);
  host.attach(node);
  sim.runUntil(50000);
  t.deepEqual(Array.from(node.rx), [1, 2, 3]);
});

test("an engine with two ports on two segments (a repeater's shape)", (t) => {
  const sim = new Simulation();
  const a = sim.segment({ name: "left", baud: 9600 });
  const b = sim.segment({ name: "right", baud: 19200 });
  const host = sim.host({ name: "rep", ports: [{ segment: a }, { segment: b }] });
  const got: string[] = [];
  const forward = (from: number) => ({
    received(buf: Uint8Array, off: number, len: number) {
      got.push(`${from}:${buf[off]}`);
      host.port(1 - from).transmit(buf.slice(off, off + len), 0, len);
    },
    transmitted() {},
  });
  host.attach(null, [forward(0), forward(1)]);
  const hl = sim.host({ name: "l", ports: [{ segment: a }] });
  hl.attach(new ScriptedNode(hl.port(0)).send(1000, [42]));
  const hr = sim.host({ name: "r", ports: [{ segment: b }] });
  const right = new ScriptedNode(hr.port(0));
  hr.attach(right);
  sim.runUntil(20000);
  t.deepEqual(got, ["0:42"]);
  t.deepEqual(Array.from(right.rx), [42]);
  t.throws(() => host.attach(null, [forward(0)]), { instanceOf: TypeError });
});

test("hardware DE (RS-485 mode on RTS): DE rises with the first start bit and falls at the last stop bit, transmitted() then, whatever the tick", (t) => {
  for (const tick of [0, 1000]) {
    const sim = new Simulation({ seed: 31 });
    const bus = sim.segment({ baud: 19200, framing: "8E1" });
    const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32", hardwareDe: true }], tick });
    const node = new ScriptedNode(host.port(0)).send(1000, readRequest(1, 0, 2));
    host.attach(node);
    sim.meter(bus, { unit: 1, holding: [7, 8] });
    traceOnFailure(t, sim);
    sim.runUntil(100000);
    const link = host.ports[0].uart.link;
    t.is(link.lastRise, 1000);
    t.is(link.lastFall, 1000 + bus.timing.airTimeUs(8), `tick ${tick}`);
    t.deepEqual(node.transmittedAt, [link.lastFall]);
    t.is(node.batches.length, 1, "the reply came back");
    t.is(bus.counters.truncated + bus.counters.collisions, 0);
  }
});

test("receive errors reach the UART's client as they happen, ahead of the hand-over of the damaged byte", (t) => {
  const sim = new Simulation({ seed: 31 });
  const bus = sim.segment({ baud: 9600, framing: "8E1" });
  const host = sim.host({ name: "master", ports: [{ segment: bus, uart: "esp32" }], tick: 1000 });
  const node = new ScriptedNode(host.port(0)).send(1000, readRequest(1, 0, 10));
  host.attach(node);
  sim.meter(bus, { unit: 1, holding: Array.from({ length: 10 }, (_, i) => i) });
  let n = 0;
  const corrupt = bus.noise.corrupt.bind(bus.noise);
  bus.noise.corrupt = (v: number, s: number, e: number) => (++n === 12 ? corrupt(v, s, e) ^ 0x200 : corrupt(v, s, e)); // parity bit of the reply's 4th
  const uart = host.ports[0].uart;
  const errors: number[] = [];
  const client = uart.client!;
  uart.client = { ...client, uartReadable: (now) => client.uartReadable(now), uartWritable: (now) => client.uartWritable(now), uartLineError: (flags, now) => { errors.push(flags, now); } };
  sim.runUntil(200000);
  t.is(errors.length, 2);
  t.is(errors[0], 2 /* RX_PARITY */);
  t.is(uart.counters.rxParityErrors, 1);
  t.true(errors[1] < node.batches[0].time, "reported before the hand-over");
  t.is(node.batches[0].bytes.length, 25, "the damaged byte is delivered, not dropped");
});
