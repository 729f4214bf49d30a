/*
 * One Moddable timer that fires at an absolute time in microseconds, and the host loop of a Timed engine built on it.
 *
 * Theory of operation. A Moddable Timer counts whole milliseconds and fires when the millisecond counter reaches the
 * arm time plus the interval (Moddable SDK modules/base/timer/mc/timer.c), so in real time it may fire up to 1 ms early
 * and, in a busy loop, somewhat late. DeadlineTimer arms the timer for the whole milliseconds left, and when it fires
 * reads Time.microseconds: still early, it re-arms for what is left, down to an interval of 0 (the next pass of the JS
 * loop, during which serial callbacks still run). The callback therefore never runs before the deadline, and runs within
 * one loop pass after it once the last millisecond has been waited. The timer is created once and rescheduled
 * (Timer.schedule), never re-created: no allocation per arm.
 *
 * EngineLoop is the host loop of modules/port/contract.ts `Timed`: after every call into the engine (by this loop or by a port
 * adapter) the host calls rearm(), which rereads nextDeadline() and moves the single timer there.
 */
import { NO_DEADLINE, type Timed } from "../../modules/port/contract";
import type { Esp32Io, TimerId } from "./io";

/** Repeat interval that keeps the timer alive between arms (about 12 days; int32-safe in the timer's arithmetic). */
const PARKED_MS = 0x3fffffff;

export class DeadlineTimer {
  private readonly io: Esp32Io;
  private readonly id: TimerId;
  private readonly callback: (now: number) => void;
  private deadline = NO_DEADLINE;
  /** Times the timer fired before its deadline and was re-armed. */
  early = 0;
  fired = 0;

  constructor(io: Esp32Io, callback: (now: number) => void) {
    if (typeof callback !== "function") throw new TypeError("DeadlineTimer callback must be a function (now) => void");
    this.io = io;
    this.callback = callback;
    this.id = io.Timer.set(() => this.expired(), PARKED_MS, PARKED_MS);
    io.Timer.schedule(this.id);
  }

  /** The armed deadline (µs) or NO_DEADLINE. */
  get armed(): number {
    return this.deadline;
  }

  /** Fires the callback at or after `deadline` (µs on io.now()); NO_DEADLINE disarms. Re-arming replaces the deadline. */
  arm(deadline: number): void {
    if (deadline === this.deadline) return;
    this.deadline = deadline;
    if (deadline === NO_DEADLINE) {
      this.io.Timer.schedule(this.id);
      return;
    }
    this.schedule(this.io.now());
  }

  cancel(): void {
    this.arm(NO_DEADLINE);
  }

  close(): void {
    this.deadline = NO_DEADLINE;
    this.io.Timer.clear(this.id);
  }

  private schedule(now: number): void {
    const left = this.deadline - now;
    const ms = left > 0 ? Math.floor(left / 1000) : 0;
    this.io.Timer.schedule(this.id, ms, PARKED_MS);
  }

  private expired(): void {
    const deadline = this.deadline;
    if (deadline === NO_DEADLINE) {
      this.io.Timer.schedule(this.id);
      return;
    }
    const now = this.io.now();
    if (now < deadline) {
      this.early++;
      this.schedule(now);
      return;
    }
    this.deadline = NO_DEADLINE;
    this.io.Timer.schedule(this.id);
    this.fired++;
    this.callback(now);
  }
}

/** Runs a Timed engine on one DeadlineTimer. Port adapters call rearm() after each call they make into the engine. */
export class EngineLoop {
  readonly timer: DeadlineTimer;
  private engine: Timed | null = null;
  services = 0;

  constructor(io: Esp32Io) {
    this.timer = new DeadlineTimer(io, (now) => this.serviceAt(now));
  }

  /** The engine to service (once, after construction). */
  attach(engine: Timed): void {
    if (engine === null || typeof engine !== "object" || typeof engine.nextDeadline !== "function" || typeof engine.service !== "function") {
      throw new TypeError("EngineLoop.attach needs a Timed engine (nextDeadline(), service(now))");
    }
    this.engine = engine;
    this.rearm();
  }

  rearm(): void {
    const engine = this.engine;
    if (engine !== null) this.timer.arm(engine.nextDeadline());
  }

  private serviceAt(now: number): void {
    const engine = this.engine;
    if (engine === null) return;
    this.services++;
    engine.service(now);
    this.timer.arm(engine.nextDeadline());
  }
}
