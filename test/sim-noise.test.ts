// Simulator noise: seeded statistics match the configured rates (within 5 standard deviations), and noise never makes a
// meter answer.
import test from "ava";
import { ScriptedNode, Simulation, type NoiseOptions } from "../hosts/sim/index";
import { traceOnFailure } from "./harness/sim";

function talk(seed: number, noise: NoiseOptions, frames: number, frameLength: number, framing: "8N1" | "8E1" = "8N1") {
  const sim = new Simulation({ seed });
  const bus = sim.segment({ baud: 115200, framing, noise });
  const a = sim.host({ name: "talker", ports: [{ segment: bus }] });
  const b = sim.host({ name: "ear", ports: [{ segment: bus }] });
  const talker = new ScriptedNode(a.port(0));
  const payload = new Uint8Array(frameLength);
  for (let i = 0; i < frameLength; i++) payload[i] = (i * 37) & 0xff;
  for (let f = 0; f < frames; f++) talker.send(1000 + f * 300000, payload);
  a.attach(talker);
  const ear = new ScriptedNode(b.port(0));
  b.attach(ear);
  sim.runUntil(1000 + frames * 300000);
  return { sim, bus, ear, sent: frames * frameLength, payload };
}

function within(t: any, actual: number, mean: number, sigma: number, what: string) {
  t.true(Math.abs(actual - mean) <= 5 * sigma, `${what}: ${actual}, expected ${mean.toFixed(1)} ± ${(5 * sigma).toFixed(1)}`);
}

test("independent bit errors: flips, damaged characters and framing errors at the configured rate", (t) => {
  const p = 1e-3;
  const { bus, sent, ear } = talk(21, { bitErrorRate: p }, 20, 2000);
  t.is(bus.counters.characters, sent);
  const bits = sent * 10;
  within(t, bus.counters.bitErrors, bits * p, Math.sqrt(bits * p), "bit errors");
  const pc = 1 - (1 - p) ** 10;
  within(t, bus.counters.noisyCharacters, sent * pc, Math.sqrt(sent * pc), "noisy characters");
  // A stop bit read as 0: one of 10 bits, plus some re-synchronised characters after a lost start bit.
  t.true(bus.counters.framingErrors >= sent * p - 5 * Math.sqrt(sent * p), `framing errors ${bus.counters.framingErrors}`);
  t.true(bus.counters.framingErrors <= 2 * sent * p + 5 * Math.sqrt(2 * sent * p), `framing errors ${bus.counters.framingErrors}`);
  t.true(ear.rx.length >= sent - bus.counters.lost && ear.rx.length <= sent);
});

test("parity errors appear with 8E1 and noise", (t) => {
  const { bus } = talk(22, { bitErrorRate: 1e-3 }, 10, 2000, "8E1");
  // One flipped bit among data + parity (9 of 11 bits) breaks the parity.
  const expected = bus.counters.characters * 9 * 1e-3;
  t.true(bus.counters.parityErrors > expected * 0.6 && bus.counters.parityErrors < expected * 1.4, `parity errors ${bus.counters.parityErrors} vs ${expected}`);
});

test("bursts arrive at the configured rate and scramble the characters under them", (t) => {
  // 20 frames of 2000 bytes at 115200: 20 × 174 ms busy out of 6 s.
  const { bus, sim } = talk(23, { burstsPerSecond: 20, burstUs: 400 }, 20, 2000);
  const seconds = sim.now / 1e6;
  within(t, bus.counters.bursts, 20 * seconds, Math.sqrt(20 * seconds), "bursts");
  t.true(bus.counters.noisyCharacters > 0);
  t.true(bus.counters.spurious > 0, "bursts on the idle line are heard as characters");
  t.is(bus.counters.bitErrors, 0);
});

test("spurious characters on an idle line at the configured rate; a meter never answers them", (t) => {
  const sim = new Simulation({ seed: 24 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600, noise: { spuriousPerSecond: 50 } });
  const meter = sim.meter(bus, { unit: 1, holding: [1, 2, 3] });
  const h = sim.host({ name: "ear", ports: [{ segment: bus }] });
  const ear = new ScriptedNode(h.port(0));
  h.attach(ear);
  sim.runUntil(10_000_000);
  within(t, bus.counters.spurious, 500, Math.sqrt(500), "spurious characters");
  t.is(ear.rx.length, bus.counters.spurious);
  t.true(meter.counters.frames > 100);
  t.is(meter.counters.replies, 0);
  t.regex(sim.trace.lines()[0], /~noise .*\| short.*spurious/);
});

