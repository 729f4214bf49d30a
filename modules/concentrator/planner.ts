/*
 * The poll planner: from the meters of a site and the points wanted from each, the set of block reads that fetches them
 * all in the least bus time, honouring every meter's limits.
 *
 * Theory of operation. A read request (MODBUS Application Protocol V1.1b3 §6.1–§6.4: FC01/FC02/FC03/FC04) names a start
 * address and a count; the RTU frame (Modbus over Serial Line V1.02 §2.5.1) costs 8 characters out and 5 + data characters
 * back, each frame followed by a t3.5 silence, plus the meter's turnaround and any minimum delay the meter needs. So one
 * request has a fixed cost and each register adds two characters of reply. Bridging a gap between two wanted values with
 * one request therefore pays the gap's characters instead of a second request's fixed cost; the planner bridges exactly
 * when that is cheaper.
 *
 * Per meter and function code, the wanted spans (each value's registers, and the decimal-point registers of values that
 * have one) are sorted and overlapping spans merged; a value is never split because a span is indivisible. An optimal
 * plan covers consecutive spans with each read, so a dynamic programme over the sorted spans finds the minimum total bus
 * time exactly (ties: fewer reads, then the first split found), subject to: at most maxRegisters (maxBits for bits) per
 * read; an even start (evenStartOnly: the start moves down one) and an even count (evenCountsOnly: the count grows by one).
 * The result is deterministic: the same site gives the same plan.
 *
 * The plan is built at configuration time (it allocates); the plan itself is columns of typed arrays sized from the site
 * (reads, values, and one decoding rule per profile point used), so that a master can decode each response without
 * allocating (see modules/concentrator/latest-values.ts) and a 32-meter site fits the device (docs/esp32.md, memory budget).
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { paddedSpan, type FunctionCode, type Limits, type Point, type Profile } from "./profile";
import { LineTiming, type Framing } from "../rtu/timing";
import { TYPE_S16, TYPE_U16, ValueCodec, decodeRule, orderCode, typeCode } from "./values";

/** One meter of the site as the planner sees it. */
export interface MeterSpec {
  readonly name: string;
  readonly unit: number;
  readonly profile: Profile;
  /** Indices into profile.points, in the order readings are reported. */
  readonly points: readonly number[];
}

export interface PlanOptions {
  readonly baud: number;
  readonly framing: Framing;
  /** Assumed time a meter takes to start its reply after a request (default 5 ms; typical meters answer in 2–20 ms). */
  readonly turnaroundUs?: number;
  /** Extra silence the master leaves between any two requests (site bus.interRequestDelayMs), in µs. */
  readonly interRequestDelayUs?: number;
}

export const DEFAULT_TURNAROUND_US = 5000;
/** Request ADU of FC01–FC04: unit, function, start (2), count (2), CRC (2). */
export const READ_REQUEST_BYTES = 8;
/** Response ADU without data: unit, function, byte count, CRC (2). */
export const READ_RESPONSE_OVERHEAD_BYTES = 5;

/** Data bytes in the response to a read of `count` registers (FC03/04) or bits (FC01/02). */
export function responseDataBytes(fn: number, count: number): number {
  return fn <= 2 ? (count + 7) >> 3 : 2 * count;
}

/**
 * Bus time of one read, in µs: request air time, t3.5, the meter's turnaround, response air time, t3.5, and the larger of
 * the meter's minimum delay and the site's inter-request delay.
 */
export function readBusTimeUs(line: LineTiming, fn: number, count: number, turnaroundUs: number, delayUs: number): number {
  return line.airTimeUs(READ_REQUEST_BYTES) + line.t35Us + turnaroundUs
    + line.airTimeUs(READ_RESPONSE_OVERHEAD_BYTES + responseDataBytes(fn, count)) + line.t35Us + delayUs;
}

/** One block read of the plan. */
export interface PlannedRead {
  readonly meter: number;
  readonly unit: number;
  readonly function: FunctionCode;
  readonly start: number;
  /** Registers (FC03/04) or bits (FC01/02). */
  readonly count: number;
  readonly busTimeUs: number;
}

