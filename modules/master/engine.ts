/*
 * The RTU master engine: sans-I/O, fixed memory. It implements PortListener + Timed (modules/port/contract.ts) and drives one
 * Rs485Port; docs/master.md is its manual.
 *
 * Theory of operation (Modbus over Serial Line V1.02 §2.4 master state diagram, §2.5.1 RTU framing):
 *  - one transaction at a time, taken from a ring of preallocated request slots (master/queue.ts);
 *  - GAP: before sending, the line must have been silent for at least t3.5 (plus any configured gap) since it was last
 *    busy: the end of the last byte received (dated from the delivery time minus the host's idle delay when the host
 *    batches) or the moment our DE dropped. Any byte that arrives meanwhile, a late reply included, moves that moment on.
 *    The engine never transmits before its deadline, whatever the host timer's resolution, so a coarse timer only
 *    lengthens gaps; with an exact timer the gap is t3.5 to the microsecond;
 *  - SENDING: the host raises DE, sends, drops DE after the last stop bit and calls transmitted(now). The receive frame is
 *    reset when we send (flush), so nothing heard before our request can be taken for its reply. With echo enabled the
 *    request's own bytes are matched first and skipped;
 *  - RECEIVING: the response timeout runs from the DE drop. Leading 0x00/0xFF bytes (idle-bus glitches) are skipped. The
 *    reply's length follows from the request (master/reply-length.ts) once unit and function are seen; a frame of that length
 *    is complete, and is confirmed by t3.5 of silence (which the next request must wait anyway, so it costs no bus time)
 *    and by its CRC. A frame of unknown length (wrong unit/function, garbled header) ends by silence;
 *  - the frame is classified: OK, EXCEPTION, or a fault (master/status.ts); a reply during which the host's UART reported a
 *    parity or framing error (PortListener.lineError) is a CRC fault whatever its CRC says. A well-formed frame that matches the unit,
 *    function and length of an earlier attempt that failed, but not the current request, is a late reply: it is counted,
 *    discarded, and the engine keeps waiting for the current reply. Faults are retried (fewer for units that went offline);
 *  - REPLY WINDOWS (docs/master.md, "Late and repeated replies"): a reply carries no request id, so two reads of the same
 *    function to the same unit cannot be told apart by their replies. Every transmission is remembered with the end of
 *    its reply window (the time by which the unit's answers to it, late or repeated, have begun) and what was heard of
 *    it: unanswered, answered (the reply's CRC), or ambiguous. A request is held back until no other request of the
 *    same unit and function that is unanswered or ambiguous has an open window; a frame that would be the current
 *    request's reply but repeats the CRC of an answered other request's reply inside its window is dropped (the request
 *    is tried again once that window has closed). So a delivered reply can only answer the current request (or an
 *    identical one), provided units answer only requests addressed to them, with copies of one reply per transmission,
 *    all begun within the window;
 *  - BROADCAST (unit 0): no reply; the next request waits the broadcast turnaround delay (§2.4.1) after our DE drop.
 *  - LEARNED TIMING (MasterConfig.learnTiming, set while running by modules/commissioning/learned-apply.ts): the learned timeout is
 *    trusted only while the unit answers as learned, i.e. for the first attempt of a request to a unit whose last
 *    transaction succeeded. A retry, and every request after a failed transaction until the unit answers again (its
 *    return-to-service probes included), waits the longer of the configured and the learned timeout: a unit that
 *    went silent (unplugged, rebooting, slower than learned) is judged on the configured timing, so a learned quick
 *    timeout neither cuts off its return nor makes it count as offline sooner than the configured timing would
 *    (after its first failed transaction). Reply windows never shrink with learning (MasterConfig.replyWindow).
 * Results go to the MasterListener in one reused MasterResult. Nothing is allocated after construction.
 */
import { ColumnArena, columnBytes } from "../common/column-arena";
import { crcMatches } from "../rtu/crc16";
import { MAX_ADU, MAX_UNIT, MasterConfig, type MasterOptions } from "./config";
import { MasterQueue } from "./queue";
import { EXCEPTION_REPLY_LENGTH, REPLY_LENGTH_FROM_COUNT } from "./reply-length";
import { MasterResult } from "./result";
import {
  COUNT_FAILED, COUNT_LATE, COUNT_RETRIES, COUNT_SENT, COUNTER_KINDS, STATUS_CRC, STATUS_EXCEPTION, STATUS_LENGTH, STATUS_OK,
  STATUS_OVERRUN, STATUS_RETRYABLE, STATUS_TIMEOUT, STATUS_TRUNCATED, STATUS_WRONG_FUNCTION, STATUS_WRONG_UNIT,
} from "./status";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../port/contract";

