/*
 * The readings store: what the concentrator knows about each meter, in fixed memory, for the forwarders (MQTT, HTTP JSON,
 * status page) to read. The polling side feeds it (`record` after a decoded and sanity-checked reading, `failure` after a
 * failed transaction); the forwarders only read it.
 *
 * Per meter: the point metadata (field names as in the agreed profile format, docs: prompts/formats.md — `name`, `label`,
 * `unit`, `deviceClass`, `stateClass`), the latest values in engineering units (Float64Array, point order; NaN = not
 * available), the reading time twice (host-monotonic microseconds for ages, wall-clock epoch milliseconds for publishing),
 * health (online/offline, consecutive failures, last good reading, fault counters by kind), and a history ring of fixed
 * time buckets (default here 120 × 30 s; a site's `history` section sets both, default 30 × 120 s = the last hour) holding mean active power
 * and poll/failure counts as small numbers (HISTORY_BYTES_PER_BUCKET = 9 bytes per bucket per meter), from which the
 * status page draws power and link-error-rate charts.
 *
 * Energy totals also feed the per-day and per-month figures of modules/concentrator/energy-periods.ts (`periods`).
 *
 * Memory: everything is allocated in the constructor, sized from the meter list and `historyBuckets`, in store-wide
 * typed arrays (a meter's values, clock and fault counters are views into them; its history is a row of the history
 * columns); record() and failure() write into typed arrays and allocate nothing. Time is an argument (integer microseconds, one monotonic clock).
 */

import { ColumnArena, columnBytes } from "../common/column-arena";
import { EnergyPeriods } from "./energy-periods";
import { rebasedTime } from "../port/time-rebase";

/** One point of a meter profile, as far as forwarding needs it (same field names as profiles/<id>.json). */
export interface PointMeta {
  readonly name: string;
  readonly label?: string;
  readonly unit?: string;
  readonly deviceClass?: string;
  readonly stateClass?: string;
  /** Register type (u16 … f64, bool); chooses the digits published (f32 carries about 7 significant digits). */
  readonly type?: string;
}

/** One meter of the site, with the points actually polled (in the order of `record()`'s values). */
export interface MeterMeta {
  /** Site name of the meter, [A-Za-z0-9_-] (it becomes an MQTT topic level and a Home Assistant id). */
  readonly name: string;
  /** Profile id (profiles/<id>.json). */
  readonly profile: string;
  readonly manufacturer?: string;
  readonly model?: string;
  /** Modbus unit address on the bus. */
  readonly unit?: number;
  readonly points: readonly PointMeta[];
  /** Polling interval (ms) from the site file; a reading older than 3 intervals is shown as stale (default 10000). */
  readonly intervalMs?: number;
  /** Point charted as "power"; default: the first point with deviceClass "power" (a name with "total" preferred). */
  readonly powerPoint?: string;
  /** The repeater segment (an R/C pair's link, by name) the meter sits behind; absent on the plain bus. */
  readonly via?: string;
}

export interface ReadingsConfig {
  readonly meters: readonly MeterMeta[];
  /** History buckets per meter (default 120). */
  readonly historyBuckets?: number;
  /** Bucket width in microseconds (default 30 s). */
  readonly bucketUs?: number;
  /** Consecutive failed polls after which a meter counts as offline (default 3). */
  readonly offlineAfter?: number;
  /** Minutes east of UTC of the site's local time: where days and months begin for `periods` (default 0, UTC). */
  readonly utcOffsetMin?: number;
}

/** Fault kinds counted per meter; `failure(meter, kind, now)` takes the index. */
export const FAULT_KINDS = Object.freeze(["timeout", "crc", "exception", "framing", "sanity", "other"] as const);
export const FAULT_TIMEOUT = 0;
export const FAULT_CRC = 1;
export const FAULT_EXCEPTION = 2;
export const FAULT_FRAMING = 3;
export const FAULT_SANITY = 4;
export const FAULT_OTHER = 5;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const POINT_NAME = /^[a-z0-9_]{1,64}$/;

/** Bytes one history bucket costs per meter: mean power (Float32, 4), its sample count (Uint8, 1), polls and failures (Uint16, 2 + 2). */
export const HISTORY_BYTES_PER_BUCKET = 9;

/**
 * What one meter looks like now; typed arrays are views into the store's own arrays (read them, never keep them past a
 * record()).
 */
