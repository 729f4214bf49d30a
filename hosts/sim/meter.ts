/*
 * A Modbus RTU slave (meter) emulator: an engine like any other (PortListener + Timed) on its own simulated host.
 *
 * Theory of operation:
 *  - Frame end as a real slave finds it (Modbus over Serial Line V1.02 §2.5.1.1): a frame is the characters received
 *    between silences of t3.5; a gap longer than t1.5 inside it makes the frame invalid (`strictT15`, default on). With
 *    `frameEnd: "length"` the slave also ends a frame as soon as the function code's expected length is in and the CRC
 *    checks, without waiting for the silence. Only a frame of 4..256 bytes whose CRC checks and which is addressed to this
 *    unit (or broadcast) is acted on: garbage, a parity burst or a frame for another unit never makes it reply.
 *  - Requests (MODBUS Application Protocol V1.1b3 §6) are read with the RTU wire layer (modules/rtu: parseRequest,
 *    judgeRequest, the response builders): 01/02 read bits, 03/04 read registers, 05/06 write single, 15/16 write
 *    multiple (`functions` narrows the set). Exceptions (§7) in the spec's order: 01 unsupported function, 03 quantity or
 *    value out of the spec's range, then the device's own limits (`maxRegisters`, `evenRegisterCount`: exception
 *    `limitException`, default 03), then 02 an address outside the register map. A CRC-valid frame whose layout does not
 *    match its function code is not answered. A broadcast (unit 0) executes writes and never answers.
 *  - Faults to order: `dead` (never answers), a turnaround uniform in [min, max] µs measured from the request's last stop
 *    bit (never before the frame end is detected), occasional late answers (`lateProbability`, `lateUs`: extra delay, fixed
 *    or uniform in [min, max]), repeated answers (`duplicateProbability`: the same reply sent again `duplicateGapUs` after
 *    the first copy's last stop bit), `leadingZeros` stray 0x00 bytes before each reply, `forceException` (answer
 *    everything with that code). While a reply (or its copy) is pending the meter ignores new requests (`ignoredBusy`),
 *    or with `queueRequests` keeps them and answers them in turn, as a meter that processes its input one frame at a time.
 *  - Quirks seen in the field (docs/simulator.md, "Quirky meters"): `answerBroadcast` answers a request to address 0 with
 *    its own address (a UBS meter: request `00 03 00 0C 00 02`, reply `01 03 04 …`); `limitSilent` ignores a read over its
 *    register cap instead of answering an exception (the master sees a timeout where smaller reads succeed);
 *    `rebootBelowUs` reboots the meter (silent for `rebootUs`) when a request starts sooner than that after its last
 *    reply ended, as meters that are polled too fast do. A register cap below the profile's is `maxRegisters`; a slow
 *    meter is `turnaroundUs`; a word order other than the profile's is written by profile-meter.ts / live-meter.ts.
 * Registers live in Maps (address → value); tests may read and change them at any time.
 */
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../../modules/port/contract";
import type { Prng } from "../../modules/common/prng";
import { EX_ILLEGAL_DATA_ADDRESS, EX_ILLEGAL_FUNCTION } from "../../modules/rtu/exceptions";
import { expectedRequestLength } from "../../modules/rtu/expected-length";
import { FAULT_CRC, FAULT_NONE, FAULT_UNKNOWN_FUNCTION } from "../../modules/rtu/faults";
import { appendCrc } from "../../modules/rtu/crc16";
import { FrameView } from "../../modules/rtu/frame-view";
import { TABLE_COILS, TABLE_DISCRETE_INPUTS, TABLE_HOLDING_REGISTERS, TABLE_INPUT_REGISTERS } from "../../modules/rtu/function-codes";
import { buildExceptionResponse, buildReadBitsResponse, buildReadRegistersResponse, buildWriteMultipleCoilsResponse, buildWriteMultipleRegistersResponse, buildWriteSingleCoilResponse, buildWriteSingleRegisterResponse } from "../../modules/rtu/build-response";
import { judgeRequest } from "../../modules/rtu/judge-request";
import { parseRequest } from "../../modules/rtu/parse-request";
import { SlaveMap } from "../../modules/rtu/slave-map";
import type { LineTiming } from "../../modules/rtu/timing";
import type { UartKind } from "./uart";