/** Receives every finished transaction. `result` is reused: copy what you keep before returning. May call submit*(). */
export interface MasterListener {
  completed(result: MasterResult): void;
}

// Engine states.
const IDLE = 0;
const GAP = 1;
const SENDING = 2;
const RECEIVING = 3;
const BROADCAST = 4;

/** Bytes an idle or switching bus produces before a frame (skipped while no frame has started). */
const STRAY_LEADING = new Uint8Array(256);
STRAY_LEADING[0x00] = 1;
STRAY_LEADING[0xff] = 1;

/** Function codes whose reply carries a byte count at ADU index 2 equal to the ADU length - 5 (§6.1-6.4, §6.10, §6.13, §6.17). */
const BYTE_COUNT_AT_2 = new Uint8Array(256);
for (const fc of [0x01, 0x02, 0x03, 0x04, 0x0c, 0x11, 0x17]) BYTE_COUNT_AT_2[fc] = 1;
/** Function codes whose reply is a list of registers (§6.3, §6.4, §6.17). */
const REGISTER_REPLY = new Uint8Array(256);
for (const fc of [0x03, 0x04, 0x17]) REGISTER_REPLY[fc] = 1;

/** Receive buffer: one maximal ADU plus room to see that more came. */
const RX_CAPACITY = MAX_ADU + 8;

/** Transmissions remembered with their reply windows. When every one is still open, the next request waits for the oldest. */
const WINDOW_SLOTS = 32;
/** Counter slots beyond the configured units (units only a gateway client addresses). */
export const SPARE_COUNTER_SLOTS = 16;
/** A remembered transmission's reply: none heard yet, or a frame that might have been it was dropped (else: its CRC). */
const REPLY_NONE = -1;
const REPLY_AMBIGUOUS = -2;

export class Master implements PortListener, Timed {
  readonly config: MasterConfig;
  /**
   * Counters by unit slot × COUNTER_KINDS (kinds in master/status.ts): read them with counter(unit, kind). A unit gets a
   * slot when it is first counted, the configured units first; slots are sized from the configuration (its units plus
   * SPARE_COUNTER_SLOTS for units only a gateway client addresses), and units beyond them share the last slot.
   */
  readonly counters: Uint32Array;
  /** Per unit 0..247: its counter slot + 1, or 0 before it was first counted. */
  private readonly unitSlot: Uint8Array;
  private slotsUsed = 0;
  /** Index of the current request's unit's first counter. */
  private unitCounters = 0;
  private readonly slotCapacity: number;
  /** Bytes heard that belonged to no frame (idle-line glitches, stray leading bytes, noise while idle). */
  strayBytes = 0;
  /** Echoes that did not match the request sent (collision or noise while transmitting). */
  echoMismatches = 0;
  /** Bus time (µs) requests were held back beyond their gap because another request's reply window was still open. */
  windowWaitUs = 0;

  private readonly port: Rs485Port;
  private readonly listener: MasterListener;
  private readonly queue: MasterQueue;
  private readonly result: MasterResult;
  private readonly rx: Uint8Array;
  private readonly failures: Uint8Array;

  // Remembered transmissions (a ring; slot = one request sent): unit (-1 = free), function, request length, request
  // identity (ADU bytes 2..5 and CRC), end of the reply window (µs), and its reply (REPLY_* or the reply's CRC).
  private readonly wUnit: Int16Array;
  private readonly wFc: Uint8Array;
  private readonly wLength: Uint16Array;
  private readonly wBody: Int32Array;
  private readonly wCrc: Uint16Array;
  private readonly wEnd: Float64Array;
  private readonly wReply: Int32Array;
  /** When each remembered transmission ended (our DE drop), µs. */
  private readonly wSent: Float64Array;
  /** When the transmission the current reply was attributed to ended (owns()), µs. */
  private answeredSentAt = 0;
  private wNext = 0;
  /** Per unit: remembered transmissions whose reply is unknown or ambiguous (open or not), so most lookups skip the scan. */
  private readonly unsettled: Uint8Array;
  /** The current request is not sent before this (µs): the reply windows it must wait for. */
  private windowGuard = 0;
  /** The current request's identity (see wBody, wCrc). */
  private body = 0;
  private crc = 0;
  /** A dropped look-alike frame earned the transaction one attempt more. */
  private extraAttempt = false;

