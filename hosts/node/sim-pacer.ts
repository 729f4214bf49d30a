/*
 * Paces a simulated site against the wall clock for `rc485 sim`, in bounded slices.
 *
 * Theory of operation. The virtual clock should run `speed` times the wall clock. Each slice() advances the simulation
 * toward that target by at most `sliceEvents` simulator events, and stops early once `sliceMs` of wall time have gone
 * by (checked every `chunkEvents` events); then it returns, and the caller yields to the event loop (status page, Modbus
 * TCP gateway, MQTT, signals) before the next slice. So one slice never holds the process for more than `sliceMs` plus
 * one chunk of events, however far behind the simulation is. When the CPU cannot keep up, the target runs away from the
 * virtual clock: the pacer never tries to catch up in one go, it reports the lag (`behindUs` now, `maxBehindUs`, the
 * speed achieved) for the live view, the summary and /api/health. The wall clock is injected, so tests drive it.
 */

/** What the pacer drives: a clock (µs) and a bounded step. */
export interface PacedSimulation {
  readonly now: number;
  /**
   * Runs events up to `untilUs` (inclusive), at most `maxEvents` of them; returns how many ran. Reaching `untilUs` with
   * none left sets now to it. `resume`: the call continues the previous one, cut short within the same slice.
   */
  advance(untilUs: number, maxEvents: number, resume: boolean): number;
}

export interface PacerOptions {
  /** Virtual seconds per wall-clock second. */
  readonly speed: number;
  /** Wall clock, ms (performance.now in the command; a fake in tests). */
  readonly wallMs: () => number;
  /** Wall time one slice may take before it returns (default 50 ms). */
  readonly sliceMs?: number;
  /** Events one slice may run at most (default 200,000). */
  readonly sliceEvents?: number;
  /** Events between two looks at the wall clock (default 500). */
  readonly chunkEvents?: number;
}

/** How the pacer is doing, for the live view, the summary and /api/health. */
export interface PaceReport {
  /** The speed asked for, and the one achieved since the start (virtual s per wall s). */
  speed: number;
  achievedSpeed: number;
  /** Virtual time the simulation trails its wall-clock target by, now and at worst (s). */
  behindS: number;
  maxBehindS: number;
  /** Slices run, and how many of them ended still behind. */
  slices: number;
  slicesBehind: number;
  /** Most events one slice ran. */
  maxSliceEvents: number;
}

export class SimPacer {
  /** Virtual time the simulation trails its wall-clock target by after the last slice (µs). */
  behindUs = 0;
  maxBehindUs = 0;
  slices = 0;
  slicesBehind = 0;
  lastSliceEvents = 0;
  maxSliceEvents = 0;
  readonly speed: number;
  private readonly wallMs: () => number;
  private readonly sliceMs: number;
  private readonly sliceEvents: number;
  private readonly chunkEvents: number;
  private readonly startMs: number;
  private readonly startUs: number;

  constructor(private readonly sim: PacedSimulation, o: PacerOptions) {
    if (!(o.speed > 0)) throw new RangeError(`speed must be > 0, got ${o.speed}`);
    this.speed = o.speed;
    this.wallMs = o.wallMs;
    this.sliceMs = o.sliceMs ?? 50;
    this.sliceEvents = o.sliceEvents ?? 200_000;
    this.chunkEvents = Math.min(o.chunkEvents ?? 500, this.sliceEvents);
    if (!(this.sliceMs > 0) || !(this.chunkEvents >= 1)) throw new RangeError("sliceMs and chunkEvents must be positive");
    this.startMs = this.wallMs();
    this.startUs = sim.now;
  }

  /** Wall seconds since the pacer started. */
  wallS(): number {
    return (this.wallMs() - this.startMs) / 1000;
  }

  /** Where the virtual clock should be now (µs). */
  targetUs(): number {
    return this.startUs + Math.floor((this.wallMs() - this.startMs) * this.speed * 1000);
  }

  /**
   * One bounded slice toward the target (never beyond `limitUs`). Returns true when the simulation has reached the
   * target, false when it is behind (the caller yields and calls again).
   */
  slice(limitUs = Infinity): boolean {
    const target = Math.min(this.targetUs(), limitUs);
    const t0 = this.wallMs();
    let events = 0;
    while (this.sim.now < target && events < this.sliceEvents) {
      events += this.sim.advance(target, Math.min(this.chunkEvents, this.sliceEvents - events), events > 0);
      if (this.wallMs() - t0 >= this.sliceMs) break;
    }
    this.slices++;
    this.lastSliceEvents = events;
    if (events > this.maxSliceEvents) this.maxSliceEvents = events;
    this.behindUs = target > this.sim.now ? target - this.sim.now : 0;
    if (this.behindUs > this.maxBehindUs) this.maxBehindUs = this.behindUs;
    if (this.behindUs > 0) this.slicesBehind++;
    return this.behindUs === 0;
  }

  report(): PaceReport {
    const wall = this.wallS();
    return {
      speed: this.speed,
      achievedSpeed: wall > 0 ? (this.sim.now - this.startUs) / 1e6 / wall : 0,
      behindS: this.behindUs / 1e6,
      maxBehindS: this.maxBehindUs / 1e6,
      slices: this.slices,
      slicesBehind: this.slicesBehind,
      maxSliceEvents: this.maxSliceEvents,
    };
  }
}
