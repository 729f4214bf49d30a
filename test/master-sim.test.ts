// The master engine over the simulated site (hosts/sim): every behaviour of issue 4 item 2 on a bit-timed bus with meter
// emulators, ideal and ESP32 UARTs, exact and 1 ms host timers. Deterministic (seeded); simulated time only.
import test from "ava";
import {
  COUNT_FAILED, COUNT_LATE, COUNT_RETRIES, COUNT_SENT, STATUS_CRC, STATUS_EXCEPTION, STATUS_OK, STATUS_TIMEOUT, SUBMIT_OK,
} from "../modules/master/status";
import type { MeterOptions } from "../hosts/sim/index";
import { Site, type Outcome, type SiteOptions } from "./harness/master-site";

/** Value meter `unit` holds at register `i` (see Site). */
const value = (unit: number, i: number) => (unit * 1000 + i) & 0xffff;

function valuesAreRight(o: Outcome, address: number): boolean {
  for (let i = 0; i < o.registers.length; i++) if (o.registers[i] !== value(o.unit, address + i)) return false;
  return true;
}

function meters(n: number, extra: Partial<MeterOptions> = {}): MeterOptions[] {
  const list: MeterOptions[] = [];
  for (let u = 1; u <= n; u++) list.push({ unit: u, ...extra });
  return list;
}

/** Polls units round-robin: after each result, reads `quantity(k)` registers from the next unit. Returns when `n` results are in. */
function poll(site: Site, units: number[], n: number, quantity: (k: number) => number = () => 10, limitUs = 1e12): void {
  let k = 0;
  site.onResult = () => {
    k++;
    if (k < n) site.master.submitRead(units[k % units.length], 3, 0, quantity(k), k);
  };
  site.master.submitRead(units[0], 3, 0, quantity(0), 0);
  site.runUntilResults(n, limitUs);
}

function context(site: Site): string {
  return `${JSON.stringify(site.sim.counters())}\n${site.sim.trace.dump(24)}`;
}

test("a read returns the meter's registers; the request leaves t3.5 after the previous reply", (t) => {
  const site = new Site({ baud: 19200, meters: meters(2), measureGaps: true });
  t.is(site.master.submitRead(2, 3, 5, 10, 77), SUBMIT_OK);
  t.is(site.master.submitRead(1, 4, 0, 3, 78), SUBMIT_OK);
  t.true(site.runUntilResults(2, 1e6), context(site));
  const [a, b] = site.results;
  t.is(a.status, STATUS_OK);
  t.is(a.tag, 77);
  t.true(valuesAreRight(a, 5));
  t.deepEqual(b.registers, [1000, 1001, 1002]);
  t.is(site.gaps[1], site.segment.timing.t35Us, "the second request leaves exactly t3.5 after the first reply's stop bit");
});

test("timeouts and retries: a dead meter among live ones costs its timeouts only, then goes offline", (t) => {
  const site = new Site({ baud: 19200, meters: [{ unit: 1 }, { unit: 2, dead: true }, { unit: 3 }], master: { retries: 2, offlineAfter: 2, turnaroundUs: 20000 } });
  poll(site, [1, 2, 3], 30);
  const m = site.master;
  const dead = site.results.filter((r) => r.unit === 2);
  t.is(dead.length, 10);
  t.true(dead.every((r) => r.status === STATUS_TIMEOUT));
  t.deepEqual(dead.map((r) => r.attempts), [3, 3, 1, 1, 1, 1, 1, 1, 1, 1], "two failed transactions, then no retries while offline");
  t.true(m.isOffline(2));
  t.is(m.counter(2, STATUS_TIMEOUT), 14);
  t.is(m.counter(2, COUNT_RETRIES), 4);
  t.is(m.counter(2, COUNT_FAILED), 10);
  const live = site.results.filter((r) => r.unit !== 2);
  t.true(live.every((r) => r.status === STATUS_OK && r.attempts === 1 && valuesAreRight(r, 0)), context(site));
  // The whole run: 20 good transactions + 14 timeouts, each bounded by the computed response timeout.
  const timeout = m.config.responseTimeout(2, 25);
  t.true(site.sim.now < 20 * 30000 + 14 * (timeout + 10000), `took ${site.sim.now} µs`);
});

