/*
 * The simulated site: one virtual clock, segments, hosts running engines, meter emulators and the trace.
 * Deterministic for a seed: every component draws from its own PRNG stream, forked from the seed in creation order.
 * See docs/simulator.md for the API and the trace format.
 */
import { Prng } from "../../modules/common/prng";
import { EventQueue } from "./events";
import { SimHost, type HostOptions } from "./host";
import { MeterEmulator, type MeterOptions } from "./meter";
import { Segment, type SegmentOptions } from "./segment";
import { Trace } from "./trace";

export interface SimulationOptions {
  /** Seed of every random stream (noise, jitter, turnaround). Default 1. */
  seed?: number;
  /** Frame records kept by the trace ring. Default 512. */
  traceCapacity?: number;
}

export class Simulation {
  readonly queue = new EventQueue();
  readonly trace: Trace;
  readonly seed: number;
  readonly segments: Segment[] = [];
  readonly hosts: SimHost[] = [];
  readonly meters: MeterEmulator[] = [];
  private readonly prng: Prng;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 1;
    this.prng = new Prng(this.seed);
    this.trace = new Trace(options.traceCapacity ?? 512);
    this.trace.flushHook = () => {
      for (const s of this.segments) s.flushFrame();
    };
  }

  /** The virtual clock, µs. */
  get now(): number {
    return this.queue.now;
  }

  segment(options: SegmentOptions): Segment {
    const s = new Segment(this.queue, this.trace, this.prng.nextUint32(), { name: options.name ?? `bus${this.segments.length}`, ...options });
    this.segments.push(s);
    return s;
  }

  /** A host with its ports; connect an engine with host.attach(engine, listeners?). */
  host(options: HostOptions): SimHost {
    const h = new SimHost(this.queue, new Prng(this.prng.nextUint32()), { name: options.name ?? `host${this.hosts.length}`, ...options });
    this.hosts.push(h);
    return h;
  }

  /** A Modbus slave emulator on `segment` (its own host with an ideal UART and an exact timer). */
  meter(segment: Segment, options: MeterOptions): MeterEmulator {
    const seed = this.prng.nextUint32();
    const host = this.host({ name: options.name ?? `unit${options.unit}`, ports: [{ segment, uart: options.uart ?? "ideal", echo: false }], tick: 0, jitter: 0 });
    const m = new MeterEmulator(host.port(0), segment.timing, new Prng(seed), options);
    host.attach(m);
    this.meters.push(m);
    return m;
  }

  /** Runs every event up to and including time `t` (µs), then sets the clock to `t`. */
  runUntil(t: number): void {
    if (!(t >= this.queue.now)) throw new RangeError(`runUntil(${t}) is before now (${this.queue.now})`);
    this.poke();
    while (this.queue.step(t));
    this.queue.now = t;
  }

  /**
   * Runs at most `maxEvents` events up to and including time `t` (µs). Returns true when none is left up to `t` (the
   * clock is then set to `t`), false when the budget ran out first (the clock is at the last event run). A caller that
   * must not block for long (rc485 sim) advances in such bounded steps. `poke` rereads every engine's deadline first,
   * as runUntil does; a caller continuing a step it cut short passes false, since rearming a ticking host timer at
   * another moment moves its ticks.
   */
  runUntilBounded(t: number, maxEvents: number, poke = true): boolean {
    if (!(t >= this.queue.now)) throw new RangeError(`runUntilBounded(${t}) is before now (${this.queue.now})`);
    if (poke) this.poke();
    for (let k = 0; k < maxEvents; k++) {
      if (!this.queue.step(t)) {
        this.queue.now = t;
        return true;
      }
    }
    if (this.queue.peekTime() > t) {
      this.queue.now = t;
      return true;
    }
    return false;
  }

  runFor(us: number): void {
    this.runUntil(this.queue.now + us);
  }

  /**
   * Runs until `done()` is true (checked after every event) or the clock reaches `limit` µs; returns done(). The clock
   * stops at the event that made it true.
   */
  runUntilTrue(done: () => boolean, limit: number): boolean {
    this.poke();
    if (done()) return true;
    while (this.queue.step(limit)) if (done()) return true;
    if (limit > this.queue.now) this.queue.now = limit;
    return done();
  }

  /** Rereads every engine's deadline: call after calling into an engine from outside a callback (runUntil does it). */
  poke(): void {
    for (const h of this.hosts) h.rearm(this.queue.now);
  }

  /** A snapshot of every counter, by segment, host port and meter name (for assertions and failure messages). */
  counters(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.segments) out[`segment ${s.name}`] = { ...s.counters };
    for (const h of this.hosts) for (const p of h.ports) out[`uart ${p.uart.name}`] = { ...p.uart.counters };
    for (const m of this.meters) out[`meter ${m.name}`] = { ...m.counters };
    return out;
  }
}
