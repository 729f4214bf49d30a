/*
 * A UART attached to a segment, in one of two behaviours:
 *
 *  - "ideal": each received byte is handed to the host at its stop bit; the TX FIFO is large enough for any frame.
 *  - "esp32" (design.md §6, ECMA-419 serial on ESP32): a 128-byte RX FIFO handed over when the line has been silent for
 *    about 4 character times after the last byte (RX timeout) or when it holds `rxFullThreshold` bytes; bytes arriving
 *    while it is full are lost and counted. A 128-byte TX FIFO that refuses a write that does not fit (the real one throws
 *    "output full"); when it drains below `txEmptyThreshold` (10) bytes the host is told it may write again (onWritable).
 *
 * The transmitter shifts characters back to back while its FIFO has bytes, regardless of DE (the UART does not know the
 * transceiver): whether they reach the line is the segment's business. `latencyUs` delays the host's callbacks (the time
 * between the UART interrupt and the script running); data keeps arriving meanwhile. With `hardwareDe` (the ESP32 UART in RS-485
 * half-duplex mode, DE+/RE on its RTS pin) the UART drives DE itself: up when a write finds the transmitter idle, down at
 * the end of the last stop bit when nothing is left to send (ESP-IDF drops RTS in its TX-done interrupt; its few µs of
 * interrupt latency are not modelled). Its client then hears uartTxIdle().
 *
 * Receive errors (a parity or framing error on a character, a character lost on a full RX buffer) are told to the client
 * as they happen (uartLineError), before the hand-over that carries the character, as the ESP-IDF driver queues its
 * UART_PARITY_ERR / UART_FRAME_ERR / UART_FIFO_OVF events ahead of the UART_DATA event; the client adds its own latency.
 */
import type { EventQueue, EventTarget } from "./events";
import { RX_FRAMING, RX_PARITY } from "./character";
import type { CharacterSink, Link, Segment } from "./segment";

export type UartKind = "ideal" | "esp32";

export interface UartOptions {
  kind?: UartKind;
  /** RX FIFO size (esp32: 128). */
  rxFifo?: number;
  /** TX FIFO size (esp32: 128; ideal: 65536). */
  txFifo?: number;
  /** Silence, in character times, after which the RX FIFO is handed over (esp32: 4). */
  rxTimeoutChars?: number;
  /** RX FIFO fill level that hands it over at once (esp32: 120). */
  rxFullThreshold?: number;
  /** TX FIFO level below which the host is told it may write (esp32: 10). */
  txEmptyThreshold?: number;
  /** Delay from a UART event to the host callback, µs (default 0). */
  latencyUs?: number;
  /** The UART drives DE (RS-485 half-duplex mode on RTS): up on a write to an idle transmitter, down after the last stop bit. */
  hardwareDe?: boolean;
}

/** uartLineError flag (beside RX_FRAMING and RX_PARITY): a received character was lost on a full RX buffer. */
export const RX_OVERFLOW = 64;

/** The host side of a UART: told when bytes can be read and when the TX FIFO has room again. */
export interface UartClient {
  uartReadable(now: number): void;
  uartWritable(now: number): void;
  /** A receive error at `now`: RX_PARITY, RX_FRAMING (character.ts) or RX_OVERFLOW bits. */
  uartLineError?(flags: number, now: number): void;
  /** The transmitter has gone idle: the last stop bit of everything written has left (hardwareDe: DE is down). */
  uartTxIdle?(now: number): void;
}

export interface UartCounters {
  rxBytes: number;
  /** Bytes lost because the RX FIFO was full. */
  rxOverflow: number;
  rxFramingErrors: number;
  rxParityErrors: number;
  /** Times the host was handed the RX FIFO. */
  rxDeliveries: number;
  txBytes: number;
  /** Writes refused because they did not fit in the TX FIFO. */
  txRefused: number;
  /** onWritable notifications. */
  txWritable: number;
}

const TX_END = 1;
const RX_TIMEOUT = 2;
const RX_DELIVER = 3;
const TX_WRITABLE = 4;

function intOption(value: number | undefined, fallback: number, field: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`uart.${field} must be an integer >= ${min}, got ${value}`);
  return v;
}

export class Uart implements EventTarget, CharacterSink {
  readonly kind: UartKind;
  readonly link: Link;
  readonly counters: UartCounters = { rxBytes: 0, rxOverflow: 0, rxFramingErrors: 0, rxParityErrors: 0, rxDeliveries: 0, txBytes: 0, txRefused: 0, txWritable: 0 };
  client: UartClient | null = null;
  private readonly queue: EventQueue;
  private readonly latencyUs: number;
  // TX
  private tx: Uint8Array;
  private txHead = 0;
  private txCount = 0;
  private shifting = false;
  private shiftByte = 0;
  private shiftStart = 0;
  private runOrigin = 0;
  private runIndex = 0;
  private txEmptyThreshold: number;
  private hardwareDe: boolean;
  private wantWritable = false;
  // RX
  private rx: Uint8Array;
  private rxHead = 0;
  private rxCount = 0;
  private rxFullThreshold: number;
  private rxTimeoutUs: number;
  private lastRxAt = -1;
  private timeoutArmed = false;
  private deliverPending = false;