/** Where one wanted point is found in the plan's reads. */
export interface PlannedValue {
  readonly meter: number;
  /** Index into the meter's profile.points. */
  readonly point: number;
  readonly name: string;
  readonly read: number;
  /** Byte offset of the value in the read's response data (FC01/02: the bit index). */
  readonly offset: number;
  readonly codec: ValueCodec;
  /** Read holding the decimal-point register, or -1. */
  readonly exponentRead: number;
  readonly exponentOffset: number;
  /** TYPE_S16 or TYPE_U16. */
  readonly exponentType: number;
  readonly exponentSign: number;
}

/**
 * One meter of a plan. Memory: three references per meter (its spec, the plan, its index); the numbers are the plan's
 * meter columns (Plan.meterFirstRead …) read through getters, so a plan holds no object of eight properties per meter.
 * The spec is the caller's, kept (a site meter: modules/site/site.ts meterSpecs passes its own).
 */
export class MeterPlan {
  constructor(private readonly spec: MeterSpec, private readonly plan: Plan, readonly index: number) {}
  get name(): string { return this.spec.name; }
  get unit(): number { return this.spec.unit; }
  get profile(): Profile { return this.spec.profile; }
  get firstRead(): number { return this.plan.meterFirstRead[this.index]; }
  get readCount(): number { return this.plan.meterReadCount[this.index]; }
  get firstValue(): number { return this.plan.meterFirstValue[this.index]; }
  get valueCount(): number { return this.plan.meterValueCount[this.index]; }
  /** Sum of this meter's reads' bus time. */
  get busTimeUs(): number {
    let t = 0;
    const first = this.firstRead;
    for (let r = first; r < first + this.readCount; r++) t += this.plan.readBusTimeUs[r];
    return t;
  }
}

/** A span of one function code's address space that must be read whole. */
interface Span { start: number; end: number }

/** "1 read", "2 reads": a count and its noun. */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * The layout columns planSite() fills as it plans: the values of each distinct layout (sized from the site up front, so
 * building a plan never holds an object per value: the device builds it within its fixed heap).
 */
class LayoutColumns {
  count = 0;
  readonly point: Uint16Array;
  readonly read: Uint16Array;
  readonly offset: Uint16Array;
  readonly exponentRead: Int16Array;
  readonly exponentOffset: Uint16Array;
  constructor(capacity: number) {
    if (capacity > 65535) throw new RangeError(`a plan holds at most 65535 values (got ${capacity})`);
    const arena = new ColumnArena(columnBytes(2 * capacity, 2 * capacity, 2 * capacity, 2 * capacity, 2 * capacity));
    this.point = arena.u16(capacity);
    this.read = arena.u16(capacity);
    this.offset = arena.u16(capacity);
    this.exponentRead = arena.i16(capacity);
    this.exponentOffset = arena.u16(capacity);
  }
  push(point: number, read: number, offset: number, exponentRead: number, exponentOffset: number): void {
    const i = this.count++;
    this.point[i] = point;
    this.read[i] = read;
    this.offset[i] = offset;
    this.exponentRead[i] = exponentRead;
    this.exponentOffset[i] = exponentOffset;
  }
}

/** What planSite() hands the Plan: the meters' layouts and counts, the reads, the layout values. */
interface PlanParts {
  readonly specs: readonly MeterSpec[];
  /** Per meter: [layout, first read, read count, first value, value count]. */
  readonly meterRows: readonly number[];
  /** Per layout: [first layout value, first layout read, read count]. */
  readonly layoutRows: readonly number[];
  readonly reads: readonly PlannedRead[];
  readonly layoutValues: LayoutColumns;
}

/**
 * A complete plan. Memory: the reads, the values and their decoding rules are columns of typed arrays sized from the
 * site (no object per read or per value). Meters of one profile polling the same points share one layout (a site of 32
 * meters of 4 models holds 4): where each value is found in its meter's reads, how it is decoded (one rule per profile
 * point used), which of the meter's values is a running total or has a decimal-point register; so the per-value data is
 * held once per layout, not once per meter. Value v of meter m is layout value layoutFirstValue[meterLayout[m]] + v -
 * meterFirstValue[m]; read r of meter m is layout read layoutFirstRead[meterLayout[m]] + r - meterFirstRead[m].
 * `reads` and `values` give the same data as objects for configuration-time code (CLI, simulator, tests): built on first
 * use and kept, never touched by the polling path.
 */