test("heavy noise and bursts: the meter answers only requests that arrive intact", (t) => {
  const sim = new Simulation({ seed: 25, traceCapacity: 2000 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ baud: 9600, noise: { bitErrorRate: 5e-3, burstsPerSecond: 10, spuriousPerSecond: 20 } });
  const meter = sim.meter(bus, { unit: 7, holding: [1, 2] });
  const h = sim.host({ name: "master", ports: [{ segment: bus }] });
  const node = new ScriptedNode(h.port(0));
  const req = [0x07, 0x03, 0x00, 0x00, 0x00, 0x02, 0xc4, 0x6d];
  for (let i = 0; i < 200; i++) node.send(10000 + i * 50000, req);
  h.attach(node);
  sim.runUntil(10_100_000);
  // Every reply on the line follows a request that was intact on the line (a noise character just before a request joins
  // the slave's frame, so some intact requests go unanswered, as on a real bus).
  const lines = sim.trace.lines();
  t.true(sim.trace.written <= sim.trace.capacity, "the whole run is in the trace");
  let lastMaster = "";
  let replies = 0;
  for (const l of lines) {
    if (/ master /.test(l)) lastMaster = l;
    if (/ unit7 /.test(l)) {
      replies++;
      t.regex(lastMaster, /07 03 00 00 00 02 C4 6D \| CRC ok/);
    }
  }
  const intact = lines.filter((l) => / master .*07 03 00 00 00 02 C4 6D \| CRC ok/.test(l)).length;
  t.is(meter.counters.replies, replies);
  t.true(replies > 0.7 * intact && intact > 100 && intact < 200, `intact requests ${intact}, replies ${replies}`);
  t.true(meter.counters.ignoredCrc + meter.counters.ignoredGap + meter.counters.ignoredShort + meter.counters.ignoredOtherUnit > 0);
});

test("bad noise settings are RangeErrors naming the field", (t) => {
  const sim = new Simulation();
  t.throws(() => sim.segment({ baud: 9600, noise: { bitErrorRate: 1.5 } }), { instanceOf: RangeError, message: /bitErrorRate/ });
  t.throws(() => sim.segment({ baud: 9600, noise: { burstUs: 0 } }), { instanceOf: RangeError, message: /burstUs/ });
});

test("Gilbert–Elliott bursts: exponential bad periods, arrivals only while the line is good, bits under a burst flipped at the configured rate", (t) => {
  // 115200 baud: a bit is 8.7 µs, a character 87 µs; bad periods of 100 µs on average hit one or two characters.
  const lambda = 40, meanUs = 100;
  const { bus, sim } = talk(25, { burstsPerSecond: lambda, burstUs: meanUs, burstShape: "exponential", burstBitErrorRate: 1 }, 20, 2000);
  const seconds = sim.now / 1e6;
  // Alternating renewal: one burst per (1/λ + mean burst) on average.
  const expected = seconds / (1 / lambda + meanUs / 1e6);
  within(t, bus.counters.bursts, expected, Math.sqrt(expected), "bursts");
  t.is(bus.counters.bitErrors, 0);
  // h = 1: every character whose bits are sampled inside a burst is hit; about (mean + a character) / character per burst
  // while the line is busy (20 × 174 ms of 6 s).
  const busy = (20 * 2000 * 86.8) / (sim.now);
  const perBurst = bus.counters.noisyCharacters / (bus.counters.bursts * busy);
  t.true(perBurst > 1 && perBurst < 2.6, `characters hit per burst ${perBurst.toFixed(2)}`);
  t.throws(() => new Simulation({ seed: 1 }).segment({ baud: 115200, noise: { burstShape: "square" as "fixed" } }), { instanceOf: RangeError });
  t.throws(() => new Simulation({ seed: 1 }).segment({ baud: 115200, noise: { burstBitErrorRate: 0 } }), { instanceOf: RangeError });
});