type RegisterInit = Readonly<Record<number, number>> | readonly number[] | ReadonlyMap<number, number>;
type BitInit = Readonly<Record<number, number | boolean>> | readonly (number | boolean)[] | ReadonlyMap<number, number | boolean>;

export interface MeterOptions {
  /** Unit address 1..247. */
  unit: number;
  name?: string;
  holding?: RegisterInit;
  input?: RegisterInit;
  coils?: BitInit;
  discrete?: BitInit;
  /** Turnaround from the request's last stop bit to the reply's first start bit, µs: a number or [min, max]. Default 0 (answer as soon as the frame end is found). */
  turnaroundUs?: number | readonly [number, number];
  /** Largest register count a read accepts (device limit; default 125, the spec's). */
  maxRegisters?: number;
  /** The device refuses odd register counts. */
  evenRegisterCount?: boolean;
  /** Exception code for device-limit violations (default 3). */
  limitException?: number;
  /** Never answers. */
  dead?: boolean;
  /** Probability that an answer comes `lateUs` later than the turnaround. */
  lateProbability?: number;
  /** Extra delay of a late answer, µs: a number or [min, max] (uniform). */
  lateUs?: number | readonly [number, number];
  /** Probability that an answer is sent twice (the copy follows the first one by `duplicateGapUs`). */
  duplicateProbability?: number;
  /** Silence between an answer's last stop bit and its copy's first start bit, µs: a number or [min, max]. Default t3.5 × 2. */
  duplicateGapUs?: number | readonly [number, number];
  /** Requests that arrive while a reply is pending are kept (up to 8) and answered in turn, each after its own turnaround from the previous reply's end (default: ignored). */
  queueRequests?: boolean;
  /** Stray 0x00 bytes sent before every reply. */
  leadingZeros?: number;
  /** Answer every addressed request with this exception code (0 = off). */
  forceException?: number;
  /** How the slave finds the end of a request: "silence" (t3.5, default) or "length" (expected length + CRC, else t3.5). */
  frameEnd?: "silence" | "length";
  /** Reject frames with a gap longer than t1.5 (default true). */
  strictT15?: boolean;
  /** Function codes answered (default 1, 2, 3, 4, 5, 6, 15, 16); others get exception 01. */
  functions?: readonly number[];
  /** The emulator's UART (default "ideal"; with "esp32" t1.5 cannot be checked: set strictT15 false). */
  uart?: UartKind;
  /** Answer a request addressed to 0 (broadcast) with this meter's own address, as a read to it (default false). */
  answerBroadcast?: boolean;
  /**
   * Answer Read Device Identification (function 43, MEI type 14: MODBUS Application Protocol Specification V1.1b3
   * §6.21) with these basic objects (VendorName, ProductCode, MajorMinorRevision); without it function 43 gets exception 01.
   */
  deviceId?: { readonly vendor: string; readonly product: string; readonly revision: string };
  /** A read over the device limits (`maxRegisters`, `evenRegisterCount`) gets no answer instead of an exception. */
  limitSilent?: boolean;
  /** A request that starts less than this many µs after this meter's last reply ended makes it reboot (0 = never). */
  rebootBelowUs?: number;
  /** How long a reboot keeps the meter silent, µs (default 2 s). */
  rebootUs?: number;
}

export interface MeterCounters {
  /** Frames found on the line (any content). */
  frames: number;
  requests: number;
  replies: number;
  exceptions: number;
  broadcasts: number;
  ignoredCrc: number;
  ignoredShort: number;
  ignoredOtherUnit: number;
  ignoredGap: number;
  ignoredMalformed: number;
  ignoredBusy: number;
  ignoredDead: number;
  lateReplies: number;
  /** Answers sent a second time. */
  duplicates: number;
  /** Requests received while busy and kept for later (queueRequests). */
  queued: number;
  /** Requests to address 0 answered as this meter's own (answerBroadcast). */
  broadcastAnswers: number;
  /** Reads over the device limits left unanswered (limitSilent). */
  ignoredLimit: number;
  /** Reboots after being polled too fast (rebootBelowUs). */
  reboots: number;
  /** Frames ignored while rebooting. */
  ignoredRebooting: number;
}