export class Plan {
  readonly meters: readonly MeterPlan[];
  // Meters, by meter index (MeterPlan reads them; the scheduler and the poll loop read them directly).
  readonly meterFirstRead: Uint16Array;
  readonly meterReadCount: Uint16Array;
  readonly meterFirstValue: Uint16Array;
  readonly meterValueCount: Uint16Array;
  readonly meterUnit: Uint8Array;
  /** The meter's layout. */
  readonly meterLayout: Uint16Array;
  readonly line: LineTiming;
  readonly turnaroundUs: number;
  readonly readCount: number;
  readonly valueCount: number;
  readonly layoutCount: number;
  // Reads, by read index.
  readonly readMeter: Uint16Array;
  readonly readUnit: Uint8Array;
  readonly readFunction: Uint8Array;
  readonly readStart: Uint16Array;
  /** Registers (FC03/04) or bits (FC01/02). */
  readonly readRegisters: Uint16Array;
  readonly readBusTimeUs: Float64Array;
  // Layouts, by layout index: where their values and reads begin in the layout columns.
  readonly layoutFirstValue: Uint16Array;
  readonly layoutFirstRead: Uint16Array;
  /** Running totals and values with a decimal-point register of each layout (sizes per-meter state). */
  readonly layoutTotals: Uint16Array;
  readonly layoutExponents: Uint16Array;
  // Layout values, by layout value index.
  /** Index into the meter's profile.points. */
  readonly lvPoint: Uint16Array;
  /** The read holding the value, as an offset from the meter's first read. */
  readonly lvRead: Uint16Array;
  /** Byte offset of the value in the read's response data (FC01/02: the bit index). */
  readonly lvOffset: Uint16Array;
  /** The read holding the decimal-point register (from the meter's first read), or -1. */
  readonly lvExponentRead: Int16Array;
  readonly lvExponentOffset: Uint16Array;
  /** Decoding rule of the value: index into the rule columns below. */
  readonly lvRule: Uint16Array;
  /** The value's index among its layout's running totals, or -1. */
  readonly lvTotal: Int16Array;
  /** The value's index among its layout's values with a decimal-point register, or -1. */
  readonly lvExponent: Int16Array;
  // Decoding rules (one per distinct profile point of the site).
  readonly ruleType: Uint8Array;
  readonly ruleOrder: Uint8Array;
  /** -1 whole value, 0..15 one bit of a register, -2 a packed FC01/FC02 bit. */
  readonly ruleBit: Int8Array;
  readonly ruleScale: Float64Array;
  readonly ruleExponent: Int8Array;
  /** Decimal-point register: TYPE_S16 or TYPE_U16, and its sign. */
  readonly ruleExponentType: Uint8Array;
  readonly ruleExponentSign: Int8Array;
  /** 1 for running totals (state class total_increasing): the sanity filter guards them. */
  readonly ruleTotal: Uint8Array;
  /** The rule's "not available" raws: ruleInvalid[ruleInvalidStart[k] .. ruleInvalidStart[k + 1]). */
  readonly ruleInvalidStart: Uint16Array;
  readonly ruleInvalid: Float64Array;
  /** Layout values decoded from layout read q: lrValueIndex[lrValueStart[q] .. lrValueStart[q + 1]) (layout value indices). */
  readonly lrValueStart: Int32Array;
  readonly lrValueIndex: Uint16Array;
  /** Layout values whose decimal-point register is in layout read q: lrExponentIndex[lrExponentStart[q] .. lrExponentStart[q + 1]). */
  readonly lrExponentStart: Int32Array;
  readonly lrExponentIndex: Uint16Array;
  /** Largest response data of any read (for sizing buffers). */
  readonly maxResponseDataBytes: number;
  private readsView: PlannedRead[] | null = null;
  private valuesView: PlannedValue[] | null = null;