test("a dead meter that comes back is asked with retries again", (t) => {
  const site = new Site({ baud: 115200, meters: [{ unit: 1, dead: true }], master: { retries: 1, offlineAfter: 1, turnaroundUs: 5000 } });
  poll(site, [1], 2);
  t.true(site.master.isOffline(1));
  site.meters[0].dead = false;
  site.results.length = 0;
  site.count = 0;
  poll(site, [1], 1);
  t.is(site.results[0].status, STATUS_OK);
  t.false(site.master.isOffline(1));
});

test("CRC errors under noise are detected and retried; no OK result ever carries wrong values", (t) => {
  const site = new Site({ baud: 19200, meters: meters(3), noise: { bitErrorRate: 2e-4 }, seed: 7, master: { retries: 3 } });
  poll(site, [1, 2, 3], 600, (k) => 1 + (k % 40));
  const m = site.master;
  let crc = 0;
  for (let u = 1; u <= 3; u++) crc += m.counter(u, STATUS_CRC);
  t.true(crc > 20, `CRC faults seen: ${crc}`);
  const ok = site.results.filter((r) => r.status === STATUS_OK);
  t.true(ok.length > 590, `${ok.length} OK of 600\n${context(site)}`);
  t.true(ok.every((r) => valuesAreRight(r, 0)), "every accepted reply is the meter's true data");
  t.true(site.results.some((r) => r.attempts > 1));
});

test("bursts and spurious bytes on the idle line: faults are counted, data stays right", (t) => {
  const site = new Site({ baud: 9600, uart: "esp32", tick: 1000, meters: meters(2), noise: { burstsPerSecond: 2, spuriousPerSecond: 5 }, seed: 3, master: { retries: 3 } });
  poll(site, [1, 2], 300, () => 20);
  const ok = site.results.filter((r) => r.status === STATUS_OK);
  t.true(ok.length > 290, `${ok.length} OK\n${context(site)}`);
  t.true(ok.every((r) => valuesAreRight(r, 0)));
  t.true(site.segment.counters.spurious > 0 && site.segment.counters.bursts > 0);
});

test("exceptions: device limit (03), absent registers (02), unknown function (01); not retried", (t) => {
  const site = new Site({ baud: 19200, meters: [{ unit: 4, maxRegisters: 80 }], master: { retries: 2 } });
  site.master.submitRead(4, 3, 0, 81, 1);
  site.master.submitRead(4, 3, 190, 20, 2);
  site.master.submit(4, Uint8Array.of(0x07), 0, 1, 3);
  site.master.submitRead(4, 3, 0, 80, 4);
  t.true(site.runUntilResults(4, 1e6), context(site));
  t.deepEqual(site.results.map((r) => [r.status, r.exception, r.attempts]), [[STATUS_EXCEPTION, 3, 1], [STATUS_EXCEPTION, 2, 1], [STATUS_EXCEPTION, 1, 1], [STATUS_OK, 0, 1]]);
  t.is(site.master.counter(4, STATUS_EXCEPTION), 3);
});

test("broadcast: no reply expected, every meter executes it, the turnaround delay is respected", (t) => {
  const site = new Site({ baud: 19200, meters: meters(3), measureGaps: true, master: { broadcastTurnaroundUs: 80000 } });
  site.master.submitWriteSingle(0, 6, 7, 0x1234, 1);
  site.master.submitRead(2, 3, 7, 1, 2);
  t.true(site.runUntilResults(2, 1e6));
  t.is(site.results[0].status, STATUS_OK);
  t.deepEqual(site.results[1].registers, [0x1234]);
  for (const m of site.meters) t.is(m.holding.get(7), 0x1234);
  t.true(site.gaps[1] >= 80000, `gap after the broadcast: ${site.gaps[1]} µs`);
  t.is(site.master.counter(0, COUNT_SENT), 1);
});

