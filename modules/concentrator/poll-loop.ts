/*
 * The concentrator's polling loop: the Scheduler says which planned read is due, the Master (modules/master/engine.ts) carries it
 * out on the RTU line (gaps, timeout, retries, reply framing), and LatestValues decodes the reply into values stamped with the
 * time the reply ended. One sans-I/O engine for the host: it is the port's PortListener and the host's Timed.
 *
 * Theory of operation. Spacing between frames (t3.5, Modbus over Serial Line V1.02 §2.5.1.1; the site's inter-request
 * and inter-unit delays; each meter's minimum delay) is the master's job, measured from the last activity on the line;
 * the scheduler keeps only the cadence and the choice of meter, so its own delay options are left at 0 here
 * (loopOptionsForSite in modules/site/site.ts builds both option sets). One read is in the master's queue at a time: when it
 * completes, the next due read is submitted from inside the completion callback, so it leaves in the same gap. Master
 * statuses map to scheduler outcomes by a table (a damaged or partial frame counts as CRC, a well-formed frame that does
 * not answer the request as malformed).
 *
 * Fixed memory: everything is built in the constructor; the loop allocates nothing per transaction.
 */
import { Master, type MasterListener } from "../master/engine";
import type { MasterOptions } from "../master/config";
import type { MasterResult } from "../master/result";
import {
  STATUS_CRC, STATUS_EXCEPTION, STATUS_KINDS, STATUS_LENGTH, STATUS_OK, STATUS_OVERRUN, STATUS_TIMEOUT, STATUS_TRUNCATED,
  STATUS_WRONG_FUNCTION, STATUS_WRONG_UNIT, SUBMIT_OK,
} from "../master/status";
import type { Plan } from "./planner";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../port/contract";
import { LatestValues } from "./latest-values";
import { FAULT_CRC, FAULT_EXCEPTION, FAULT_FRAMING, FAULT_TIMEOUT, type ReadingsStore } from "./readings";
import type { SanityOptions } from "./sanity";
import { OUTCOME_CRC, OUTCOME_EXCEPTION, OUTCOME_MALFORMED, OUTCOME_OK, OUTCOME_TIMEOUT, Scheduler, type SchedulerOptions } from "./scheduler";

/** Scheduler outcome for each master status (rules as data). */
export const OUTCOME_OF_STATUS: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(STATUS_KINDS).fill(OUTCOME_MALFORMED);
  t[STATUS_OK] = OUTCOME_OK;
  t[STATUS_EXCEPTION] = OUTCOME_EXCEPTION;
  t[STATUS_TIMEOUT] = OUTCOME_TIMEOUT;
  t[STATUS_CRC] = OUTCOME_CRC;
  t[STATUS_TRUNCATED] = OUTCOME_CRC;
  t[STATUS_OVERRUN] = OUTCOME_CRC;
  t[STATUS_WRONG_UNIT] = OUTCOME_MALFORMED;
  t[STATUS_WRONG_FUNCTION] = OUTCOME_MALFORMED;
  t[STATUS_LENGTH] = OUTCOME_MALFORMED;
  return t;
})();

/** The forwarders' fault kind (modules/concentrator/readings.ts FAULT_*) for each scheduler outcome. */
export const STORE_FAULT_OF_OUTCOME: Readonly<Uint8Array> = Uint8Array.of(FAULT_FRAMING, FAULT_TIMEOUT, FAULT_CRC, FAULT_EXCEPTION, FAULT_FRAMING);

export interface PollLoopOptions {
  readonly scheduler: SchedulerOptions;
  readonly master: MasterOptions;
  readonly sanity?: SanityOptions;
  readonly listener?: PollLoopListener;
  /**
   * The forwarders' store (modules/concentrator/readings.ts), whose meters are the plan's meters in order with the same points
   * (meterMetaForSite in modules/site/site.ts builds them): each finished cycle is recorded, each failed read counted.
   */
  readonly store?: ReadingsStore;
  /**
   * Another user of the master between the polls (the Modbus TCP gateway, modules/gateway/engine.ts): results whose tag it owns
   * go to it, after the next due poll has been queued (so polls and guest requests alternate when both are waiting);
   * after each poll it may queue its own next request.
   */
  readonly guest?: PollLoopGuest;
}

/** What the poll loop needs of a guest of its master (Gateway has this shape). */
export interface PollLoopGuest {
  owns(tag: number): boolean;
  completed(result: MasterResult): void;
  pump(now: number): void;
}

export interface PollLoopListener {
  /**
   * After each read's values were decoded (status OK) or its fault was counted; `read` indexes plan.reads and `result` is
   * the master's (reused) result object: copy what you keep.
   */
  polled?(read: number, outcome: number, result: MasterResult): void;
}

export class PollLoop implements PortListener, Timed, MasterListener {
  /** The plan being polled (replaced by replan()). */
  plan: Plan;
  /** Plans taken by replan(). */
  replans = 0;
  /** A plan waiting for the read in flight to finish (replan()). */
  private nextPlan: Plan | null = null;
  /** Inside completed(): a replan waits until the listener has heard the read. */
  private completing = false;
  readonly scheduler: Scheduler;
  readonly master: Master;
  readonly readings: LatestValues;
  /** Submissions the master refused (a programming error: the plan's reads are always valid requests). */
  refused = 0;
  private readonly listener: PollLoopListener | null;
  private readonly guest: PollLoopGuest | null;
  private started = false;

  private readonly store: ReadingsStore | null;
  /** [epoch ms at host time 0 µs]: set by the host when it knows the wall clock (setEpoch); doubles kept unboxed. */
  private readonly epoch = new Float64Array(1);

