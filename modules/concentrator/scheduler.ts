/*
 * The poll scheduler: which planned read goes on the bus next, and when. Sans-I/O: the caller asks next(now) for a read to
 * send, reports its outcome with complete(read, outcome, now), and asks nextDeadline() when to ask again.
 *
 * Theory of operation.
 *  - Cadence. Each meter polls every `intervalUs` on a fixed grid: deadline(k) = phase + k × interval. A cycle (all the
 *    meter's planned reads, in plan order) is due at its deadline; when it ends, the next deadline is the previous deadline
 *    plus the interval (never "now plus the interval"), so lateness never accumulates into drift. A cycle that could not
 *    start before its successor was due is skipped and counted, not run twice in a row (no bunching).
 *  - Choice. Among meters whose cycle is due or under way, and whose spacing rules allow a request now, the lowest
 *    `priority` number goes first, then the earliest deadline, then plan order. Requests are not preempted.
 *  - Spacing (what users of Modbus masters keep asking for): at least interRequestDelayUs after any reply, at least
 *    interUnitDelayUs before talking to a different unit than the last one, and the meter's own minDelayMs (profile) since
 *    its previous request. The RTU layer adds t3.5 itself (Modbus over Serial Line V1.02 §2.5.1.1).
 *  - Faults. Outcomes are OUTCOME_* codes counted per meter. A silent meter (timeout) ends its cycle at once (its other
 *    reads would time out too); other faults (CRC, exception, malformed reply) let the cycle go on.
 *  - Offline and backoff. After `offlineAfter` consecutive timeouts a meter is offline: instead of polling on its grid it
 *    is probed with its first read alone, after a delay that doubles from the interval up to maxBackoffUs and is never
 *    less than probeCost / maxDeadShare, so a dead meter costs at most maxDeadShare (default 5%) of bus time once backed
 *    off. probeCost = (1 + retries) × (request air time + timeout + t3.5). A probe that answers brings the meter back
 *    online and its cycle continues; its grid is resumed at the next grid point, so the cadence keeps its phase.
 *  - Health per meter: state, last good reply time, consecutive failures, counters by fault kind, cycles done/skipped.
 *
 * Fixed memory: typed arrays sized from the plan at construction; next()/complete()/nextDeadline() allocate nothing.
 * Time is integer µs.
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { rebasedTime, rebaseTimes } from "../port/time-rebase";
import { NO_DEADLINE } from "../port/contract";
import { READ_REQUEST_BYTES, type Plan } from "./planner";
import { FAULT_CRC, FAULT_NONE, FAULT_TOO_LONG, FAULT_TOO_SHORT } from "../rtu/faults";

export const OUTCOME_OK = 0;
/** No reply within the timeout (after the master's retries). */
export const OUTCOME_TIMEOUT = 1;
/** Reply with a bad CRC or framing. */
export const OUTCOME_CRC = 2;
/** Modbus exception reply. */
export const OUTCOME_EXCEPTION = 3;
/** A reply from the wrong unit or function, or of the wrong length. */
export const OUTCOME_MALFORMED = 4;
export const OUTCOME_NAMES: readonly string[] = Object.freeze(["ok", "timeout", "crc", "exception", "malformed"]);
export const OUTCOME_KINDS = 5;

/**
 * The outcome for a reply the RTU layer rejected with `fault` (modules/rtu/faults.ts): damaged frames (too short, too
 * long, CRC) count as OUTCOME_CRC, well-formed frames that do not answer the request as OUTCOME_MALFORMED.
 */
export function outcomeOfFault(fault: number): number {
  if (fault === FAULT_NONE) return OUTCOME_OK;
  return fault === FAULT_CRC || fault === FAULT_TOO_SHORT || fault === FAULT_TOO_LONG ? OUTCOME_CRC : OUTCOME_MALFORMED;
}

export const STATE_UNKNOWN = 0;
export const STATE_ONLINE = 1;
export const STATE_OFFLINE = 2;
export const STATE_NAMES: readonly string[] = Object.freeze(["unknown", "online", "offline"]);

