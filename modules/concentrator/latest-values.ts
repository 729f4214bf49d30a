/*
 * The latest value of every planned point, decoded straight from read responses (the polling side; the forwarders'
 * per-meter store is modules/concentrator/readings.ts).
 *
 * Theory of operation. A master completes one planned read (modules/concentrator/planner.ts) and hands over the response's data bytes
 * (the bytes after the byte count of an FC01–FC04 reply, MODBUS Application Protocol V1.1b3 §6.1–§6.4) with the time it
 * received them. update() decodes every value of that read with its decoding rule (Plan.decode), first refreshing the decimal-point
 * exponents the read carries (a value whose decimal-point register lives in another read uses the exponent from that
 * read's last success, NaN until one arrives). Running totals (state_class total_increasing) pass through the sanity
 * filter (modules/concentrator/sanity.ts, one slot per total, not per value); a withheld total keeps its last accepted value and time.
 *
 * Each value carries the time of the response it came from (`takenAt(v)`, µs: kept per read, and for a running total
 * the time of its last accepted value, which the sanity filter holds). Fixed memory: typed arrays sized from the plan
 * (per value only its latest value and status; per meter where its sanity slots and exponents begin, the rest is the
 * plan's per-layout columns); update() allocates nothing.
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { responseDataBytes, type Plan } from "./planner";
import { TotalSanity, VERDICT_ACCEPTED, VERDICT_REBASELINED, VERDICT_INVALID, type SanityOptions } from "./sanity";
import { rebaseTimes } from "../port/time-rebase";
import { MAX_EXTRA_EXPONENT, POW10, TYPE_S64, TYPE_SENTINEL, TYPE_U64, isDefaultSentinel, readRaw, readRawInto, scalePow10 } from "./values";

/** Status of a value's latest reading. */
export const VALUE_NONE = 0;
export const VALUE_OK = 1;
/** The meter answered with a "not available" sentinel, or the exponent was unknown: value NaN. */
export const VALUE_INVALID = 2;
/** A running total the sanity filter withheld; `values` keeps the last accepted total. */
export const VALUE_WITHHELD = 3;
export const VALUE_STATUS_NAMES: readonly string[] = Object.freeze(["none", "ok", "invalid", "withheld"]);

export class LatestValues {
  /** The plan whose reads are decoded (replaced by setPlan when the reads are recomputed). */
  plan: Plan;
  /** Latest value per plan value (NaN when none or invalid; last accepted total when withheld). */
  readonly values: Float64Array;
  readonly status: Uint8Array;
  /** Per read: µs time of its latest response (-1 never) and responses decoded. */
  private readAt: Float64Array;
  private readUpdates: Uint32Array;
  /** The sanity filter, one slot per running total: meter m's totals from totalBase[m], in its layout's order (Plan.lvTotal). */
  readonly sanity: TotalSanity;
  private readonly totalBase: Uint16Array;
  /** Latest decimal-point exponents: meter m's from exponentBase[m], in its layout's order (Plan.lvExponent). */
  private readonly exponent: Float64Array;
  private readonly exponentBase: Uint16Array;
  /** The value being decoded (update(): decoders write into it rather than return a double V8 would box). */
  private readonly decoded: Float64Array;

  constructor(plan: Plan, sanityOptions: SanityOptions = {}) {
    const n = plan.valueCount;
    const meters = plan.meters.length;
    this.plan = plan;
    let exponents = 0;
    let totals = 0;
    for (let m = 0; m < meters; m++) {
      exponents += plan.layoutExponents[plan.meterLayout[m]];
      totals += plan.layoutTotals[plan.meterLayout[m]];
    }
    if (totals > 65535 || exponents > 65535) throw new RangeError(`a plan holds at most 65535 running totals and 65535 decimal-point values (got ${totals} and ${exponents})`);
    // Every column is a view of one buffer (modules/common/column-arena.ts); a replan replaces the per-read ones (setPlan).
    const arena = new ColumnArena(columnBytes(8, 8 * n, n, 8 * plan.readCount, 4 * plan.readCount, 8 * exponents, 2 * meters, 2 * meters));
    this.decoded = arena.f64(1);
    this.values = arena.f64(n).fill(NaN);
    this.status = arena.u8(n);
    this.readAt = arena.f64(plan.readCount).fill(-1);
    this.readUpdates = arena.u32(plan.readCount);
    this.exponent = arena.f64(exponents).fill(NaN);
    this.exponentBase = arena.u16(meters);
    this.totalBase = arena.u16(meters);
    exponents = 0;
    totals = 0;
    for (let m = 0; m < meters; m++) {
      this.exponentBase[m] = exponents;
      this.totalBase[m] = totals;
      exponents += plan.layoutExponents[plan.meterLayout[m]];
      totals += plan.layoutTotals[plan.meterLayout[m]];
    }
    // One bound per distinct (rated power, unit) among the totals: a site of many alike meters shares a few.
    const kinds: string[] = [];
    const eachTotal = (fn: (slot: number, ratedPowerW: number, unit: string) => void): void => {
      for (let m = 0; m < meters; m++) {
        const l = plan.meterLayout[m];
        const profile = plan.meters[m].profile;
        for (let lv = plan.layoutFirstValue[l]; lv < plan.layoutFirstValue[l] + plan.meterValueCount[m]; lv++) {
          const t = plan.lvTotal[lv];
          if (t >= 0) fn(this.totalBase[m] + t, profile.limits.ratedPowerW, profile.points[plan.lvPoint[lv]].unit);
        }
      }
    };
    eachTotal((_slot, ratedPowerW, unit) => {
      const kind = `${ratedPowerW} ${unit}`;
      if (kinds.indexOf(kind) < 0) kinds.push(kind);
    });
    this.sanity = new TotalSanity(totals, sanityOptions, kinds.length);
    eachTotal((slot, ratedPowerW, unit) => this.sanity.configure(slot, ratedPowerW, unit));
  }