  private state = IDLE;
  /** End of the last known activity on the line (µs). */
  private lastBusy = 0;
  /** After a fault: do not send before this (µs), so a batching host has delivered whatever was still on the line. */
  private quietUntil = 0;
  private previousUnit = -1;

  // The transaction in progress (the queue's head slot).
  private base = 0;
  private txLength = 0;
  private unit = 0;
  private fc = 0;
  private expected = 0;
  private gapUs = 0;
  private attempts = 0;
  private maxAttempts = 1;
  /** The unit counted as offline when the transaction began (a probe: no retries, never the learned timeout). */
  private probe = false;
  private sentAt = 0;
  private responseDeadline = 0;
  private hardDeadline = 0;
  private broadcastEnd = 0;

  // The reply being received.
  private rxLength = 0;
  private rxLost = 0;
  /** The UART reported a parity/framing error while this attempt's reply was expected (PortListener.lineError). */
  private rxDamaged = false;
  private frameLength = 0;
  private complete = false;
  private lastRxAt = 0;
  /** The last delivery was a full batch (more of the frame may be on its way), not an idle hand-over. */
  private lastBatchFull = false;
  /** The frame being received has the header of a late reply (to the last failed attempt), not of the current one. */
  private lateFrame = false;
  private echoAt = -1;

  // The last failed attempt, whose reply may still come late.
  private lateUnit = -1;
  private lateFc = 0;
  private lateLength = 0;

  constructor(options: MasterOptions, port: Rs485Port, listener: MasterListener) {
    this.config = new MasterConfig(options);
    if (typeof port !== "object" || port === null || typeof port.transmit !== "function") throw new TypeError("port must be an Rs485Port (an object with transmit(buffer, offset, length))");
    if (typeof listener !== "object" || listener === null || typeof listener.completed !== "function") throw new TypeError("listener must be a MasterListener (an object with completed(result))");
    this.port = port;
    this.listener = listener;
    this.queue = new MasterQueue(this.config.queueCapacity);
    const configured = options.units === undefined ? 0 : options.units.length;
    this.slotCapacity = Math.min(MAX_UNIT + 1, configured + SPARE_COUNTER_SLOTS);
    // Every buffer of the master is a view of one (modules/common/column-arena.ts): each typed array of its own costs slots on XS.
    const arena = new ColumnArena(columnBytes(RX_CAPACITY, 4 * this.slotCapacity * COUNTER_KINDS, MAX_UNIT + 1, MAX_UNIT + 1,
      2 * WINDOW_SLOTS, WINDOW_SLOTS, 2 * WINDOW_SLOTS, 4 * WINDOW_SLOTS, 2 * WINDOW_SLOTS, 8 * WINDOW_SLOTS, 4 * WINDOW_SLOTS, 8 * WINDOW_SLOTS, MAX_UNIT + 1));
    this.rx = arena.u8(RX_CAPACITY);
    this.result = new MasterResult(this.rx);
    this.counters = arena.u32(this.slotCapacity * COUNTER_KINDS);
    this.unitSlot = arena.u8(MAX_UNIT + 1);
    if (options.units !== undefined) for (const u of options.units) this.slotOf(u.unit);
    this.failures = arena.u8(MAX_UNIT + 1);
    this.wUnit = arena.i16(WINDOW_SLOTS).fill(-1);
    this.wFc = arena.u8(WINDOW_SLOTS);
    this.wLength = arena.u16(WINDOW_SLOTS);
    this.wBody = arena.i32(WINDOW_SLOTS);
    this.wCrc = arena.u16(WINDOW_SLOTS);
    this.wEnd = arena.f64(WINDOW_SLOTS);
    this.wReply = arena.i32(WINDOW_SLOTS);
    this.wSent = arena.f64(WINDOW_SLOTS);
    this.unsettled = arena.u8(MAX_UNIT + 1);
  }

  // ---- submitting (return SUBMIT_OK or a negative SUBMIT_* code; see master/status.ts) ----

  /**
   * Queues `pdu[offset, offset+length)` (function code + data) for `unit` (0 = broadcast, 1..247). The reply's length
   * is derived from the function code (master/reply-length.ts); for functions without a rule the reply ends by silence.
   * After submitting, the host must reread nextDeadline(): it may be due at once.
   */
  submit(unit: number, pdu: Uint8Array, offset: number, length: number, tag: number): number {
    return this.queued(this.queue.pushPdu(unit, pdu, offset, length, tag));
  }