export interface MeterSchedule {
  /** Polling interval, µs (> 0). */
  readonly intervalUs: number;
  /** 0 is the most urgent; larger numbers yield (default 0). */
  readonly priority?: number;
  /** Offset of this meter's grid from start(), µs (default 0). */
  readonly phaseUs?: number;
  /** This meter's reply timeout, µs, for its probe cost (default: SchedulerOptions.timeoutUs). */
  readonly timeoutUs?: number;
}

export interface SchedulerOptions {
  /** One entry per plan meter, in plan order. */
  readonly meters: readonly MeterSchedule[];
  readonly interRequestDelayUs?: number;
  readonly interUnitDelayUs?: number;
  /** Reply timeout the master uses, µs (default 500 ms): used for the cost of a probe. */
  readonly timeoutUs?: number;
  /** Retries the master makes after a timeout (default 0): a probe costs 1 + retries attempts. */
  readonly retries?: number;
  /** Consecutive timeouts before a meter is offline (default 3). */
  readonly offlineAfter?: number;
  /** Largest share of bus time an offline meter may take (default 0.05). */
  readonly maxDeadShare?: number;
  /** Longest probe delay, µs (default 10 minutes). */
  readonly maxBackoffUs?: number;
}

export class Scheduler {
  /** The plan whose reads are scheduled (replaced by setPlan when the reads are recomputed). */
  plan: Plan;
  readonly meterCount: number;
  private readonly interval: Float64Array;
  private readonly priority: Int32Array;
  private readonly phaseOffset: Float64Array;
  private readonly minDelay: Float64Array;
  private readonly probeCost: Float64Array;
  /** The master's retries after a timeout (a probe's cost counts them). */
  private readonly retries: number;
  private readonly interRequestDelayUs: number;
  private readonly interUnitDelayUs: number;
  private readonly offlineAfter: number;
  private readonly maxDeadShare: number;
  private readonly maxBackoffUs: number;

  /** Grid origin per meter (start time + phase). */
  private readonly phase: Float64Array;
  /** Deadline of the current or next cycle (offline: time of the next probe). */
  readonly deadline: Float64Array;
  /** Next read of the cycle under way, as an offset from the meter's first read; -1 when no cycle is under way. */
  private readonly cursor: Int32Array;
  private readonly lastRequestAt: Float64Array;
  private readonly backoff: Float64Array;
  private readonly probing: Uint8Array;

  /** Health, per meter. */
  readonly state: Uint8Array;
  readonly lastGoodAt: Float64Array;
  readonly consecutiveFailures: Uint32Array;
  readonly requests: Uint32Array;
  /** faults[m × OUTCOME_KINDS + kind]; index kind 0 counts successful replies. */
  readonly faults: Uint32Array;
  readonly cyclesDone: Uint32Array;
  readonly cyclesSkipped: Uint32Array;
  readonly probes: Uint32Array;
  /** Start time of each meter's last cycle (µs) and how late it started against its deadline. */
  readonly lastCycleStart: Float64Array;
  readonly lastCycleLateness: Float64Array;

  private started = false;
  private inFlight = -1;
  private lastDoneAt = -Infinity;
  private lastUnit = -1;

