// Bus efficiency of the master on the simulated site (Node only; loaded lazily by master.bench.ts so that the XS bundle
// never sees the simulator): 10 meter emulators, each read for 80 holding registers in turn, as fast as the engine goes.
// Efficiency = achieved transactions/s ÷ the theoretical maximum, where one transaction at best takes the request's air
// time + the meter's answer delay (its turnaround, never under t3.5: a slave finds the request's end by t3.5 of silence)
// + the reply's air time + the t3.5 the master must leave before its next request.
import { STATUS_KINDS, STATUS_TIMEOUT } from "../modules/master-status";
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
    "at the time modules/driver-enable.ts computes, rounded up to the host's timer tick. esp32-native: rc485's native UART " +
    "class (hosts/esp32/native) with DE on RTS, dropped by the UART at the last stop bit (the engine hears transmitted() " +
    "then, no timer), 1 KB RX / 512 B TX ring buffers and the RX timeout at t3.5 (so the reply's hand-over is also the " +
    "end of the silence the next request waits for: no timer tick on the transaction's path).");
  return rows.join("\n");
}
