/*
 * The sanity filter for running totals (energy registers published with Home Assistant state_class total_increasing).
 *
 * Theory of operation. A total only rises, and no faster than the meter's physics allow: over dt microseconds a meter
 * rated P watts can add at most P × dt / 3.6e9 Wh. Home Assistant reads any decrease of a total_increasing sensor as a meter
 * reset and starts a new cycle (developers.home-assistant.io, "Sensor entity", state_class total_increasing), so one
 * transient 0 or garbage value that reaches it corrupts the energy statistics for good. So each reading of a total is
 * checked against the last accepted one:
 *   - NaN (a sentinel or failed decode): withheld, counted as invalid;
 *   - lower than the last accepted value: withheld, counted as backwards;
 *   - higher by more than ratedPowerW × margin × dt (plus a small slack for register resolution): withheld, counted as
 *     too fast;
 *   - otherwise accepted and it becomes the new baseline.
 * Recovery: a meter really can be replaced or reset. Withheld readings form a candidate chain; each new withheld reading
 * that is consistent with the previous one (not lower, not too fast) extends the chain, an inconsistent one restarts it.
 * When the chain reaches `confirmations` readings its last value becomes the new baseline (counted as a rebaseline) and is
 * accepted. A chain of zeros never rebaselines an established total (zero is what a rebooting or glitching meter reports);
 * at start-up (no baseline yet) the first value must likewise be confirmed by `confirmations` consistent readings, zeros
 * included, so a fresh meter that truly reads 0 kWh is published after a few cycles.
 *
 * Fixed memory: per-slot typed arrays sized in the constructor; check() allocates nothing. Times are µs.
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { rebaseTimes } from "../port/time-rebase";

export const VERDICT_ACCEPTED = 0;
export const VERDICT_INVALID = 1;
export const VERDICT_BACKWARDS = 2;
export const VERDICT_TOO_FAST = 3;
/** Withheld while a first baseline is being confirmed. */
export const VERDICT_UNCONFIRMED = 4;
/** Accepted as a new baseline after a confirmed chain (counted in `rebaselines`). */
export const VERDICT_REBASELINED = 5;
export const VERDICT_NAMES: readonly string[] = Object.freeze(["accepted", "invalid", "backwards", "too_fast", "unconfirmed", "rebaselined"]);

/** Watt-hours per unit of each energy unit the filter can bound by rate (rules as data). */
export const ENERGY_UNIT_WH: { readonly [unit: string]: number } = Object.freeze({
  Wh: 1, kWh: 1e3, MWh: 1e6, varh: 1, kvarh: 1e3, VAh: 1, kVAh: 1e3,
});

export interface SanityOptions {
  /** Consistent readings needed to (re)establish a baseline (default 3). */
  readonly confirmations?: number;
  /** Factor on the rated power (default 1.5: meters are rated below their overload capability). */
  readonly margin?: number;
  /** Rise always allowed regardless of elapsed time, in Wh (default 100 Wh: register resolution and clock jitter). */
  readonly slackWh?: number;
}

export class TotalSanity {
  readonly slots: number;
  readonly confirmations: number;
  readonly margin: number;
  readonly slackWh: number;
  /**
   * Bounds, shared by the slots that have the same (a site's totals have few distinct ones: one per meter model and
   * unit): units per µs allowed at most (0: no rate bound, direction only) and slack in units, per bound; each slot's
   * bound index in boundOf.
   */
  private readonly ratePerUs: Float64Array;
  private readonly slack: Float64Array;
  private readonly boundOf: Uint16Array;
  private readonly baseline: Float64Array;
  private readonly baselineAt: Float64Array;
  private readonly hasBaseline: Uint8Array;
  private readonly candidate: Float64Array;
  private readonly candidateAt: Float64Array;
  private readonly chain: Uint16Array;
  /** Counters per slot. */
  readonly invalid: Uint32Array;
  readonly backwards: Uint32Array;
  readonly tooFast: Uint32Array;
  readonly rebaselines: Uint32Array;

  /** `bounds`: the most distinct bounds configure() will be given (default: one per slot). */
  constructor(slots: number, options: SanityOptions = {}, bounds = slots) {
    if (!Number.isInteger(slots) || slots < 0) throw new RangeError(`slots must be a non-negative integer, got ${slots}`);
    const confirmations = options.confirmations ?? 3;
    const margin = options.margin ?? 1.5;
    const slackWh = options.slackWh ?? 100;
    if (!Number.isInteger(confirmations) || confirmations < 1 || confirmations > 1000) throw new RangeError(`confirmations must be an integer from 1 to 1000, got ${confirmations}`);
    if (!(margin >= 1 && margin <= 100)) throw new RangeError(`margin must be from 1 to 100, got ${margin}`);
    if (!(slackWh >= 0)) throw new RangeError(`slackWh must be ≥ 0, got ${slackWh}`);
    this.slots = slots;
    this.confirmations = confirmations;
    this.margin = margin;
    this.slackWh = slackWh;
    if (!Number.isInteger(bounds) || bounds < 0 || bounds > 65535) throw new RangeError(`bounds must be an integer from 0 to 65535, got ${bounds}`);
    // Bound 0 is "not configured": no rate bound, no slack.
    // Every column is a view of one buffer (modules/common/column-arena.ts).
    const arena = new ColumnArena(columnBytes(8 * (bounds + 1), 8 * (bounds + 1), 2 * slots, 8 * slots, 8 * slots, slots, 8 * slots, 8 * slots,
      2 * slots, 4 * slots, 4 * slots, 4 * slots, 4 * slots));
    this.ratePerUs = arena.f64(bounds + 1);
    this.slack = arena.f64(bounds + 1);
    this.boundOf = arena.u16(slots);
    this.baseline = arena.f64(slots);
    this.baselineAt = arena.f64(slots);
    this.hasBaseline = arena.u8(slots);
    this.candidate = arena.f64(slots);
    this.candidateAt = arena.f64(slots);
    this.chain = arena.u16(slots);
    this.invalid = arena.u32(slots);
    this.backwards = arena.u32(slots);
    this.tooFast = arena.u32(slots);
    this.rebaselines = arena.u32(slots);
  }