test("stray leading 0x00 bytes before a reply are skipped", (t) => {
  for (const uart of ["ideal", "esp32"] as const) {
    const site = new Site({ baud: 19200, uart, meters: [{ unit: 1, leadingZeros: 3 }, { unit: 2, leadingZeros: 1 }] });
    poll(site, [1, 2], 20);
    t.true(site.results.every((r) => r.status === STATUS_OK && r.attempts === 1 && valuesAreRight(r, 0)), `${uart}\n${context(site)}`);
    t.true(site.master.strayBytes >= 40);
  }
});

test("late replies are discarded and never attributed to the next transaction", (t) => {
  for (const uart of ["ideal", "esp32"] as const) {
    // Unit 1 sometimes answers late: just after the master has timed out and sent its next request, to unit 2, which
    // answers 20 ms after its request. The meters find frame ends by length, so the late frame does not spoil unit 2's
    // request, and nothing collides: the late frame reaches the master while it waits for unit 2.
    const site = new Site({
      baud: 19200, uart, seed: 5,
      meters: [{ unit: 1, turnaroundUs: 2000, lateProbability: 0.3, frameEnd: "length", strictT15: false }, { unit: 2, turnaroundUs: 20000, frameEnd: "length", strictT15: false }],
      master: { retries: 0, turnaroundUs: 40000 },
    });
    const line = site.segment.timing;
    site.meters[0].lateUs = site.master.config.responseTimeout(1, 25) + line.airTimeUs(8) + 1000;
    poll(site, [1, 2], 200, () => 10);
    const m = site.master;
    t.true(m.counter(1, COUNT_LATE) > 20, `${uart}: late replies recognised: ${m.counter(1, COUNT_LATE)}\n${context(site)}`);
    const ok = site.results.filter((r) => r.status === STATUS_OK);
    t.true(ok.every((r) => valuesAreRight(r, 0)), "no result carries another unit's data");
    t.true(site.results.filter((r) => r.unit === 2).every((r) => r.status === STATUS_OK), `${uart}: unit 2 never suffers from unit 1's late replies`);
    t.is(site.segment.counters.collisions, 0);
  }
});

test("local echo of our own request is ignored (ideal and ESP32 UART)", (t) => {
  for (const uart of ["ideal", "esp32"] as const) {
    const site = new Site({ baud: 115200, uart, echo: true, meters: meters(2) });
    poll(site, [1, 2], 50, (k) => 1 + k);
    t.true(site.results.every((r) => r.status === STATUS_OK && r.attempts === 1 && valuesAreRight(r, 0)), `${uart}\n${context(site)}`);
    t.is(site.master.echoMismatches, 0);
  }
});

test("frames longer than the ESP32's 128-byte FIFOs: 125-register reads and 123-register writes", (t) => {
  for (const baud of [9600, 115200]) {
    const site = new Site({ baud, uart: "esp32", tick: 1000, meters: meters(2) });
    const values = new Uint16Array(123);
    for (let i = 0; i < 123; i++) values[i] = 0xa000 + i;
    site.master.submitRead(1, 3, 0, 125, 1);
    site.master.submitWriteRegisters(2, 10, values, 0, 123, 2);
    site.master.submitRead(2, 4, 0, 125, 3);
    site.master.submitRead(2, 3, 10, 123, 4);
    t.true(site.runUntilResults(4, 10e6), context(site));
    t.true(site.results.every((r) => r.status === STATUS_OK && r.attempts === 1), context(site));
    t.is(site.results[0].registers.length, 125);
    t.true(valuesAreRight(site.results[0], 0));
    t.true(valuesAreRight(site.results[2], 0));
    t.deepEqual(site.results[3].registers, Array.from(values));
    const uart = site.host.port(0).uart.counters;
    t.is(uart.rxOverflow, 0);
    t.is(uart.txRefused, 0);
    t.true(uart.txWritable > 0, "the 255-byte request went out in pieces");
  }
});

