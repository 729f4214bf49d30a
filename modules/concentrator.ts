/*
 * The concentrator: a checked site (modules/site.ts) polled on one RS-485 port. Glue only; the engines do the work:
 * planner (block reads, modules/planner.ts) → scheduler (cadence, spacing, offline backoff, modules/scheduler.ts) →
 * master (RTU transactions, modules/master.ts) → decoding and the sanity filter for running totals
 * (modules/plan-readings.ts, modules/sanity.ts) → the listener (the host's readings store and forwarders).
 *
 * Theory of operation. The concentrator is itself a sans-I/O engine (modules/port.ts): the host hands it the port's bytes,
 * the DE drop and service(now) at nextDeadline(). Whenever the master's queue is empty it asks the scheduler for the read
 * that is due and submits it (at most one in flight, so the scheduler's spacing rules hold); the master adds t3.5 (Modbus
 * over Serial Line V1.02 §2.5.1.1), retries, timeouts and frame-end detection. Each completed read is decoded straight
 * out of the master's receive buffer and its outcome goes back to the scheduler. When a meter's cycle ends (its last read
 * completed, or a timeout ended it early) with at least one good read, the listener gets one reading: the meter's values
 * in site point order (NaN: not read, not available, or a total the sanity filter withheld). Every failed transaction is
 * reported as a failure with its kind.
 *
 * Fixed memory: buffers and tables are built in the constructor; the byte path and completions allocate nothing.
 */
import { Master, type MasterListener } from "./master";
import type { MasterResult } from "./master-result";
import { COUNT_SENT, STATUS_KINDS } from "./master-status";
import type { Plan } from "./planner";
import { Readings, STATUS_OK as VALUE_OK, STATUS_WITHHELD } from "./plan-readings";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "./port";
import { Scheduler } from "./scheduler";
import { planForSite, replyTimeoutUs, schedulerOptionsFor, type Site } from "./site";
import { LineTiming } from "./rtu/timing";

/** Fault kinds reported to the listener (same order as the readings store's FAULT_KINDS). */
export const FAILURE_TIMEOUT = 0;
export const FAILURE_CRC = 1;
export const FAILURE_EXCEPTION = 2;
export const FAILURE_FRAMING = 3;
export const FAILURE_OTHER = 5;

// Master status → scheduler outcome and listener failure kind (ok, exception, timeout, crc, wrong-unit, wrong-function,
// truncated, overrun, length).
const OUTCOME_OF_STATUS = Uint8Array.of(0, 3, 1, 2, 4, 4, 2, 2, 4);
const FAILURE_OF_STATUS = Uint8Array.of(0, FAILURE_EXCEPTION, FAILURE_TIMEOUT, FAILURE_CRC, FAILURE_OTHER, FAILURE_OTHER, FAILURE_FRAMING, FAILURE_FRAMING, FAILURE_OTHER);

export interface ConcentratorListener {
  /** Meter `meter`'s cycle ended with good data: `values` (owned by the concentrator, read before returning) in site point order. */
  reading(meter: number, values: Float64Array, timeUs: number): void;
  /** A transaction with `meter` failed after the master's retries; `kind` is FAILURE_*. */
  failure(meter: number, kind: number, timeUs: number): void;
  /** Optional: every completed transaction (the master's reused result; `read` is the plan read), e.g. for bus statistics. */
  transaction?(result: MasterResult, read: number): void;
}

export interface ConcentratorOptions {
  /** The host hands bytes over after this much silence / at this many bytes (ESP32: 4 characters, 120); Node and ideal: 0. */
  readonly rxIdleDelayUs?: number;
  readonly rxBatchBytes?: number;
  /** The transceiver hears our own requests. */
  readonly echo?: boolean;
  /** Extra response time per unit (e.g. an R/C repeater pair's budget, modules/repeater-config.ts), µs. */
  readonly extraTimeoutUs?: Readonly<Record<number, number>>;
  /** Decoded-reading options: confirmations needed by the totals' sanity filter (default 3). */
  readonly sanityConfirmations?: number;
}

export class Concentrator implements Timed, PortListener, MasterListener {
  readonly site: Site;
  readonly plan: Plan;
  readonly scheduler: Scheduler;
  readonly master: Master;
  readonly readings: Readings;
  readonly line: LineTiming;
  /** Per meter: the values handed to the listener, site point order. */
  readonly values: readonly Float64Array[];
  /** Per plan value: its slot in its meter's `values`, or -1. */
  private readonly slot: Int32Array;
  private readonly cycleGood: Uint8Array;
  /** Totals withheld by the sanity filter, per meter. */
  readonly withheld: Uint32Array;
  /** Transactions completed, and those that went out and came back OK at the first attempt. */
  transactions = 0;
  /** When the last read handed to the master became due by the schedule (µs; at most the time it was handed over). */
  lastDueAt = -1;
  private readonly listener: ConcentratorListener;
  private started = false;

