/*
 * Configuration of the RTU master, validated once at construction (RangeError/TypeError naming the field), and every
 * duration the engine needs, precomputed in integer microseconds so the byte path does no arithmetic on options.
 *
 * Timing rules (Modbus over Serial Line V1.02 §2.5.1.1 for t3.5; §2.4.1 for the broadcast turnaround delay):
 *  - before sending, the line must have been silent for gapBefore(unit) >= t3.5 since it was last busy (last byte received
 *    or our DE dropped); extra configured gaps (between requests, on a change of unit, per unit) only lengthen it;
 *  - a request expects its reply within the response timeout, counted from the moment our DE dropped. Unless set per unit
 *    or globally, it is computed per request: turnaround budget + air time of that request's expected reply (the longest
 *    possible ADU, 256 bytes, when its length is not fixed by the request) + the host's receive delivery delay + t3.5;
 *  - a broadcast expects no reply; the next request waits broadcastTurnaroundUs after our DE dropped;
 *  - a unit's answers to a request (late or repeated ones included) are assumed to begin within the reply window after
 *    the request ended: twice the response timeout unless set per unit or globally (never shorter than the timeout);
 *  - learned timing (modules/commissioning/learned-limits.ts, written while running by modules/commissioning/learned-apply.ts through learnTiming()):
 *    a unit's learned reply-latency budget gives a learned timeout = budget + the reply's air time + the host's delivery
 *    delay + t3.5, which the master uses only while the unit answers as learned (master/engine.ts, "Learned timing"); a
 *    learned silence only lengthens the unit's gap. The reply window is computed from the longer of the configured and
 *    the learned timeout, so learning never shortens a window (the late-reply guarantees of docs/master.md hold as without it).
 *
 * Receive delivery: a host with a batching UART (ESP32, design.md §6) hands bytes over only after rxIdleDelayUs of silence
 * or when rxBatchBytes are buffered. The engine uses these two numbers to date the end of a reply (a batch shorter than
 * rxBatchBytes ended rxIdleDelayUs before it was delivered) and to wait long enough before calling a partial frame truncated.
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { MAX_ADU_LENGTH, MAX_UNIT } from "../rtu/function-codes";
import { type Framing, LineTiming } from "../rtu/timing";

export interface UnitOptions {
  /** 1..247. */
  readonly unit: number;
  /** Fixed response timeout for this unit (µs), instead of the computed one. */
  readonly responseTimeoutUs?: number;
  /** Extra minimum silence before any request to this unit (µs), e.g. a meter's minimum delay between requests. */
  readonly gapUs?: number;
  /** Retries for this unit, instead of the global count. */
  readonly retries?: number;
  /** Reply window for this unit (µs), instead of the global one: see MasterOptions.replyWindowUs. */
  readonly replyWindowUs?: number;
}

export interface MasterOptions {
  /** Line speed, 300..4000000 (the UART's rate; see rtu/timing.ts). */
  readonly baud: number;
  /** Character framing; default "8N1" (the ESP32 serial driver's only framing, and what most meters ship with). */
  readonly framing?: Framing;
  /** Attempts after the first when an attempt ends with a fault (not for exceptions); default 2, 0..15. */
  readonly retries?: number;
  /** Time a device may take to start answering after our request ends (µs); default 50000, 0..10 s. */
  readonly turnaroundUs?: number;
  /** Fixed response timeout for every unit (µs), instead of the computed one; default 0 = computed. 1 ms..60 s. */
  readonly responseTimeoutUs?: number;
  /** Minimum silence before every request (µs), beyond which t3.5 is never shortened; default 0, up to 60 s. */
  readonly requestGapUs?: number;
  /** Minimum silence before a request to another unit than the previous one (µs); default 0, up to 60 s. */
  readonly unitChangeGapUs?: number;
  /** Wait after a broadcast before the next request (µs); default 100000 (Serial Line V1.02 §2.4.1 suggests 100-200 ms). */
  readonly broadcastTurnaroundUs?: number;
  /** Request slots; default 16, 1..1024. */
  readonly queueCapacity?: number;
  /** The transceiver echoes our own request back (RE not disabled during transmit); the echo is skipped. Default false. */
  readonly echo?: boolean;
  /** The host delivers received bytes only after this much silence on the line (ESP32: about 4 characters); default 0. */
  readonly rxIdleDelayUs?: number;
  /** The host also delivers when this many bytes are buffered (ESP32: its RX FIFO threshold); default 0 = never. */
  readonly rxBatchBytes?: number;
  /** After this many consecutive failed transactions a unit counts as offline and gets no retries until it answers; 0 = never. Default 3. */
  readonly offlineAfter?: number;
  /**
   * How long after a request ends a unit's answers to it (late ones and repeated copies included) may still begin (µs);
   * default 0 = twice the request's response timeout. Never shorter than the response timeout. Another request of the
   * same function to the same unit is held back until the window of an unanswered one has closed (docs/master.md).
   */
  readonly replyWindowUs?: number;
  /** Per-unit overrides. */
  readonly units?: readonly UnitOptions[];
}