for (const baud of [9600, 19200, 115200]) {
  test(`DE timing at ${baud} baud, ESP32 UART, 1 ms tick: 10,000 transactions, no truncation, no collision, no gap under t3.5`, (t) => {
    const options: SiteOptions = { baud, uart: "esp32", tick: 1000, jitter: 100, meters: meters(4), measureGaps: true, keep: false, seed: baud };
    const site = new Site(options);
    let faults = 0;
    let wrong = 0;
    site.onResult = (r) => {
      if (r.status !== STATUS_OK) faults++;
      else if (r.registers[r.registerCount - 1] !== value(r.unit, r.registerCount - 1)) wrong++;
    };
    poll(site, [1, 2, 3, 4], 10000, (k) => (k % 7 === 0 ? 125 : 1 + (k % 12)));
    t.is(site.count, 10000);
    t.is(faults, 0, context(site));
    t.is(wrong, 0);
    t.is(site.segment.counters.collisions, 0);
    t.is(site.segment.counters.truncated, 0);
    const t35 = site.segment.timing.t35Us;
    t.true(Math.min(...site.gaps) >= t35, `shortest gap ${Math.min(...site.gaps)} µs, t3.5 = ${t35} µs`);
  });
}

test("with an exact timer, the gap before each request is at most t3.5 + one character (ideal and ESP32 UART)", (t) => {
  for (const uart of ["ideal", "esp32"] as const) {
    for (const baud of [9600, 19200, 115200]) {
      const site = new Site({ baud, uart, tick: 0, meters: meters(3), measureGaps: true, keep: false });
      poll(site, [1, 2, 3], 300, (k) => 1 + ((k * 13) % 125));
      const line = site.segment.timing;
      const gaps = site.gaps.slice(1);
      const max = Math.max(...gaps);
      const min = Math.min(...gaps);
      t.true(min >= line.t35Us && max <= line.t35Us + line.characterUs, `${uart} ${baud}: gaps ${min}..${max} µs, t3.5 ${line.t35Us}, char ${line.characterUs}`);
    }
  }
});

test("a meter slower than the turnaround budget times out; a per-unit timeout fixes it", (t) => {
  const slow: MeterOptions = { unit: 9, turnaroundUs: 150000 };
  const a = new Site({ baud: 19200, meters: [slow], master: { retries: 1, turnaroundUs: 50000 } });
  a.master.submitRead(9, 3, 0, 2, 1);
  a.runUntilResults(1, 5e6);
  t.is(a.results[0].status, STATUS_TIMEOUT);
  const b = new Site({ baud: 19200, meters: [slow], master: { retries: 1, turnaroundUs: 50000, units: [{ unit: 9, responseTimeoutUs: 300000 }] } });
  b.master.submitRead(9, 3, 0, 2, 1);
  b.runUntilResults(1, 5e6);
  t.is(b.results[0].status, STATUS_OK);
});

test("the sample exchange in docs/master.md is what the simulator shows", async (t) => {
  const { readFile } = await import("node:fs/promises");
  const doc = await readFile(new URL("../docs/master.md", import.meta.url), "utf8");
  const block = doc.split("## A sample exchange")[1].split("```")[1].trim().split("\n").map((l) => l.trim());
  const site = new Site({ baud: 19200, uart: "esp32", tick: 1000, meters: [{ unit: 1, turnaroundUs: 5000 }, { unit: 2, dead: true }], master: { retries: 1, turnaroundUs: 20000 } });
  site.master.submitRead(1, 3, 0, 10, 1);
  site.master.submitRead(2, 3, 0, 2, 2);
  site.master.submitRead(1, 4, 0, 2, 3);
  t.true(site.runUntilResults(3, 1e7));
  t.deepEqual(site.sim.trace.lines().map((l) => l.trim()), block);
  t.deepEqual(site.results.map((r) => [r.unit, r.status, r.attempts, r.completedAt]), [[1, STATUS_OK, 1, 26272], [2, STATUS_TIMEOUT, 2, 97272], [1, STATUS_OK, 1, 116211]]);
});