  constructor(parts: PlanParts, line: LineTiming, turnaroundUs: number) {
    const { specs, meterRows, layoutRows, reads, layoutValues } = parts;
    const nm = specs.length;
    const nr = reads.length;
    const nl = layoutRows.length / 3;
    const nlv = layoutValues.count;
    let nv = 0;
    let nlr = 0;
    for (let m = 0; m < nm; m++) nv += meterRows[5 * m + 4];
    for (let l = 0; l < nl; l++) nlr += layoutRows[3 * l + 2];
    if (nm > 65535) throw new RangeError(`a plan holds at most 65535 meters (got ${nm})`);
    if (nr > 32767 || nv > 65535) throw new RangeError(`a plan holds at most 32767 reads and 65535 values (got ${nr} and ${nv})`);
    // Decoding rules: one per (profile, point) pair the site uses, counted first so every column is sized at once.
    const rulePoints: Point[] = [];
    const seen = new Map<Profile, Map<number, number>>();
    const layoutProfile: Profile[] = [];
    for (let m = 0; m < nm; m++) layoutProfile[meterRows[5 * m]] = specs[m].profile;
    let invalidCount = 0;
    let withExponent = 0;
    for (let l = 0; l < nl; l++) {
      const profile = layoutProfile[l];
      const end = l + 1 < nl ? layoutRows[3 * (l + 1)] : nlv;
      for (let lv = layoutRows[3 * l]; lv < end; lv++) {
        const point = layoutValues.point[lv];
        let byPoint = seen.get(profile);
        if (byPoint === undefined) { byPoint = new Map(); seen.set(profile, byPoint); }
        if (!byPoint.has(point)) {
          byPoint.set(point, rulePoints.length);
          rulePoints.push(profile.points[point]);
          invalidCount += profile.points[point].invalid.length;
        }
        if (layoutValues.exponentRead[lv] >= 0) withExponent++;
      }
    }
    const nk = rulePoints.length;
    // Every column of the plan is a view of one buffer (modules/common/column-arena.ts): meters, reads, layouts, rules, indices.
    const arena = new ColumnArena(columnBytes(2 * nm, 2 * nm, 2 * nm, 2 * nm, nm, 2 * nm, 2 * nr, nr, nr, 2 * nr, 2 * nr, 8 * nr,
      2 * nl, 2 * nl, 2 * nl, 2 * nl, 2 * nlv, 2 * nlv, 2 * nlv, 2 * nlv,
      nk, nk, nk, 8 * nk, nk, nk, nk, nk, 2 * (nk + 1), 8 * invalidCount, 4 * (nlr + 1), 2 * nlv, 4 * (nlr + 1), 2 * withExponent));
    this.meterFirstRead = arena.u16(nm);
    this.meterReadCount = arena.u16(nm);
    this.meterFirstValue = arena.u16(nm);
    this.meterValueCount = arena.u16(nm);
    this.meterUnit = arena.u8(nm);
    this.meterLayout = arena.u16(nm);
    const meters: MeterPlan[] = [];
    for (let m = 0; m < nm; m++) {
      this.meterLayout[m] = meterRows[5 * m];
      this.meterFirstRead[m] = meterRows[5 * m + 1];
      this.meterReadCount[m] = meterRows[5 * m + 2];
      this.meterFirstValue[m] = meterRows[5 * m + 3];
      this.meterValueCount[m] = meterRows[5 * m + 4];
      this.meterUnit[m] = specs[m].unit;
      meters.push(new MeterPlan(specs[m], this, m));
    }
    this.meters = meters;
    this.line = line;
    this.turnaroundUs = turnaroundUs;
    this.readCount = nr;
    this.valueCount = nv;
    this.layoutCount = nl;
    this.readMeter = arena.u16(nr);
    this.readUnit = arena.u8(nr);
    this.readFunction = arena.u8(nr);
    this.readStart = arena.u16(nr);
    this.readRegisters = arena.u16(nr);
    this.readBusTimeUs = arena.f64(nr);
    let max = 0;
    reads.forEach((rd, r) => {
      this.readMeter[r] = rd.meter;
      this.readUnit[r] = rd.unit;
      this.readFunction[r] = rd.function;
      this.readStart[r] = rd.start;
      this.readRegisters[r] = rd.count;
      this.readBusTimeUs[r] = rd.busTimeUs;
      max = Math.max(max, responseDataBytes(rd.function, rd.count));
    });
    this.maxResponseDataBytes = max;

    // The layout value columns are the planner's own (LayoutColumns, sized to the layout value count), kept as they are.
    if (layoutValues.point.length !== nlv) throw new RangeError("internal: layout columns not filled");
    this.layoutFirstValue = arena.u16(nl);
    this.layoutFirstRead = arena.u16(nl);
    this.layoutTotals = arena.u16(nl);
    this.layoutExponents = arena.u16(nl);
    this.lvPoint = layoutValues.point;
    this.lvRead = layoutValues.read;
    this.lvOffset = layoutValues.offset;
    this.lvExponentRead = layoutValues.exponentRead;
    this.lvExponentOffset = layoutValues.exponentOffset;
    this.lvRule = arena.u16(nlv);
    this.lvTotal = arena.i16(nlv);
    this.lvExponent = arena.i16(nlv);
    this.ruleType = arena.u8(nk);
    this.ruleOrder = arena.u8(nk);
    this.ruleBit = arena.i8(nk);
    this.ruleScale = arena.f64(nk);
    this.ruleExponent = arena.i8(nk);
    this.ruleExponentType = arena.u8(nk);
    this.ruleExponentSign = arena.i8(nk);
    this.ruleTotal = arena.u8(nk);
    this.ruleInvalidStart = arena.u16(nk + 1);
    this.ruleInvalid = arena.f64(invalidCount);
    let inv = 0;
    rulePoints.forEach((p, k) => {
      const codec = codecOf(p); // checks the rule as the ValueCodec constructor does
      this.ruleType[k] = codec.type;
      this.ruleOrder[k] = codec.order;
      this.ruleBit[k] = codec.bit;
      this.ruleScale[k] = codec.scale;
      this.ruleExponent[k] = codec.exponent;
      this.ruleExponentType[k] = p.exponentFrom?.type === "u16" ? TYPE_U16 : TYPE_S16;
      this.ruleExponentSign[k] = p.exponentFrom?.sign ?? 1;
      this.ruleTotal[k] = p.stateClass === "total_increasing" ? 1 : 0;
      this.ruleInvalidStart[k] = inv;
      for (const x of p.invalid) this.ruleInvalid[inv++] = x;
    });
    this.ruleInvalidStart[nk] = inv;

    this.lrValueStart = arena.i32(nlr + 1);
    this.lrValueIndex = arena.u16(nlv);
    this.lrExponentStart = arena.i32(nlr + 1);
    this.lrExponentIndex = arena.u16(withExponent);
    let k = 0;
    let e = 0;
    for (let l = 0; l < nl; l++) {
      const first = layoutRows[3 * l];
      const end = l + 1 < nl ? layoutRows[3 * (l + 1)] : nlv;
      const firstRead = layoutRows[3 * l + 1];
      this.layoutFirstValue[l] = first;
      this.layoutFirstRead[l] = firstRead;
      let totals = 0;
      let exponents = 0;
      for (let lv = first; lv < end; lv++) {
        const rule = seen.get(layoutProfile[l])!.get(this.lvPoint[lv])!;
        this.lvRule[lv] = rule;
        this.lvTotal[lv] = this.ruleTotal[rule] === 1 ? totals++ : -1;
        this.lvExponent[lv] = this.lvExponentRead[lv] >= 0 ? exponents++ : -1;
      }
      this.layoutTotals[l] = totals;
      this.layoutExponents[l] = exponents;
      for (let q = 0; q < layoutRows[3 * l + 2]; q++) {
        this.lrValueStart[firstRead + q] = k;
        this.lrExponentStart[firstRead + q] = e;
        for (let lv = first; lv < end; lv++) {
          if (this.lvRead[lv] === q) this.lrValueIndex[k++] = lv;
          if (this.lvExponentRead[lv] === q) this.lrExponentIndex[e++] = lv;
        }
      }
    }
    this.lrValueStart[nlr] = k;
    this.lrExponentStart[nlr] = e;
  }