  /** Queues a read: function 01, 02 (1..2000 bits), 03 or 04 (1..125 registers). */
  submitRead(unit: number, functionCode: number, address: number, quantity: number, tag: number): number {
    return this.queued(this.queue.pushRead(unit, functionCode, address, quantity, tag));
  }

  /** Queues a single write: 05 (value 0xFF00 or 0) or 06. Unit 0 broadcasts. */
  submitWriteSingle(unit: number, functionCode: number, address: number, value: number, tag: number): number {
    return this.queued(this.queue.pushWriteSingle(unit, functionCode, address, value, tag));
  }

  /** Queues a 10 (Write Multiple Registers) of values[offset, offset+count), count 1..123. Unit 0 broadcasts. */
  submitWriteRegisters(unit: number, address: number, values: Uint16Array, offset: number, count: number, tag: number): number {
    return this.queued(this.queue.pushWriteRegisters(unit, address, values, offset, count, tag));
  }

  private queued(code: number): number {
    if (code === 0 && this.state === IDLE) this.load();
    return code;
  }

  // ---- what the host and the caller read ----

  /** Requests queued, the one in progress included. */
  get pending(): number {
    return this.queue.size;
  }

  /** Free request slots. */
  get free(): number {
    return this.queue.capacity - this.queue.size;
  }

  /** One counter: `kind` is a STATUS_* or COUNT_* index (master/status.ts). */
  counter(unit: number, kind: number): number {
    const s = unit >= 0 && unit <= MAX_UNIT ? this.unitSlot[unit] : 0;
    return s === 0 ? 0 : this.counters[(s - 1) * COUNTER_KINDS + kind];
  }

  /** The counter slot of `unit`, given on first use (allocates nothing). */
  private slotOf(unit: number): number {
    let s = this.unitSlot[unit];
    if (s === 0) {
      s = this.slotsUsed < this.slotCapacity ? ++this.slotsUsed : this.slotCapacity;
      this.unitSlot[unit] = s;
    }
    return s - 1;
  }

  resetCounters(): void {
    this.counters.fill(0);
    this.strayBytes = 0;
    this.echoMismatches = 0;
    this.windowWaitUs = 0;
  }

  /** True when `unit` failed offlineAfter transactions in a row (it then gets no retries until it answers). */
  isOffline(unit: number): boolean {
    const n = this.config.offlineAfter;
    return n > 0 && this.failures[unit] >= n;
  }

  /**
   * Moves the engine's clock origin: every time it holds is lowered by `deltaUs`, as if the host's clock had started
   * `deltaUs` later. A host on V8 may call this (e.g. each time its clock passes 2^29 µs, then subtracting the same amount
   * from its own origin) to keep times inside V8's small-integer range, where passing them around allocates nothing; past
   * 2^30 µs every time passed across a call is a boxed double. Not needed on XS.
   */
  rebaseTime(deltaUs: number): void {
    this.lastBusy -= deltaUs;
    this.quietUntil -= deltaUs;
    this.sentAt -= deltaUs;
    this.responseDeadline -= deltaUs;
    this.hardDeadline -= deltaUs;
    this.broadcastEnd -= deltaUs;
    this.lastRxAt -= deltaUs;
    this.windowGuard -= deltaUs;
    this.answeredSentAt -= deltaUs;
    for (let i = 0; i < WINDOW_SLOTS; i++) {
      this.wEnd[i] -= deltaUs;
      this.wSent[i] -= deltaUs;
    }
  }

  nextDeadline(): number {
    switch (this.state) {
      case GAP: return this.readyAt();
      case RECEIVING:
        if (this.complete) return this.minHard(this.lastBusy + this.config.t35Us);
        if (this.rxLength === 0) return this.responseDeadline;
        // An unfinished frame ends by silence: t3.5 after its last byte, unless the host handed over a full batch and
        // the rest may still be arriving.
        return this.minHard(this.lastBatchFull ? this.lastRxAt + this.config.frameSilenceUs : this.lastBusy + this.config.t35Us);
      case BROADCAST: return this.broadcastEnd;
      default: return NO_DEADLINE;
    }
  }

  // ---- host events ----