  constructor(plan: Plan, options: SchedulerOptions) {
    const n = plan.meters.length;
    if (!options || !Array.isArray(options.meters) || options.meters.length !== n) throw new RangeError(`meters must list one schedule per plan meter (${n})`);
    const timeoutUs = options.timeoutUs ?? 500000;
    const retries = options.retries ?? 0;
    this.retries = retries;
    this.interRequestDelayUs = options.interRequestDelayUs ?? 0;
    this.interUnitDelayUs = options.interUnitDelayUs ?? 0;
    this.offlineAfter = options.offlineAfter ?? 3;
    this.maxDeadShare = options.maxDeadShare ?? 0.05;
    this.maxBackoffUs = options.maxBackoffUs ?? 600000000;
    if (!(timeoutUs > 0)) throw new RangeError(`timeoutUs must be > 0, got ${timeoutUs}`);
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new RangeError(`retries must be an integer from 0 to 10, got ${retries}`);
    if (!(this.interRequestDelayUs >= 0) || !(this.interUnitDelayUs >= 0)) throw new RangeError("interRequestDelayUs and interUnitDelayUs must be ≥ 0");
    if (!Number.isInteger(this.offlineAfter) || this.offlineAfter < 1) throw new RangeError(`offlineAfter must be an integer ≥ 1, got ${this.offlineAfter}`);
    if (!(this.maxDeadShare > 0 && this.maxDeadShare <= 1)) throw new RangeError(`maxDeadShare must be in (0, 1], got ${this.maxDeadShare}`);
    this.plan = plan;
    this.meterCount = n;
    // Every column is a view of one buffer (modules/common/column-arena.ts): 11 of doubles, 7 of 32-bit counters and the
    // fault counters, 2 of bytes.
    const arena = new ColumnArena(columnBytes(...new Array<number>(11).fill(8 * n), ...new Array<number>(7).fill(4 * n), 4 * n * OUTCOME_KINDS, n, n));
    this.interval = arena.f64(n);
    this.priority = arena.i32(n);
    this.phaseOffset = arena.f64(n);
    this.minDelay = arena.f64(n);
    this.probeCost = arena.f64(n);
    const line = plan.line;
    for (let m = 0; m < n; m++) {
      const s = options.meters[m];
      if (!(Number.isInteger(s.intervalUs) && s.intervalUs > 0)) throw new RangeError(`meters[${m}].intervalUs must be a positive integer, got ${s.intervalUs}`);
      const pr = s.priority ?? 0;
      if (!Number.isInteger(pr) || pr < 0 || pr > 1000) throw new RangeError(`meters[${m}].priority must be an integer from 0 to 1000, got ${pr}`);
      const ph = s.phaseUs ?? 0;
      if (!(ph >= 0)) throw new RangeError(`meters[${m}].phaseUs must be ≥ 0, got ${ph}`);
      if (plan.meters[m].readCount === 0) throw new RangeError(`meters[${m}] ${plan.meters[m].name} has no reads`);
      this.interval[m] = s.intervalUs;
      this.priority[m] = pr;
      this.phaseOffset[m] = ph;
      this.minDelay[m] = Math.round(plan.meters[m].profile.limits.minDelayMs * 1000);
      const mt = s.timeoutUs ?? timeoutUs;
      if (!(mt > 0)) throw new RangeError(`meters[${m}].timeoutUs must be > 0, got ${mt}`);
      this.probeCost[m] = (1 + retries) * (line.airTimeUs(READ_REQUEST_BYTES) + mt + line.t35Us);
    }
    this.phase = arena.f64(n);
    this.deadline = arena.f64(n);
    this.cursor = arena.i32(n).fill(-1);
    this.lastRequestAt = arena.f64(n).fill(-Infinity);
    this.backoff = arena.f64(n);
    this.probing = arena.u8(n);
    this.state = arena.u8(n);
    this.lastGoodAt = arena.f64(n).fill(-1);
    this.consecutiveFailures = arena.u32(n);
    this.requests = arena.u32(n);
    this.faults = arena.u32(n * OUTCOME_KINDS);
    this.cyclesDone = arena.u32(n);
    this.cyclesSkipped = arena.u32(n);
    this.probes = arena.u32(n);
    this.lastCycleStart = arena.f64(n).fill(-1);
    this.lastCycleLateness = arena.f64(n);
  }

  /** Starts every meter's grid at `now` + its phase. */
  start(now: number): void {
    for (let m = 0; m < this.meterCount; m++) {
      this.phase[m] = now + this.phaseOffset[m];
      this.deadline[m] = this.phase[m];
      this.cursor[m] = -1;
    }
    this.started = true;
  }

