/*
 * A Modbus RTU slave (meter) emulator: an engine like any other (PortListener + Timed) on its own simulated host.
 *
 * Theory of operation:
 *  - Frame end as a real slave finds it (Modbus over Serial Line V1.02 §2.5.1.1): a frame is the characters received
 *    between silences of t3.5; a gap longer than t1.5 inside it makes the frame invalid (`strictT15`, default on). With
 *    `frameEnd: "length"` the slave also ends a frame as soon as the function code's expected length is in and the CRC
 *    checks, without waiting for the silence. Only a frame of 4..256 bytes whose CRC checks and which is addressed to this
 *    unit (or broadcast) is acted on: garbage, a parity burst or a frame for another unit never makes it reply.
 *  - Requests (MODBUS Application Protocol V1.1b3 §6): 01/02 read bits, 03/04 read registers, 05/06 write single, 15/16
 *    write multiple. Exceptions (§7) in the spec's order: 01 unknown function, 03 quantity out of the spec's range, the
 *    device's own limits (`maxRegisters`, `evenRegisterCount`: exception `limitException`, default 03), 02 an address
 *    outside the register map, 03 a bad coil value. A broadcast (unit 0) executes writes and never answers.
 *  - Faults to order: `dead` (never answers), a turnaround uniform in [min, max] µs measured from the request's last stop
 *    bit (never before the frame end is detected), occasional late answers (`lateProbability`, `lateUs`), `leadingZeros`
 *    stray 0x00 bytes before each reply, `forceException` (answer everything with that code).
 * Registers live in Maps (address → value); tests may read and change them at any time.
 */
import { appendCrc, crcMatches } from "../../modules/crc16";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../../modules/port";
import type { Prng } from "../../modules/prng";
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
  lateUs?: number;
  /** Stray 0x00 bytes sent before every reply. */
  leadingZeros?: number;
  /** Answer every addressed request with this exception code (0 = off). */
  forceException?: number;
  /** How the slave finds the end of a request: "silence" (t3.5, default) or "length" (expected length + CRC, else t3.5). */
  frameEnd?: "silence" | "length";
  /** Reject frames with a gap longer than t1.5 (default true). */
  strictT15?: boolean;
  /** The emulator's UART (default "ideal"; with "esp32" t1.5 cannot be checked: set strictT15 false). */
  uart?: UartKind;
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

export class MeterEmulator implements PortListener, Timed {
  readonly name: string;
  readonly unit: number;
  readonly holding: Map<number, number>;
  readonly input: Map<number, number>;
  readonly coils: Map<number, number>;
  readonly discrete: Map<number, number>;
  readonly counters: MeterCounters = {
    frames: 0, requests: 0, replies: 0, exceptions: 0, broadcasts: 0, ignoredCrc: 0, ignoredShort: 0, ignoredOtherUnit: 0,
    ignoredGap: 0, ignoredMalformed: 0, ignoredBusy: 0, ignoredDead: 0, lateReplies: 0,
  };
  /** Settable at run time. */
  dead: boolean;
  turnaroundMinUs: number;
  turnaroundMaxUs: number;
  maxRegisters: number;
  evenRegisterCount: boolean;
  limitException: number;
  lateProbability: number;
  lateUs: number;
  leadingZeros: number;
  forceException: number;
  readonly frameEnd: "silence" | "length";
  readonly strictT15: boolean;

  private readonly rx = new Uint8Array(MAX_ADU);
  private rxLength = 0;
  private rxOverlong = false;
  private rxGap = false;
  private lastAt = -1;
  private readonly tx = new Uint8Array(MAX_ADU + 64);
  private txLength = 0;
  private state = IDLE;
  private replyAt = 0;

