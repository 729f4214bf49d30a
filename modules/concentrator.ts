/*
 * The concentrator's polling side in one sans-I/O engine: site → plan → scheduler → RTU master → decoded readings →
 * readings store, for any host (the ESP32 main, and any Node host that wants it). It is the master's PortListener and a
 * Timed engine (modules/port.ts); the host gives it one Rs485Port and calls service(now) at nextDeadline().
 *
 * Theory of operation. The scheduler (modules/scheduler.ts) says which planned read is due; the engine submits it to the
 * master (modules/master.ts), which owns the wire rules (t3.5 gaps, MODBUS over Serial Line V1.02 §2.5.1.1; response
 * timeouts; retries). A finished transaction is classified into a scheduler outcome and a store fault kind through two
 * tables indexed by the master's status code (rules as data). A good reply is decoded in place (modules/decoded-readings.ts,
 * sanity filter included); when the meter's last planned read of the cycle succeeds, its values are recorded in the
 * store (modules/readings.ts) for the forwarders, and `events.reading(meter)` is called; a failure calls
 * `events.failure(meter)`. Reading times are host microseconds; the wall-clock time of a reading is
 * `epochBaseMs + now / 1000`, where the host sets epochBaseMs once it knows the date (SNTP), and 0 meanwhile.
 *
 * Fixed memory: everything is allocated in the constructor; the polling path allocates nothing.
 */
import { Readings } from "./decoded-readings";
import { Master } from "./master";
import type { MasterResult } from "./master-result";
import {
  STATUS_CRC, STATUS_EXCEPTION, STATUS_KINDS, STATUS_LENGTH, STATUS_OK, STATUS_OVERRUN, STATUS_TIMEOUT, STATUS_TRUNCATED,
  STATUS_WRONG_FUNCTION, STATUS_WRONG_UNIT,
} from "./master-status";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "./port";
import type { Plan } from "./planner";
import { FAULT_CRC, FAULT_EXCEPTION, FAULT_FRAMING, FAULT_OTHER, FAULT_TIMEOUT, ReadingsStore, type MeterMeta } from "./readings";
import {
  OUTCOME_CRC, OUTCOME_EXCEPTION, OUTCOME_MALFORMED, OUTCOME_OK, OUTCOME_TIMEOUT, Scheduler,
} from "./scheduler";
import { planForSite, replyTimeoutUs, schedulerOptionsFor, type Site } from "./site";

/** Scheduler outcome per master status. */
const OUTCOME_OF_STATUS = new Uint8Array(STATUS_KINDS).fill(OUTCOME_MALFORMED);
OUTCOME_OF_STATUS[STATUS_OK] = OUTCOME_OK;
OUTCOME_OF_STATUS[STATUS_TIMEOUT] = OUTCOME_TIMEOUT;
OUTCOME_OF_STATUS[STATUS_EXCEPTION] = OUTCOME_EXCEPTION;
OUTCOME_OF_STATUS[STATUS_CRC] = OUTCOME_CRC;
OUTCOME_OF_STATUS[STATUS_TRUNCATED] = OUTCOME_CRC;
OUTCOME_OF_STATUS[STATUS_OVERRUN] = OUTCOME_CRC;
OUTCOME_OF_STATUS[STATUS_LENGTH] = OUTCOME_MALFORMED;
OUTCOME_OF_STATUS[STATUS_WRONG_UNIT] = OUTCOME_MALFORMED;
OUTCOME_OF_STATUS[STATUS_WRONG_FUNCTION] = OUTCOME_MALFORMED;
/** Readings-store fault kind per master status. */
const FAULT_OF_STATUS = new Uint8Array(STATUS_KINDS).fill(FAULT_OTHER);
FAULT_OF_STATUS[STATUS_TIMEOUT] = FAULT_TIMEOUT;
FAULT_OF_STATUS[STATUS_EXCEPTION] = FAULT_EXCEPTION;
FAULT_OF_STATUS[STATUS_CRC] = FAULT_CRC;
FAULT_OF_STATUS[STATUS_TRUNCATED] = FAULT_FRAMING;
FAULT_OF_STATUS[STATUS_OVERRUN] = FAULT_FRAMING;
FAULT_OF_STATUS[STATUS_LENGTH] = FAULT_FRAMING;

/** What the forwarders hear. */
export interface ConcentratorEvents {
  reading(meter: number): void;
  failure(meter: number): void;
}

export interface ConcentratorHostOptions {
  /** The host delivers received bytes after this much silence (ESP32: 4 character times + callback latency), µs. */
  readonly rxIdleDelayUs?: number;
  /** The host also delivers when this many bytes are buffered (ESP32: the RX FIFO threshold). */
  readonly rxBatchBytes?: number;
  /** Store history buckets (default 120). */
  readonly historyBuckets?: number;
}