export { MAX_UNIT };
/** Largest ADU on a serial line (Serial Line V1.02 §2.5.1). */
export const MAX_ADU = MAX_ADU_LENGTH;

const SECOND = 1000000;

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

const KNOWN_OPTIONS: readonly string[] = Object.freeze(["baud", "framing", "retries", "turnaroundUs", "responseTimeoutUs",
  "requestGapUs", "unitChangeGapUs", "broadcastTurnaroundUs", "queueCapacity", "echo", "rxIdleDelayUs", "rxBatchBytes",
  "offlineAfter", "replyWindowUs", "units"]);
const KNOWN_UNIT_OPTIONS: readonly string[] = Object.freeze(["unit", "responseTimeoutUs", "gapUs", "retries", "replyWindowUs"]);

/**
 * Validated master configuration with its derived timing. Immutable after construction, except the learned timing rows
 * (rowLearnedUs, rowLearnedGapUs), which only learnTiming() writes.
 */
export class MasterConfig {
  readonly line: LineTiming;
  readonly retries: number;
  readonly turnaroundUs: number;
  readonly responseTimeoutUs: number;
  readonly requestGapUs: number;
  readonly unitChangeGapUs: number;
  readonly broadcastTurnaroundUs: number;
  readonly queueCapacity: number;
  readonly echo: boolean;
  readonly rxIdleDelayUs: number;
  readonly rxBatchBytes: number;
  readonly offlineAfter: number;
  /** Global reply window (µs), 0 = twice the response timeout. */
  readonly replyWindowUs: number;
  /** t3.5 of the line (µs). */
  readonly t35Us: number;
  /** After a full-batch delivery, the wait for more of an unfinished frame before it is judged ended (µs). */
  readonly frameSilenceUs: number;
  /**
   * Per unit 0..247: its row in the per-unit settings below (0: the defaults; row i + 1: options.units[i]), so the
   * settings cost one row per configured unit, not one per possible unit.
   */
  readonly unitRow: Uint8Array;
  /** Per row: fixed response timeout (0 = computed), extra gap, retries. */
  readonly rowTimeoutUs: Int32Array;
  readonly rowGapUs: Int32Array;
  readonly rowRetries: Uint8Array;
  /** Per row: fixed reply window (0 = the global rule). */
  readonly rowWindowUs: Int32Array;
  /**
   * Per row: learned reply-latency budget (µs, 0 = none learned) and learned minimum silence before a request (µs),
   * written by learnTiming() while running. Row 0 (units without their own row) never learns.
   */
  readonly rowLearnedUs: Int32Array;
  readonly rowLearnedGapUs: Int32Array;
  /** Air time of n bytes, n = 0..MAX_ADU (µs), so the byte path never divides. */
  readonly airUs: Int32Array;

