// Bus efficiency of the master on the simulated site (Node only; loaded lazily by master.bench.ts so that the XS bundle
// never sees the simulator): 10 meter emulators, each read for 80 holding registers in turn, as fast as the engine goes.
// Efficiency = achieved transactions/s ÷ the theoretical maximum, where one transaction at best takes the request's air
// time + the meter's answer delay (its turnaround, never under t3.5: a slave finds the request's end by t3.5 of silence)
// + the reply's air time + the t3.5 the master must leave before its next request.
import { STATUS_KINDS, STATUS_TIMEOUT } from "../modules/master/status";
import { Site } from "../test/harness/master-site";

const METERS = 10;
const REGISTERS = 80;
const WARMUP = 50;
const MEASURED = 1500;

export interface EfficiencyRow {
  baud: number;
  uart: "ideal" | "esp32" | "esp32-native";
  tick: number;
  achieved: number;
  theoretical: number;
  ratio: number;
  faults: number;
  collisions: number;
  truncated: number;
}

/**
 * uart "esp32-native": the ESP32 with rc485's native UART class, DE on RTS released by the UART (no timer) and the RX
 * timeout at t3.5 (test/harness/master-site.ts nativeUart), so no timer tick lies on a transaction's path.
 */
export function measure(baud: number, uart: "ideal" | "esp32" | "esp32-native", tick: number, turnaroundUs = 0, seed = 1, measured = MEASURED): EfficiencyRow {
  const meters = [];
  for (let u = 1; u <= METERS; u++) meters.push({ unit: u, turnaroundUs, strictT15: uart === "ideal" });
  const site = new Site({
    baud, uart: uart === "ideal" ? "ideal" : "esp32", nativeUart: uart === "esp32-native" ? {} : undefined, tick, jitter: 0, meters, keep: false, seed,
  });
  let k = 0;
  site.onResult = () => {
    k++;
    site.master.submitRead(1 + (k % METERS), 3, 0, REGISTERS, k);
  };
  site.master.submitRead(1, 3, 0, REGISTERS, 0);
  site.runUntilResults(WARMUP, 1e12);
  const t0 = site.sim.now;
  site.runUntilResults(WARMUP + measured, 1e12);
  const seconds = (site.sim.now - t0) / 1e6;
  const line = site.segment.timing;
  const cycleUs = line.airTimeUs(8) + Math.max(line.t35Us, turnaroundUs) + line.airTimeUs(5 + 2 * REGISTERS) + line.t35Us;
  const achieved = measured / seconds;
  const theoretical = 1e6 / cycleUs;
  let faults = 0;
  for (let u = 1; u <= METERS; u++) for (let kind = STATUS_TIMEOUT; kind < STATUS_KINDS; kind++) faults += site.master.counter(u, kind);
  return {
    baud, uart, tick, achieved, theoretical, ratio: achieved / theoretical, faults,
    collisions: site.segment.counters.collisions, truncated: site.segment.counters.truncated,
  };
}

export function busEfficiency(): string {
  const rows = [
    "| baud | master UART | host timer | achieved tx/s | theoretical max tx/s | efficiency | faulted attempts | collisions | truncated |",
    "|--:|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const uart of ["esp32", "esp32-native", "ideal"] as const) {
    for (const tick of [0, 1000]) {
      for (const baud of [9600, 19200, 115200]) {
        const r = measure(baud, uart, tick);
        rows.push(`| ${baud} | ${uart} | ${tick === 0 ? "exact" : "1 ms tick"} | ${r.achieved.toFixed(2)} | ${r.theoretical.toFixed(2)} | ` +
          `${(100 * r.ratio).toFixed(1)}% | ${r.faults} | ${r.collisions} | ${r.truncated} |`);
      }
    }
  }
  rows.push("", `${METERS} meters (turnaround 0: each answers t3.5 after the request), ${REGISTERS} holding registers per read ` +
    `(8-byte request, ${5 + 2 * REGISTERS}-byte reply), ${MEASURED} transactions measured after ${WARMUP} of warm-up, simulated ` +
    "time. ESP32 UART: 128-byte FIFOs, RX handed over after 4 character times of silence or at 120 bytes; the host drops DE " +
    "at the time modules/port/driver-enable.ts computes, rounded up to the host's timer tick. esp32-native: rc485's native UART " +
    "class (hosts/esp32/native) with DE on RTS, dropped by the UART at the last stop bit (the engine hears transmitted() " +
    "then, no timer), 1 KB RX / 512 B TX ring buffers and the RX timeout at t3.5 (so the reply's hand-over is also the " +
    "end of the silence the next request waits for: no timer tick on the transaction's path).");
  return rows.join("\n");
}