  constructor(site: Site, port: Rs485Port, listener: ConcentratorListener, options: ConcentratorOptions = {}) {
    this.site = site;
    this.listener = listener;
    this.line = new LineTiming(site.bus.baud, site.bus.framing);
    const plan = planForSite(site);
    this.plan = plan;
    this.scheduler = new Scheduler(plan, schedulerOptionsFor(site, plan));
    this.readings = new Readings(plan, options.sanityConfirmations !== undefined ? { confirmations: options.sanityConfirmations } : {});
    const extra = options.extraTimeoutUs ?? {};
    this.master = new Master({
      baud: site.bus.baud,
      framing: site.bus.framing,
      retries: site.bus.retries,
      echo: options.echo === true,
      rxIdleDelayUs: options.rxIdleDelayUs ?? 0,
      rxBatchBytes: options.rxBatchBytes ?? 0,
      queueCapacity: 2,
      units: site.meters.map((m, i) => ({ unit: m.unit, responseTimeoutUs: replyTimeoutUs(site, plan, i) + (extra[m.unit] ?? 0) })),
    }, port, this);
    this.values = site.meters.map((m) => new Float64Array(m.points.length).fill(NaN));
    this.slot = new Int32Array(plan.values.length).fill(-1);
    for (let v = 0; v < plan.values.length; v++) {
      const pv = plan.values[v];
      this.slot[v] = site.meters[pv.meter].points.indexOf(pv.point);
    }
    this.cycleGood = new Uint8Array(site.meters.length);
    this.withheld = new Uint32Array(site.meters.length);
  }

  /** Starts the schedule at `now` (every meter's grid begins here). */
  start(now: number): void {
    this.scheduler.start(now);
    this.started = true;
  }

  // ---- PortListener: straight to the master ----
  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    this.master.received(buffer, offset, length, now);
  }

  transmitted(now: number): void {
    this.master.transmitted(now);
  }

  // ---- Timed ----
  nextDeadline(): number {
    const d = this.master.nextDeadline();
    if (!this.started || this.master.pending > 0) return d;
    const s = this.scheduler.nextDeadline();
    if (d === NO_DEADLINE) return s;
    if (s === NO_DEADLINE) return d;
    return d < s ? d : s;
  }

  service(now: number): void {
    const d = this.master.nextDeadline();
    if (d !== NO_DEADLINE && d <= now) this.master.service(now);
    this.pump(now);
  }

  /** Submits the scheduler's due read when the master is free. */
  private pump(now: number): void {
    if (!this.started || this.master.pending > 0) return;
    const due = this.scheduler.nextDeadline();
    const read = this.scheduler.next(now);
    if (read < 0) return;
    const rd = this.plan.reads[read];
    this.lastDueAt = due >= 0 && due < now ? due : now;
    if (this.master.submitRead(rd.unit, rd.function, rd.start, rd.count, read) !== 0) this.scheduler.complete(read, 4, now);
  }

  // ---- MasterListener ----
  completed(r: MasterResult): void {
    const read = r.tag;
    const now = r.completedAt;
    const plan = this.plan;
    const rd = plan.reads[read];
    const m = rd.meter;
    const status = r.status < STATUS_KINDS ? r.status : 8;
    this.transactions++;
    let outcome = OUTCOME_OF_STATUS[status];
    if (status === 0) {
      // Data bytes follow unit, function and byte count (Application Protocol V1.1b3 §6.1–§6.4).
      const n = this.readings.update(read, r.frame, r.frameOffset + 3, r.frameLength - 5, now);
      if (n < 0) outcome = 4; else this.cycleGood[m] = 1;
    }
    if (outcome !== 0) this.listener.failure(m, status === 0 ? FAILURE_OTHER : FAILURE_OF_STATUS[status], now);
    this.scheduler.complete(read, outcome, now);
    if (this.listener.transaction) this.listener.transaction(r, read);
    const mp = plan.meters[m];
    const last = read === mp.firstRead + mp.readCount - 1;
    if (last || outcome === 1) this.endCycle(m, now);
    this.pump(now);
  }

  private endCycle(m: number, now: number): void {
    if (this.cycleGood[m] === 0) return;
    this.cycleGood[m] = 0;
    const mp = this.plan.meters[m];
    const out = this.values[m];
    out.fill(NaN);
    const rs = this.readings;
    const since = this.scheduler.lastCycleStart[m];
    for (let v = mp.firstValue; v < mp.firstValue + mp.valueCount; v++) {
      const s = this.slot[v];
      if (s < 0) continue;
      const st = rs.status[v];
      if (st === STATUS_WITHHELD) this.withheld[m]++;
      out[s] = st === VALUE_OK && rs.takenAt[v] >= since ? rs.values[v] : NaN;
    }
    this.listener.reading(m, out, now);
  }

  /** Request frames sent (retries included), all units. */
  get requestsSent(): number {
    let n = 0;
    for (const mt of this.site.meters) n += this.master.counter(mt.unit, COUNT_SENT);
    return n;
  }
}