  /** Lowers every time the filter holds by `deltaUs` (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.baselineAt, deltaUs);
    rebaseTimes(this.candidateAt, deltaUs);
  }

  /**
   * Sets the bound of a slot: `ratedPowerW` of the meter (0 = unknown: direction only) and the total's `unit` (a unit not
   * in ENERGY_UNIT_WH, such as Ah, is checked for direction only).
   */
  configure(slot: number, ratedPowerW: number, unit: string): void {
    this.checkSlot(slot);
    const wh = Object.prototype.hasOwnProperty.call(ENERGY_UNIT_WH, unit) ? ENERGY_UNIT_WH[unit] : 0;
    const rate = wh > 0 && ratedPowerW > 0 ? (ratedPowerW * this.margin) / 3.6e9 / wh : 0;
    const slack = wh > 0 ? this.slackWh / wh : 0;
    this.boundOf[slot] = 0;
    let free = -1;
    for (let k = 0; k < this.ratePerUs.length; k++) {
      if (this.ratePerUs[k] === rate && this.slack[k] === slack) { this.boundOf[slot] = k; return; }
      if (free < 0 && k > 0 && this.boundOf.indexOf(k) < 0) free = k;
    }
    if (free < 0) throw new RangeError(`more distinct bounds than the ${this.ratePerUs.length - 1} this filter was built for`);
    this.ratePerUs[free] = rate;
    this.slack[free] = slack;
    this.boundOf[slot] = free;
  }

  /** Forgets a slot's baseline and chain (e.g. after a meter was swapped on purpose). Counters stay. */
  reset(slot: number): void {
    this.checkSlot(slot);
    this.hasBaseline[slot] = 0;
    this.chain[slot] = 0;
  }

  /** Time (µs) of the last accepted value of a slot, or -1. */
  acceptedAt(slot: number): number {
    return this.hasBaseline[slot] === 1 ? this.baselineAt[slot] : -1;
  }

  /** The last accepted value of a slot, or NaN. */
  accepted(slot: number): number {
    return this.hasBaseline[slot] === 1 ? this.baseline[slot] : NaN;
  }

  /** Judges one reading taken at `now` (µs); returns a VERDICT_* code. Only ACCEPTED and REBASELINED may be published. */
  check(slot: number, value: number, now: number): number {
    if (value !== value || value === Infinity || value === -Infinity) { this.invalid[slot]++; return VERDICT_INVALID; }
    if (this.hasBaseline[slot] === 1) {
      const v = this.judge(slot, this.baseline[slot], this.baselineAt[slot], value, now);
      if (v === VERDICT_ACCEPTED) {
        this.baseline[slot] = value;
        this.baselineAt[slot] = now;
        this.chain[slot] = 0;
        return VERDICT_ACCEPTED;
      }
      if (v === VERDICT_BACKWARDS) this.backwards[slot]++; else this.tooFast[slot]++;
      if (this.extendChain(slot, value, now) && value !== 0) {
        this.baseline[slot] = value;
        this.baselineAt[slot] = now;
        this.chain[slot] = 0;
        this.rebaselines[slot]++;
        return VERDICT_REBASELINED;
      }
      return v;
    }
    if (this.extendChain(slot, value, now)) {
      this.hasBaseline[slot] = 1;
      this.baseline[slot] = value;
      this.baselineAt[slot] = now;
      this.chain[slot] = 0;
      return VERDICT_ACCEPTED;
    }
    return VERDICT_UNCONFIRMED;
  }

  /** ACCEPTED, BACKWARDS or TOO_FAST for `value` at `now` against `base` taken at `baseAt`. */
  private judge(slot: number, base: number, baseAt: number, value: number, now: number): number {
    if (value < base) return VERDICT_BACKWARDS;
    const bound = this.boundOf[slot];
    const rate = this.ratePerUs[bound];
    if (rate > 0) {
      const dt = now > baseAt ? now - baseAt : 0;
      if (value - base > rate * dt + this.slack[bound]) return VERDICT_TOO_FAST;
    }
    return VERDICT_ACCEPTED;
  }

  /** Adds a withheld reading to the candidate chain; true when the chain is long enough to confirm. */
  private extendChain(slot: number, value: number, now: number): boolean {
    const n = this.chain[slot];
    if (n > 0 && this.judge(slot, this.candidate[slot], this.candidateAt[slot], value, now) === VERDICT_ACCEPTED) {
      this.chain[slot] = n < 65535 ? n + 1 : n;
    } else {
      this.chain[slot] = 1;
    }
    this.candidate[slot] = value;
    this.candidateAt[slot] = now;
    return this.chain[slot] >= this.confirmations;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`slot must be an integer from 0 to ${this.slots - 1}, got ${slot}`);
  }
}
