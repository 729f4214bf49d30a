/*
 * What polling teaches about each meter beyond its profile: the largest block read it really answers (its register cap),
 * how long it takes to answer (its reply latency, and from it a response timeout), and how much silence it needs before
 * a request (raised when it shows the symptoms of being polled too fast). The host feeds every finished poll to
 * observeResult()/observe(); when `planChanged` or `timingChanged` is set it applies them to the running loop
 * (modules/commissioning/learned-apply.ts: caps replan it, timing goes to the master per unit) and clears the flags; the learned
 * values go into the status JSON and are kept across restarts (toJSON / load: a state file on Node, a preference on the
 * ESP32). docs/profiles.md, "Learned limits".
 *
 * Theory of operation.
 *  - Caps. A block read of a meter that has answered before, refused with exception 02, 03 or 04 (MODBUS Application
 *    Protocol V1.1b3 §7: illegal address, illegal value — the quantity — or device failure), or timing out while reads
 *    of its size never succeeded, is too big for the meter. The cap is found by a binary search between the largest count
 *    that succeeded and the smallest refused: it is set halfway (never below `minCap`, the meter's widest value), the
 *    next plan splits the meter's reads under it, and when a read at the cap succeeds the cap is tried halfway higher.
 *    A count that has succeeded is never taken for a cap problem. A cap learned from
 *    silence alone (a meter that never answered) is tentative: silent even at its smallest read, the meter is taken for
 *    dead, not capped, and its plan goes back to the profile's until it answers.
 *  - Latency. Each good reply's latency (our request's end to its first byte, MasterResult.sentAt to the reply) goes into
 *    a ring of the last `samples` (a reply that came only after a retry, while no timeout is learned, counts from the
 *    attempt the master gave it to, MasterResult.answeredSentAt: a meter slower than the configured timeout answers
 *    the first attempt late; with a timeout learned, such a reply widens it as a timeout does); the unit's learned timeout (a latency budget: the master adds the reply's air time,
 *    its delivery delay and t3.5) is `factor` × the ring's maximum plus `marginUs`, within [floorUs, ceilingUs], once
 *    `minSamples` are in. A timeout of a meter in service at a read size it has answered doubles the learned value
 *    (once per applied(), up to ceilingUs) until its next good reply recomputes it from the samples: if the meter got
 *    slower than learned, the widened timeout catches its reply and the slow latency enters the ring.
 *  - Offline. A transaction that began with the unit offline (MasterResult.unitOffline: a return-to-service probe)
 *    teaches no timing: its reply is not a latency sample (a meter back from a power cut or an unplugged adapter
 *    answers as it does then, not as it does in service), and its silence raises no gap and widens no timeout (the
 *    meter is away; what was learned about it waits for its return). Its silence teaches no cap either once the meter
 *    has answered before; a meter that never answered keeps its tentative search (below).
 *  - Too fast. A meter that answered its previous request and then stays silent for a read size it has answered before
 *    is taken to be polled too fast (meters that reboot or drop requests when polled quickly): its minimum silence
 *    before a request rises by `gapStepUs`, up to `gapCeilingUs`, one step per applied(): the symptoms seen before the
 *    host applies a raise are the same too-fast polling, not a sign that more is needed. Every rise is counted. Gaps
 *    only rise while running (a meter that reboots when polled fast does not stop needing the silence).
 * Fixed memory: typed arrays per meter sized at construction; observe() allocates nothing.
 */
import type { MasterResult } from "../master/result";
import { STATUS_EXCEPTION, STATUS_OK, STATUS_TIMEOUT } from "../master/status";
import type { LineTiming } from "../rtu/timing";

/**
 * A good reply's latency estimated from the master's result: from the end of the last attempt's request (sentAt), or
 * with `answered` from the end of the request the master gave the reply to (answeredSentAt: an earlier attempt's when
 * the reply came while a retry waited), to the reply's first byte = completion − the reply's air time − the t3.5 that
 * confirmed its end − the host's delivery delay (never < 0).
 */
export function replyLatencyUs(r: MasterResult, line: LineTiming, rxIdleDelayUs: number, answered = false): number {
  const t = r.completedAt - (answered ? r.answeredSentAt : r.sentAt) - line.airTimeUs(r.frameLength) - line.t35Us - rxIdleDelayUs;
  return t > 0 ? t : 0;
}

export interface LearningOptions {
  /** Latency samples kept per meter (default 16). */
  readonly samples?: number;
  /** Samples needed before a timeout is learned (default 4). */
  readonly minSamples?: number;
  /** Timeout = factor × the highest recent latency + marginUs (defaults 3, 20 ms), within [floorUs, ceilingUs] (defaults 30 ms, 2 s). */
  readonly factor?: number;
  readonly marginUs?: number;
  readonly floorUs?: number;
  readonly ceilingUs?: number;
  /** Raise of a meter's minimum silence per too-fast symptom (default 20 ms), up to gapCeilingUs (default 1 s). */
  readonly gapStepUs?: number;
  readonly gapCeilingUs?: number;
}

