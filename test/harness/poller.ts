/*
 * A minimal polling master for tests of the concentrator core on the simulator, until the real master engine is wired to
 * the scheduler: it asks the Scheduler for the next planned read, sends it, finds the reply's end by its expected length,
 * parses it with the RTU wire layer, feeds the data to Readings and reports the outcome. A t3.5 silence is kept after every
 * frame. It records, per meter, the bus time of each transaction (request start to reply or timeout).
 */
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../../modules/port";
import type { Plan } from "../../modules/planner";
import type { Readings } from "../../modules/readings";
import { answersRequest } from "../../modules/rtu/answers-request";
import { buildReadRequest } from "../../modules/rtu/build-request";
import { expectedResponseLength, LENGTH_INVALID } from "../../modules/rtu/expected-length";
import { FAULT_NONE } from "../../modules/rtu/faults";
import { FrameView } from "../../modules/rtu/frame-view";
import { parseRequest } from "../../modules/rtu/parse-request";
import { parseResponse } from "../../modules/rtu/parse-response";
import { OUTCOME_EXCEPTION, OUTCOME_MALFORMED, OUTCOME_OK, OUTCOME_TIMEOUT, outcomeOfFault, type Scheduler } from "../../modules/scheduler";

const IDLE = 0;
const SENDING = 1;
const WAITING = 2;

export class TestPoller implements PortListener, Timed {
  private readonly tx = new Uint8Array(8);
  private readonly rx = new Uint8Array(512);
  private rxLength = 0;
  private state = IDLE;
  private read = -1;
  private startedAt = 0;
  private timeoutAt = 0;
  private holdUntil = 0;
  private readonly request = new FrameView();
  private readonly response = new FrameView();
  /** Bus time per meter (µs) and a log of transactions. */
  readonly busUs: Float64Array;
  readonly log: { read: number; meter: number; at: number; end: number; outcome: number }[] = [];

  constructor(private readonly port: Rs485Port, private readonly plan: Plan, private readonly scheduler: Scheduler,
    private readonly readings: Readings, private readonly timeoutUs: number) {
    this.busUs = new Float64Array(plan.meters.length);
  }

  nextDeadline(): number {
    if (this.state === WAITING) return this.timeoutAt;
    if (this.state === SENDING) return NO_DEADLINE;
    const d = this.scheduler.nextDeadline();
    if (d === NO_DEADLINE) return NO_DEADLINE;
    return d > this.holdUntil ? d : this.holdUntil;
  }

  service(now: number): void {
    if (this.state === WAITING && now >= this.timeoutAt) { this.finish(OUTCOME_TIMEOUT, now); return; }
    if (this.state !== IDLE || now < this.holdUntil) return;
    const r = this.scheduler.next(now);
    if (r < 0) return;
    const rd = this.plan.reads[r];
    const n = buildReadRequest(this.tx, 0, rd.unit, rd.function, rd.start, rd.count);
    parseRequest(this.tx, 0, n, this.request);
    this.read = r;
    this.state = SENDING;
    this.startedAt = now;
    this.port.transmit(this.tx, 0, n);
  }

  transmitted(now: number): void {
    this.state = WAITING;
    this.rxLength = 0;
    this.timeoutAt = now + this.timeoutUs;
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    if (this.state !== WAITING) return;
    for (let i = 0; i < length && this.rxLength < this.rx.length; i++) this.rx[this.rxLength++] = buffer[offset + i];
    const rd = this.plan.reads[this.read];
    const want = expectedResponseLength(this.rx, 0, this.rxLength, rd.function, 8);
    if (want === LENGTH_INVALID) { this.finish(OUTCOME_MALFORMED, now); return; }
    if (want <= 0 || this.rxLength < want) return;
    const fault = parseResponse(this.rx, 0, want, this.response);
    if (fault !== FAULT_NONE) { this.finish(outcomeOfFault(fault), now); return; }
    if (this.response.isException) { this.finish(OUTCOME_EXCEPTION, now); return; }
    const match = answersRequest(this.request, this.response);
    if (match !== FAULT_NONE) { this.finish(outcomeOfFault(match), now); return; }
    this.readings.update(this.read, this.rx, this.response.dataOffset, this.response.dataLength, now);
    this.finish(OUTCOME_OK, now);
  }

  private finish(outcome: number, now: number): void {
    const m = this.plan.reads[this.read].meter;
    this.busUs[m] += now - this.startedAt;
    this.log.push({ read: this.read, meter: m, at: this.startedAt, end: now, outcome });
    this.scheduler.complete(this.read, outcome, now);
    this.state = IDLE;
    this.holdUntil = now + this.plan.line.t35Us;
  }
}