  /** The meter value v belongs to. */
  meterOf(v: number): number {
    let lo = 0;
    let hi = this.meters.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.meterFirstValue[mid] <= v) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** The layout value of value v. */
  layoutValueOf(v: number): number {
    const m = this.meterOf(v);
    return this.layoutFirstValue[this.meterLayout[m]] + v - this.meterFirstValue[m];
  }

  /** Index into its meter's profile.points of value v. */
  pointOf(v: number): number {
    return this.lvPoint[this.layoutValueOf(v)];
  }

  /** The read holding value v. */
  readOf(v: number): number {
    return this.meterFirstRead[this.meterOf(v)] + this.lvRead[this.layoutValueOf(v)];
  }

  /** The values read r delivers, in decoding order. */
  valuesOf(r: number): number[] {
    const m = this.readMeter[r];
    const l = this.meterLayout[m];
    const q = this.layoutFirstRead[l] + r - this.meterFirstRead[m];
    const out: number[] = [];
    for (let i = this.lrValueStart[q]; i < this.lrValueStart[q + 1]; i++) out.push(this.meterFirstValue[m] + this.lrValueIndex[i] - this.layoutFirstValue[l]);
    return out;
  }

  /** The reads as objects (configuration-time code; built on first use). */
  get reads(): readonly PlannedRead[] {
    if (this.readsView === null) {
      const list: PlannedRead[] = [];
      for (let r = 0; r < this.readCount; r++) {
        list.push({ meter: this.readMeter[r], unit: this.readUnit[r], function: this.readFunction[r] as FunctionCode, start: this.readStart[r], count: this.readRegisters[r], busTimeUs: this.readBusTimeUs[r] });
      }
      this.readsView = list;
    }
    return this.readsView;
  }