  service(now: number): void {
    switch (this.state) {
      case GAP:
        if (now >= this.readyAt()) this.send(now);
        return;
      case RECEIVING:
        if (now >= this.nextDeadline()) {
          if (this.rxLength === 0) this.endAttempt(STATUS_TIMEOUT, now);
          else this.conclude(now);
        }
        return;
      case BROADCAST:
        if (now >= this.broadcastEnd) this.finish(STATUS_OK, now);
        return;
    }
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    const listening = this.state === SENDING || this.state === RECEIVING;
    let taken = 0;
    for (let i = offset, end = offset + length; i < end; i++) {
      if (listening && this.echoAt < 0 && this.rxLength >= 3 && this.frameLength > this.rxLength) {
        // The body of a frame whose length is known: copy it without per-byte decisions.
        const n = this.rxLength;
        const want = this.frameLength - n;
        const k = end - i < want ? end - i : want;
        const rx = this.rx;
        for (let j = 0; j < k; j++) rx[n + j] = buffer[i + j];
        this.rxLength = n + k;
        taken += k;
        i += k - 1;
        if (this.rxLength === this.frameLength) this.frameFilled();
        continue;
      }
      const b = buffer[i];
      if (this.echoAt >= 0) {
        if (b === this.queue.adu[this.base + this.echoAt]) {
          if (++this.echoAt === this.txLength) this.echoAt = -1;
          continue;
        }
        this.echoMismatches++;
        this.echoAt = -1;
      }
      if (listening) {
        this.take(b);
        taken++;
      } else this.strayBytes++;
    }
    const c = this.config;
    const full = c.rxBatchBytes > 0 && length >= c.rxBatchBytes;
    const end = c.rxIdleDelayUs > 0 && !full ? now - c.rxIdleDelayUs : now;
    if (end > this.lastBusy) this.lastBusy = end;
    if (taken > 0) {
      this.lastRxAt = now;
      this.lastBatchFull = full;
    }
    if (this.state === RECEIVING && this.complete && now >= this.nextDeadline()) this.conclude(now);
    else if (this.state === GAP && now >= this.readyAt()) this.send(now);
  }

  /** The UART saw a damaged character (modules/port/contract.ts): a reply being received is bad. */
  lineError(_now: number): void {
    if (this.state === SENDING || this.state === RECEIVING) this.rxDamaged = true;
  }

  transmitted(now: number): void {
    if (this.state !== SENDING) return;
    if (now > this.lastBusy) this.lastBusy = now;
    this.sentAt = now;
    if (this.unit === 0) {
      this.state = BROADCAST;
      this.broadcastEnd = now + this.config.broadcastTurnaroundUs;
      return;
    }
    this.remember(now);
    this.state = RECEIVING;
    this.responseDeadline = now + this.timeoutNow();
    this.hardDeadline = this.responseDeadline + this.config.airUs[MAX_ADU] + this.config.frameSilenceUs;
    if (this.complete && now >= this.nextDeadline()) this.conclude(now);
  }

  // ---- internals ----

  /**
   * The response timeout of the attempt being sent: the learned one for the first attempt to a unit whose last
   * transaction succeeded, else the longer of the configured and the learned one (see "LEARNED TIMING" above).
   */
  private timeoutNow(): number {
    const c = this.config;
    const configured = c.responseTimeout(this.unit, this.expected);
    const learned = c.learnedTimeout(this.unit, this.expected);
    if (learned === 0) return configured;
    if (this.attempts === 1 && this.failures[this.unit] === 0) return learned;
    return learned > configured ? learned : configured;
  }

  private minHard(t: number): number {
    return t < this.hardDeadline ? t : this.hardDeadline;
  }

  private readyAt(): number {
    let t = this.lastBusy + this.gapUs;
    if (this.quietUntil > t) t = this.quietUntil;
    return t > this.windowGuard ? t : this.windowGuard;
  }

  /** Same request as the current one: same unit, function, length and bytes (ADU bytes 2..5 and the CRC). */
  private identical(i: number): boolean {
    return this.wLength[i] === this.txLength && this.wBody[i] === this.body && this.wCrc[i] === this.crc;
  }

  /**
   * The time before which the current request must not be sent: the end of every open reply window of another request
   * of the same unit and function whose reply is unknown or ambiguous, and of the slot the request will take.
   */
  private guardFor(): number {
    const u = this.unit;
    const fc = this.fc;
    let t = this.wUnit[this.wNext] >= 0 ? this.wEnd[this.wNext] : 0;
    if (this.unsettled[u] === 0) return t;
    for (let i = 0; i < WINDOW_SLOTS; i++) {
      if (this.wUnit[i] !== u || this.wFc[i] !== fc || this.wReply[i] >= 0 || this.identical(i)) continue;
      if (this.wEnd[i] > t) t = this.wEnd[i];
    }
    return t;
  }