  constructor(options: MasterOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("master options must be an object");
    for (const key of Object.keys(options)) {
      if (KNOWN_OPTIONS.indexOf(key) < 0) throw new RangeError(`unknown master option ${key}; allowed: ${KNOWN_OPTIONS.join(", ")}`);
    }
    const framing = options.framing === undefined ? "8N1" : options.framing;
    if (framing !== "8N1" && framing !== "8E1" && framing !== "8O1" && framing !== "8N2") {
      throw new RangeError(`framing must be one of 8N1, 8E1, 8O1, 8N2, got ${String(framing)}`);
    }
    if (typeof options.baud !== "number" || !Number.isInteger(options.baud) || options.baud < 300 || options.baud > 4000000) {
      throw new RangeError(`baud must be an integer from 300 to 4000000, got ${String(options.baud)}`);
    }
    this.line = new LineTiming(options.baud, framing);
    this.t35Us = this.line.t35Us;
    this.retries = integer(options.retries, "retries", 0, 15, 2);
    this.turnaroundUs = integer(options.turnaroundUs, "turnaroundUs", 0, 10 * SECOND, 50000);
    this.responseTimeoutUs = integer(options.responseTimeoutUs, "responseTimeoutUs", 0, 60 * SECOND, 0);
    if (this.responseTimeoutUs !== 0 && this.responseTimeoutUs < 1000) throw new RangeError(`responseTimeoutUs must be 0 (computed) or from 1000 to 60000000, got ${this.responseTimeoutUs}`);
    this.requestGapUs = integer(options.requestGapUs, "requestGapUs", 0, 60 * SECOND, 0);
    this.unitChangeGapUs = integer(options.unitChangeGapUs, "unitChangeGapUs", 0, 60 * SECOND, 0);
    this.broadcastTurnaroundUs = integer(options.broadcastTurnaroundUs, "broadcastTurnaroundUs", 0, 60 * SECOND, 100000);
    this.queueCapacity = integer(options.queueCapacity, "queueCapacity", 1, 1024, 16);
    if (options.echo !== undefined && typeof options.echo !== "boolean") throw new TypeError(`echo must be true or false, got ${String(options.echo)}`);
    this.echo = options.echo === true;
    this.rxIdleDelayUs = integer(options.rxIdleDelayUs, "rxIdleDelayUs", 0, SECOND, 0);
    this.rxBatchBytes = integer(options.rxBatchBytes, "rxBatchBytes", 0, 4096, 0);
    this.offlineAfter = integer(options.offlineAfter, "offlineAfter", 0, 255, 3);
    this.replyWindowUs = integer(options.replyWindowUs, "replyWindowUs", 0, 120 * SECOND, 0);

    const units = options.units === undefined ? [] : options.units;
    if (!Array.isArray(units)) throw new TypeError("units must be an array of { unit, responseTimeoutUs?, gapUs?, retries?, replyWindowUs? }");
    if (units.length > MAX_UNIT) throw new RangeError(`units lists at most ${MAX_UNIT} units, got ${units.length}`);
    const rows = units.length + 1;
    // The tables are views of one buffer (modules/common/column-arena.ts).
    const arena = new ColumnArena(columnBytes(4 * (MAX_ADU + 1), MAX_UNIT + 1, 4 * rows, 4 * rows, rows, 4 * rows, 4 * rows, 4 * rows));
    this.airUs = arena.i32(MAX_ADU + 1);
    for (let n = 0; n <= MAX_ADU; n++) this.airUs[n] = this.line.airTimeUs(n);
    const batchUs = this.rxBatchBytes > 0 ? this.line.airTimeUs(Math.min(this.rxBatchBytes, MAX_ADU)) : 0;
    this.frameSilenceUs = this.t35Us + this.rxIdleDelayUs + batchUs;

    this.unitRow = arena.u8(MAX_UNIT + 1);
    this.rowTimeoutUs = arena.i32(rows).fill(this.responseTimeoutUs);
    this.rowGapUs = arena.i32(rows);
    this.rowRetries = arena.u8(rows).fill(this.retries);
    this.rowWindowUs = arena.i32(rows).fill(this.replyWindowUs);
    this.rowLearnedUs = arena.i32(rows);
    this.rowLearnedGapUs = arena.i32(rows);
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      if (typeof u !== "object" || u === null) throw new TypeError(`units[${i}] must be an object`);
      for (const key of Object.keys(u)) {
        if (KNOWN_UNIT_OPTIONS.indexOf(key) < 0) throw new RangeError(`unknown option units[${i}].${key}; allowed: ${KNOWN_UNIT_OPTIONS.join(", ")}`);
      }
      const unit = integer(u.unit, `units[${i}].unit`, 1, MAX_UNIT, -1);
      if (unit < 0) throw new RangeError(`units[${i}].unit must be an integer from 1 to ${MAX_UNIT}, got undefined`);
      const timeout = integer(u.responseTimeoutUs, `units[${i}].responseTimeoutUs`, 1000, 60 * SECOND, this.responseTimeoutUs);
      const row = i + 1;
      this.unitRow[unit] = row;
      this.rowTimeoutUs[row] = timeout;
      this.rowGapUs[row] = integer(u.gapUs, `units[${i}].gapUs`, 0, 60 * SECOND, 0);
      this.rowRetries[row] = integer(u.retries, `units[${i}].retries`, 0, 15, this.retries);
      this.rowWindowUs[row] = integer(u.replyWindowUs, `units[${i}].replyWindowUs`, 0, 120 * SECOND, this.replyWindowUs);
    }
  }

  /**
   * Sets `unit`'s learned timing: its reply-latency budget (µs, 0 = none: the configured timeout) and its learned
   * minimum silence before a request (µs, only ever lengthens the configured gap). Both 0..60 s. Returns false (and
   * sets nothing) for a unit without its own row in `units`: only configured units learn.
   */
  learnTiming(unit: number, latencyBudgetUs: number, gapUs: number): boolean {
    integer(latencyBudgetUs, "latencyBudgetUs", 0, 60 * SECOND, 0);
    integer(gapUs, "gapUs", 0, 60 * SECOND, 0);
    const row = unit >= 1 && unit <= MAX_UNIT ? this.unitRow[unit] : 0;
    if (row === 0) return false;
    this.rowLearnedUs[row] = latencyBudgetUs;
    this.rowLearnedGapUs[row] = gapUs;
    return true;
  }

  /**
   * Learned response timeout for a request to `unit` whose reply is `expectedLength` bytes (0 when not fixed): the
   * learned reply-latency budget + the reply's air time + the host's delivery delay + t3.5; 0 when nothing is learned.
   */
  learnedTimeout(unit: number, expectedLength: number): number {
    const budget = this.rowLearnedUs[this.unitRow[unit]];
    if (budget === 0) return 0;
    const n = expectedLength > 0 && expectedLength <= MAX_ADU ? expectedLength : MAX_ADU;
    return budget + this.airUs[n] + this.rxIdleDelayUs + this.t35Us;
  }

  /**
   * Reply window of a request to `unit` whose reply is `expectedLength` bytes: answers to it begin no later than this
   * after it ends. From the longer of the configured and the learned timeout: learning never shortens it.
   */
  replyWindow(unit: number, expectedLength: number): number {
    const configured = this.responseTimeout(unit, expectedLength);
    const learned = this.learnedTimeout(unit, expectedLength);
    const timeout = learned > configured ? learned : configured;
    const fixed = this.rowWindowUs[this.unitRow[unit]];
    const window = fixed > 0 ? fixed : 2 * timeout;
    return window > timeout ? window : timeout;
  }

  /**
   * Configured response timeout for a request to `unit` whose reply is `expectedLength` bytes (0 when not fixed by the
   * request): the unit's or the global fixed one, else computed. Learned timing is not in it (learnedTimeout()).
   */
  responseTimeout(unit: number, expectedLength: number): number {
    const fixed = this.rowTimeoutUs[this.unitRow[unit]];
    if (fixed > 0) return fixed;
    const n = expectedLength > 0 && expectedLength <= MAX_ADU ? expectedLength : MAX_ADU;
    return this.turnaroundUs + this.airUs[n] + this.rxIdleDelayUs + this.t35Us;
  }

  /** Retries after a timeout for a request to `unit`. */
  retriesFor(unit: number): number {
    return this.rowRetries[this.unitRow[unit]];
  }

  /** Minimum silence before a request to `unit` when the previous request went to `previousUnit` (-1: none). */
  gapBefore(unit: number, previousUnit: number): number {
    let gap = this.t35Us;
    if (this.requestGapUs > gap) gap = this.requestGapUs;
    if (previousUnit >= 0 && previousUnit !== unit && this.unitChangeGapUs > gap) gap = this.unitChangeGapUs;
    const row = this.unitRow[unit];
    const extra = this.rowLearnedGapUs[row] > this.rowGapUs[row] ? this.rowLearnedGapUs[row] : this.rowGapUs[row];
    const own = extra + this.t35Us;
    if (own > gap) gap = own;
    return gap;
  }
}