  constructor(queue: EventQueue, readonly segment: Segment, readonly name: string, echo: boolean, options: UartOptions) {
    this.queue = queue;
    const kind = options.kind ?? "ideal";
    if (kind !== "ideal" && kind !== "esp32") throw new RangeError(`uart must be "ideal" or "esp32", got ${String(kind)}`);
    this.kind = kind;
    const esp = kind === "esp32";
    this.rx = new Uint8Array(intOption(options.rxFifo, esp ? 128 : 4096, "rxFifo", 1));
    this.tx = new Uint8Array(intOption(options.txFifo, esp ? 128 : 65536, "txFifo", 1));
    this.rxFullThreshold = intOption(options.rxFullThreshold, esp ? Math.min(120, this.rx.length) : 1, "rxFullThreshold", 1);
    if (this.rxFullThreshold > this.rx.length) throw new RangeError(`uart.rxFullThreshold must be at most rxFifo (${this.rx.length}), got ${this.rxFullThreshold}`);
    this.rxTimeoutUs = esp ? intOption(options.rxTimeoutChars, 4, "rxTimeoutChars", 1) * segment.timing.characterUs : 0;
    this.txEmptyThreshold = intOption(options.txEmptyThreshold, esp ? 10 : 1, "txEmptyThreshold", 1);
    this.latencyUs = intOption(options.latencyUs, 0, "latencyUs", 0);
    this.hardwareDe = options.hardwareDe === true;
    this.link = segment.attach(name, echo, this);
  }

  /**
   * Reprograms an idle UART (the ESP32 fakes: the class the firmware opens decides the buffers and the RX timeout).
   * Only the options given change; buffers are emptied.
   */
  configure(options: Pick<UartOptions, "rxFifo" | "txFifo" | "rxTimeoutChars" | "rxFullThreshold" | "txEmptyThreshold" | "hardwareDe">): void {
    if (this.shifting || this.txCount > 0) throw new Error(`${this.name}: configure() while transmitting`);
    if (options.rxFifo !== undefined) this.rx = new Uint8Array(intOption(options.rxFifo, 0, "rxFifo", 1));
    if (options.txFifo !== undefined) this.tx = new Uint8Array(intOption(options.txFifo, 0, "txFifo", 1));
    this.rxHead = this.rxCount = this.txHead = 0;
    if (options.rxFullThreshold !== undefined) this.rxFullThreshold = intOption(options.rxFullThreshold, 0, "rxFullThreshold", 1);
    if (this.rxFullThreshold > this.rx.length) throw new RangeError(`uart.rxFullThreshold must be at most rxFifo (${this.rx.length}), got ${this.rxFullThreshold}`);
    if (options.rxTimeoutChars !== undefined) this.rxTimeoutUs = intOption(options.rxTimeoutChars, 0, "rxTimeoutChars", 1) * this.segment.timing.characterUs;
    if (options.txEmptyThreshold !== undefined) this.txEmptyThreshold = intOption(options.txEmptyThreshold, 0, "txEmptyThreshold", 1);
    if (options.hardwareDe !== undefined) this.hardwareDe = options.hardwareDe;
  }

  // ---- transmitter ----

  /** Free bytes in the TX FIFO (ECMA-419 `writable`). */
  get writable(): number {
    return this.tx.length - this.txCount;
  }

  /** Bytes waiting in the TX FIFO (not counting the shift register). */
  get txQueued(): number {
    return this.txCount;
  }

  /** True while a character is in the shift register or the TX FIFO holds bytes. */
  get txBusy(): boolean {
    return this.shifting || this.txCount > 0;
  }

  /** Characters whose stop bit has not yet left: FIFO + the shift register. */
  get pendingCharacters(): number {
    return this.txCount + (this.shifting ? 1 : 0);
  }

  /** Queues `length` bytes; all or nothing: returns false (and counts a refusal) if they do not fit. */
  write(buffer: Uint8Array, offset: number, length: number): boolean {
    if (length > this.tx.length - this.txCount) {
      this.counters.txRefused++;
      this.segment.trace.note(this.queue.now, this.segment.name, this.name, `TX FIFO refused ${length} bytes (${this.writable} free)`);
      return false;
    }
    const cap = this.tx.length;
    for (let i = 0; i < length; i++) this.tx[(this.txHead + this.txCount + i) % cap] = buffer[offset + i];
    this.txCount += length;
    this.counters.txBytes += length;
    if (!this.shifting) {
      if (this.hardwareDe) this.segment.setDe(this.link, true, this.queue.now);
      this.runOrigin = this.queue.now;
      this.runIndex = 0;
      this.loadShift();
    }
    return true;
  }