  /**
   * Our DE dropped: remember this transmission and its reply window. A unit that queues requests answers this one only
   * after those still unanswered before it, so the window starts where the last open window of an unanswered
   * transmission to the same unit ends, when that is later than now; at most as many windows later as one transaction
   * can leave behind (1 + the unit's retries), so a dead unit's windows stay bounded.
   */
  private remember(now: number): void {
    const u = this.unit;
    const window = this.config.replyWindow(u, this.expected);
    let from = now;
    if (this.unsettled[u] !== 0) {
      for (let k = 0; k < WINDOW_SLOTS; k++) if (this.wUnit[k] === u && this.wReply[k] === REPLY_NONE && this.wEnd[k] > from) from = this.wEnd[k];
      const latest = now + (1 + this.config.rowRetries[this.config.unitRow[u]]) * window;
      if (from > latest) from = latest;
    }
    const i = this.wNext;
    this.wNext = i + 1 === WINDOW_SLOTS ? 0 : i + 1;
    if (this.wUnit[i] >= 0 && this.wReply[i] < 0) this.unsettled[this.wUnit[i]]--;
    this.unsettled[this.unit]++;
    this.wUnit[i] = this.unit;
    this.wFc[i] = this.fc;
    this.wLength[i] = this.txLength;
    this.wBody[i] = this.body;
    this.wCrc[i] = this.crc;
    this.wEnd[i] = from + window;
    this.wSent[i] = now;
    this.wReply[i] = REPLY_NONE;
  }

  /**
   * A frame that answers the current request by its shape (unit, function, length), with CRC `crc`. Returns false when
   * it repeats the reply of another request of the same unit and function whose window is open: then it may be a copy
   * of that reply, and that request becomes ambiguous. Else it is attributed to the oldest unanswered open transmission
   * of this same request.
   */
  private owns(replyCrc: number, now: number): boolean {
    const u = this.unit;
    const fc = this.fc;
    let oldest = -1;
    // Oldest first, so that the reply goes to the oldest unanswered transmission of this request.
    for (let k = 0, i = this.wNext; k < WINDOW_SLOTS; k++, i = i + 1 === WINDOW_SLOTS ? 0 : i + 1) {
      if (this.wUnit[i] !== u || this.wEnd[i] <= now || this.wFc[i] !== fc) continue;
      const reply = this.wReply[i];
      if (this.identical(i)) {
        if (reply === REPLY_NONE && oldest < 0) oldest = i;
      } else if (reply === replyCrc) {
        this.wReply[i] = REPLY_AMBIGUOUS;
        this.unsettled[u]++;
        return false;
      }
    }
    if (oldest >= 0) {
      this.wReply[oldest] = replyCrc;
      this.unsettled[u]--;
      this.answeredSentAt = this.wSent[oldest];
    }
    return true;
  }


  /** Makes the queue's head the transaction in progress and waits for the gap. */
  private load(): void {
    const q = this.queue;
    const slot = q.first;
    this.base = slot * MAX_ADU;
    this.txLength = q.length[slot];
    this.unit = q.adu[this.base];
    const counterSlot = this.unitSlot[this.unit];
    this.unitCounters = (counterSlot !== 0 ? counterSlot - 1 : this.slotOf(this.unit)) * COUNTER_KINDS;
    this.fc = q.adu[this.base + 1];
    this.expected = q.expected[slot];
    this.gapUs = this.config.gapBefore(this.unit, this.previousUnit);
    this.attempts = 0;
    this.probe = this.unit !== 0 && this.isOffline(this.unit);
    this.maxAttempts = this.unit === 0 || this.probe ? 1 : 1 + this.config.rowRetries[this.config.unitRow[this.unit]];
    this.extraAttempt = false;
    const end = this.base + this.txLength;
    const adu = q.adu;
    this.crc = adu[end - 2] | (adu[end - 1] << 8);
    this.body = this.txLength >= 6 ? (adu[this.base + 2] << 24) | (adu[this.base + 3] << 16) | (adu[this.base + 4] << 8) | adu[this.base + 5] : 0;
    this.windowGuard = this.unit === 0 ? 0 : this.guardFor();
    this.state = GAP;
  }

  private send(now: number): void {
    let t = this.lastBusy + this.gapUs;
    if (this.quietUntil > t) t = this.quietUntil;
    if (this.windowGuard > t) this.windowWaitUs += (now < this.windowGuard ? now : this.windowGuard) - t;
    this.state = SENDING;
    this.rxLength = 0;
    this.rxLost = 0;
    this.rxDamaged = false;
    this.frameLength = 0;
    this.complete = false;
    this.lateFrame = false;
    this.echoAt = this.config.echo ? 0 : -1;
    this.attempts++;
    this.counters[this.unitCounters + COUNT_SENT]++;
    if (this.attempts > 1) this.counters[this.unitCounters + COUNT_RETRIES]++;
    this.port.transmit(this.queue.adu, this.base, this.txLength);
  }