const MAX_ADU = 256;
const IDLE = 0;
const WAITING = 1;
const SENDING = 2;

function toMap(init: RegisterInit | BitInit | undefined, field: string, bits: boolean): Map<number, number> {
  const m = new Map<number, number>();
  if (init === undefined) return m;
  const put = (k: number, v: number | boolean) => {
    if (!Number.isInteger(k) || k < 0 || k > 0xffff) throw new RangeError(`${field}: address must be 0..65535, got ${k}`);
    const n = typeof v === "boolean" ? (v ? 1 : 0) : v;
    if (!Number.isInteger(n) || n < 0 || n > (bits ? 1 : 0xffff)) throw new RangeError(`${field}[${k}] must be ${bits ? "0/1/boolean" : "0..65535"}, got ${v}`);
    m.set(k, n);
  };
  if (init instanceof Map) for (const [k, v] of init) put(k, v);
  else if (Array.isArray(init)) init.forEach((v, i) => put(i, v));
  else if (typeof init === "object") for (const k of Object.keys(init)) put(Number(k), (init as Record<number, number>)[Number(k)]);
  else throw new TypeError(`${field} must be an object, array or Map of address → value`);
  return m;
}

/** The meter's register maps as the request judge sees them: an address exists when the map holds it. */
class MeterMap extends SlaveMap {
  constructor(private readonly meter: MeterEmulator, functions: readonly number[]) {
    super({ functions });
  }
  override contains(table: number, address: number, quantity: number): boolean {
    const m = this.meter;
    const map = table === TABLE_COILS ? m.coils : table === TABLE_DISCRETE_INPUTS ? m.discrete : table === TABLE_HOLDING_REGISTERS ? m.holding : table === TABLE_INPUT_REGISTERS ? m.input : null;
    if (map === null || address + quantity > 0x10000) return false;
    for (let i = 0; i < quantity; i++) if (!map.has(address + i)) return false;
    return true;
  }
}

/** A duration option: an integer >= 0 or [min, max] with 0 <= min <= max. */
function range(value: number | readonly [number, number], field: string): [number, number] {
  const [min, max] = typeof value === "number" ? [value, value] : Array.isArray(value) ? value : [NaN, NaN];
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw new RangeError(`${field} must be an integer >= 0 or [min, max] with 0 <= min <= max, got ${String(value)}`);
  return [min, max];
}

const DEFAULT_FUNCTIONS: readonly number[] = [1, 2, 3, 4, 5, 6, 15, 16];

export class MeterEmulator implements PortListener, Timed {
  readonly name: string;
  readonly unit: number;
  readonly holding: Map<number, number>;
  readonly input: Map<number, number>;
  readonly coils: Map<number, number>;
  readonly discrete: Map<number, number>;
  readonly counters: MeterCounters = {
    frames: 0, requests: 0, replies: 0, exceptions: 0, broadcasts: 0, ignoredCrc: 0, ignoredShort: 0, ignoredOtherUnit: 0,
    ignoredGap: 0, ignoredMalformed: 0, ignoredBusy: 0, ignoredDead: 0, lateReplies: 0, duplicates: 0, queued: 0,
    broadcastAnswers: 0, ignoredLimit: 0, reboots: 0, ignoredRebooting: 0,
  };
  /** Settable at run time. */
  dead: boolean;
  turnaroundMinUs: number;
  turnaroundMaxUs: number;
  maxRegisters: number;
  evenRegisterCount: boolean;
  limitException: number;
  lateProbability: number;
  /** Extra delay of a late answer: uniform in [lateUs, max(lateUs, lateMaxUs)]. */
  lateUs: number;
  lateMaxUs: number;
  duplicateProbability: number;
  duplicateGapMinUs: number;
  duplicateGapMaxUs: number;
  leadingZeros: number;
  forceException: number;
  readonly frameEnd: "silence" | "length";
  readonly strictT15: boolean;
  readonly queueRequests: boolean;
  answerBroadcast: boolean;
  limitSilent: boolean;
  rebootBelowUs: number;
  rebootUs: number;
  /** When the last reply's last stop bit went out (-1: none yet), and until when a reboot keeps the meter silent. */
  private lastReplyEndAt = -1;
  private rebootUntil = -1;
  /** The request just judged is left unanswered on purpose (limitSilent). */
  private silenced = false;

