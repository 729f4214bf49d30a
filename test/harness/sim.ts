// Node-only helpers for simulator tests: print the sim trace when a test fails, and a minimal polling engine.
import type { ExecutionContext } from "ava";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../../modules/port/contract";
import type { Simulation } from "../../hosts/sim/index";

/** On failure, logs the last `last` trace records and the counters. */
export function traceOnFailure(t: ExecutionContext, sim: Simulation, last = 60): void {
  t.teardown(() => {
    if (!t.passed) {
      console.log(sim.trace.dump(last));
      console.log(JSON.stringify(sim.counters(), null, 1));
    }
  });
}

/**
 * Sends one fixed request, waits for `replyLength` bytes (or `timeoutUs`), waits `gapUs` after the bus went quiet, and
 * sends again, `count` times. A stand-in for the master engine in simulator tests (no parsing, fixed memory).
 */
export class Poller implements PortListener, Timed {
  sent = 0;
  replies = 0;
  timeouts = 0;
  private got = 0;
  private state = 0; // 0 idle, 1 sending, 2 waiting for reply
  private due = 0;
  constructor(readonly port: Rs485Port, readonly request: Uint8Array, readonly replyLength: number, readonly count: number, readonly gapUs: number, readonly timeoutUs: number, start = 1000) {
    this.due = start;
  }
  received(_b: Uint8Array, _o: number, length: number, now: number): void {
    if (this.state !== 2) return;
    this.got += length;
    if (this.got >= this.replyLength) {
      this.replies++;
      this.state = 0;
      this.due = now + this.gapUs;
    }
  }
  transmitted(now: number): void {
    this.state = 2;
    this.got = 0;
    this.due = now + this.timeoutUs;
  }
  nextDeadline(): number {
    if (this.state === 1 || (this.state === 0 && this.sent >= this.count)) return NO_DEADLINE;
    return this.due;
  }
  service(now: number): void {
    if (this.state === 2 && now >= this.due) {
      this.timeouts++;
      this.state = 0;
      this.due = now + this.gapUs;
      return;
    }
    if (this.state === 0 && now >= this.due && this.sent < this.count) {
      this.state = 1;
      this.sent++;
      this.port.transmit(this.request, 0, this.request.length);
    }
  }
  get done(): boolean {
    return this.sent >= this.count && this.state === 0;
  }
}