export interface LearnedMeter {
  /** Learned register cap (0 = the profile's). */
  cap: number;
  /** Learned response timeout, ms (0 = not learned yet). */
  timeoutMs: number;
  /** Learned minimum silence before a request, ms. */
  gapMs: number;
  /** Highest recent reply latency, ms. */
  latencyMs: number;
}

export class LearnedLimits {
  readonly meters: number;
  /** Per meter: learned cap (0 = none). */
  readonly cap: Uint8Array;
  /** Per meter: learned timeout, µs (0 = none). */
  readonly timeoutUs: Int32Array;
  /** Per meter: learned minimum silence before a request, µs. */
  readonly gapUs: Int32Array;
  /** Per meter: the smallest cap allowed (its widest value's registers), set by the host; default 4. */
  readonly minCap: Uint8Array;
  /** Per meter: caps lowered, gaps raised (counters). */
  readonly capChanges: Uint16Array;
  readonly gapRaises: Uint16Array;
  /** A cap changed since the host last replanned (the host clears it). */
  planChanged = false;
  /** A timeout or gap changed since the host last applied them (the host clears it). */
  timingChanged = false;

  private readonly samples: number;
  private readonly minSamples: number;
  private readonly factor: number;
  private readonly marginUs: number;
  private readonly floorUs: number;
  private readonly ceilingUs: number;
  private readonly gapStepUs: number;
  private readonly gapCeilingUs: number;
  private readonly latency: Int32Array;
  private readonly sampleCount: Uint16Array;
  private readonly sampleNext: Uint16Array;
  /** Largest count that succeeded, per meter (FC03/04). */
  private readonly okMax: Uint8Array;
  /** A gap raise not yet applied by the host. */
  private readonly gapPending: Uint8Array;
  /** Per meter: a widened timeout not yet applied by the host. */
  private readonly widenPending: Uint8Array;
  /** Smallest count refused as too big, per meter (0 = none). */
  private readonly failMin: Uint8Array;
  /** The meter's previous transaction succeeded. */
  private readonly lastOk: Uint8Array;
  /** A cap learned from silence alone (the meter never answered yet); the meter stayed silent at its smallest read. */
  private readonly tentative: Uint8Array;
  private readonly gaveUp: Uint8Array;