/** Bus time of `reads` alternating reads to one unit (fault-free or dead), and the part spent waiting for reply windows. */
function pairRun(dead: boolean, sameFunction: boolean, reads: number): { perReadUs: number; waitPerReadUs: number; timeoutUs: number; windowUs: number } {
  const site = new Site({ baud: 19200, meters: [{ unit: 1, turnaroundUs: 5000, dead }], master: { retries: 0, turnaroundUs: 20000, offlineAfter: 0 }, keep: false });
  let k = 0;
  const submit = () => {
    const second = (k & 1) === 1;
    site.master.submitRead(1, second && !sameFunction ? 4 : 3, second ? 10 : 0, 2, k);
    k++;
  };
  site.onResult = () => {
    if (k < reads) submit();
  };
  submit();
  site.runUntilResults(reads, 1e13);
  return {
    perReadUs: site.sim.now / reads, waitPerReadUs: site.master.windowWaitUs / reads,
    timeoutUs: site.master.config.responseTimeout(1, 9), windowUs: site.master.config.replyWindow(1, 9),
  };
}

/** What the master's reply windows (docs/master.md, "Late and repeated replies") cost in bus time. */
export async function replyWindowCost(): Promise<string> {
  const { lateReplyRun } = await import("../test/harness/late-reply-run");
  const rows = [
    "| case | transactions | OK | wrong values | bus time per transaction | of which held back for reply windows | share |",
    "|---|--:|--:|--:|--:|--:|--:|",
  ];
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  for (const [name, dead, same] of [
    ["one meter, reads 3/0/2 and 3/10/2 alternating (same shape), fault-free", false, true],
    ["one meter, reads 3/0/2 and 4/10/2 alternating (different functions), fault-free", false, false],
    ["dead meter, reads 3/0/2 and 3/10/2 alternating (same shape)", true, true],
    ["dead meter, reads 3/0/2 and 4/10/2 alternating (different functions)", true, false],
  ] as const) {
    const r = pairRun(dead, same, 2000);
    rows.push(`| ${name} | 2,000 | ${dead ? 0 : "2,000"} | 0 | ${ms(r.perReadUs)} | ${ms(r.waitPerReadUs)} | ${(100 * r.waitPerReadUs / r.perReadUs).toFixed(1)}% |`);
  }
  for (const [name, uart, tick, retries, seed] of [
    ["fault run, ideal UART, exact timer, 1 retry", "ideal", 0, 1, 1],
    ["fault run, ideal UART, exact timer, no retries", "ideal", 0, 0, 2],
    ["fault run, ESP32 UART, 1 ms timer, 1 retry", "esp32", 1000, 1, 3],
    ["fault run, ESP32 UART, 1 ms timer, no retries", "esp32", 1000, 0, 4],
  ] as const) {
    const r = lateReplyRun({ transactions: 25000, seed, uart, tick, retries });
    rows.push(`| ${name} | ${r.transactions.toLocaleString("en-US")} | ${r.ok.toLocaleString("en-US")} | ${r.wrong} | ` +
      `${ms(r.busUs / r.transactions)} | ${ms(r.windowWaitUs / r.transactions)} | ${(100 * r.windowWaitUs / r.busUs).toFixed(1)}% |`);
  }
  const w = pairRun(false, true, 2);
  rows.push("", `19200 baud 8N1, master turnaround budget 20 ms: response timeout ${ms(w.timeoutUs)} and reply window ` +
    `${ms(w.windowUs)} (twice the timeout) for a 2-register read. Pair rows: a meter answering 5 ms after each request, ` +
    "or a dead one, no retries. Fault runs: test/harness/late-reply-run.ts (six meters: late, repeating, slow, late and " +
    "repeating, healthy, late and queueing; eight reads each, same-shape runs back to back), simulated time. Before the " +
    "reply windows the same four fault runs took 22.73, 18.07, 25.87 and 19.84 ms per transaction and delivered 599, " +
    "1,680, 687 and 1,299 wrong values.");
  return rows.join("\n");
}