  constructor(plan: Plan, port: Rs485Port, options: PollLoopOptions) {
    this.plan = plan;
    this.scheduler = new Scheduler(plan, options.scheduler);
    this.master = new Master(options.master, port, this);
    this.readings = new LatestValues(plan, options.sanity ?? {});
    this.listener = options.listener ?? null;
    this.guest = options.guest ?? null;
    this.store = options.store ?? null;
    if (this.store !== null) {
      const metas = this.store.meters;
      if (metas.length !== plan.meters.length) throw new RangeError(`store must have the plan's ${plan.meters.length} meters, has ${metas.length}`);
      plan.meters.forEach((m, i) => {
        if (metas[i].meta.points.length !== m.valueCount) throw new RangeError(`store meter ${metas[i].meta.name} must have ${m.valueCount} points (the plan's), has ${metas[i].meta.points.length}`);
      });
    }
  }

  /**
   * While true no new read is submitted (a bus scan has the line: modules/commissioning/scan-job.ts); the read in flight finishes and
   * the schedule catches up when polling resumes.
   */
  paused = false;

  /**
   * Polls `plan` from now on: the same meters and points with other reads (recomputed with the register caps learned
   * while polling: modules/commissioning/learned-limits.ts, modules/site/site.ts planForSite). Taken at once when no planned read is in
   * flight, else when the read in flight finishes, after its values were decoded with the plan it was made for and the
   * listener heard it (so `read` in polled() always indexes loop.plan): a reply is always decoded by its own read. A
   * meter in mid-cycle starts its cycle again.
   */
  replan(plan: Plan): void {
    this.nextPlan = plan;
    if (this.scheduler.busy < 0 && !this.completing) this.takePlan();
  }

  private takePlan(): void {
    const plan = this.nextPlan;
    if (plan === null) return;
    this.nextPlan = null;
    // Checks first (both throw on a plan of other meters or points, before anything changed).
    this.readings.setPlan(plan);
    this.scheduler.setPlan(plan);
    this.plan = plan;
    this.replans++;
  }

  /** Tells the loop the wall clock: `epochMs` (ms since 1970, UTC) is host time `nowUs`. Readings recorded later carry it. */
  setEpoch(epochMs: number, nowUs: number): void {
    this.epoch[0] = epochMs - nowUs / 1000;
  }

  /**
   * Lowers every time the loop and its engines hold (master, scheduler, latest values and sanity filter, readings store)
   * by `deltaUs`, as the host lowers its clock (modules/port/time-rebase.ts); readings keep their wall-clock times.
   */
  rebaseTime(deltaUs: number): void {
    this.master.rebaseTime(deltaUs);
    this.scheduler.rebaseTime(deltaUs);
    this.readings.rebaseTime(deltaUs);
    if (this.store !== null) this.store.rebaseTime(deltaUs);
    this.epoch[0] += deltaUs / 1000;
  }

  /** Starts every meter's polling grid at `now`; the host then rereads nextDeadline(). */
  start(now: number): void {
    this.scheduler.start(now);
    this.started = true;
    this.pump(now);
  }

  nextDeadline(): number {
    const m = this.master.nextDeadline();
    if (!this.started || this.paused || this.master.pending > 0) return m;
    const s = this.scheduler.nextDeadline();
    if (m === NO_DEADLINE) return s;
    if (s === NO_DEADLINE) return m;
    return m < s ? m : s;
  }

  service(now: number): void {
    this.master.service(now);
    this.pump(now);
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    this.master.received(buffer, offset, length, now);
  }

  transmitted(now: number): void {
    this.master.transmitted(now);
  }

  /** MasterListener: one planned read finished. */
  completed(r: MasterResult): void {
    const guest = this.guest;
    if (guest !== null && guest.owns(r.tag)) {
      this.pump(r.completedAt);
      guest.completed(r);
      return;
    }
    const read = r.tag;
    const outcome = r.status < STATUS_KINDS ? OUTCOME_OF_STATUS[r.status] : OUTCOME_MALFORMED;
    if (outcome === OUTCOME_OK) {
      // Data of an FC01–FC04 reply: after unit, function and byte count; before the CRC.
      const count = r.frame[r.frameOffset + 2];
      this.readings.update(read, r.frame, r.frameOffset + 3, count, r.completedAt);
    }
    const m = this.plan.readMeter[read];
    const cycles = this.scheduler.cyclesDone[m];
    this.scheduler.complete(read, outcome, r.completedAt);
    const store = this.store;
    if (store !== null) {
      if (outcome !== OUTCOME_OK) store.failure(m, STORE_FAULT_OF_OUTCOME[outcome], r.completedAt);
      else if (this.scheduler.cyclesDone[m] !== cycles) store.recordFrom(m, this.readings.values, this.plan.meterFirstValue[m], r.completedAt, this.epoch);
    }
    if (this.listener !== null && this.listener.polled) {
      this.completing = true;
      try { this.listener.polled(read, outcome, r); } finally { this.completing = false; }
    }
    if (this.nextPlan !== null) this.takePlan();
    this.pump(r.completedAt);
    if (guest !== null) guest.pump(r.completedAt);
  }

  /** Submits the next due read when the master's queue is empty. */
  private pump(now: number): void {
    if (!this.started || this.paused || this.master.pending > 0) return;
    const read = this.scheduler.next(now);
    if (read < 0) return;
    const plan = this.plan;
    if (this.master.submitRead(plan.readUnit[read], plan.readFunction[read], plan.readStart[read], plan.readRegisters[read], read) !== SUBMIT_OK) {
      this.refused++;
      this.scheduler.complete(read, OUTCOME_MALFORMED, now);
    }
  }
}