  /** One byte of a possible reply. */
  private take(b: number): void {
    const n = this.rxLength;
    if (n === 0 && STRAY_LEADING[b] === 1) {
      this.strayBytes++;
      return;
    }
    if (n === RX_CAPACITY) {
      this.rxLost++;
      return;
    }
    this.rx[n] = b;
    this.rxLength = n + 1;
    if (n === 1) {
      const u = this.rx[0];
      this.lateFrame = false;
      if (u === this.unit && b === this.fc) this.frameLength = this.expected;
      else if (u === this.unit && b === (this.fc | 0x80)) this.frameLength = EXCEPTION_REPLY_LENGTH;
      else if (u === this.lateUnit && b === this.lateFc && this.lateLength > 0) {
        this.frameLength = this.lateLength;
        this.lateFrame = true;
      } else if (u === this.lateUnit && b === (this.lateFc | 0x80)) {
        this.frameLength = EXCEPTION_REPLY_LENGTH;
        this.lateFrame = true;
      } else this.frameLength = 0;
    } else if (n === 2 && this.frameLength === REPLY_LENGTH_FROM_COUNT) {
      this.frameLength = 5 + b;
    }
    if (this.frameLength > 0 && n + 1 === this.frameLength) this.frameFilled();
  }

  /** rxLength has reached the expected frame length. */
  private frameFilled(): void {
    if (this.lateFrame && crcMatches(this.rx, 0, this.frameLength)) {
      // A whole late reply to the last failed attempt: drop it at once, so a reply right behind it starts afresh.
      this.counters[this.slotOf(this.lateUnit) * COUNTER_KINDS + COUNT_LATE]++;
      this.lateUnit = -1;
      this.lateFrame = false;
      this.rxLength = 0;
      this.frameLength = 0;
      return;
    }
    this.complete = true;
  }

  /** The frame has ended (confirmed by silence, or cut short by the hard deadline): classify it. */
  private conclude(now: number): void {
    const n = this.rxLength;
    const rx = this.rx;
    if (this.rxLost > 0) return this.endAttempt(STATUS_OVERRUN, now);
    // A character of it arrived with a parity or framing error: the frame is bad even if its CRC happens to check.
    if (this.rxDamaged && n > 0) return this.endAttempt(STATUS_CRC, now);
    if (n >= 4 && crcMatches(rx, 0, n)) return this.judge(0, n, now);
    // A good frame of the expected length followed by more bytes before the silence.
    if (this.frameLength > 0 && n > this.frameLength && crcMatches(rx, 0, this.frameLength)) return this.endAttempt(STATUS_OVERRUN, now);
    // Stray bytes before a good frame (e.g. noise on the idle line just before the reply): find the frame after them.
    for (let s = 1; s + 4 <= n; s++) {
      if (rx[s] === this.unit && crcMatches(rx, s, n - s)) {
        this.strayBytes += s;
        return this.judge(s, n - s, now);
      }
    }
    if (n < 4 && now < this.responseDeadline) {
      // A few bytes of noise, then silence: not a reply. Keep waiting for the real one.
      this.strayBytes += n;
      this.rxLength = 0;
      this.frameLength = 0;
      return;
    }
    if (this.frameLength > 0 ? n < this.frameLength : n < 4) return this.endAttempt(STATUS_TRUNCATED, now);
    return this.endAttempt(STATUS_CRC, now);
  }