  constructor(meters: number, options: LearningOptions = {}) {
    if (!Number.isInteger(meters) || meters < 0 || meters > 247) throw new RangeError(`meters must be 0..247, got ${meters}`);
    const int = (v: number | undefined, field: string, min: number, max: number, fallback: number): number => {
      if (v === undefined) return fallback;
      if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${v}`);
      return v;
    };
    this.meters = meters;
    this.samples = int(options.samples, "samples", 1, 256, 16);
    this.minSamples = int(options.minSamples, "minSamples", 1, this.samples, Math.min(4, this.samples));
    this.factor = options.factor ?? 3;
    if (!(this.factor >= 1 && this.factor <= 20)) throw new RangeError(`factor must be 1..20, got ${options.factor}`);
    this.marginUs = int(options.marginUs, "marginUs", 0, 10000000, 20000);
    this.floorUs = int(options.floorUs, "floorUs", 1000, 10000000, 30000);
    this.ceilingUs = int(options.ceilingUs, "ceilingUs", this.floorUs, 60000000, 2000000);
    this.gapStepUs = int(options.gapStepUs, "gapStepUs", 1000, 10000000, 20000);
    this.gapCeilingUs = int(options.gapCeilingUs, "gapCeilingUs", 0, 60000000, 1000000);
    this.cap = new Uint8Array(meters);
    this.timeoutUs = new Int32Array(meters);
    this.gapUs = new Int32Array(meters);
    this.minCap = new Uint8Array(meters).fill(4);
    this.capChanges = new Uint16Array(meters);
    this.gapRaises = new Uint16Array(meters);
    this.latency = new Int32Array(meters * this.samples);
    this.sampleCount = new Uint16Array(meters);
    this.sampleNext = new Uint16Array(meters);
    this.okMax = new Uint8Array(meters);
    this.lastOk = new Uint8Array(meters);
    this.failMin = new Uint8Array(meters);
    this.gapPending = new Uint8Array(meters);
    this.widenPending = new Uint8Array(meters);
    this.tentative = new Uint8Array(meters);
    this.gaveUp = new Uint8Array(meters);
  }

  /**
   * One finished poll of meter `m` (a read of `count` registers or bits with function `fn`) from the master's result:
   * observe() with the latencies of replyLatencyUs. allocates nothing.
   */
  observeResult(m: number, fn: number, count: number, r: MasterResult, line: LineTiming, rxIdleDelayUs: number): void {
    const ok = r.status === STATUS_OK;
    this.observe(m, fn, count, r.status, r.exceptionCode, ok ? replyLatencyUs(r, line, rxIdleDelayUs) : -1, r.unitOffline,
      ok && r.answeredSentAt < r.sentAt ? replyLatencyUs(r, line, rxIdleDelayUs, true) : -1);
  }

  /**
   * One finished poll of meter `m`: a read of `count` registers (or bits) with function `fn`, ended with master status
   * `status` (and `exceptionCode`); `latencyUs` is the good reply's latency from the last attempt (ignored otherwise;
   * < 0 unknown); `offline`: the unit was offline when the transaction began (MasterResult.unitOffline), which teaches
   * no timing; `earlierLatencyUs` (≥ 0 only when a retry was answered and the master gave the reply to an earlier
   * attempt): the latency counted from that earlier attempt's request.
   */
  observe(m: number, fn: number, count: number, status: number, exceptionCode: number, latencyUs: number, offline = false, earlierLatencyUs = -1): void {
    if (m < 0 || m >= this.meters) return;
    const registers = fn === 3 || fn === 4;
    if (offline && status !== STATUS_OK && this.okMax[m] > 0) {
      // The meter is away: its silence says nothing about its timing or its cap.
      this.lastOk[m] = 0;
      return;
    }
    if (status === STATUS_OK) {
      if (registers && count > this.okMax[m]) {
        this.okMax[m] = count;
        // The read at the cap worked: try halfway to the smallest count refused (a binary search of the real cap).
        if (this.cap[m] > 0 && count + this.minCap[m] > this.cap[m]) {
          const up = this.between(m);
          if (up > this.cap[m]) {
            this.cap[m] = up;
            this.capChanges[m]++;
            this.planChanged = true;
          }
        }
      }
      if (latencyUs >= 0 && !offline) {
        if (earlierLatencyUs > latencyUs && this.timeoutUs[m] === 0) {
          // Answered only after a retry, before any timeout is learned: the reply may be the first attempt's, late (a
          // meter slower than the configured timeout). Counted from that attempt: right then, too long otherwise (the
          // first request was lost), which errs on the safe side and leaves the ring after `samples` replies.
          this.sample(m, earlierLatencyUs);
        } else {
          this.sample(m, latencyUs);
          // With a learned timeout in force, a reply only after a retry may be a reply the learned timeout cut off:
          // widen as for a timeout (below); the next reply without a retry recomputes it.
          if (earlierLatencyUs > latencyUs) this.widen(m);
        }
      }
      this.lastOk[m] = 1;
      this.tentative[m] = 0;
      this.gaveUp[m] = 0;
      return;
    }
    const refused = status === STATUS_EXCEPTION && (exceptionCode === 2 || exceptionCode === 3 || exceptionCode === 4);
    const silent = status === STATUS_TIMEOUT;
    const never = this.okMax[m] === 0;
    if (registers && count > this.minCap[m] && count > this.okMax[m] && (refused || (silent && this.gaveUp[m] === 0))) {
      if (this.failMin[m] === 0 || count < this.failMin[m]) this.failMin[m] = count;
      const cap = this.between(m);
      if (cap < count && (this.cap[m] === 0 || cap < this.cap[m])) {
        this.cap[m] = cap;
        this.capChanges[m]++;
        this.planChanged = true;
        // A meter that never answered may be dead rather than capped: the cap stays tentative until it answers.
        if (silent && never) this.tentative[m] = 1;
      }
    } else if (silent && never && this.tentative[m] === 1 && count <= this.minCap[m]) {
      // Silent even at its smallest read: not a cap, a silent meter. Its plan goes back to the profile's.
      this.cap[m] = 0;
      this.tentative[m] = 0;
      this.gaveUp[m] = 1;
      this.planChanged = true;
    } else if (silent && !offline && this.lastOk[m] === 1 && this.gapPending[m] === 0 && (!registers || count <= this.okMax[m])) {
      const g = this.gapUs[m] + this.gapStepUs;
      const next = g > this.gapCeilingUs ? this.gapCeilingUs : g;
      if (next !== this.gapUs[m]) {
        this.gapUs[m] = next;
        this.gapRaises[m]++;
        // One raise at a time: the next waits until the host has applied this one.
        this.gapPending[m] = 1;
        this.timingChanged = true;
      }
    }
    // A learned timeout in force and silence at a read size the meter has answered: the timeout may be what is too
    // short (a reply latency that grew, or one the host measured low). Double it, once per applied(), until the next
    // good reply recomputes it from the samples (which then hold the slower latency the wider timeout caught).
    if (silent && !offline && this.okMax[m] > 0 && (!registers || count <= this.okMax[m])) this.widen(m);
    // Silence of a meter that never answered, in service: its cap or its timeout may be too small (a meter slower
    // than the configured timeout); both are tried. The learned budget starts at twice the floor and doubles once per
    // applied() until the meter is offline (offlineAfter silences), so a dead meter's probes grow by a bounded factor.
    if (silent && !offline && never && this.widenPending[m] === 0) {
      if (this.timeoutUs[m] === 0) {
        this.timeoutUs[m] = 2 * this.floorUs > this.ceilingUs ? this.ceilingUs : 2 * this.floorUs;
        this.widenPending[m] = 1;
        this.timingChanged = true;
      } else this.widen(m);
    }
    this.lastOk[m] = 0;
  }

  /** Doubles meter m's learned timeout (when one is learned), once per applied(), up to the ceiling. */
  private widen(m: number): void {
    if (this.timeoutUs[m] === 0 || this.widenPending[m] !== 0) return;
    const w = 2 * this.timeoutUs[m];
    const next = w > this.ceilingUs ? this.ceilingUs : w;
    if (next === this.timeoutUs[m]) return;
    this.timeoutUs[m] = next;
    this.widenPending[m] = 1;
    this.timingChanged = true;
  }

  /** The host has replanned and applied the learned timing: clears planChanged, timingChanged and pending gap raises. */
  applied(): void {
    this.planChanged = false;
    this.timingChanged = false;
    this.gapPending.fill(0);
    this.widenPending.fill(0);
  }

  /** Halfway between the largest count that worked and the smallest refused, never below minCap. */
  private between(m: number): number {
    const lo = this.okMax[m];
    const hi = this.failMin[m];
    let cap = (lo + hi) >> 1;
    if (cap <= lo) cap = lo;
    if (cap < this.minCap[m]) cap = this.minCap[m];
    return cap;
  }

  private sample(m: number, latencyUs: number): void {
    const base = m * this.samples;
    this.latency[base + this.sampleNext[m]] = latencyUs;
    this.sampleNext[m] = (this.sampleNext[m] + 1) % this.samples;
    if (this.sampleCount[m] < this.samples) this.sampleCount[m]++;
    if (this.sampleCount[m] < this.minSamples) return;
    const t = this.timeoutFor(this.highLatency(m));
    if (t !== this.timeoutUs[m]) {
      this.timeoutUs[m] = t;
      this.timingChanged = true;
    }
  }

  /** The highest latency among the recent samples of meter m, µs (0 with none). */
  highLatency(m: number): number {
    const base = m * this.samples;
    let high = 0;
    for (let i = 0; i < this.sampleCount[m]; i++) if (this.latency[base + i] > high) high = this.latency[base + i];
    return high;
  }

  private timeoutFor(latencyUs: number): number {
    const t = Math.round(this.factor * latencyUs) + this.marginUs;
    return t < this.floorUs ? this.floorUs : t > this.ceilingUs ? this.ceilingUs : t;
  }

  /** Meter m's learned values (for the status JSON and the state file). */
  meter(m: number): LearnedMeter {
    return {
      cap: this.cap[m], timeoutMs: Math.round(this.timeoutUs[m] / 100) / 10, gapMs: Math.round(this.gapUs[m] / 100) / 10,
      latencyMs: Math.round(this.highLatency(m) / 100) / 10,
    };
  }

  /** Learned values by meter name (a state file or preference body). */
  toJSON(names: readonly string[]): Record<string, LearnedMeter> {
    const out: Record<string, LearnedMeter> = {};
    for (let m = 0; m < this.meters && m < names.length; m++) out[names[m]] = this.meter(m);
    return out;
  }

  /**
   * Restores learned values saved by toJSON (meters matched by name; unknown names and bad values are skipped, so a
   * state file from another site version loses nothing but what no longer applies). Returns the meters restored.
   */
  load(json: unknown, names: readonly string[]): number {
    if (json === null || typeof json !== "object" || Array.isArray(json)) return 0;
    let restored = 0;
    for (let m = 0; m < this.meters && m < names.length; m++) {
      const v = (json as Record<string, unknown>)[names[m]];
      if (v === null || typeof v !== "object") continue;
      const e = v as Record<string, unknown>;
      const num = (x: unknown, max: number) => (typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= max ? x : -1);
      const cap = num(e.cap, 125);
      const timeoutMs = num(e.timeoutMs, 60000);
      const gapMs = num(e.gapMs, 60000);
      if (cap >= 0 && Number.isInteger(cap) && (cap === 0 || cap >= this.minCap[m])) this.cap[m] = cap;
      if (timeoutMs >= 0) this.timeoutUs[m] = Math.round(timeoutMs * 1000);
      if (gapMs >= 0) this.gapUs[m] = Math.round(gapMs * 1000);
      restored++;
    }
    this.planChanged = true;
    this.timingChanged = true;
    return restored;
  }
}