  /** Asks for one uartWritable() callback once the TX FIFO is below its threshold. */
  requestWritable(): void {
    if (this.txCount < this.txEmptyThreshold) {
      this.wantWritable = false;
      this.queue.at(this.queue.now + this.latencyUs, this, TX_WRITABLE, 0);
    } else this.wantWritable = true;
  }

  private loadShift(): void {
    this.shiftByte = this.tx[this.txHead];
    this.txHead = (this.txHead + 1) % this.tx.length;
    this.txCount--;
    this.shifting = true;
    const t = this.segment.timing;
    const per = t.bitsPerCharacter * 1000000;
    this.shiftStart = this.runOrigin + Math.ceil((this.runIndex * per) / t.baud);
    const end = this.runOrigin + Math.ceil(((this.runIndex + 1) * per) / t.baud);
    this.runIndex++;
    this.queue.at(end, this, TX_END, 0);
    if (this.wantWritable && this.txCount < this.txEmptyThreshold) {
      this.wantWritable = false;
      this.queue.at(this.queue.now + this.latencyUs, this, TX_WRITABLE, 0);
    }
  }

  // ---- receiver ----

  /** Bytes waiting in the RX FIFO. */
  get readable(): number {
    return this.rxCount;
  }

  /** Moves up to `max` received bytes into `buffer` at `offset`; returns how many. */
  read(buffer: Uint8Array, offset: number, max: number): number {
    const n = this.rxCount < max ? this.rxCount : max;
    const cap = this.rx.length;
    for (let i = 0; i < n; i++) buffer[offset + i] = this.rx[(this.rxHead + i) % cap];
    this.rxHead = (this.rxHead + n) % cap;
    this.rxCount -= n;
    return n;
  }

  lineCharacter(byte: number, flags: number, now: number): void {
    const c = this.counters;
    if (flags & RX_FRAMING) c.rxFramingErrors++;
    if (flags & RX_PARITY) c.rxParityErrors++;
    const errors = flags & (RX_FRAMING | RX_PARITY);
    if (this.rxCount === this.rx.length) {
      if (c.rxOverflow++ === 0 || (c.rxOverflow & 63) === 0) this.segment.trace.note(now, this.segment.name, this.name, `RX FIFO overflow (${c.rxOverflow} bytes lost so far)`);
      if (this.client !== null && this.client.uartLineError) this.client.uartLineError(errors | RX_OVERFLOW, now);
      return;
    }
    if (errors !== 0 && this.client !== null && this.client.uartLineError) this.client.uartLineError(errors, now);
    this.rx[(this.rxHead + this.rxCount) % this.rx.length] = byte;
    this.rxCount++;
    c.rxBytes++;
    this.lastRxAt = now;
    if (this.rxCount >= this.rxFullThreshold) this.scheduleDelivery(now);
    else if (!this.timeoutArmed) {
      this.timeoutArmed = true;
      this.queue.at(now + this.rxTimeoutUs, this, RX_TIMEOUT, 0);
    }
  }

  private scheduleDelivery(now: number): void {
    if (this.deliverPending) return;
    if (this.latencyUs === 0 && this.kind === "ideal") {
      // Hand over at once (no event): the host reads it all within this call.
      this.counters.rxDeliveries++;
      if (this.client) this.client.uartReadable(now);
      return;
    }
    this.deliverPending = true;
    this.queue.at(now + this.latencyUs, this, RX_DELIVER, 0);
  }

  fire(kind: number, _arg: number, now: number): void {
    switch (kind) {
      case TX_END: {
        this.segment.characterSent(this.link, this.shiftByte, this.shiftStart, now);
        this.shifting = false;
        if (this.txCount > 0) this.loadShift();
        else {
          if (this.hardwareDe) this.segment.setDe(this.link, false, now);
          if (this.client !== null && this.client.uartTxIdle) this.client.uartTxIdle(now);
        }
        break;
      }
      case RX_TIMEOUT: {
        const due = this.lastRxAt + this.rxTimeoutUs;
        if (now < due) this.queue.at(due, this, RX_TIMEOUT, 0);
        else {
          this.timeoutArmed = false;
          if (this.rxCount > 0) this.scheduleDelivery(now);
        }
        break;
      }
      case RX_DELIVER:
        this.deliverPending = false;
        if (this.rxCount > 0) {
          this.counters.rxDeliveries++;
          if (this.client) this.client.uartReadable(now);
        }
        break;
      case TX_WRITABLE:
        this.counters.txWritable++;
        if (this.client) this.client.uartWritable(now);
        break;
    }
  }
}
