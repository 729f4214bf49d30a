/*
 * The quality of every published point: fresh, stale or invalid, one byte per point in a typed array, so forwarders can
 * say "unavailable" instead of showing an old or impossible number (docs/profiles.md, "Quality per point").
 *
 * Theory of operation. The host tells it about each meter's readings and failures as the readings store hears them:
 *  - recorded(meter, values, nowUs, status?): each point with a finite value inside its plausible range is FRESH (and its
 *    refresh time noted); NaN (a sentinel the profile lists, a value not read), a value outside the range, or a total
 *    the sanity filter withheld (`status`, the meter's view of LatestValues.status, says VALUE_WITHHELD: the value is
 *    the last accepted one, not a new reading) is INVALID;
 *  - failed(meter, online): when the meter has gone offline, all its points are INVALID (a value from a meter offline);
 *  - age(nowUs): a FRESH point not refreshed within `staleCycles` × the meter's interval becomes STALE.
 * Plausible ranges come from the point's device class and the profile's rated power (plausibleRange()): wide physical
 * bounds meant to catch decoding garbage (65535 V, a word-swapped float), not to judge the installation.
 * `changed` marks points whose quality changed since the forwarder last took them (takeChanged), for per-entity
 * availability messages. Fixed memory: typed arrays sized at construction; the three calls allocate nothing.
 *
 * Memory (docs/esp32.md budget): 3 bytes per point (quality, changed mark, index of its plausible range) and 8 per meter
 * (the time of its last reading). A site's points have few distinct ranges (one per device class, unit and rated power),
 * kept once in a small range table. A FRESH point's refresh time is its meter's last reading: every reading marks each
 * point of the meter FRESH or INVALID, so one time per meter says when every FRESH point of it was refreshed.
 */

import { ColumnArena, columnBytes } from "../common/column-arena";
import { VALUE_WITHHELD } from "./latest-values";
import { rebasedTime } from "../port/time-rebase";

export const QUALITY_NONE = 0;
export const QUALITY_FRESH = 1;
export const QUALITY_STALE = 2;
export const QUALITY_INVALID = 3;
export const QUALITY_NAMES: readonly string[] = Object.freeze(["none", "fresh", "stale", "invalid"]);

export interface QualityPoint {
  readonly deviceClass?: string;
  readonly unit?: string;
}

export interface QualityMeter {
  readonly intervalMs: number;
  readonly points: readonly QualityPoint[];
  /** The profile's rated active power, W (0 = unknown). */
  readonly ratedPowerW?: number;
}

/** Unit prefixes a point's unit may carry, as factors from the base unit. */
function factorOf(unit: string, base: string): number {
  if (unit === base || unit === "") return 1;
  if (unit === `k${base}`) return 1e-3;
  if (unit === `M${base}`) return 1e-6;
  if (unit === `m${base}`) return 1e3;
  return 1;
}

/** [min, max] a decoded value of this point can physically take (in its own unit). */
export function plausibleRange(p: QualityPoint, ratedPowerW = 0): [number, number] {
  const unit = p.unit ?? "";
  switch (p.deviceClass) {
    case "voltage": return [-1500 * factorOf(unit, "V"), 1500 * factorOf(unit, "V")];
    case "frequency": return [0, 500 * factorOf(unit, "Hz")];
    case "power_factor": return unit === "%" ? [-100, 100] : [-1, 1];
    case "power":
    case "apparent_power":
    case "reactive_power": {
      const base = p.deviceClass === "power" ? "W" : p.deviceClass === "apparent_power" ? "VA" : "var";
      const limit = (ratedPowerW > 0 ? 3 * ratedPowerW : 1e9) * factorOf(unit, base);
      return [-limit, limit];
    }
    case "energy":
    case "reactive_energy": return [0, Number.MAX_VALUE];
    default: return [-Number.MAX_VALUE, Number.MAX_VALUE];
  }
}

export class PointQuality {
  /** One byte per point, meters in order (points of meter m at first[m] .. first[m + 1]). */
  readonly quality: Uint8Array;
  readonly first: Int32Array;
  /** 1 where quality changed since takeChanged(). */
  readonly changed: Uint8Array;
  readonly staleCycles: number;
  /** Each point's plausible range: an index into rangeMin/rangeMax (the site's distinct ranges). */
  private readonly range: Uint8Array | Uint16Array;
  private readonly rangeMin: Float64Array;
  private readonly rangeMax: Float64Array;
  /** Per meter: [time of its last reading (µs; the refresh time of its FRESH points), stale after (µs)]. */
  private readonly meterTimes: Float64Array;