  /** The values as objects (configuration-time code; built on first use). */
  get values(): readonly PlannedValue[] {
    if (this.valuesView === null) {
      const list: PlannedValue[] = [];
      for (let v = 0; v < this.valueCount; v++) {
        const m = this.meterOf(v);
        const lv = this.layoutValueOf(v);
        const point = this.lvPoint[lv];
        const k = this.lvRule[lv];
        const exponentRead = this.lvExponentRead[lv];
        list.push({
          meter: m, point, name: this.meters[m].profile.points[point].name, read: this.meterFirstRead[m] + this.lvRead[lv], offset: this.lvOffset[lv],
          codec: codecOf(this.meters[m].profile.points[point]), exponentRead: exponentRead < 0 ? -1 : this.meterFirstRead[m] + exponentRead,
          exponentOffset: this.lvExponentOffset[lv], exponentType: this.ruleExponentType[k], exponentSign: this.ruleExponentSign[k],
        });
      }
      this.valuesView = list;
    }
    return this.valuesView;
  }

  /** Name of value v (its profile point's name). */
  valueName(v: number): string {
    return this.meters[this.meterOf(v)].profile.points[this.pointOf(v)].name;
  }

  /**
   * Decodes layout value lv of read data at `offset` of `bytes` (the read's response data), with the decimal-point
   * exponent `extra` (0 when the value has none). Allocates nothing.
   */
  decodeLayoutValue(lv: number, bytes: Uint8Array, offset: number, extra: number): number {
    const k = this.lvRule[lv];
    const bit = this.ruleBit[k];
    if (bit === -2) return decodeRule(this.ruleType[k], this.ruleOrder[k], bit, 1, 0, this.ruleInvalid, 0, 0, bytes, offset, 0, this.lvOffset[lv]);
    return decodeRule(this.ruleType[k], this.ruleOrder[k], bit, this.ruleScale[k], this.ruleExponent[k], this.ruleInvalid,
      this.ruleInvalidStart[k], this.ruleInvalidStart[k + 1], bytes, offset + this.lvOffset[lv], extra, 0);
  }

  /** Decodes value v (see decodeLayoutValue; configuration-time: finds v's layout value first). */
  decode(v: number, bytes: Uint8Array, offset: number, extra: number): number {
    return this.decodeLayoutValue(this.layoutValueOf(v), bytes, offset, extra);
  }

  /** Bus time of one full polling cycle of every meter, µs. */
  get busTimePerCycleUs(): number {
    let t = 0;
    for (let r = 0; r < this.readCount; r++) t += this.readBusTimeUs[r];
    return t;
  }

  /** A human-readable table of the plan. */
  format(): string {
    const lines: string[] = [];
    lines.push(`plan: ${counted(this.meters.length, "meter")}, ${counted(this.readCount, "read")}, ${counted(this.valueCount, "value")} per cycle; bus ${this.line.baud} ${this.line.framing}, turnaround ${this.turnaroundUs / 1000} ms; ${(this.busTimePerCycleUs / 1000).toFixed(1)} ms of bus time per cycle`);
    for (let m = 0; m < this.meters.length; m++) {
      const mp = this.meters[m];
      lines.push("");
      lines.push(`meter ${mp.name} (unit ${mp.unit}, ${mp.profile.id}): ${counted(mp.readCount, "read")}, ${counted(mp.valueCount, "value")}, ${(mp.busTimeUs / 1000).toFixed(1)} ms`);
      for (let r = mp.firstRead; r < mp.firstRead + mp.readCount; r++) {
        const rd = this.reads[r];
        const names = this.valuesOf(r).map((v) => this.valueName(v));
        const kind = rd.function <= 2 ? "bits" : "registers";
        lines.push(`  FC${String(rd.function).padStart(2, "0")} ${String(rd.start).padStart(5)} +${String(rd.count).padEnd(3)} ${kind.padEnd(9)} ${(rd.busTimeUs / 1000).toFixed(1).padStart(6)} ms  ${names.join(", ")}`);
      }
    }
    return lines.join("\n");
  }