  /** Lowers every time the scheduler holds by `deltaUs` (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.phase, deltaUs);
    rebaseTimes(this.deadline, deltaUs);
    rebaseTimes(this.lastRequestAt, deltaUs);
    rebaseTimes(this.lastGoodAt, deltaUs);
    rebaseTimes(this.lastCycleStart, deltaUs);
    this.lastDoneAt = rebasedTime(this.lastDoneAt, deltaUs);
  }

  /**
   * Schedules the reads of `plan` from now on: a plan of the same meters with other reads (the caps learned while
   * polling: modules/commissioning/learned-limits.ts). Only between reads (none in flight). A meter in the middle of a cycle starts
   * it again with the new reads, so every cycle delivers values from one plan's reads; grids, states and counters stay.
   */
  setPlan(plan: Plan): void {
    if (this.inFlight >= 0) throw new RangeError(`setPlan while read ${this.inFlight} is in flight`);
    if (plan.meters.length !== this.meterCount) throw new RangeError(`a new plan must have the same ${this.meterCount} meters, has ${plan.meters.length}`);
    for (let m = 0; m < this.meterCount; m++) {
      if (plan.meters[m].unit !== this.plan.meterUnit[m]) throw new RangeError(`a new plan must have the same meters in the same order (meter ${m} differs)`);
      if (plan.meters[m].readCount === 0) throw new RangeError(`meters[${m}] ${plan.meters[m].name} has no reads`);
    }
    this.plan = plan;
    for (let m = 0; m < this.meterCount; m++) this.cursor[m] = -1;
  }

  /**
   * Meter m's probes wait `timeoutUs` for a reply from now on (the master's timeout changed with learned timing,
   * modules/commissioning/learned-apply.ts): its probe cost, and so its dead-share floor, follows.
   */
  setProbeTimeout(m: number, timeoutUs: number): void {
    if (!(timeoutUs > 0)) throw new RangeError(`timeoutUs must be > 0, got ${timeoutUs}`);
    const line = this.plan.line;
    this.probeCost[m] = (1 + this.retries) * (line.airTimeUs(READ_REQUEST_BYTES) + timeoutUs + line.t35Us);
  }

  /** Cost of one failed probe of meter m, µs (for the dead-share bound). */
  probeCostUs(m: number): number {
    return this.probeCost[m];
  }

  /** The read in flight, or -1. */
  get busy(): number {
    return this.inFlight;
  }

  /** True when the read in flight is a probe of an offline meter (a master may skip its retries). */
  get probingNow(): boolean {
    return this.inFlight >= 0 && this.probing[this.plan.readMeter[this.inFlight]] === 1;
  }

  /** Earliest time meter m may be sent a request (ignoring whether it is due). */
  private spacingReady(m: number): number {
    const unit = this.plan.meterUnit[m];
    const gap = unit === this.lastUnit ? this.interRequestDelayUs : Math.max(this.interRequestDelayUs, this.interUnitDelayUs);
    const a = this.lastDoneAt + gap;
    const b = this.lastRequestAt[m] + this.minDelay[m];
    return a > b ? a : b;
  }

  /** Time meter m could next send (its deadline if no cycle is under way, and spacing). */
  private readyAt(m: number): number {
    const s = this.spacingReady(m);
    if (this.cursor[m] >= 0) return s;
    const d = this.deadline[m];
    return d > s ? d : s;
  }