  constructor(meters: readonly QualityMeter[], staleCycles = 3) {
    if (!Number.isInteger(staleCycles) || staleCycles < 1 || staleCycles > 1000) throw new RangeError(`staleCycles must be 1..1000, got ${staleCycles}`);
    this.staleCycles = staleCycles;
    let n = 0;
    for (const m of meters) n += m.points.length;
    const arena = new ColumnArena(columnBytes(n, n, 4 * (meters.length + 1), 16 * meters.length));
    this.quality = arena.u8(n);
    this.changed = arena.u8(n);
    this.first = arena.i32(meters.length + 1);
    this.meterTimes = arena.f64(2 * meters.length);
    // The distinct ranges first (configuration time), then one index per point.
    const lows: number[] = [];
    const highs: number[] = [];
    const index: number[] = [];
    for (const m of meters) {
      for (const p of m.points) {
        const [lo, hi] = plausibleRange(p, m.ratedPowerW ?? 0);
        let r = 0;
        while (r < lows.length && !(lows[r] === lo && highs[r] === hi)) r++;
        if (r === lows.length) { lows.push(lo); highs.push(hi); }
        index.push(r);
      }
    }
    this.rangeMin = Float64Array.from(lows);
    this.rangeMax = Float64Array.from(highs);
    this.range = lows.length <= 256 ? Uint8Array.from(index) : Uint16Array.from(index);
    let k = 0;
    meters.forEach((m, i) => {
      this.first[i] = k;
      this.meterTimes[2 * i + 1] = staleCycles * m.intervalMs * 1000;
      k += m.points.length;
    });
    this.first[meters.length] = k;
  }

  /**
   * A reading of meter m: values in point order (NaN = not available); `status`, when given, each value's LatestValues
   * status in the same order from index `statusFirst` (VALUE_WITHHELD: the sanity filter withheld the total), so the
   * caller can pass the decoder's whole status array and the meter's first value instead of a view per meter.
   */
  recorded(meter: number, values: ArrayLike<number>, nowUs: number, status?: ArrayLike<number>, statusFirst = 0): void {
    const a = this.first[meter];
    const b = this.first[meter + 1];
    this.meterTimes[2 * meter] = nowUs;
    // Two loops, not `k - a < values.length ? values[k - a] : NaN`: V8 boxes every value such a mixed expression yields.
    const given = a + values.length < b ? a + values.length : b;
    for (let k = a; k < given; k++) {
      const v = values[k - a];
      const r = this.range[k];
      const good = v === v && v >= this.rangeMin[r] && v <= this.rangeMax[r] && (status === undefined || status[statusFirst + k - a] !== VALUE_WITHHELD);
      this.set(k, good ? QUALITY_FRESH : QUALITY_INVALID);
    }
    for (let k = given; k < b; k++) this.set(k, QUALITY_INVALID);
  }

  /** A failed poll of meter m; `online` false when the meter now counts as offline. */
  failed(meter: number, online: boolean): void {
    if (online) return;
    for (let k = this.first[meter]; k < this.first[meter + 1]; k++) this.set(k, QUALITY_INVALID);
  }

  /** Marks fresh points not refreshed within staleCycles intervals as stale. */
  age(nowUs: number): void {
    const meters = this.first.length - 1;
    for (let m = 0; m < meters; m++) {
      // Every FRESH point of meter m was refreshed by its last reading.
      if (!(nowUs - this.meterTimes[2 * m] > this.meterTimes[2 * m + 1])) continue;
      for (let k = this.first[m]; k < this.first[m + 1]; k++) {
        if (this.quality[k] === QUALITY_FRESH) this.set(k, QUALITY_STALE);
      }
    }
  }

  /** Lowers the refresh times as the host lowers its clock (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    const meters = this.first.length - 1;
    for (let m = 0; m < meters; m++) this.meterTimes[2 * m] = rebasedTime(this.meterTimes[2 * m], deltaUs);
  }

  /** Quality of point i of meter m. */
  of(meter: number, i: number): number {
    return this.quality[this.first[meter] + i];
  }

  /** Calls `fn(meter, point, quality)` for each point whose quality changed, and clears the marks. */
  takeChanged(fn: (meter: number, point: number, quality: number) => void): void {
    const meters = this.first.length - 1;
    for (let m = 0; m < meters; m++) {
      for (let k = this.first[m]; k < this.first[m + 1]; k++) {
        if (this.changed[k] === 0) continue;
        this.changed[k] = 0;
        fn(m, k - this.first[m], this.quality[k]);
      }
    }
  }

  private set(k: number, q: number): void {
    if (this.quality[k] !== q) {
      this.quality[k] = q;
      this.changed[k] = 1;
    }
  }
}