/** The store's view of a site's meters (names, profile metadata, the points polled). */
export function meterMetas(site: Site): MeterMeta[] {
  return site.meters.map((m) => ({
    name: m.name, profile: m.profileId, manufacturer: m.profile.manufacturer, model: m.profile.model, unit: m.unit,
    intervalMs: m.intervalMs,
    points: m.points.map((i) => {
      const p = m.profile.points[i];
      return { name: p.name, label: p.label, unit: p.unit, deviceClass: p.deviceClass, stateClass: p.stateClass, type: p.type };
    }),
  }));
}

export class Concentrator implements Timed, PortListener {
  readonly site: Site;
  readonly plan: Plan;
  readonly scheduler: Scheduler;
  readonly master: Master;
  readonly decoded: Readings;
  readonly store: ReadingsStore;
  /** Wall clock at host time 0, ms (0 until the host knows the date). */
  epochBaseMs = 0;
  events: ConcentratorEvents | null = null;
  /** Per meter: its latest cycle's values, in point order (handed to the store). */
  private readonly cycleValues: Float64Array[];
  private inFlight = -1;
  private started = false;

  constructor(site: Site, port: Rs485Port, options: ConcentratorHostOptions = {}) {
    this.site = site;
    this.plan = planForSite(site);
    this.scheduler = new Scheduler(this.plan, schedulerOptionsFor(site, this.plan));
    const units = site.meters.map((m, i) => ({ unit: m.unit, responseTimeoutUs: replyTimeoutUs(site, this.plan, i) }));
    this.master = new Master({
      baud: site.bus.baud, framing: site.bus.framing, retries: site.bus.retries, units, queueCapacity: 2,
      rxIdleDelayUs: options.rxIdleDelayUs ?? 0, rxBatchBytes: options.rxBatchBytes ?? 0, offlineAfter: 0,
    }, port, this);
    this.decoded = new Readings(this.plan);
    this.store = new ReadingsStore({ meters: meterMetas(site), historyBuckets: options.historyBuckets });
    this.cycleValues = this.plan.meters.map((m) => new Float64Array(m.valueCount));
  }

  /** Starts the polling grid at `now` (µs). */
  start(now: number): void {
    this.scheduler.start(now);
    this.started = true;
  }

  nextDeadline(): number {
    const a = this.master.nextDeadline();
    const b = this.inFlight < 0 && this.started ? this.scheduler.nextDeadline() : NO_DEADLINE;
    if (a === NO_DEADLINE) return b;
    if (b === NO_DEADLINE) return a;
    return a < b ? a : b;
  }

  service(now: number): void {
    const d = this.master.nextDeadline();
    if (d !== NO_DEADLINE && d <= now) this.master.service(now);
    this.submitDue(now);
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    this.master.received(buffer, offset, length, now);
  }

  transmitted(now: number): void {
    this.master.transmitted(now);
  }

  /** Master callback. */
  completed(result: MasterResult): void {
    const read = result.tag;
    if (read !== this.inFlight) return;
    this.inFlight = -1;
    const now = result.completedAt;
    const plan = this.plan;
    const m = plan.reads[read].meter;
    const status = result.status;
    this.scheduler.complete(read, OUTCOME_OF_STATUS[status], now);
    if (status === STATUS_OK) {
      this.decoded.update(read, result.frame, result.frameOffset + 3, result.frameLength - 5, now);
      const mp = plan.meters[m];
      if (read === mp.firstRead + mp.readCount - 1) {
        const n = mp.valueCount;
        const values = this.decoded.values;
        const out = this.cycleValues[m];
        for (let i = 0; i < n; i++) out[i] = values[mp.firstValue + i];
        this.store.record(m, out, now, this.epochBaseMs > 0 ? this.epochBaseMs + Math.floor(now / 1000) : 0);
        if (this.events !== null) this.events.reading(m);
      }
    } else {
      this.store.failure(m, FAULT_OF_STATUS[status], now);
      if (this.events !== null) this.events.failure(m);
    }
    this.submitDue(now);
  }

  private submitDue(now: number): void {
    if (!this.started || this.inFlight >= 0) return;
    const r = this.scheduler.next(now);
    if (r < 0) return;
    const rd = this.plan.reads[r];
    this.inFlight = r;
    if (this.master.submitRead(rd.unit, rd.function, rd.start, rd.count, r) !== 0) {
      this.inFlight = -1;
      this.scheduler.complete(r, OUTCOME_MALFORMED, now);
    }
  }
}