  /** The read to send now (and marks it in flight), or -1 when nothing may be sent yet. */
  next(now: number): number {
    if (!this.started) throw new RangeError("call start(now) before next()");
    if (this.inFlight >= 0) return -1;
    let best = -1;
    for (let m = 0; m < this.meterCount; m++) {
      if (this.readyAt(m) > now) continue;
      if (best < 0) { best = m; continue; }
      const pm = this.priority[m];
      const pb = this.priority[best];
      if (pm < pb || (pm === pb && this.deadline[m] < this.deadline[best])) best = m;
    }
    if (best < 0) return -1;
    const m = best;
    if (this.cursor[m] < 0) {
      // A new cycle. Online: skip whole grid periods that already passed (counted, not bunched).
      if (this.state[m] !== STATE_OFFLINE) {
        const iv = this.interval[m];
        const late = now - this.deadline[m];
        if (late >= iv) {
          const k = Math.floor(late / iv);
          this.deadline[m] += k * iv;
          this.cyclesSkipped[m] += k;
        }
        this.probing[m] = 0;
      } else {
        this.probing[m] = 1;
        this.probes[m]++;
      }
      this.cursor[m] = 0;
      this.lastCycleStart[m] = now;
      this.lastCycleLateness[m] = now - this.deadline[m];
    }
    const read = this.plan.meterFirstRead[m] + this.cursor[m];
    this.inFlight = read;
    this.lastRequestAt[m] = now;
    this.requests[m]++;
    return read;
  }

  /** When next() should be called again (µs), or NO_DEADLINE while a read is in flight. */
  nextDeadline(): number {
    if (this.inFlight >= 0 || !this.started) return NO_DEADLINE;
    let t = Infinity;
    for (let m = 0; m < this.meterCount; m++) {
      const r = this.readyAt(m);
      if (r < t) t = r;
    }
    return t === Infinity ? NO_DEADLINE : t;
  }

  /** Reports the outcome (OUTCOME_*) of the read in flight, at `now`. */
  complete(read: number, outcome: number, now: number): void {
    if (read !== this.inFlight) throw new RangeError(`complete(${read}) but the read in flight is ${this.inFlight}`);
    if (!(outcome >= 0 && outcome < OUTCOME_KINDS)) throw new RangeError(`outcome must be 0..${OUTCOME_KINDS - 1}, got ${outcome}`);
    const m = this.plan.readMeter[read];
    this.inFlight = -1;
    this.lastDoneAt = now;
    this.lastUnit = this.plan.meterUnit[m];
    this.faults[m * OUTCOME_KINDS + outcome]++;
    if (outcome === OUTCOME_OK) {
      this.lastGoodAt[m] = now;
      this.consecutiveFailures[m] = 0;
      if (this.state[m] === STATE_OFFLINE) {
        // Back online: resume the grid at its next point after this cycle.
        this.state[m] = STATE_ONLINE;
        this.probing[m] = 0;
        this.backoff[m] = 0;
        const iv = this.interval[m];
        this.deadline[m] = this.phase[m] + Math.floor((now - this.phase[m]) / iv) * iv;
      }
      this.state[m] = STATE_ONLINE;
      this.advance(m);
      return;
    }
    this.consecutiveFailures[m]++;
    if (outcome !== OUTCOME_TIMEOUT) { this.advance(m); return; }
    // Silence: end the cycle.
    this.cursor[m] = -1;
    if (this.state[m] === STATE_OFFLINE || this.consecutiveFailures[m] >= this.offlineAfter) {
      this.state[m] = STATE_OFFLINE;
      const iv = this.interval[m];
      const floor = this.probeCost[m] / this.maxDeadShare;
      let delay = this.backoff[m] === 0 ? iv : this.backoff[m] * 2;
      if (delay > this.maxBackoffUs) delay = this.maxBackoffUs;
      this.backoff[m] = delay;
      if (delay < floor) delay = floor;
      this.deadline[m] = now + delay;
    } else {
      this.deadline[m] += this.interval[m];
    }
  }

  /** Moves meter m's cursor past a finished read; ends the cycle after its last read. */
  private advance(m: number): void {
    const c = this.cursor[m] + 1;
    if (c < this.plan.meterReadCount[m]) { this.cursor[m] = c; return; }
    this.cursor[m] = -1;
    this.cyclesDone[m]++;
    this.deadline[m] += this.interval[m];
  }

  /** Counter of `kind` (OUTCOME_*) for meter m. */
  faultCount(m: number, kind: number): number {
    return this.faults[m * OUTCOME_KINDS + kind];
  }
}
