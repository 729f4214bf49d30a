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
 * allocating (see modules/latest-values.ts) and a 32-meter site fits the device (docs/esp32.md, memory budget).
 */
import { ColumnArena, columnBytes } from "./column-arena";
import { paddedSpan, type FunctionCode, type Limits, type Point, type Profile } from "./profile";
import { LineTiming, type Framing } from "./rtu/timing";
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
 * The spec is the caller's, kept (a site meter: modules/site.ts meterSpecs passes its own).
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
 * The value columns planSite() fills as it plans (sized from the site up front, so building a plan never holds an
 * object per value: the device builds it within its fixed heap).
 */
class ValueColumns {
  count = 0;
  readonly meter: Uint16Array;
  readonly point: Uint16Array;
  readonly read: Uint16Array;
  readonly offset: Uint16Array;
  readonly exponentRead: Int16Array;
  readonly exponentOffset: Uint16Array;
  constructor(capacity: number) {
    if (capacity > 65535) throw new RangeError(`a plan holds at most 65535 values (got ${capacity})`);
    const arena = new ColumnArena(columnBytes(2 * capacity, 2 * capacity, 2 * capacity, 2 * capacity, 2 * capacity, 2 * capacity));
    this.meter = arena.u16(capacity);
    this.point = arena.u16(capacity);
    this.read = arena.u16(capacity);
    this.offset = arena.u16(capacity);
    this.exponentRead = arena.i16(capacity);
    this.exponentOffset = arena.u16(capacity);
  }
  push(meter: number, point: number, read: number, offset: number, exponentRead: number, exponentOffset: number): void {
    const i = this.count++;
    this.meter[i] = meter;
    this.point[i] = point;
    this.read[i] = read;
    this.offset[i] = offset;
    this.exponentRead[i] = exponentRead;
    this.exponentOffset[i] = exponentOffset;
  }
}

/**
 * A complete plan. Memory: the reads, the values and their decoding rules are columns of typed arrays sized from the
 * site (no object per read or per value); decoding rules are shared by every value of the same profile point (a site of
 * 32 meters of 4 models holds at most the 4 profiles' points' rules). `reads` and `values` give the same data as objects
 * for configuration-time code (CLI, simulator, tests): built on first use and kept, never touched by the polling path.
 */
export class Plan {
  readonly meters: readonly MeterPlan[];
  // Meters, by meter index (MeterPlan reads them; the scheduler and the poll loop read them directly).
  readonly meterFirstRead: Uint16Array;
  readonly meterReadCount: Uint16Array;
  readonly meterFirstValue: Uint16Array;
  readonly meterValueCount: Uint16Array;
  readonly meterUnit: Uint8Array;
  readonly line: LineTiming;
  readonly turnaroundUs: number;
  readonly readCount: number;
  readonly valueCount: number;
  // Reads, by read index.
  readonly readMeter: Uint16Array;
  readonly readUnit: Uint8Array;
  readonly readFunction: Uint8Array;
  readonly readStart: Uint16Array;
  /** Registers (FC03/04) or bits (FC01/02). */
  readonly readRegisters: Uint16Array;
  readonly readBusTimeUs: Float64Array;
  // Values, by value index.
  readonly valueMeter: Uint16Array;
  /** Index into the meter's profile.points. */
  readonly valuePoint: Uint16Array;
  readonly valueRead: Uint16Array;
  /** Byte offset of the value in the read's response data (FC01/02: the bit index). */
  readonly valueOffset: Uint16Array;
  /** Read holding the decimal-point register, or -1. */
  readonly valueExponentRead: Int16Array;
  readonly valueExponentOffset: Uint16Array;
  /** Decoding rule of the value: index into the rule columns below. */
  readonly valueRule: Uint16Array;
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
  /** Values decoded from read r: valueIndex[readValueStart[r] .. readValueStart[r + 1]). */
  readonly readValueStart: Int32Array;
  readonly readValueIndex: Uint16Array;
  /** Values whose decimal-point register is in read r: exponentValueIndex[readExponentStart[r] .. readExponentStart[r + 1]). */
  readonly readExponentStart: Int32Array;
  readonly exponentValueIndex: Uint16Array;
  /** Largest response data of any read (for sizing buffers). */
  readonly maxResponseDataBytes: number;
  private readsView: PlannedRead[] | null = null;
  private valuesView: PlannedValue[] | null = null;