  /** Plain data for `rc485 plan --json`. */
  toJSON(): unknown {
    return {
      baud: this.line.baud, framing: this.line.framing, turnaroundUs: this.turnaroundUs, busTimePerCycleUs: this.busTimePerCycleUs,
      meters: this.meters.map((mp) => ({
        name: mp.name, unit: mp.unit, profile: mp.profile.id, busTimeUs: mp.busTimeUs,
        reads: this.reads.slice(mp.firstRead, mp.firstRead + mp.readCount).map((rd, i) => {
          const names = this.valuesOf(mp.firstRead + i).map((v) => this.valueName(v));
          return { function: rd.function, start: rd.start, count: rd.count, busTimeUs: rd.busTimeUs, points: names };
        }),
      })),
    };
  }
}

/** Builds the ValueCodec of a profile point. */
export function codecOf(p: Point): ValueCodec {
  const bit = p.function <= 2 ? -2 : p.bit;
  return new ValueCodec(typeCode(p.type), orderCode(p.order), bit, p.scale, p.exponent, p.invalid);
}

/** Start and count of a read covering [start, end) under the meter's rules (count may exceed the limit: caller checks). */
function blockOf(fn: number, start: number, end: number, limits: Limits): { start: number; count: number } {
  if (fn <= 2) return { start, count: end - start };
  const count = paddedSpan(start, end - start, limits);
  const s = limits.evenStartOnly && start % 2 === 1 ? start - 1 : start;
  return { start: s, count };
}

/** Minimum-bus-time cover of sorted, disjoint spans by reads; returns [start, count] pairs. Exported for tests. */
export function coverSpans(fn: number, spans: readonly Span[], limits: Limits, cost: (fn: number, count: number) => number): { start: number; count: number }[] {
  const n = spans.length;
  const limit = fn <= 2 ? limits.maxBits : limits.maxRegisters;
  const best = new Float64Array(n + 1);
  const reads = new Int32Array(n + 1);
  const from = new Int32Array(n + 1);
  for (let j = 1; j <= n; j++) {
    best[j] = Infinity;
    for (let i = j; i >= 1; i--) {
      const b = blockOf(fn, spans[i - 1].start, spans[j - 1].end, limits);
      if (b.count > limit || b.start + b.count > 65536) break;
      const c = best[i - 1] + cost(fn, b.count);
      const k = reads[i - 1] + 1;
      if (c < best[j] || (c === best[j] && k < reads[j])) { best[j] = c; reads[j] = k; from[j] = i; }
    }
    if (best[j] === Infinity) throw new RangeError(`a value at ${spans[j - 1].start} does not fit in one read of at most ${limit}`);
  }
  const out: { start: number; count: number }[] = [];
  for (let j = n; j > 0; j = from[j] - 1) out.push(blockOf(fn, spans[from[j] - 1].start, spans[j - 1].end, limits));
  return out.reverse();
}