  /** Lowers every time held (takenAt, the sanity filter's) by `deltaUs` (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.readAt, deltaUs);
    this.sanity.rebaseTime(deltaUs);
  }

  /**
   * Decodes the reads of `plan` from now on: a plan of the same meters and points with other reads (the caps learned
   * while polling: modules/commissioning/learned-limits.ts). Values, their statuses and the sanity filter's state are kept, as value
   * i is the same point in both plans.
   */
  setPlan(plan: Plan): void {
    const n = this.values.length;
    const old = this.plan;
    if (plan.valueCount !== n) throw new RangeError(`a new plan must have the same ${n} values, has ${plan.valueCount}`);
    if (plan.meters.length !== old.meters.length) throw new RangeError(`a new plan must have the same ${old.meters.length} meters, has ${plan.meters.length}`);
    for (let m = 0; m < plan.meters.length; m++) {
      if (plan.meterFirstValue[m] !== old.meterFirstValue[m] || plan.meterValueCount[m] !== old.meterValueCount[m]) throw new RangeError(`a new plan must have the same values in the same order (meter ${m} differs)`);
      const a = plan.layoutFirstValue[plan.meterLayout[m]];
      const b = old.layoutFirstValue[old.meterLayout[m]];
      for (let i = 0; i < plan.meterValueCount[m]; i++) {
        if (plan.lvPoint[a + i] !== old.lvPoint[b + i]) throw new RangeError(`a new plan must have the same values in the same order (value ${plan.meterFirstValue[m] + i} differs)`);
      }
    }
    // The per-read arrays follow the new reads (a learned cap splits reads: more of them). Each new read takes the
    // oldest time and the fewest updates of the old reads its values came from, so no value looks fresher than it is.
    // Allocates, once per replan (rare: a cap learned), never in steady state.
    const at = new Float64Array(plan.readCount).fill(Infinity);
    const updates = new Uint32Array(plan.readCount).fill(0xffffffff);
    for (let m = 0; m < plan.meters.length; m++) {
      const a = plan.layoutFirstValue[plan.meterLayout[m]];
      const b = old.layoutFirstValue[old.meterLayout[m]];
      for (let i = 0; i < plan.meterValueCount[m]; i++) {
        const r = plan.meterFirstRead[m] + plan.lvRead[a + i];
        const was = old.meterFirstRead[m] + old.lvRead[b + i];
        if (this.readAt[was] < at[r]) at[r] = this.readAt[was];
        if (this.readUpdates[was] < updates[r]) updates[r] = this.readUpdates[was];
      }
    }
    for (let r = 0; r < plan.readCount; r++) {
      if (at[r] === Infinity) at[r] = -1;
      if (updates[r] === 0xffffffff) updates[r] = 0;
    }
    this.readAt = at;
    this.readUpdates = updates;
    this.plan = plan;
  }