export class MeterReadings {
  readonly index: number;
  readonly meta: MeterMeta;
  /** Latest values, one per point, engineering units; NaN = not available. */
  readonly values: Float64Array;
  /** Index of the charted power point, or -1. */
  readonly powerIndex: number;
  /** A reading has been recorded at least once. */
  hasReading = false;
  /**
   * The store's clocks, [latest reading µs, latest reading epoch ms, last failure µs] per meter from index `at`: doubles
   * kept unboxed in a typed array shared by every meter (a view per meter would cost slots).
   */
  private readonly clock: Float64Array;
  private readonly at: number;
  /** Host-monotonic time of the latest reading (µs). */
  get timeUs(): number { return this.clock[this.at]; }
  set timeUs(v: number) { this.clock[this.at] = v; }
  /** Wall-clock time of the latest reading (epoch ms, UTC). */
  get epochMs(): number { return this.clock[this.at + 1]; }
  set epochMs(v: number) { this.clock[this.at + 1] = v; }
  /** Readings recorded since start. */
  readings = 0;
  /** Polls tried (readings + failures). */
  polls = 0;
  failures = 0;
  consecutiveFailures = 0;
  /** Fault counters, indexed by FAULT_KINDS. */
  readonly faults: Uint32Array;
  /** Time of the last failure (µs), or -1. */
  get lastFailureUs(): number { return this.clock[this.at + 2]; }
  set lastFailureUs(v: number) { this.clock[this.at + 2] = v; }
  /** Lowers the monotonic times by `deltaUs` (ReadingsStore.rebaseTime). */
  rebaseTime(deltaUs: number): void {
    this.clock[this.at] = rebasedTime(this.clock[this.at], deltaUs);
    this.clock[this.at + 2] = rebasedTime(this.clock[this.at + 2], deltaUs);
  }
  lastFault = -1;

  constructor(index: number, meta: MeterMeta, values: Float64Array, clock: Float64Array, faults: Uint32Array) {
    this.index = index;
    this.meta = meta;
    this.values = values;
    this.powerIndex = choosePower(meta);
    this.clock = clock;
    this.at = 3 * index;
    this.faults = faults;
  }
}

function choosePower(meta: MeterMeta): number {
  const pts = meta.points;
  if (meta.powerPoint) {
    for (let i = 0; i < pts.length; i++) if (pts[i].name === meta.powerPoint) return i;
    throw new RangeError(`meters[${meta.name}].powerPoint: '${meta.powerPoint}' is not one of its points`);
  }
  let first = -1;
  for (let i = 0; i < pts.length; i++) {
    if (pts[i].deviceClass !== "power") continue;
    if (pts[i].name.indexOf("total") >= 0) return i;
    if (first < 0) first = i;
  }
  return first;
}

export class ReadingsStore {
  readonly meters: readonly MeterReadings[];
  readonly historyBuckets: number;
  readonly bucketUs: number;
  readonly offlineAfter: number;
  /** Largest point count of any meter (sizes the store-and-forward ring). */
  readonly maxPoints: number;
  /** Each meter's energy total today and this month. */
  readonly periods: EnergyPeriods;
  private readonly latest: Float64Array;
  /** Newest time seen by record()/failure() (µs). */
  get latestUs(): number { return this.latest[0]; }
  /** [the reading's epoch ms], handed to the energy periods unboxed (EnergyPeriods.updateAt). */
  private readonly recordTime: Float64Array;
  /** [µs the host's clock was lowered by, in all]: history buckets count from the clock's first origin. */
  private readonly origin: Float64Array;
  /** Every meter's latest values, back to back (meter m's are MeterReadings.values, a view). */
  private readonly allValues: Float64Array;
  // History ring, shared clock: slot = bucket number % historyBuckets; slot s of every meter holds bucket histBucket[s]
  // (all meters' slot s are cleared together when a new bucket number first lands on it). Per meter: [m × buckets + s].
  private readonly histBucket: Float64Array;
  readonly histPowerMean: Float32Array;
  readonly histPowerCount: Uint8Array;
  readonly histPolls: Uint16Array;
  readonly histFailures: Uint16Array;

