/*
 * Energy per calendar period: how much each meter's energy total rose today and this month, for the status page's site
 * totals (an energy manager's first questions).
 *
 * Theory of operation. Each meter has at most one energy total: the first point with deviceClass "energy" and stateClass
 * "total_increasing", a name with "import" preferred (its direction is "export" when the name says so, else "import").
 * The readings store hands every recorded total here after the sanity filter (modules/concentrator/sanity.ts), so a withheld 0 or
 * garbage value never becomes a baseline. For the day and the month holding each reading (in the site's local time:
 * epoch ms + utcOffsetMin) the tracker keeps the total at the period's start: the last reading of the previous period
 * when there was one (so consecutive periods add up to the total's rise), otherwise the first reading of this one (the
 * concentrator started during the period: `fromMs` then says since when it counts). today = latest − day start. A total
 * that falls (meter replaced or reset) restarts the periods from that reading.
 *
 * Fixed memory: typed arrays sized in the constructor; update() allocates nothing. Civil months come from the day count
 * by the proleptic Gregorian calendar (modules/common/json-text.ts civilDate).
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { civilDate } from "../common/json-text";

/**
 * What the periods read of a meter's description (readings.ts's MeterMeta has it): declared here, not imported, so the
 * readings store depends on its periods and not the other way round.
 */
export interface EnergyMeterMeta {
  readonly points: readonly { readonly name: string; readonly deviceClass?: string; readonly stateClass?: string }[];
}

const DAY_MS = 86_400_000;

/** Month number (year × 12 + month − 1) of a day count since 1970-01-01. */
export function monthOfDay(days: number): number {
  const date = civilDate(days);
  return Math.floor(date / 512) * 12 + (Math.floor(date / 32) % 16) - 1;
}

/** The point index of a meter's energy total, or -1. */
export function energyPointOf(meta: EnergyMeterMeta): number {
  let first = -1;
  for (let i = 0; i < meta.points.length; i++) {
    const p = meta.points[i];
    if (p.deviceClass !== "energy" || p.stateClass !== "total_increasing") continue;
    if (p.name.indexOf("import") >= 0) return i;
    if (first < 0) first = i;
  }
  return first;
}

// Per-meter slots in one Float64Array: [dayKey, dayStart, dayFromMs, monthKey, monthStart, monthFromMs, last, lastMs].
const SLOTS = 8;
const DAY_KEY = 0, DAY_START = 1, DAY_FROM = 2, MONTH_KEY = 3, MONTH_START = 4, MONTH_FROM = 5, LAST = 6, LAST_MS = 7;

export class EnergyPeriods {
  /** Per meter: the energy point's index, or -1. */
  readonly point: Int16Array;
  /** Per meter: 1 when the total counts exported energy (its name says "export"). */
  readonly exported: Uint8Array;
  /** Minutes east of UTC of the site's local time, for day and month boundaries. */
  readonly utcOffsetMin: number;
  private readonly state: Float64Array;
  /** Scratch of update(): [total, epoch ms]. */
  private readonly args: Float64Array;

  constructor(meters: readonly EnergyMeterMeta[], utcOffsetMin = 0) {
    if (!Number.isInteger(utcOffsetMin) || utcOffsetMin < -840 || utcOffsetMin > 840) throw new RangeError("readings: utcOffsetMin must be an integer from -840 to 840");
    this.utcOffsetMin = utcOffsetMin;
    // One buffer, the columns its views (modules/common/column-arena.ts).
    const arena = new ColumnArena(columnBytes(16, 8 * meters.length * SLOTS, 2 * meters.length, meters.length));
    this.args = arena.f64(2);
    this.state = arena.f64(meters.length * SLOTS).fill(NaN);
    this.point = arena.i16(meters.length);
    this.exported = arena.u8(meters.length);
    for (let m = 0; m < meters.length; m++) {
      const i = energyPointOf(meters[m]);
      this.point[m] = i;
      this.exported[m] = i >= 0 && meters[m].points[i].name.indexOf("export") >= 0 ? 1 : 0;
    }
  }

  /** A recorded reading of meter m: `total` is its energy total now (NaN: none yet), at wall-clock `epochMs`. */
  update(m: number, total: number, epochMs: number): void {
    const a = this.args;
    a[0] = total;
    a[1] = epochMs;
    this.updateAt(m, a, 0, a, 1);
  }

  /**
   * update(m, values[index], times[timeIndex]) without handing doubles across a call (on V8 each would be boxed: the readings
   * store records this way).
   */
  updateAt(m: number, values: Float64Array, index: number, times: Float64Array, timeIndex: number): void {
    const total = values[index];
    const epochMs = times[timeIndex];
    if (total !== total || total === Infinity || total === -Infinity) return;
    const s = this.state;
    const o = m * SLOTS;
    const day = Math.floor((epochMs + this.utcOffsetMin * 60_000) / DAY_MS);
    const month = monthOfDay(day);
    const last = s[o + LAST];
    const reset = last === last && total < last;
    if (reset || s[o + DAY_KEY] !== day) {
      const carry = !reset && s[o + DAY_KEY] === day - 1;
      s[o + DAY_START] = carry ? last : total;
      s[o + DAY_FROM] = carry ? s[o + LAST_MS] : epochMs;
      s[o + DAY_KEY] = day;
    }
    if (reset || s[o + MONTH_KEY] !== month) {
      const carry = !reset && s[o + MONTH_KEY] === month - 1;
      s[o + MONTH_START] = carry ? last : total;
      s[o + MONTH_FROM] = carry ? s[o + LAST_MS] : epochMs;
      s[o + MONTH_KEY] = month;
    }
    s[o + LAST] = total;
    s[o + LAST_MS] = epochMs;
  }

  /** Rise of meter m's total in the day holding `epochMs` (NaN when it has no reading in that day). */
  today(m: number, epochMs: number): number {
    const o = m * SLOTS;
    return this.state[o + DAY_KEY] === Math.floor((epochMs + this.utcOffsetMin * 60_000) / DAY_MS) ? this.state[o + LAST] - this.state[o + DAY_START] : NaN;
  }

  /** Rise of meter m's total in the month holding `epochMs` (NaN when it has no reading in that month). */
  month(m: number, epochMs: number): number {
    const o = m * SLOTS;
    return this.state[o + MONTH_KEY] === monthOfDay(Math.floor((epochMs + this.utcOffsetMin * 60_000) / DAY_MS)) ? this.state[o + LAST] - this.state[o + MONTH_START] : NaN;
  }

  /** Since when today's / this month's figure counts (epoch ms): the period's start reading. */
  todayFromMs(m: number): number { return this.state[m * SLOTS + DAY_FROM]; }
  monthFromMs(m: number): number { return this.state[m * SLOTS + MONTH_FROM]; }
}