  /**
   * Decodes read `read` from `length` data bytes at `offset` of `bytes`, received at `now`. Returns the number of values
   * updated, or -1 when the data is shorter than the read needs (nothing changes then).
   */
  update(read: number, bytes: Uint8Array, offset: number, length: number, now: number): number {
    const plan = this.plan;
    if (!(read >= 0 && read < plan.readCount) || offset < 0 || length < responseDataBytes(plan.readFunction[read], plan.readRegisters[read]) || offset + length > bytes.length) return -1;
    // The read's meter and its layout: value v of the meter is layout value v - base.
    const m = plan.readMeter[read];
    const l = plan.meterLayout[m];
    const q = plan.layoutFirstRead[l] + read - plan.meterFirstRead[m];
    const base = plan.meterFirstValue[m] - plan.layoutFirstValue[l];
    const exponentBase = this.exponentBase[m];
    const totalBase = this.totalBase[m];
    const lvRule = plan.lvRule, lvExponent = plan.lvExponent;
    for (let i = plan.lrExponentStart[q]; i < plan.lrExponentStart[q + 1]; i++) {
      const lv = plan.lrExponentIndex[i];
      const k = lvRule[lv];
      this.exponent[exponentBase + lvExponent[lv]] = plan.ruleExponentSign[k] * readRaw(plan.ruleExponentType[k], 0, bytes, offset + plan.lvExponentOffset[lv]);
    }
    this.readAt[read] = now;
    this.readUpdates[read]++;
    // The decoding rule's columns, read once per response (the loop below is ValueCodec.decode inlined for whole values).
    const lvOffset = plan.lvOffset, lvTotal = plan.lvTotal, ruleBit = plan.ruleBit, ruleType = plan.ruleType;
    const ruleOrder = plan.ruleOrder, ruleScale = plan.ruleScale, ruleExponent = plan.ruleExponent;
    const ruleInvalidStart = plan.ruleInvalidStart, ruleInvalid = plan.ruleInvalid, lrValueIndex = plan.lrValueIndex;
    const values = this.values, status = this.status, decoded = this.decoded;
    let n = 0;
    for (let i = plan.lrValueStart[q], end = plan.lrValueStart[q + 1]; i < end; i++) {
      const lv = lrValueIndex[i];
      const v = base + lv;
      const k = lvRule[lv];
      // Every branch leaves its result in decoded[0] and x is read from there: on V8 a double returned by a call or
      // merged from branches of different kinds is boxed (16 bytes per value); one loaded from a typed array is not.
      if (ruleBit[k] !== -1) decoded[0] = plan.decodeLayoutValue(lv, bytes, offset, 0);
      else {
        const e = lvExponent[lv];
        const extra = e >= 0 ? this.exponent[exponentBase + e] : 0;
        const type = ruleType[k];
        const at = offset + lvOffset[lv];
        readRawInto(type, ruleOrder[k], bytes, at, decoded, 0);
        const raw = decoded[0];
        if (extra !== extra || extra > MAX_EXTRA_EXPONENT || extra < -MAX_EXTRA_EXPONENT || raw !== raw || raw === TYPE_SENTINEL[type] || raw === -Infinity) decoded[0] = NaN;
        else if ((type === TYPE_U64 || type === TYPE_S64) && isDefaultSentinel(type, ruleOrder[k], bytes, at)) decoded[0] = NaN;
        else {
          let valid = true;
          for (let j = ruleInvalidStart[k]; j < ruleInvalidStart[k + 1]; j++) if (ruleInvalid[j] === raw) { valid = false; break; }
          if (!valid) decoded[0] = NaN;
          else {
            const scale = ruleScale[k];
            const scaled = scale === 1 ? raw : raw * scale;
            const p = ruleExponent[k] + extra;
            // scalePow10 inline (the tables' range; beyond it, the call).
            if (p === 0) { if (scale !== 1) decoded[0] = scaled; }
            else if (p > 0) decoded[0] = p < POW10.length ? scaled * POW10[p] : scalePow10(scaled, p);
            else decoded[0] = -p < POW10.length ? scaled / POW10[-p] : scalePow10(scaled, p);
          }
        }
      }
      const x = decoded[0];
      n++;
      const t = lvTotal[lv];
      if (t >= 0) {
        const verdict = this.sanity.check(totalBase + t, x, now);
        if (verdict === VERDICT_ACCEPTED || verdict === VERDICT_REBASELINED) {
          values[v] = x;
          status[v] = VALUE_OK;
        } else {
          status[v] = verdict === VERDICT_INVALID ? VALUE_INVALID : VALUE_WITHHELD;
        }
        continue;
      }
      values[v] = x;
      status[v] = x === x ? VALUE_OK : VALUE_INVALID;
    }
    return n;
  }

  /** The sanity slot of value v, or -1 (not a running total). */
  sanitySlotOf(v: number): number {
    const plan = this.plan;
    const m = plan.meterOf(v);
    const t = plan.lvTotal[plan.layoutFirstValue[plan.meterLayout[m]] + v - plan.meterFirstValue[m]];
    return t >= 0 ? this.totalBase[m] + t : -1;
  }

  /** µs time of the response value v came from (a running total: the one its accepted value came from); -1 never. */
  takenAt(v: number): number {
    const slot = this.sanitySlotOf(v);
    return slot >= 0 ? this.sanity.acceptedAt(slot) : this.readAt[this.plan.readOf(v)];
  }

  /** Times value v was updated (any status): the responses its read delivered. */
  updates(v: number): number {
    return this.readUpdates[this.plan.readOf(v)];
  }
}
