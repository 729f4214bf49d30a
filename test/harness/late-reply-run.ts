/*
 * The late-reply fault run: meters that answer late, twice, or slowly (one of them queueing the requests it gets meanwhile), each polled with several reads of the same shape
 * (same function and register count, different addresses) back to back, the arrangement in which a reply to one read can
 * pass for the reply to the next. Every OK result is checked against the register values the meter holds at the address
 * the read asked for: a result carrying any other value is a wrong value.
 *
 * Every meter answer (first copy, late copy, repeated copy) begins within the master's reply window of the request it
 * answers (docs/master.md, "Late and repeated replies"): that is the meter behaviour the master's guarantee assumes.
 * Portable (simulator and engines only, no Node APIs): the same run goes on Node (long) and on XS (short).
 */
import { STATUS_EXCEPTION, STATUS_OK, COUNT_LATE } from "../../modules/master/status";
import type { MeterOptions } from "../../hosts/sim/meter";
import { Site } from "./master-site";

export interface LateRunOptions {
  transactions: number;
  seed: number;
  baud?: number;
  uart?: "ideal" | "esp32";
  /** Master host timer tick (µs), 0 = exact. */
  tick?: number;
  /** Master retries (0 makes every late reply land in the next read's window). */
  retries?: number;
  /**
   * A learned reply-latency budget (µs) written into the master for every unit (MasterConfig.learnTiming, as
   * modules/commissioning/learned-apply.ts does while running); the faults stay placed by the configured timeout and window.
   */
  learnedBudgetUs?: number;
}

export interface LateRunResult {
  transactions: number;
  ok: number;
  /** OK results carrying a value that is not the meter's value for the register asked for. */
  wrong: number;
  exceptions: number;
  failed: number;
  /** Late or repeated replies the master recognised and dropped. */
  dropped: number;
  /** Answers the meters sent late, and sent twice; requests a meter kept while busy and answered later. */
  meterLate: number;
  meterDuplicates: number;
  meterQueued: number;
  /** Simulated bus time (µs). */
  busUs: number;
  /** Of which requests were held back for reply windows (Master.windowWaitUs). */
  windowWaitUs: number;
  /** The first wrong result, for a failure message. */
  firstWrong: string;
}

/** The reads each meter gets, in order: (function, address, count). Same-shape runs: 3/2 ×4, 4/2 ×2. */
export const READS: readonly (readonly [number, number, number])[] = [
  [3, 0, 2], [3, 10, 2], [3, 20, 2], [3, 30, 2], [3, 40, 4], [4, 0, 2], [4, 50, 2], [3, 60, 2],
];

/** Value a meter holds at a register (holding and input alike): unique per unit and address. */
export const registerValue = (unit: number, address: number): number => (unit * 1000 + address * 7 + 1) & 0xffff;

export function lateReplyRun(o: LateRunOptions): LateRunResult {
  const baud = o.baud ?? 19200;
  const turnaround = 20000;
  const master = { retries: o.retries ?? 1, turnaroundUs: turnaround, offlineAfter: 0 };
  // Probe the master's timing for this line to place the faults: T = the response timeout of the shortest read.
  const probe = new Site({ baud, uart: o.uart, meters: [], master, keep: false });
  const timeout = probe.master.config.responseTimeout(1, 9);
  const window = 2 * timeout; // the master's default reply window (docs/master.md)
  const air = probe.segment.timing.airTimeUs(13);
  const t35 = probe.segment.timing.t35Us;
  const latest = window - air - 2 * t35; // the latest an answer may begin (within the window, with margin)
  const meterFor = (unit: number, faults: Partial<MeterOptions>): MeterOptions => {
    const regs: number[] = [];
    for (let a = 0; a < 100; a++) regs.push(registerValue(unit, a));
    return { unit, holding: regs, input: regs, frameEnd: "length", strictT15: false, ...faults };
  };
  const meters: MeterOptions[] = [
    // late: some answers come after the timeout, anywhere up to the end of the window
    meterFor(1, { turnaroundUs: [t35, 6000], lateProbability: 0.2, lateUs: [timeout - t35, latest - 6000] }),
    // duplicate: some answers are sent twice, the copy anywhere up to the end of the window
    meterFor(2, { turnaroundUs: [t35, 6000], duplicateProbability: 0.3, duplicateGapUs: [t35, latest - 6000 - air] }),
    // slow: the turnaround straddles the timeout
    meterFor(3, { turnaroundUs: [timeout >> 1, latest] }),
    // late and duplicate together
    meterFor(4, {
      turnaroundUs: [t35, 4000], lateProbability: 0.1, lateUs: [timeout - t35, timeout],
      duplicateProbability: 0.2, duplicateGapUs: [t35, Math.max(t35, latest - timeout - 4000 - air)],
    }),
    // healthy
    meterFor(5, { turnaroundUs: [t35, 3000] }),
    // late, and keeps the requests that arrive meanwhile, answering them in turn (so its lateness carries over)
    meterFor(6, { turnaroundUs: [t35, 6000], lateProbability: 0.2, lateUs: [timeout - t35, latest - 6000], queueRequests: true }),
  ];
  const learning = o.learnedBudgetUs !== undefined;
  const site = new Site({ baud, uart: o.uart, tick: o.tick ?? 0, seed: o.seed, meters, master: learning ? { ...master, units: meters.map((m) => ({ unit: m.unit })) } : master, keep: false });
  if (learning) for (const m of meters) site.master.config.learnTiming(m.unit, o.learnedBudgetUs!, 0);
  const units = meters.length;
  const plan = units * READS.length;
  let wrong = 0;
  let ok = 0;
  let exceptions = 0;
  let failed = 0;
  let firstWrong = "";
  let next = 0;
  const submitNext = (): void => {
    const k = next % plan;
    const [fc, address, count] = READS[k % READS.length];
    site.master.submitRead(1 + Math.floor(k / READS.length), fc, address, count, next);
    next++;
  };
  site.onResult = (r) => {
    if (r.status === STATUS_OK) {
      ok++;
      const [, address] = READS[(r.tag % plan) % READS.length];
      let bad = r.registerCount === 0;
      for (let i = 0; i < r.registerCount; i++) if (r.registers[i] !== registerValue(r.unit, address + i)) bad = true;
      if (bad) {
        if (wrong === 0) {
          const got: number[] = [];
          for (let i = 0; i < r.registerCount; i++) got.push(r.registers[i]);
          firstWrong = `unit ${r.unit} fc ${r.functionCode} address ${address}: got [${got.join(", ")}], meter holds ` +
            `[${registerValue(r.unit, address)}, ${registerValue(r.unit, address + 1)}, …] at ${r.completedAt} µs`;
        }
        wrong++;
      }
    } else if (r.status === STATUS_EXCEPTION) exceptions++;
    else failed++;
    if (next < o.transactions) submitNext();
  };
  submitNext();
  submitNext();
  site.sim.poke();
  site.runUntilResults(o.transactions, 1e15);
  let dropped = 0;
  let meterLate = 0;
  let meterDuplicates = 0;
  let meterQueued = 0;
  for (const m of site.meters) {
    dropped += site.master.counter(m.unit, COUNT_LATE);
    meterLate += m.counters.lateReplies;
    meterDuplicates += m.counters.duplicates;
    meterQueued += m.counters.queued;
  }
  return { transactions: site.count, ok, wrong, exceptions, failed, dropped, meterLate, meterDuplicates, meterQueued, busUs: site.sim.now, windowWaitUs: site.master.windowWaitUs, firstWrong };
}
