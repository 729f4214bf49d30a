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
 */

import { VALUE_WITHHELD } from "./latest-values";
import { rebaseTimes } from "./time-rebase";

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
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly refreshedAt: Float64Array;
  private readonly staleAfterUs: Float64Array;

  constructor(meters: readonly QualityMeter[], staleCycles = 3) {
    if (!Number.isInteger(staleCycles) || staleCycles < 1 || staleCycles > 1000) throw new RangeError(`staleCycles must be 1..1000, got ${staleCycles}`);
    this.staleCycles = staleCycles;
    let n = 0;
    for (const m of meters) n += m.points.length;
    this.quality = new Uint8Array(n);
    this.changed = new Uint8Array(n);
    this.first = new Int32Array(meters.length + 1);
    this.min = new Float64Array(n);
    this.max = new Float64Array(n);
    this.refreshedAt = new Float64Array(n);
    this.staleAfterUs = new Float64Array(meters.length);
    let k = 0;
    meters.forEach((m, i) => {
      this.first[i] = k;
      this.staleAfterUs[i] = staleCycles * m.intervalMs * 1000;
      for (const p of m.points) {
        const [lo, hi] = plausibleRange(p, m.ratedPowerW ?? 0);
        this.min[k] = lo;
        this.max[k] = hi;
        k++;
      }
    });
    this.first[meters.length] = k;
  }

  /**
   * A reading of meter m: values in point order (NaN = not available); `status`, when given, each value's LatestValues
   * status in the same order (VALUE_WITHHELD: the sanity filter withheld the total).
   */
  recorded(meter: number, values: ArrayLike<number>, nowUs: number, status?: ArrayLike<number>): void {
    const a = this.first[meter];
    const b = this.first[meter + 1];
    // Two loops, not `k - a < values.length ? values[k - a] : NaN`: V8 boxes every value such a mixed expression yields.
    const given = a + values.length < b ? a + values.length : b;
    for (let k = a; k < given; k++) {
      const v = values[k - a];
      const good = v === v && v >= this.min[k] && v <= this.max[k] && (status === undefined || status[k - a] !== VALUE_WITHHELD);
      if (good) this.refreshedAt[k] = nowUs;
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
      const limit = this.staleAfterUs[m];
      for (let k = this.first[m]; k < this.first[m + 1]; k++) {
        if (this.quality[k] === QUALITY_FRESH && nowUs - this.refreshedAt[k] > limit) this.set(k, QUALITY_STALE);
      }
    }
  }

  /** Lowers the refresh times as the host lowers its clock (modules/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.refreshedAt, deltaUs);
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