  constructor(specs: readonly MeterSpec[], meterCounts: readonly number[], reads: readonly PlannedRead[], values: ValueColumns, line: LineTiming, turnaroundUs: number) {
    const nm = specs.length;
    const nr = reads.length;
    const nv = values.count;
    if (nm > 65535) throw new RangeError(`a plan holds at most 65535 meters (got ${nm})`);
    if (nr > 32767 || nv > 65535) throw new RangeError(`a plan holds at most 32767 reads and 65535 values (got ${nr} and ${nv})`);
    // The value columns are the planner's own (ValueColumns, sized to the value count), kept as they are.
    if (values.meter.length !== nv) throw new RangeError("internal: value columns not filled");
    // Decoding rules: one per (profile, point) pair the site uses, counted first so every column is sized at once.
    const rulePoints: Point[] = [];
    const seen = new Map<Profile, Map<number, number>>();
    let invalidCount = 0;
    let withExponent = 0;
    for (let v = 0; v < nv; v++) {
      const profile = specs[values.meter[v]].profile;
      const point = values.point[v];
      let byPoint = seen.get(profile);
      if (byPoint === undefined) { byPoint = new Map(); seen.set(profile, byPoint); }
      if (!byPoint.has(point)) {
        byPoint.set(point, rulePoints.length);
        rulePoints.push(profile.points[point]);
        invalidCount += profile.points[point].invalid.length;
      }
      if (values.exponentRead[v] >= 0) withExponent++;
    }
    const nk = rulePoints.length;
    // Every column of the plan is a view of one buffer (modules/column-arena.ts): meters, reads, rules, indices.
    const arena = new ColumnArena(columnBytes(2 * nm, 2 * nm, 2 * nm, 2 * nm, nm, 2 * nr, nr, nr, 2 * nr, 2 * nr, 8 * nr, 2 * nv,
      nk, nk, nk, 8 * nk, nk, nk, nk, nk, 2 * (nk + 1), 8 * invalidCount, 4 * (nr + 1), 2 * nv, 4 * (nr + 1), 2 * withExponent));
    this.meterFirstRead = arena.u16(nm);
    this.meterReadCount = arena.u16(nm);
    this.meterFirstValue = arena.u16(nm);
    this.meterValueCount = arena.u16(nm);
    this.meterUnit = arena.u8(nm);
    const meters: MeterPlan[] = [];
    for (let m = 0; m < nm; m++) {
      this.meterFirstRead[m] = meterCounts[4 * m];
      this.meterReadCount[m] = meterCounts[4 * m + 1];
      this.meterFirstValue[m] = meterCounts[4 * m + 2];
      this.meterValueCount[m] = meterCounts[4 * m + 3];
      this.meterUnit[m] = specs[m].unit;
      meters.push(new MeterPlan(specs[m], this, m));
    }
    this.meters = meters;
    this.line = line;
    this.turnaroundUs = turnaroundUs;
    this.readCount = nr;
    this.valueCount = nv;
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

    this.valueMeter = values.meter;
    this.valuePoint = values.point;
    this.valueRead = values.read;
    this.valueOffset = values.offset;
    this.valueExponentRead = values.exponentRead;
    this.valueExponentOffset = values.exponentOffset;
    this.valueRule = arena.u16(nv);
    for (let v = 0; v < nv; v++) this.valueRule[v] = seen.get(specs[this.valueMeter[v]].profile)!.get(this.valuePoint[v])!;
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

    this.readValueStart = arena.i32(nr + 1);
    this.readValueIndex = arena.u16(nv);
    this.readExponentStart = arena.i32(nr + 1);
    this.exponentValueIndex = arena.u16(withExponent);
    let k = 0;
    let e = 0;
    for (let r = 0; r < nr; r++) {
      this.readValueStart[r] = k;
      this.readExponentStart[r] = e;
      for (let v = 0; v < nv; v++) {
        if (this.valueRead[v] === r) this.readValueIndex[k++] = v;
        if (this.valueExponentRead[v] === r) this.exponentValueIndex[e++] = v;
      }
    }
    this.readValueStart[nr] = k;
    this.readExponentStart[nr] = e;
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
        const m = this.valueMeter[v];
        const point = this.valuePoint[v];
        const k = this.valueRule[v];
        list.push({
          meter: m, point, name: this.meters[m].profile.points[point].name, read: this.valueRead[v], offset: this.valueOffset[v],
          codec: codecOf(this.meters[m].profile.points[point]), exponentRead: this.valueExponentRead[v], exponentOffset: this.valueExponentOffset[v],
          exponentType: this.ruleExponentType[k], exponentSign: this.ruleExponentSign[k],
        });
      }
      this.valuesView = list;
    }
    return this.valuesView;
  }

  /** Name of value v (its profile point's name). */
  valueName(v: number): string {
    return this.meters[this.valueMeter[v]].profile.points[this.valuePoint[v]].name;
  }

  /**
   * Decodes value v of read data at `offset` of `bytes` (the read's response data), with the decimal-point exponent
   * `extra` (0 when the value has none). Allocates nothing.
   */
  decode(v: number, bytes: Uint8Array, offset: number, extra: number): number {
    const k = this.valueRule[v];
    const bit = this.ruleBit[k];
    if (bit === -2) return decodeRule(this.ruleType[k], this.ruleOrder[k], bit, 1, 0, this.ruleInvalid, 0, 0, bytes, offset, 0, this.valueOffset[v]);
    return decodeRule(this.ruleType[k], this.ruleOrder[k], bit, this.ruleScale[k], this.ruleExponent[k], this.ruleInvalid,
      this.ruleInvalidStart[k], this.ruleInvalidStart[k + 1], bytes, offset + this.valueOffset[v], extra, 0);
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
        const names: string[] = [];
        for (let i = this.readValueStart[r]; i < this.readValueStart[r + 1]; i++) names.push(this.valueName(this.readValueIndex[i]));
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
          const r = mp.firstRead + i;
          const names: string[] = [];
          for (let k = this.readValueStart[r]; k < this.readValueStart[r + 1]; k++) names.push(this.valueName(this.readValueIndex[k]));
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

/** Plans the reads of every meter. Throws RangeError on a point index or limit that makes a value unreadable. */
export function planSite(meters: readonly MeterSpec[], options: PlanOptions): Plan {
  const line = new LineTiming(options.baud, options.framing);
  const turnaroundUs = options.turnaroundUs ?? DEFAULT_TURNAROUND_US;
  const siteDelayUs = options.interRequestDelayUs ?? 0;
  if (!(turnaroundUs >= 0) || !(siteDelayUs >= 0)) throw new RangeError("turnaroundUs and interRequestDelayUs must be ≥ 0");
  const reads: PlannedRead[] = [];
  let valueCapacity = 0;
  for (const m of meters) valueCapacity += m.points.length;
  const values = new ValueColumns(valueCapacity);
  const meterCounts: number[] = [];

  meters.forEach((m, mi) => {
    const limits = m.profile.limits;
    const delayUs = Math.max(siteDelayUs, Math.round(limits.minDelayMs * 1000));
    const cost = (fn: number, count: number) => readBusTimeUs(line, fn, count, turnaroundUs, delayUs);
    const firstRead = reads.length;
    const firstValue = values.count;
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
        reads.push({ meter: mi, unit: m.unit, function: fn, start: b.start, count: b.count, busTimeUs: cost(fn, b.count) });
      }
    }
    const find = (fn: number, address: number, words: number): number => {
      for (let r = firstRead; r < reads.length; r++) {
        const rd = reads[r];
        if (rd.function === fn && address >= rd.start && address + words <= rd.start + rd.count) return r;
      }
      throw new RangeError(`internal: no read covers FC${fn} ${address}`);
    };
    m.points.forEach((pi, k) => {
      const p = points[k];
      const r = find(p.function, p.address, p.words);
      const unitSize = p.function <= 2 ? 1 : 2;
      let exponentRead = -1;
      let exponentOffset = 0;
      if (p.exponentFrom) {
        exponentRead = find(p.exponentFrom.function, p.exponentFrom.address, 1);
        exponentOffset = 2 * (p.exponentFrom.address - reads[exponentRead].start);
      }
      values.push(mi, pi, r, unitSize * (p.address - reads[r].start), exponentRead, exponentOffset);
    });
    meterCounts.push(firstRead, reads.length - firstRead, firstValue, values.count - firstValue);
  });
  return new Plan(meters, meterCounts, reads, values, line, turnaroundUs);
}

/** The naive plan for comparison: one read per wanted value (and one per decimal-point register). */
export function naiveReadCount(meters: readonly MeterSpec[]): number {
  let n = 0;
  for (const m of meters) for (const i of m.points) n += m.profile.points[i].exponentFrom ? 2 : 1;
  return n;
}