  /** A frame with a good CRC at rx[start, start+n). */
  private judge(start: number, n: number, now: number): void {
    const rx = this.rx;
    const u = rx[start];
    const f = rx[start + 1];
    const matchesCurrent = u === this.unit && (f === this.fc ? this.expected <= 0 || n === this.expected : f === (this.fc | 0x80) && n === EXCEPTION_REPLY_LENGTH);
    if (!matchesCurrent && u === this.lateUnit &&
      (f === this.lateFc ? this.lateLength <= 0 || n === this.lateLength : f === (this.lateFc | 0x80) && n === EXCEPTION_REPLY_LENGTH)) {
      // A late reply to an earlier attempt: never attributed to this one.
      this.counters[this.slotOf(u) * COUNTER_KINDS + COUNT_LATE]++;
      this.rxLength = 0;
      this.frameLength = 0;
      this.complete = false;
      this.lateUnit = -1;
      return;
    }
    this.result.frameOffset = start;
    this.result.frameLength = n;
    if (u !== this.unit) return this.endAttempt(STATUS_WRONG_UNIT, now);
    if (f === (this.fc | 0x80)) {
      if (n !== EXCEPTION_REPLY_LENGTH) return this.endAttempt(STATUS_LENGTH, now);
      if (this.lookalike(start, n, now)) return;
      this.result.exceptionCode = rx[start + 2];
      return this.endAttempt(STATUS_EXCEPTION, now);
    }
    if (f !== this.fc) return this.endAttempt(STATUS_WRONG_FUNCTION, now);
    if ((this.expected > 0 && n !== this.expected) || (BYTE_COUNT_AT_2[f] === 1 && rx[start + 2] !== n - 5)) return this.endAttempt(STATUS_LENGTH, now);
    if (this.lookalike(start, n, now)) return;
    return this.endAttempt(STATUS_OK, now);
  }

  /**
   * A good answer to the current request at rx[start, start+n) that may be a copy of another request's reply (see
   * owns()): it is dropped, counted as late, and the engine keeps waiting; the transaction gets one attempt more, sent
   * after that request's window has closed, if nothing else answers this one.
   */
  private lookalike(start: number, n: number, now: number): boolean {
    const rx = this.rx;
    this.answeredSentAt = this.sentAt;
    if (this.owns(rx[start + n - 2] | (rx[start + n - 1] << 8), now)) return false;
    this.counters[this.unitCounters + COUNT_LATE]++;
    this.rxLength = 0;
    this.frameLength = 0;
    this.complete = false;
    if (!this.extraAttempt) {
      this.extraAttempt = true;
      this.maxAttempts++;
    }
    return true;
  }

  /** One attempt is over: count it, then retry or finish. */
  private endAttempt(status: number, now: number): void {
    this.counters[this.unitCounters + status]++;
    if (STATUS_RETRYABLE[status] === 1) {
      this.lateUnit = this.unit;
      this.lateFc = this.fc;
      this.lateLength = this.expected;
      const quiet = now + this.config.rxIdleDelayUs;
      if (quiet > this.quietUntil) this.quietUntil = quiet;
      if (this.attempts < this.maxAttempts) {
        this.gapUs = this.config.gapBefore(this.unit, this.unit);
        this.windowGuard = this.guardFor();
        this.state = GAP;
        if (now >= this.readyAt()) this.send(now);
        return;
      }
    } else {
      this.lateUnit = -1;
    }
    this.finish(status, now);
  }

  /** The transaction is over: hand the result over, then start the next one. */
  private finish(status: number, now: number): void {
    const r = this.result;
    const unit = this.unit;
    r.tag = this.queue.tag[this.queue.first];
    r.unit = unit;
    r.functionCode = this.fc;
    r.status = status;
    if (status !== STATUS_EXCEPTION) r.exceptionCode = 0;
    r.attempts = this.attempts;
    r.unitOffline = this.probe;
    r.sentAt = this.sentAt;
    r.answeredSentAt = status === STATUS_OK || status === STATUS_EXCEPTION ? this.answeredSentAt : this.sentAt;
    r.completedAt = now;
    r.registerCount = 0;
    if (status === STATUS_OK && unit !== 0) {
      const s = r.frameOffset;
      if (REGISTER_REPLY[this.fc] === 1) {
        const count = (r.frameLength - 5) >> 1;
        const rx = this.rx;
        const regs = r.registers;
        for (let i = 0, p = s + 3; i < count; i++, p += 2) regs[i] = (rx[p] << 8) | rx[p + 1];
        r.registerCount = count;
      }
    } else if (status !== STATUS_EXCEPTION) {
      r.frameOffset = 0;
      r.frameLength = unit === 0 ? 0 : this.rxLength;
    }
    if (unit !== 0) {
      if (status === STATUS_OK || status === STATUS_EXCEPTION) this.failures[unit] = 0;
      else {
        if (this.failures[unit] < 255) this.failures[unit]++;
        this.counters[this.slotOf(unit) * COUNTER_KINDS + COUNT_FAILED]++;
      }
    }
    this.previousUnit = unit;
    this.queue.shift();
    this.state = IDLE;
    this.listener.completed(r);
    if (this.state === IDLE && this.queue.size > 0) this.load();
    if (this.state === GAP && now >= this.readyAt()) this.send(now);
  }
}