  constructor(config: ReadingsConfig) {
    if (!config || !Array.isArray(config.meters)) throw new TypeError("readings: meters must be a list (empty for a gateway-only site)");
    const buckets = config.historyBuckets ?? 120;
    const bucketUs = config.bucketUs ?? 30_000_000;
    const offlineAfter = config.offlineAfter ?? 3;
    if (!Number.isInteger(buckets) || buckets < 2 || buckets > 10_000) throw new RangeError("readings: historyBuckets must be an integer 2..10000");
    if (!Number.isInteger(bucketUs) || bucketUs < 1000) throw new RangeError("readings: bucketUs must be an integer >= 1000");
    if (!Number.isInteger(offlineAfter) || offlineAfter < 1) throw new RangeError("readings: offlineAfter must be an integer >= 1");
    // Sets, not objects keyed by name: a name used as a property key becomes an XS runtime key, never freed.
    const seen = new Set<string>();
    let maxPoints = 0;
    let totalPoints = 0;
    config.meters.forEach((m, i) => {
      if (typeof m.name !== "string" || !NAME.test(m.name)) throw new RangeError(`meters[${i}].name: '${String(m.name)}' must match [A-Za-z0-9_-]{1,64}`);
      if (seen.has(m.name)) throw new RangeError(`meters[${i}].name: '${m.name}' is used twice`);
      seen.add(m.name);
      if (typeof m.profile !== "string" || m.profile.length === 0) throw new TypeError(`meters[${m.name}].profile: a profile id is required`);
      if (!Array.isArray(m.points) || m.points.length === 0) throw new RangeError(`meters[${m.name}].points: at least one point is required`);
      const names = new Set<string>();
      for (const p of m.points) {
        if (typeof p.name !== "string" || !POINT_NAME.test(p.name)) throw new RangeError(`meters[${m.name}].points: name '${String(p.name)}' must match [a-z0-9_]{1,64}`);
        if (names.has(p.name)) throw new RangeError(`meters[${m.name}].points: '${p.name}' is listed twice`);
        names.add(p.name);
      }
      maxPoints = Math.max(maxPoints, m.points.length);
      totalPoints += m.points.length;
    });
    const n = config.meters.length;
    // Every array of the store is a view of one buffer (modules/common/column-arena.ts): each typed array of its own costs
    // slots on XS.
    const arena = new ColumnArena(columnBytes(8, 8, 8, 8 * totalPoints, 8 * 3 * n, 4 * FAULT_KINDS.length * n, 8 * buckets,
      4 * n * buckets, n * buckets, 2 * n * buckets, 2 * n * buckets));
    this.latest = arena.f64(1);
    this.recordTime = arena.f64(1);
    this.origin = arena.f64(1);
    this.allValues = arena.f64(totalPoints).fill(NaN);
    const clocks = arena.f64(3 * n);
    const faults = arena.u32(FAULT_KINDS.length * n);
    const meters: MeterReadings[] = [];
    let first = 0;
    config.meters.forEach((m, i) => {
      clocks[3 * i + 2] = -1;
      meters.push(new MeterReadings(i, m, this.allValues.subarray(first, first + m.points.length), clocks,
        faults.subarray(FAULT_KINDS.length * i, FAULT_KINDS.length * (i + 1))));
      first += m.points.length;
    });
    this.meters = meters;
    this.historyBuckets = buckets;
    this.bucketUs = bucketUs;
    this.offlineAfter = offlineAfter;
    this.maxPoints = maxPoints;
    this.histBucket = arena.f64(buckets).fill(-1);
    this.histPowerMean = arena.f32(n * buckets);
    this.histPowerCount = arena.u8(n * buckets);
    this.histPolls = arena.u16(n * buckets);
    this.histFailures = arena.u16(n * buckets);
    this.periods = new EnergyPeriods(config.meters, config.utcOffsetMin ?? 0);
  }

  /** Index of the meter called `name`, or -1. */
  indexOf(name: string): number {
    for (let i = 0; i < this.meters.length; i++) if (this.meters[i].meta.name === name) return i;
    return -1;
  }

  /** A good reading: `values` in point order (engineering units, NaN = not available). */
  record(meter: number, values: ArrayLike<number>, timeUs: number, epochMs: number): void {
    const m = this.meters[meter];
    const n = m.values.length;
    // Two loops, not `i < values.length ? values[i] : NaN`: V8 boxes every value that such a mixed expression yields.
    const k = values.length < n ? values.length : n;
    for (let i = 0; i < k; i++) m.values[i] = values[i];
    for (let i = k; i < n; i++) m.values[i] = NaN;
    this.recordTime[0] = epochMs;
    this.recorded(m, timeUs);
  }

  /**
   * A good reading whose values are `source[first ..]`, in point order (the poll loop's latest values), taken at host
   * time `timeUs`; `epoch[0]` is the wall clock (ms since 1970) at host time 0. The wall-clock time is computed here, not
   * handed over: a fresh double passed to a call V8 does not inline is boxed.
   */
  recordFrom(meter: number, source: Float64Array, first: number, timeUs: number, epoch: Float64Array): void {
    const m = this.meters[meter];
    const n = m.values.length;
    const k = source.length - first < n ? source.length - first : n;
    for (let i = 0; i < k; i++) m.values[i] = source[first + i];
    for (let i = k < 0 ? 0 : k; i < n; i++) m.values[i] = NaN;
    this.recordTime[0] = epoch[0] + timeUs / 1000;
    this.recorded(m, timeUs);
  }

