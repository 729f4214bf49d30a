/*
 * The latest value of every planned point, decoded straight from read responses (the polling side; the forwarders'
 * per-meter store is modules/readings.ts).
 *
 * Theory of operation. A master completes one planned read (modules/planner.ts) and hands over the response's data bytes
 * (the bytes after the byte count of an FC01–FC04 reply, MODBUS Application Protocol V1.1b3 §6.1–§6.4) with the time it
 * received them. update() decodes every value of that read with its compiled ValueCodec, first refreshing the decimal-point
 * exponents the read carries (a value whose decimal-point register lives in another read uses the exponent from that
 * read's last success, NaN until one arrives). Running totals (state_class total_increasing) pass through the sanity
 * filter (modules/sanity.ts); a withheld total keeps its last accepted value and time.
 *
 * Each value carries the time of the response it came from (`takenAt`, µs). Fixed memory: typed arrays sized from the
 * plan; update() allocates nothing.
 */
import { responseDataBytes, type Plan } from "./planner";
import { TotalSanity, VERDICT_ACCEPTED, VERDICT_REBASELINED, VERDICT_INVALID, type SanityOptions } from "./sanity";
import { rebaseTimes } from "./time-rebase";
import { readRaw } from "./values";

/** Status of a value's latest reading. */
export const VALUE_NONE = 0;
export const VALUE_OK = 1;
/** The meter answered with a "not available" sentinel, or the exponent was unknown: value NaN. */
export const VALUE_INVALID = 2;
/** A running total the sanity filter withheld; `values` keeps the last accepted total. */
export const VALUE_WITHHELD = 3;
export const VALUE_STATUS_NAMES: readonly string[] = Object.freeze(["none", "ok", "invalid", "withheld"]);

export class LatestValues {
  readonly plan: Plan;
  /** Latest value per plan value (NaN when none or invalid; last accepted total when withheld). */
  readonly values: Float64Array;
  /** µs time of the response the value came from; -1 never. */
  readonly takenAt: Float64Array;
  readonly status: Uint8Array;
  /** Times each value was updated (any status). */
  readonly updates: Uint32Array;
  /** The sanity filter; slot = plan value index (only totals are configured and checked). */
  readonly sanity: TotalSanity;
  private readonly exponent: Float64Array;
  private readonly guarded: Uint8Array;

  constructor(plan: Plan, sanityOptions: SanityOptions = {}) {
    const n = plan.values.length;
    this.plan = plan;
    this.values = new Float64Array(n).fill(NaN);
    this.takenAt = new Float64Array(n).fill(-1);
    this.status = new Uint8Array(n);
    this.updates = new Uint32Array(n);
    this.exponent = new Float64Array(n).fill(NaN);
    this.guarded = new Uint8Array(n);
    this.sanity = new TotalSanity(n, sanityOptions);
    for (let v = 0; v < n; v++) {
      const pv = plan.values[v];
      const mp = plan.meters[pv.meter];
      const point = mp.profile.points[pv.point];
      if (point.stateClass === "total_increasing") {
        this.guarded[v] = 1;
        this.sanity.configure(v, mp.profile.limits.ratedPowerW, point.unit);
      }
    }
  }

  /** Lowers every time held (takenAt, the sanity filter's) by `deltaUs` (modules/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.takenAt, deltaUs);
    this.sanity.rebaseTime(deltaUs);
  }

  /**
   * Decodes read `read` from `length` data bytes at `offset` of `bytes`, received at `now`. Returns the number of values
   * updated, or -1 when the data is shorter than the read needs (nothing changes then).
   */
  update(read: number, bytes: Uint8Array, offset: number, length: number, now: number): number {
    const plan = this.plan;
    const rd = plan.reads[read];
    if (rd === undefined || offset < 0 || length < responseDataBytes(rd.function, rd.count) || offset + length > bytes.length) return -1;
    for (let i = plan.readExponentStart[read]; i < plan.readExponentStart[read + 1]; i++) {
      const v = plan.exponentValueIndex[i];
      const pv = plan.values[v];
      this.exponent[v] = pv.exponentSign * readRaw(pv.exponentType, 0, bytes, offset + pv.exponentOffset);
    }
    let n = 0;
    for (let i = plan.readValueStart[read]; i < plan.readValueStart[read + 1]; i++) {
      const v = plan.readValueIndex[i];
      const pv = plan.values[v];
      const extra = pv.exponentRead >= 0 ? this.exponent[v] : 0;
      const x = pv.codec.bit === -2 ? pv.codec.decode(bytes, offset, 0, pv.offset) : pv.codec.decode(bytes, offset + pv.offset, extra);
      this.updates[v]++;
      n++;
      if (this.guarded[v] === 1) {
        const verdict = this.sanity.check(v, x, now);
        if (verdict === VERDICT_ACCEPTED || verdict === VERDICT_REBASELINED) {
          this.values[v] = x;
          this.takenAt[v] = now;
          this.status[v] = VALUE_OK;
        } else {
          this.status[v] = verdict === VERDICT_INVALID ? VALUE_INVALID : VALUE_WITHHELD;
        }
        continue;
      }
      this.values[v] = x;
      this.takenAt[v] = now;
      this.status[v] = x === x ? VALUE_OK : VALUE_INVALID;
    }
    return n;
  }
}