  private readonly rx = new Uint8Array(MAX_ADU);
  private rxLength = 0;
  /** VendorName, ProductCode, MajorMinorRevision as bytes (deviceId), or null. */
  private readonly deviceIdObjects: Uint8Array[] | null;
  private rxOverlong = false;
  private rxGap = false;
  private lastAt = -1;
  private readonly tx = new Uint8Array(MAX_ADU + 64);
  private txLength = 0;
  private state = IDLE;
  private replyAt = 0;
  /** The reply being sent is to be sent once more. */
  private copyPending = false;
  /** Requests received while busy, answered in turn (queueRequests). */
  private readonly queued: Uint8Array[] = [];
  private readonly view = new FrameView();
  private readonly map: MeterMap;
  private readonly scratch = new Uint16Array(125);
  private readonly bits = new Uint8Array(250);

  constructor(readonly port: Rs485Port, readonly timing: LineTiming, private readonly prng: Prng, options: MeterOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("meter options must be an object { unit, ... }");
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new RangeError(`meter unit must be an integer 1..247, got ${options.unit}`);
    this.unit = options.unit;
    this.name = options.name ?? `unit${options.unit}`;
    this.holding = toMap(options.holding, "holding", false);
    this.input = toMap(options.input, "input", false);
    this.coils = toMap(options.coils, "coils", true);
    this.discrete = toMap(options.discrete, "discrete", true);
    [this.turnaroundMinUs, this.turnaroundMaxUs] = range(options.turnaroundUs ?? 0, "turnaroundUs");
    this.maxRegisters = options.maxRegisters ?? 125;
    if (!Number.isInteger(this.maxRegisters) || this.maxRegisters < 1 || this.maxRegisters > 125) throw new RangeError(`maxRegisters must be 1..125, got ${options.maxRegisters}`);
    this.evenRegisterCount = options.evenRegisterCount === true;
    this.limitException = options.limitException ?? 3;
    this.forceException = options.forceException ?? 0;
    for (const [f, v] of [["limitException", this.limitException], ["forceException", this.forceException]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 11 || (f === "limitException" && v === 0)) throw new RangeError(`${f} must be an exception code ${f === "limitException" ? 1 : 0}..11, got ${v}`);
    }
    this.dead = options.dead === true;
    this.lateProbability = options.lateProbability ?? 0;
    if (!(this.lateProbability >= 0 && this.lateProbability <= 1)) throw new RangeError(`lateProbability must be 0..1, got ${options.lateProbability}`);
    [this.lateUs, this.lateMaxUs] = range(options.lateUs ?? 0, "lateUs");
    this.duplicateProbability = options.duplicateProbability ?? 0;
    if (!(this.duplicateProbability >= 0 && this.duplicateProbability <= 1)) throw new RangeError(`duplicateProbability must be 0..1, got ${options.duplicateProbability}`);
    [this.duplicateGapMinUs, this.duplicateGapMaxUs] = range(options.duplicateGapUs ?? 2 * timing.t35Us, "duplicateGapUs");
    this.leadingZeros = options.leadingZeros ?? 0;
    if (!Number.isInteger(this.leadingZeros) || this.leadingZeros < 0 || this.leadingZeros > 64) throw new RangeError(`leadingZeros must be 0..64, got ${options.leadingZeros}`);
    const fe = options.frameEnd ?? "silence";
    if (fe !== "silence" && fe !== "length") throw new RangeError(`frameEnd must be "silence" or "length", got ${String(fe)}`);
    this.frameEnd = fe;
    this.strictT15 = options.strictT15 ?? true;
    this.queueRequests = options.queueRequests === true;
    const functions = options.functions ?? DEFAULT_FUNCTIONS;
    for (const fc of functions) if (!DEFAULT_FUNCTIONS.includes(fc)) throw new RangeError(`functions: the meter emulator answers ${DEFAULT_FUNCTIONS.join(", ")}, got ${fc}`);
    this.map = new MeterMap(this, functions);
    this.answerBroadcast = options.answerBroadcast === true;
    const id = options.deviceId;
    this.deviceIdObjects = id === undefined ? null : [id.vendor, id.product, id.revision].map((text) => Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff));
    this.limitSilent = options.limitSilent === true;
    this.rebootBelowUs = options.rebootBelowUs ?? 0;
    this.rebootUs = options.rebootUs ?? 2000000;
    for (const [f, v] of [["rebootBelowUs", this.rebootBelowUs], ["rebootUs", this.rebootUs]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 60000000) throw new RangeError(`${f} must be an integer 0..60000000 µs, got ${v}`);
    }
  }

  /** Sets two registers to an IEEE-754 float, high word first ("ABCD", default) or low word first ("CDAB"). */
  setFloat32(table: "holding" | "input", address: number, value: number, order: "ABCD" | "CDAB" = "ABCD"): void {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, value);
    this.setWords(table, address, dv.getUint16(0), dv.getUint16(2), order);
  }

  /** Sets two registers to an unsigned 32-bit value. */
  setUint32(table: "holding" | "input", address: number, value: number, order: "ABCD" | "CDAB" = "ABCD"): void {
    this.setWords(table, address, (value >>> 16) & 0xffff, value & 0xffff, order);
  }

  private setWords(table: "holding" | "input", address: number, hi: number, lo: number, order: "ABCD" | "CDAB"): void {
    const m = table === "holding" ? this.holding : this.input;
    m.set(address, order === "ABCD" ? hi : lo);
    m.set(address + 1, order === "ABCD" ? lo : hi);
  }

  // ---- engine ----

  nextDeadline(): number {
    if (this.state === WAITING) return this.replyAt;
    if (this.rxLength > 0 || this.rxOverlong) return this.lastAt + this.timing.t35Us;
    return NO_DEADLINE;
  }

  service(now: number): void {
    if ((this.rxLength > 0 || this.rxOverlong) && now >= this.lastAt + this.timing.t35Us) this.endFrame(now);
    if (this.state === WAITING && now >= this.replyAt) {
      this.state = SENDING;
      this.counters.replies++;
      this.port.transmit(this.tx, 0, this.txLength);
    }
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    for (let i = 0; i < length; i++) {
      if (this.rxLength > 0 || this.rxOverlong) {
        // Silence before this character (its stop bit is at `now` for an ideal UART).
        const gap = now - this.lastAt - this.timing.characterUs;
        if (gap >= this.timing.t35Us) this.endFrame(now);
        else if (gap > this.timing.t15Us && i === 0) this.rxGap = true;
      }
      if (this.rxLength < MAX_ADU) this.rx[this.rxLength++] = buffer[offset + i];
      else this.rxOverlong = true;
      this.lastAt = now;
    }
    if (this.frameEnd === "length" && this.rxLength >= 4 && !this.rxOverlong && this.completeByLength()) this.endFrame(now);
  }

  transmitted(now: number): void {
    if (this.copyPending) {
      // Send the same reply again after the gap (the meter stays busy meanwhile).
      this.copyPending = false;
      this.counters.duplicates++;
      this.replyAt = now + this.draw(this.duplicateGapMinUs, this.duplicateGapMaxUs);
      this.state = WAITING;
      return;
    }
    this.state = IDLE;
    this.lastReplyEndAt = now;
    this.takeQueued(now);
  }

  private draw(min: number, max: number): number {
    return min === max ? min : this.prng.nextRange(min, max);
  }

  /** Expected request length known and reached, with a good CRC. */
  private completeByLength(): boolean {
    const need = expectedRequestLength(this.rx, 0, this.rxLength);
    return need > 0 && this.rxLength === need && parseRequest(this.rx, 0, need, this.view) === FAULT_NONE;
  }

  private endFrame(now: number): void {
    const c = this.counters;
    const length = this.rxLength;
    const bad = this.rxOverlong || (this.rxGap && this.strictT15);
    const frameEndAt = this.lastAt;
    this.rxLength = 0;
    this.rxOverlong = false;
    this.rxGap = false;
    c.frames++;
    if (bad) {
      c.ignoredGap++;
      return;
    }
    if (length < 4) {
      c.ignoredShort++;
      return;
    }
    const fault = parseRequest(this.rx, 0, length, this.view);
    if (fault === FAULT_CRC) {
      c.ignoredCrc++;
      return;
    }
    const unit = this.rx[0];
    if (unit !== 0 && unit !== this.unit) {
      c.ignoredOtherUnit++;
      return;
    }
    if (fault !== FAULT_NONE && fault !== FAULT_UNKNOWN_FUNCTION) {
      c.ignoredMalformed++;
      return;
    }
    if (this.dead) {
      c.ignoredDead++;
      return;
    }
    if (now < this.rebootUntil) {
      c.ignoredRebooting++;
      return;
    }
    if (this.rebootBelowUs > 0 && this.lastReplyEndAt >= 0 && frameEndAt - this.timing.airTimeUs(length) - this.lastReplyEndAt < this.rebootBelowUs) {
      // Polled too fast: the meter resets and hears nothing until it is back.
      c.reboots++;
      this.rebootUntil = now + this.rebootUs;
      this.lastReplyEndAt = -1;
      return;
    }
    if (unit === 0 && this.answerBroadcast) c.broadcastAnswers++;
    if (this.state !== IDLE || this.queued.length > 0) {
      if (this.queueRequests && this.queued.length < 8) {
        // Kept, and answered in turn once the replies before it are out.
        this.queued.push(this.rx.slice(0, length));
        c.queued++;
      } else c.ignoredBusy++;
      this.takeQueued(now);
      return;
    }
    this.act(fault, frameEndAt, now);
  }

  /** When idle, takes up the oldest queued request as if it had just arrived. */
  private takeQueued(now: number): void {
    while (this.state === IDLE && this.queued.length > 0 && this.rxLength === 0) {
      const q = this.queued.shift() as Uint8Array;
      this.rx.set(q);
      this.act(parseRequest(this.rx, 0, q.length, this.view), now, now);
    }
  }

  /** Acts on the request in rx (CRC checked, for this unit or broadcast): builds the reply and schedules it. */
  private act(fault: number, frameEndAt: number, now: number): void {
    const c = this.counters;
    const unit = this.rx[0];
    c.requests++;
    const z = this.leadingZeros;
    for (let i = 0; i < z; i++) this.tx[i] = 0;
    const n = this.answer(fault, z);
    if (unit === 0 && !this.answerBroadcast) {
      c.broadcasts++;
      return;
    }
    if (n === 0) {
      if (!this.silenced) c.ignoredMalformed++;
      this.silenced = false;
      return;
    }
    this.txLength = z + n;
    let delay = this.draw(this.turnaroundMinUs, this.turnaroundMaxUs);
    if (this.lateProbability > 0 && this.prng.nextFloat() < this.lateProbability) {
      delay += this.draw(this.lateUs, this.lateMaxUs > this.lateUs ? this.lateMaxUs : this.lateUs);
      c.lateReplies++;
    }
    this.copyPending = this.duplicateProbability > 0 && this.prng.nextFloat() < this.duplicateProbability;
    const at = frameEndAt + delay;
    this.replyAt = at > now ? at : now;
    this.state = WAITING;
  }

  /** Builds the reply ADU at tx[o] and returns its length (0: no reply). Executes writes. */
  private answer(fault: number, o: number): number {
    const v = this.view;
    const fc = this.rx[1];
    if (fc === 0 || fc >= 0x80) return 0; // not a function code a request can carry
    if (this.forceException !== 0) return this.exception(o, fc, this.forceException);
    if (fc === 0x2b && this.deviceIdObjects !== null) return this.deviceIdentification(o);
    if (fault === FAULT_UNKNOWN_FUNCTION) return this.exception(o, fc, EX_ILLEGAL_FUNCTION);
    let ex = judgeRequest(v, this.map);
    if ((ex === 0 || ex === EX_ILLEGAL_DATA_ADDRESS) && this.overLimit(fc, v.quantity)) {
      if (this.limitSilent) {
        this.counters.ignoredLimit++;
        this.silenced = true;
        return 0;
      }
      ex = this.limitException;
    }
    if (ex !== 0) return this.exception(o, fc, ex);
    const t = this.tx;
    const unit = this.unit;
    const a = v.address;
    const q = v.quantity;
    switch (fc) {
      case 1:
      case 2: {
        const map = fc === 1 ? this.coils : this.discrete;
        const bits = this.bits;
        bits.fill(0, 0, (q + 7) >> 3);
        for (let i = 0; i < q; i++) if (map.get(a + i)) bits[i >> 3] |= 1 << (i & 7);
        return buildReadBitsResponse(t, o, unit, fc, bits, 0, q);
      }
      case 3:
      case 4: {
        const map = fc === 3 ? this.holding : this.input;
        for (let i = 0; i < q; i++) this.scratch[i] = map.get(a + i) as number;
        return buildReadRegistersResponse(t, o, unit, fc, this.scratch, 0, q);
      }
      case 5:
        this.coils.set(a, v.value === 0 ? 0 : 1);
        return buildWriteSingleCoilResponse(t, o, unit, a, v.value !== 0);
      case 6:
        this.holding.set(a, v.value);
        return buildWriteSingleRegisterResponse(t, o, unit, a, v.value);
      case 15: {
        const d = v.dataOffset;
        for (let i = 0; i < q; i++) this.coils.set(a + i, (this.rx[d + (i >> 3)] >> (i & 7)) & 1);
        return buildWriteMultipleCoilsResponse(t, o, unit, a, q);
      }
      case 16: {
        const d = v.dataOffset;
        for (let i = 0; i < q; i++) this.holding.set(a + i, (this.rx[d + 2 * i] << 8) | this.rx[d + 2 * i + 1]);
        return buildWriteMultipleRegistersResponse(t, o, unit, a, q);
      }
      default:
        return this.exception(o, fc, EX_ILLEGAL_FUNCTION);
    }
  }

  /** The device's own register-count limits (reads and multiple writes of registers). */
  private overLimit(fc: number, quantity: number): boolean {
    if (fc !== 3 && fc !== 4 && fc !== 16) return false;
    return quantity > this.maxRegisters || (this.evenRegisterCount && (quantity & 1) !== 0);
  }

  /**
   * A 43/14 request (unit, 43, 14, code, object id, CRC: V1.1b3 §6.21): codes 01 (basic stream) and 04 (one object) of
   * objects 0..2 are answered; another MEI type or code gets exception 03, an object id past the basic ones 02.
   */
  private deviceIdentification(o: number): number {
    const v = this.view;
    const objects = this.deviceIdObjects!;
    if (v.meiType !== 0x0e || (v.readCode !== 1 && v.readCode !== 4)) return this.exception(o, 0x2b, 3);
    const first = v.objectId < objects.length ? v.objectId : v.readCode === 1 ? 0 : -1;
    if (first < 0) return this.exception(o, 0x2b, 2);
    const last = v.readCode === 4 ? first : objects.length - 1;
    const t = this.tx;
    t[o] = this.unit;
    t[o + 1] = 0x2b;
    t[o + 2] = 0x0e;
    t[o + 3] = v.readCode;
    t[o + 4] = 0x01; // conformity: basic identification, stream access only
    t[o + 5] = 0; // no more follows
    t[o + 6] = 0;
    t[o + 7] = last - first + 1;
    let at = o + 8;
    for (let k = first; k <= last; k++) {
      const bytes = objects[k];
      t[at] = k;
      t[at + 1] = bytes.length;
      t.set(bytes, at + 2);
      at += 2 + bytes.length;
    }
    return appendCrc(t, o, at - o);
  }

  private exception(o: number, fc: number, code: number): number {
    this.counters.exceptions++;
    return buildExceptionResponse(this.tx, o, this.unit, fc & 0x7f, code);
  }
}