  constructor(readonly port: Rs485Port, readonly timing: LineTiming, private readonly prng: Prng, options: MeterOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("meter options must be an object { unit, ... }");
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new RangeError(`meter unit must be an integer 1..247, got ${options.unit}`);
    this.unit = options.unit;
    this.name = options.name ?? `unit${options.unit}`;
    this.holding = toMap(options.holding, "holding", false);
    this.input = toMap(options.input, "input", false);
    this.coils = toMap(options.coils, "coils", true);
    this.discrete = toMap(options.discrete, "discrete", true);
    const ta = options.turnaroundUs ?? 0;
    const [tmin, tmax] = typeof ta === "number" ? [ta, ta] : ta;
    if (!Number.isInteger(tmin) || !Number.isInteger(tmax) || tmin < 0 || tmax < tmin) throw new RangeError(`turnaroundUs must be an integer >= 0 or [min, max] with 0 <= min <= max, got ${String(ta)}`);
    this.turnaroundMinUs = tmin;
    this.turnaroundMaxUs = tmax;
    this.maxRegisters = options.maxRegisters ?? 125;
    if (!Number.isInteger(this.maxRegisters) || this.maxRegisters < 1 || this.maxRegisters > 125) throw new RangeError(`maxRegisters must be 1..125, got ${options.maxRegisters}`);
    this.evenRegisterCount = options.evenRegisterCount === true;
    this.limitException = options.limitException ?? 3;
    this.forceException = options.forceException ?? 0;
    for (const [f, v] of [["limitException", this.limitException], ["forceException", this.forceException]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${f} must be an exception code 0..255, got ${v}`);
    }
    this.dead = options.dead === true;
    this.lateProbability = options.lateProbability ?? 0;
    this.lateUs = options.lateUs ?? 0;
    if (!(this.lateProbability >= 0 && this.lateProbability <= 1)) throw new RangeError(`lateProbability must be 0..1, got ${options.lateProbability}`);
    if (!Number.isInteger(this.lateUs) || this.lateUs < 0) throw new RangeError(`lateUs must be an integer >= 0, got ${options.lateUs}`);
    this.leadingZeros = options.leadingZeros ?? 0;
    if (!Number.isInteger(this.leadingZeros) || this.leadingZeros < 0 || this.leadingZeros > 64) throw new RangeError(`leadingZeros must be 0..64, got ${options.leadingZeros}`);
    const fe = options.frameEnd ?? "silence";
    if (fe !== "silence" && fe !== "length") throw new RangeError(`frameEnd must be "silence" or "length", got ${String(fe)}`);
    this.frameEnd = fe;
    this.strictT15 = options.strictT15 ?? true;
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

  transmitted(_now: number): void {
    this.state = IDLE;
  }

  /** Expected request length known and reached, with a good CRC. */
  private completeByLength(): boolean {
    const fc = this.rx[1];
    let need = 0;
    if (fc >= 1 && fc <= 6) need = 8;
    else if ((fc === 15 || fc === 16) && this.rxLength >= 7) need = 9 + this.rx[6];
    return need > 0 && this.rxLength === need && crcMatches(this.rx, 0, need);
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
    if (!crcMatches(this.rx, 0, length)) {
      c.ignoredCrc++;
      return;
    }
    const unit = this.rx[0];
    if (unit !== 0 && unit !== this.unit) {
      c.ignoredOtherUnit++;
      return;
    }
    if (this.dead) {
      c.ignoredDead++;
      return;
    }
    if (this.state !== IDLE) {
      c.ignoredBusy++;
      return;
    }
    c.requests++;
    const z = this.leadingZeros;
    for (let i = 0; i < z; i++) this.tx[i] = 0;
    const n = this.answer(length, z);
    if (unit === 0) {
      c.broadcasts++;
      return;
    }
    if (n === 0) {
      c.ignoredMalformed++;
      return;
    }
    this.txLength = z + n;
    let delay = this.turnaroundMinUs === this.turnaroundMaxUs ? this.turnaroundMinUs : this.prng.nextRange(this.turnaroundMinUs, this.turnaroundMaxUs);
    if (this.lateProbability > 0 && this.prng.nextFloat() < this.lateProbability) {
      delay += this.lateUs;
      c.lateReplies++;
    }
    const at = frameEndAt + delay;
    this.replyAt = at > now ? at : now;
    this.state = WAITING;
  }

  /** Builds the reply PDU + CRC at tx[o]; returns its length (0: malformed request, no reply). Executes writes. */
  private answer(length: number, o: number): number {
    const rx = this.rx;
    const fc = rx[1];
    const t = this.tx;
    t[o] = this.unit;
    t[o + 1] = fc;
    if (this.forceException !== 0) return this.exception(o, fc, this.forceException);
    const address = (rx[2] << 8) | rx[3];
    const quantity = (rx[4] << 8) | rx[5];
    switch (fc) {
      case 1:
      case 2: {
        if (length !== 8) return 0;
        if (quantity < 1 || quantity > 2000) return this.exception(o, fc, 3);
        const map = fc === 1 ? this.coils : this.discrete;
        if (!this.allPresent(map, address, quantity)) return this.exception(o, fc, 2);
        const bytes = (quantity + 7) >> 3;
        t[o + 2] = bytes;
        for (let i = 0; i < bytes; i++) t[o + 3 + i] = 0;
        for (let i = 0; i < quantity; i++) if (map.get(address + i)) t[o + 3 + (i >> 3)] |= 1 << (i & 7);
        return appendCrc(t, o, 3 + bytes);
      }
      case 3:
      case 4: {
        if (length !== 8) return 0;
        if (quantity < 1 || quantity > 125) return this.exception(o, fc, 3);
        if (quantity > this.maxRegisters || (this.evenRegisterCount && (quantity & 1) !== 0)) return this.exception(o, fc, this.limitException);
        const map = fc === 3 ? this.holding : this.input;
        if (!this.allPresent(map, address, quantity)) return this.exception(o, fc, 2);
        t[o + 2] = quantity * 2;
        for (let i = 0; i < quantity; i++) {
          const v = map.get(address + i) as number;
          t[o + 3 + 2 * i] = v >>> 8;
          t[o + 4 + 2 * i] = v & 0xff;
        }
        return appendCrc(t, o, 3 + 2 * quantity);
      }
      case 5: {
        if (length !== 8) return 0;
        if (quantity !== 0xff00 && quantity !== 0) return this.exception(o, fc, 3);
        if (!this.coils.has(address)) return this.exception(o, fc, 2);
        this.coils.set(address, quantity === 0 ? 0 : 1);
        return this.echo(o, 6);
      }
      case 6: {
        if (length !== 8) return 0;
        if (!this.holding.has(address)) return this.exception(o, fc, 2);
        this.holding.set(address, quantity);
        return this.echo(o, 6);
      }
      case 15:
      case 16: {
        if (length < 9 || length !== 9 + rx[6]) return 0;
        const count = rx[6];
        const ok = fc === 15 ? quantity >= 1 && quantity <= 1968 && count === (quantity + 7) >> 3 : quantity >= 1 && quantity <= 123 && count === 2 * quantity;
        if (!ok) return this.exception(o, fc, 3);
        if (fc === 16 && (quantity > this.maxRegisters || (this.evenRegisterCount && (quantity & 1) !== 0))) return this.exception(o, fc, this.limitException);
        const map = fc === 15 ? this.coils : this.holding;
        if (!this.allPresent(map, address, quantity)) return this.exception(o, fc, 2);
        for (let i = 0; i < quantity; i++) {
          map.set(address + i, fc === 15 ? (rx[7 + (i >> 3)] >> (i & 7)) & 1 : (rx[7 + 2 * i] << 8) | rx[8 + 2 * i]);
        }
        return this.echo(o, 6);
      }
      default:
        return this.exception(o, fc, 1);
    }
  }

  private allPresent(map: Map<number, number>, address: number, quantity: number): boolean {
    if (address + quantity > 0x10000) return false;
    for (let i = 0; i < quantity; i++) if (!map.has(address + i)) return false;
    return true;
  }

  private echo(o: number, n: number): number {
    for (let i = 2; i < n; i++) this.tx[o + i] = this.rx[i];
    return appendCrc(this.tx, o, n);
  }

  private exception(o: number, fc: number, code: number): number {
    this.counters.exceptions++;
    this.tx[o + 1] = (fc | 0x80) & 0xff;
    this.tx[o + 2] = code;
    return appendCrc(this.tx, o, 3);
  }
}