  /** Bookkeeping of a reading of `m` at host time `timeUs`, wall clock recordTime[0]. */
  private recorded(m: MeterReadings, timeUs: number): void {
    const meter = m.index;
    m.hasReading = true;
    m.timeUs = timeUs;
    m.epochMs = this.recordTime[0];
    m.readings++;
    m.polls++;
    m.consecutiveFailures = 0;
    const e = this.periods.point[meter];
    if (e >= 0) {
      this.periods.updateAt(meter, m.values, e, this.recordTime, 0);
    }
    if (timeUs > this.latest[0]) this.latest[0] = timeUs;
    const at = meter * this.historyBuckets + this.bucketSlot(timeUs);
    if (this.histPolls[at] < 65535) this.histPolls[at]++;
    if (m.powerIndex >= 0) {
      const p = m.values[m.powerIndex];
      if (p === p) {
        // Running mean; past 255 samples in one bucket the newest weighs 1/255.
        const c = this.histPowerCount[at] < 255 ? ++this.histPowerCount[at] : 255;
        this.histPowerMean[at] += (p - this.histPowerMean[at]) / c;
      }
    }
  }

  /** A failed poll of `meter`: `kind` indexes FAULT_KINDS. */
  failure(meter: number, kind: number, timeUs: number): void {
    const m = this.meters[meter];
    const k = kind >= 0 && kind < FAULT_KINDS.length ? kind | 0 : FAULT_OTHER;
    m.faults[k]++;
    m.failures++;
    m.polls++;
    m.consecutiveFailures++;
    m.lastFailureUs = timeUs;
    m.lastFault = k;
    if (timeUs > this.latest[0]) this.latest[0] = timeUs;
    const at = meter * this.historyBuckets + this.bucketSlot(timeUs);
    if (this.histPolls[at] < 65535) { this.histPolls[at]++; this.histFailures[at]++; }
  }

  /** Online: has read at least once and fewer than `offlineAfter` polls in a row have failed since. */
  online(meter: number): boolean {
    const m = this.meters[meter];
    return m.hasReading && m.consecutiveFailures < this.offlineAfter;
  }

  /** Bucket number holding time `timeUs`. */
  bucketOf(timeUs: number): number {
    const t = timeUs + this.origin[0];
    return t > 0 ? Math.floor(t / this.bucketUs) : 0;
  }

  /** Host time (µs) at which bucket number `bucket` starts. */
  bucketStartUs(bucket: number): number {
    return bucket * this.bucketUs - this.origin[0];
  }

  /** Lowers every monotonic time held by `deltaUs`, as the host lowers its clock (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    for (let i = 0; i < this.meters.length; i++) this.meters[i].rebaseTime(deltaUs);
    this.latest[0] -= deltaUs;
    this.origin[0] += deltaUs;
  }

  /**
   * History value of `meter` in bucket number `bucket`: mean power (W, a Float32: about 7 significant digits) or NaN for
   * kind 0; link error rate 0..1 or NaN (no polls) for kind 1; polls for kind 2.
   */
  history(meter: number, bucket: number, kind: 0 | 1 | 2): number {
    const slot = bucket % this.historyBuckets;
    if (bucket < 0 || this.histBucket[slot] !== bucket) return kind === 2 ? 0 : NaN;
    const at = meter * this.historyBuckets + slot;
    if (kind === 0) return this.histPowerCount[at] > 0 ? this.histPowerMean[at] : NaN;
    if (kind === 1) return this.histPolls[at] > 0 ? this.histFailures[at] / this.histPolls[at] : NaN;
    return this.histPolls[at];
  }

  /** The ring slot of the bucket holding `timeUs`, cleared for every meter when that bucket first lands on it. */
  private bucketSlot(timeUs: number): number {
    const bucket = this.bucketOf(timeUs);
    const slot = bucket % this.historyBuckets;
    if (this.histBucket[slot] !== bucket) {
      this.histBucket[slot] = bucket;
      const n = this.meters.length;
      for (let m = 0, at = slot; m < n; m++, at += this.historyBuckets) {
        this.histPowerMean[at] = 0;
        this.histPowerCount[at] = 0;
        this.histPolls[at] = 0;
        this.histFailures[at] = 0;
      }
    }
    return slot;
  }
}