/** Sorts spans and merges overlapping ones. */
function mergeSpans(list: Span[]): Span[] {
  list.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Span[] = [];
  for (const s of list) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

/** The same layout: one profile object and the same points in the same order. */
function sameLayout(a: MeterSpec, b: MeterSpec): boolean {
  if (a.profile !== b.profile || a.points.length !== b.points.length) return false;
  if (a.points === b.points) return true;
  for (let i = 0; i < a.points.length; i++) if (a.points[i] !== b.points[i]) return false;
  return true;
}

/**
 * Plans the reads of every meter. Throws RangeError on a point index or limit that makes a value unreadable. Meters of
 * the same layout (profile and points) are planned once: they get the same reads at their own unit.
 */
export function planSite(meters: readonly MeterSpec[], options: PlanOptions): Plan {
  const line = new LineTiming(options.baud, options.framing);
  const turnaroundUs = options.turnaroundUs ?? DEFAULT_TURNAROUND_US;
  const siteDelayUs = options.interRequestDelayUs ?? 0;
  if (!(turnaroundUs >= 0) || !(siteDelayUs >= 0)) throw new RangeError("turnaroundUs and interRequestDelayUs must be ≥ 0");
  // Each meter's layout: the first meter of the same profile and points.
  const owner: number[] = [];
  let layoutCapacity = 0;
  meters.forEach((m, mi) => {
    let o = 0;
    while (o < mi && !(owner[o] === o && sameLayout(meters[o], m))) o++;
    owner.push(o);
    if (o === mi) layoutCapacity += m.points.length;
  });
  const reads: PlannedRead[] = [];
  const layoutValues = new LayoutColumns(layoutCapacity);
  /** Per layout: its reads (function, start, count, bus time), planned once for its first meter. */
  const layoutReads: PlannedRead[][] = [];
  const layoutOf: number[] = [];
  const layoutRows: number[] = [];
  const meterRows: number[] = [];
  let valueCount = 0;

  meters.forEach((m, mi) => {
    const firstRead = reads.length;
    const firstValue = valueCount;
    if (owner[mi] !== mi) {
      const l = layoutOf[owner[mi]];
      layoutOf.push(l);
      for (const rd of layoutReads[l]) reads.push({ meter: mi, unit: m.unit, function: rd.function, start: rd.start, count: rd.count, busTimeUs: rd.busTimeUs });
      valueCount += m.points.length;
      meterRows.push(l, firstRead, reads.length - firstRead, firstValue, valueCount - firstValue);
      return;
    }
    const l = layoutReads.length;
    layoutOf.push(l);
    const own: PlannedRead[] = [];
    layoutReads.push(own);
    const firstLayoutValue = layoutValues.count;
    const limits = m.profile.limits;
    const delayUs = Math.max(siteDelayUs, Math.round(limits.minDelayMs * 1000));
    const cost = (fn: number, count: number) => readBusTimeUs(line, fn, count, turnaroundUs, delayUs);
    const points = m.points.map((i) => {
      const p = m.profile.points[i];
      if (!p) throw new RangeError(`meters[${mi}] ${m.name}: point index ${i} is not in profile ${m.profile.id}`);
      return p;
    });
    for (const fn of [1, 2, 3, 4] as const) {
      const spans: Span[] = [];
      for (const p of points) {
        if (p.function === fn) spans.push({ start: p.address, end: p.address + p.words });
        if (p.exponentFrom && p.exponentFrom.function === fn) spans.push({ start: p.exponentFrom.address, end: p.exponentFrom.address + 1 });
      }
      if (spans.length === 0) continue;
      for (const b of coverSpans(fn, mergeSpans(spans), limits, cost)) {
        own.push({ meter: mi, unit: m.unit, function: fn, start: b.start, count: b.count, busTimeUs: cost(fn, b.count) });
      }
    }
    const find = (fn: number, address: number, words: number): number => {
      for (let q = 0; q < own.length; q++) {
        const rd = own[q];
        if (rd.function === fn && address >= rd.start && address + words <= rd.start + rd.count) return q;
      }
      throw new RangeError(`internal: no read covers FC${fn} ${address}`);
    };
    m.points.forEach((pi, k) => {
      const p = points[k];
      const q = find(p.function, p.address, p.words);
      const unitSize = p.function <= 2 ? 1 : 2;
      let exponentRead = -1;
      let exponentOffset = 0;
      if (p.exponentFrom) {
        exponentRead = find(p.exponentFrom.function, p.exponentFrom.address, 1);
        exponentOffset = 2 * (p.exponentFrom.address - own[exponentRead].start);
      }
      layoutValues.push(pi, q, unitSize * (p.address - own[q].start), exponentRead, exponentOffset);
    });
    let firstLayoutRead = 0;
    for (let i = 0; i < l; i++) firstLayoutRead += layoutReads[i].length;
    layoutRows.push(firstLayoutValue, firstLayoutRead, own.length);
    for (const rd of own) reads.push(rd);
    valueCount += m.points.length;
    meterRows.push(l, firstRead, reads.length - firstRead, firstValue, valueCount - firstValue);
  });
  return new Plan({ specs: meters, meterRows, layoutRows, reads, layoutValues }, line, turnaroundUs);
}

/** The naive plan for comparison: one read per wanted value (and one per decimal-point register). */
export function naiveReadCount(meters: readonly MeterSpec[]): number {
  let n = 0;
  for (const m of meters) for (const i of m.points) n += m.profile.points[i].exponentFrom ? 2 : 1;
  return n;
}
