/*
 * Fakes of the ESP32 platform classes the rc485 ESP32 host uses (ECMA-419 Serial and Digital, the Moddable Timer and
 * Time.microseconds), running on the simulator's virtual clock and segments, so hosts/esp32 code runs unchanged on Node.
 *
 * They enforce the ESP32 behaviour read from the Moddable SDK (modules/io/serial/esp32/serial.c,
 * modules/base/timer/mc/timer.c; summed up in design.md §6 and hosts/esp32/io.ts):
 *  - Serial: UART1/UART2 only (UART0 is the console: "port in use"), pins must match the board's wiring, the baud must be
 *    the segment's (with `otherSegments` wired, one per line setting: opening at a baud and framing attaches the UART to
 *    that setting's segment, as reopening a real UART at another setting puts it on the same wires); close() frees the
 *    UART for the next open; 128-byte FIFOs (the simulator's "esp32" UART); onReadable after 4 character times of silence or when
 *    the RX FIFO reaches its full threshold, with the count available; bytes arriving on a full RX FIFO are lost (counted
 *    by the UART, never reported to the script); read(buffer) returns min(byteLength, available) or undefined when empty;
 *    write(view) is all or nothing and throws "output full"; after each write, onWritable(free) once the TX FIFO holds
 *    fewer than 10 bytes; callbacks arrive `latencyUs` after the UART event (the interrupt → message → JS loop path).
 *  - UartRs485 (rc485's native class, hosts/esp32/native/uart-rs485.c on the ESP-IDF UART driver): the same wiring and
 *    baud checks; parity/stop must give the segment's framing; the driver's ring buffers (1 KB RX handed over after
 *    `receiveTimeout` characters of silence or at 120 bytes; 512 B TX, a write that does not fit throws "output full");
 *    with `rts` (the board's DE pin) the UART drives DE in RS-485 half-duplex mode: up when it starts sending, down at the
 *    last stop bit, and onTransmitted() follows `latencyUs` later (the TX-done interrupt → task → message path). Parity,
 *    framing and overflow errors reach onError(bits) `latencyUs` after the character, before the data's onReadable, as the
 *    driver queues them.
 *  - Digital: the DE pin of a wired UART; write(1) drives the segment (MAX485 DE and /RE tied). A pin the UART drives as
 *    RTS is "in use".
 *  - Timer: a millisecond counter = floor(virtual µs / 1000); a timer fires when the counter reaches arm-count + interval
 *    (so up to 1 ms early in real time, as on the device) plus `loopUs`; a one-shot is gone after firing (rescheduling it
 *    throws, as the real host-data check does); Timer.schedule(id) pauses a repeating timer.
 *  - now(): the virtual clock (Time.microseconds).
 * Test tooling (Node only); allocates freely.
 */
import {
  UART_ERROR_FRAMING, UART_ERROR_OVERFLOW, UART_ERROR_PARITY, UART_RS485_RX_BUFFER, UART_RS485_TX_BUFFER, UART_RX_TIMEOUT_MAX,
  type DigitalClass, type DigitalIo, type Esp32Io, type SerialClass, type SerialIo, type SerialOptions, type TimerApi, type TimerId,
  type UartRs485Class, type UartRs485Io, type UartRs485Options,
} from "../esp32/io";
import { RX_FRAMING, RX_PARITY } from "./character";
import type { EventQueue, EventTarget } from "./events";
import type { Link, Segment } from "./segment";
import { RX_OVERFLOW, Uart, type UartClient } from "./uart";
import { utf8 } from "../esp32/utf8";

export interface FakeUartWiring {
  segment: Segment;
  uart: 1 | 2;
  txPin: number;
  rxPin: number;
  dePin: number;
  /** Name in the trace. */
  name?: string;
  /**
   * The same pair of wires as heard at other line settings (a bus whose meters do not all share one baud and framing):
   * one segment per setting, each holding the meters that listen at it. Opening the UART at a baud and framing attaches
   * it to the segment of that setting. A meter at another setting never decodes our frame, so it never answers, and
   * leaving it off the segment is exact for polling and scanning (its idle line is all the UART would hear).
   */
  otherSegments?: Segment[];
}

export interface FakeBoardOptions {
  name: string;
  uarts: FakeUartWiring[];
  /** UART interrupt → JS callback delay, µs (default 50). */
  latencyUs?: number;
  /** One pass of the JS loop (a 0 ms timer), µs (default 20). */
  loopUs?: number;
  /** RX FIFO full threshold (default 120). */
  rxFullThreshold?: number;
}

export interface FakeBoardCounters {
  timerFires: number;
  serialReadable: number;
  serialWritable: number;
  outputFull: number;
  /** Native class: onError and onTransmitted calls. */
  serialErrors: number;
  serialTransmitted: number;
}

const FIRE = 1;
const SERIAL_ERROR = 2;
const SERIAL_TX_DONE = 3;

/** Events the native class's fake posts to itself through the board. */
interface NativeTarget {
  deliverError(): void;
  deliverTransmitted(): void;
}

class FakeTimerRecord {
  gen = 0;
  triggerMs = 0;
  repeat = 0;
  scheduled = false;
  alive = true;
  constructor(readonly callback: (t: TimerId) => void) {}
}

/** One simulated ESP32 board: its UART wiring and the platform classes bound to it. */
export class FakeEsp32 implements EventTarget {
  readonly io: Esp32Io;
  /** Per UART: its wiring, the simulator UART of the line setting it is (or was last) open at, and one per setting wired. */
  readonly uarts: Map<number, { wiring: FakeUartWiring; uart: Uart; open: boolean; link: Link; lines: Uart[] }> = new Map();
  readonly counters: FakeBoardCounters = { timerFires: 0, serialReadable: 0, serialWritable: 0, outputFull: 0, serialErrors: 0, serialTransmitted: 0 };
  readonly latencyUs: number;
  readonly loopUs: number;
  private readonly queue: EventQueue;
  private readonly timers: FakeTimerRecord[] = [];
  private readonly dePins = new Map<number, number>();
  /** DE pins taken: by Digital, or by a native UART as RTS. */
  private readonly pinsInUse = new Set<number>();
  private readonly natives = new Map<number, NativeTarget>();
  private readonly rxFullThreshold: number;

  constructor(queue: EventQueue, options: FakeBoardOptions) {
    this.queue = queue;
    this.latencyUs = options.latencyUs ?? 50;
    this.loopUs = options.loopUs ?? 20;
    this.rxFullThreshold = options.rxFullThreshold ?? 120;
    for (const w of options.uarts) {
      const lines = [w.segment, ...(w.otherSegments ?? [])].map((segment, i) => new Uart(queue, segment, `${w.name ?? `${options.name}.uart${w.uart}`}${i === 0 ? "" : `@${segment.timing.baud}/${segment.timing.framing}`}`, false, {
        kind: "esp32", rxFullThreshold: options.rxFullThreshold ?? 120, latencyUs: this.latencyUs,
      }));
      this.uarts.set(w.uart, { wiring: w, uart: lines[0], open: false, link: lines[0].link, lines });
      this.dePins.set(w.dePin, w.uart);
    }
    /** The UART of `entry` on the line at `baud` and `framing` (made current), or the error a mismatched open gives. */
    const line = (entry: { wiring: FakeUartWiring; uart: Uart; link: Link; lines: Uart[] }, baud: number, framing: string, what: string): Uart => {
      const u = entry.lines.find((l) => l.segment.timing.baud === baud && l.segment.timing.framing === framing);
      if (u === undefined) {
        const w = entry.wiring.segment.timing;
        if (entry.lines.length === 1 && baud !== w.baud) throw new Error(`UART${entry.wiring.uart}: ${baud} baud on a ${w.baud}-baud bus`);
        if (entry.lines.length === 1) throw new Error(what === "serial" ? `UART${entry.wiring.uart}: ECMA-419 serial sends 8N1, the bus is ${w.framing}` : `UART${entry.wiring.uart}: ${framing} on a ${w.framing} bus`);
        throw new Error(`UART${entry.wiring.uart}: no meter line at ${baud} ${framing} on this board's wiring (${entry.lines.map((l) => `${l.segment.timing.baud} ${l.segment.timing.framing}`).join(", ")})`);
      }
      if (u !== entry.uart) {
        entry.uart = u;
        entry.link = u.link;
      }
      u.configure({});
      return u;
    };
    const board = this;

    class Serial implements SerialIo, UartClient {
      private readonly uart: Uart;
      private readonly options: SerialOptions;
      private port = 0;
      private closed = false;
      constructor(options: SerialOptions) {
        const entry = board.uarts.get(options.port);
        if (options.port === 0) throw new Error("port in use (UART0 is the console)");
        if (!entry) throw new RangeError("invalid port");
        if (entry.open) throw new RangeError("port in use");
        const w = entry.wiring;
        if (options.transmit !== w.txPin || options.receive !== w.rxPin) throw new Error(`UART${w.uart} is wired to TX ${w.txPin} / RX ${w.rxPin}, got TX ${options.transmit} / RX ${options.receive}`);
        if (!Number.isInteger(options.baud) || options.baud <= 0 || options.baud > 20000000) throw new RangeError("invalid baud");
        if ((options.format ?? "buffer") !== "buffer") throw new RangeError("rc485 uses the buffer format");
        this.uart = line(entry, options.baud, "8N1", "serial");
        entry.open = true;
        this.port = options.port;
        this.options = options;
        this.uart.client = this;
      }
      read(buffer?: Uint8Array): number | undefined {
        if (this.closed) throw new Error("closed");
        if (!(buffer instanceof Uint8Array)) throw new TypeError("rc485 reads with read(buffer) only (read() and read(n) allocate)");
        if (this.uart.readable === 0) return undefined;
        return this.uart.read(buffer, 0, buffer.length);
      }
      write(buffer: Uint8Array): void {
        if (this.closed) throw new Error("closed");
        if (!ArrayBuffer.isView(buffer)) throw new TypeError("write(buffer) needs a buffer");
        if (buffer.length > this.uart.writable) {
          board.counters.outputFull++;
          throw new Error("output full");
        }
        this.uart.write(buffer, 0, buffer.length);
        this.uart.requestWritable();
      }
      close(): void {
        if (this.closed) return;
        this.closed = true;
        this.uart.client = null;
        board.uarts.get(this.port)!.open = false;
      }
      uartReadable(): void {
        if (this.closed) return;
        const count = this.uart.readable;
        if (count === 0) return;
        board.counters.serialReadable++;
        this.options.onReadable(count);
      }
      uartWritable(): void {
        if (this.closed) return;
        board.counters.serialWritable++;
        this.options.onWritable(this.uart.writable);
      }
    }

    const FRAMINGS: Record<string, string> = { "none/1": "8N1", "even/1": "8E1", "odd/1": "8O1", "none/2": "8N2" };

    class UartRs485 implements UartRs485Io, UartClient, NativeTarget {
      private readonly uart: Uart;
      private readonly options: UartRs485Options;
      private readonly port: number;
      private readonly rts: number;
      private closed = false;
      private pendingErrors = 0;
      private txRequested = false;
      constructor(options: UartRs485Options) {
        if (options.port === 0) throw new RangeError("invalid port");
        const entry = board.uarts.get(options.port);
        if (!entry) throw new RangeError("invalid port");
        if (entry.open) throw new RangeError("port in use");
        const w = entry.wiring;
        if (options.transmit !== w.txPin || options.receive !== w.rxPin) throw new Error(`UART${w.uart} is wired to TX ${w.txPin} / RX ${w.rxPin}, got TX ${options.transmit} / RX ${options.receive}`);
        if (!Number.isInteger(options.baud) || options.baud <= 0 || options.baud > 5000000) throw new RangeError("invalid baud");
        if (options.data !== undefined && options.data !== 8) throw new RangeError("invalid data");
        const parity = options.parity ?? "none";
        const stop = options.stop ?? 1;
        if (parity !== "none" && parity !== "even" && parity !== "odd") throw new RangeError("invalid parity");
        if (stop !== 1 && stop !== 2) throw new RangeError("invalid stop");
        const framing = FRAMINGS[`${parity}/${stop}`];
        if (framing === undefined) throw new RangeError(`parity ${parity} with ${stop} stop bits is not a Modbus framing`);
        const timeout = options.receiveTimeout ?? 4;
        if (!Number.isInteger(timeout) || timeout < 1 || timeout > UART_RX_TIMEOUT_MAX) throw new RangeError("invalid receiveTimeout");
        if ((options.format ?? "buffer") !== "buffer") throw new RangeError("invalid format");
        if (typeof options.onReadable !== "function") throw new RangeError("onReadable required");
        const rts = options.rts ?? -1;
        if (rts !== -1) {
          if (rts !== w.dePin) throw new Error(`UART${w.uart}: RTS must be the transceiver's DE pin ${w.dePin}, got ${rts}`);
          if (board.pinsInUse.has(rts)) throw new Error("in use");
          board.pinsInUse.add(rts);
        }
        this.uart = line(entry, options.baud, framing, "native");
        entry.open = true;
        this.port = options.port;
        this.rts = rts;
        this.options = options;
        this.uart.configure({ rxFifo: UART_RS485_RX_BUFFER, txFifo: UART_RS485_TX_BUFFER, rxTimeoutChars: timeout, rxFullThreshold: 120, hardwareDe: rts !== -1 });
        this.uart.client = this;
        board.natives.set(options.port, this);
      }
      get transmitted(): boolean {
        return !this.uart.txBusy;
      }
      read(buffer?: Uint8Array): number | undefined {
        if (this.closed) throw new Error("closed");
        if (!(buffer instanceof Uint8Array)) throw new TypeError("read(buffer) only");
        if (this.uart.readable === 0 || buffer.length === 0) return undefined;
        return this.uart.read(buffer, 0, buffer.length);
      }
      write(buffer: Uint8Array): void {
        if (this.closed) throw new Error("closed");
        if (!ArrayBuffer.isView(buffer)) throw new TypeError("write(buffer) needs a buffer");
        if (buffer.length === 0) return;
        if (buffer.length > this.uart.writable) {
          board.counters.outputFull++;
          throw new Error("output full");
        }
        this.uart.write(buffer, 0, buffer.length);
        if (this.options.onTransmitted) this.txRequested = true;
      }
      close(): void {
        if (this.closed) return;
        this.closed = true;
        this.uart.client = null;
        board.natives.delete(this.port);
        if (this.rts !== -1) board.pinsInUse.delete(this.rts);
        const entry = board.uarts.get(this.port)!;
        entry.open = false;
        if (!this.uart.txBusy) this.uart.configure({ rxFifo: 128, txFifo: 128, rxTimeoutChars: 4, rxFullThreshold: board.rxFullThreshold, hardwareDe: false });
      }
      uartReadable(): void {
        if (this.closed) return;
        const count = this.uart.readable;
        if (count === 0) return;
        board.counters.serialReadable++;
        this.options.onReadable(count);
      }
      uartWritable(): void {}
      uartLineError(flags: number, now: number): void {
        if (this.closed) return;
        let bits = 0;
        if (flags & RX_PARITY) bits |= UART_ERROR_PARITY;
        if (flags & RX_FRAMING) bits |= UART_ERROR_FRAMING;
        if (flags & RX_OVERFLOW) bits |= UART_ERROR_OVERFLOW;
        if (bits === 0) return;
        this.pendingErrors |= bits;
        board.queue.at(now + board.latencyUs, board, SERIAL_ERROR, this.port);
      }
      uartTxIdle(now: number): void {
        if (this.closed || !this.txRequested) return;
        this.txRequested = false;
        board.queue.at(now + board.latencyUs, board, SERIAL_TX_DONE, this.port);
      }
      deliverError(): void {
        const bits = this.pendingErrors;
        this.pendingErrors = 0;
        if (this.closed || bits === 0 || !this.options.onError) return;
        board.counters.serialErrors++;
        this.options.onError(bits);
      }
      deliverTransmitted(): void {
        if (this.closed) return;
        board.counters.serialTransmitted++;
        if (this.options.onTransmitted) this.options.onTransmitted();
        if (!this.closed && this.options.onWritable) this.options.onWritable(this.uart.writable);
      }
    }

    const OUTPUT = Object.freeze({ mode: "output" });
    class Digital implements DigitalIo {
      static readonly Output: unknown = OUTPUT;
      private readonly pin: number;
      private readonly uartNumber: number;
      constructor(options: { pin: number; mode: unknown }) {
        if (options.mode !== OUTPUT) throw new RangeError("rc485 drives DE as Digital.Output");
        const u = board.dePins.get(options.pin);
        if (u === undefined) throw new Error(`GPIO ${options.pin} is not wired to a transceiver's DE`);
        if (board.pinsInUse.has(options.pin)) throw new Error("in use");
        board.pinsInUse.add(options.pin);
        this.pin = options.pin;
        this.uartNumber = u;
      }
      write(value: 0 | 1): void {
        if (value !== 0 && value !== 1) throw new RangeError("invalid value");
        // DE drives the line setting the UART is open at (its segment, when the wiring has several).
        const entry = board.uarts.get(this.uartNumber)!;
        entry.uart.segment.setDe(entry.link, value === 1, board.queue.now);
      }
      close(): void {
        board.pinsInUse.delete(this.pin);
      }
    }

    const Timer: TimerApi = {
      set(callback, interval = 0, repeat = 0) {
        const r = new FakeTimerRecord(callback as (t: TimerId) => void);
        board.timers.push(r);
        board.scheduleTimer(r, interval, repeat);
        return r;
      },
      schedule(id, interval?, repeat = 0) {
        const r = id as FakeTimerRecord;
        if (!(r instanceof FakeTimerRecord) || !r.alive) throw new Error("timer: invalid (a one-shot timer cannot be rescheduled after it fired)");
        if (interval === undefined) {
          r.scheduled = false;
          r.gen++;
          r.repeat = -1;
          return;
        }
        board.scheduleTimer(r, interval, repeat);
      },
      clear(id) {
        const r = id as FakeTimerRecord | undefined;
        if (!(r instanceof FakeTimerRecord)) return;
        r.alive = false;
        r.scheduled = false;
        r.gen++;
      },
    };

    this.io = { Serial: Serial as SerialClass, UartRs485: UartRs485 as UartRs485Class, Digital: Digital as unknown as DigitalClass, Timer, now: () => queue.now };
  }

  /** The simulator UART behind UARTn (counters: rxOverflow, txRefused …). */
  uart(n: number): Uart {
    const e = this.uarts.get(n);
    if (!e) throw new RangeError(`no UART${n} on this board`);
    return e.uart;
  }

  private msNow(): number {
    return Math.floor(this.queue.now / 1000);
  }

  private scheduleTimer(r: FakeTimerRecord, interval: number, repeat: number): void {
    if (!Number.isInteger(interval) || interval < 0) throw new RangeError(`timer interval must be an integer >= 0 ms, got ${interval}`);
    r.gen++;
    r.scheduled = true;
    r.repeat = repeat;
    r.triggerMs = this.msNow() + interval;
    this.post(r);
  }

  private post(r: FakeTimerRecord): void {
    const at = Math.max(this.queue.now, r.triggerMs * 1000) + this.loopUs;
    this.queue.at(at, this, FIRE, this.timers.indexOf(r) * 65536 + (r.gen & 0xffff));
  }

  fire(kind: number, arg: number, _now: number): void {
    if (kind === SERIAL_ERROR || kind === SERIAL_TX_DONE) {
      const target = this.natives.get(arg);
      if (target === undefined) return;
      if (kind === SERIAL_ERROR) target.deliverError();
      else target.deliverTransmitted();
      return;
    }
    if (kind !== FIRE) return;
    const r = this.timers[Math.floor(arg / 65536)];
    if (!r || !r.alive || !r.scheduled || (r.gen & 0xffff) !== arg % 65536) return;
    this.counters.timerFires++;
    if (r.repeat > 0) {
      r.triggerMs += r.repeat;
      const gen = r.gen;
      r.callback(r);
      if (r.gen === gen && r.scheduled) this.post(r);
    } else {
      r.scheduled = false;
      r.alive = false;
      r.callback(r);
    }
  }
}

/**
 * The SDK's `preference` module on ESP32 (modules/files/preference/esp32/modPreference.c) over ESP-IDF NVS, with NVS's
 * limits: domain and key names at most 15 characters, a value at most 4,000 bytes (a string counted in UTF-8 with its
 * NUL) — Moddable SDK documentation/files/files.md line 653; a refused write throws "nvs set fail" (modPreference.c
 * line 109) and stores nothing. `capacityBytes` stands in for the size of the NVS partition (0x6000 in the SDK's
 * build/devices/esp32/xsProj-esp32/partitions.csv; less in practice: one page is kept free, Wi-Fi keeps its own
 * entries). `cutAfterWrites` makes the n-th following set() throw before it stores, as a power cut would.
 */
export class FakePreference {
  static readonly NAME_MAX = 15;
  static readonly VALUE_MAX = 4000;
  readonly map = new Map<string, string | boolean | number | ArrayBuffer>();
  writes = 0;
  refused = 0;
  cutAfterWrites = -1;

  constructor(readonly capacityBytes = 20000) {}

  static sizeOf(v: string | boolean | number | ArrayBuffer): number {
    if (typeof v === "string") return utf8(v).byteLength + 1;
    if (v instanceof ArrayBuffer) return v.byteLength;
    return 4;
  }

  private used(except: string): number {
    let n = 0;
    for (const [k, v] of this.map) if (k !== except) n += FakePreference.sizeOf(v) + 32;
    return n;
  }

  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined {
    return this.map.get(`${domain}/${key}`);
  }

  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void {
    if (domain.length > FakePreference.NAME_MAX) throw new Error("nvs_open fail");
    const k = `${domain}/${key}`;
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error("float unsupported");
    if (key.length > FakePreference.NAME_MAX || FakePreference.sizeOf(value) > FakePreference.VALUE_MAX ||
      this.used(k) + FakePreference.sizeOf(value) + 32 > this.capacityBytes || this.cutAfterWrites === 0) {
      this.refused++;
      if (this.cutAfterWrites === 0) this.cutAfterWrites = -1;
      throw new Error("nvs set fail");
    }
    if (this.cutAfterWrites > 0) this.cutAfterWrites--;
    this.map.set(k, value);
    this.writes++;
  }

  delete(domain: string, key: string): void {
    this.map.delete(`${domain}/${key}`);
  }
}

/**
 * The SDK's `flash` module on ESP32 (modules/files/flash/esp32/flash.c over ESP-IDF esp_partition_*; Moddable SDK
 * documentation/files/files.md, "class Flash"): a data partition of `byteLength` bytes in `blockSize` sectors.
 * erase(sector) sets a sector to 0xFF; write(offset, byteLength, buffer) programs bytes as NOR flash does (a bit can only
 * go from 1 to 0: the result is old AND new); read(offset, byteLength) returns a copy; map() the partition's bytes
 * (read-only by contract). An access outside the partition throws as the SDK's range checks do.
 *
 * `cutAfterBytes` ≥ 0 is a power cut: that many more bytes are programmed, the write in progress stops there (torn) and
 * throws, and every later write or erase throws too, until `restore()` (power back). `erases` counts erases per sector.
 */
export class FakeFlash {
  readonly byteLength: number;
  readonly blockSize: number;
  readonly bytes: Uint8Array;
  readonly erases: Uint32Array;
  cutAfterBytes = -1;
  private dead = false;

  constructor(byteLength: number, blockSize = 4096) {
    if (byteLength % blockSize !== 0) throw new RangeError("FakeFlash: byteLength must be a whole number of sectors");
    this.byteLength = byteLength;
    this.blockSize = blockSize;
    this.bytes = new Uint8Array(byteLength).fill(0xff);
    this.erases = new Uint32Array(byteLength / blockSize);
  }

  erase(sector: number): void {
    if (this.dead || this.cutAfterBytes === 0) { this.dead = true; throw new Error("power cut"); }
    if (!Number.isInteger(sector) || sector < 0 || (sector + 1) * this.blockSize > this.byteLength) throw new Error("erase failed");
    this.bytes.fill(0xff, sector * this.blockSize, (sector + 1) * this.blockSize);
    this.erases[sector]++;
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    if (offset < 0 || offset + byteLength > this.byteLength) throw new Error("read failed");
    return this.bytes.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    if (this.dead) throw new Error("power cut");
    if (offset < 0 || offset + byteLength > this.byteLength) throw new Error("write failed");
    const src = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const n = this.cutAfterBytes >= 0 && byteLength > this.cutAfterBytes ? this.cutAfterBytes : byteLength;
    for (let i = 0; i < n; i++) this.bytes[offset + i] &= src[i];
    if (this.cutAfterBytes >= 0) this.cutAfterBytes -= n;
    if (n < byteLength) { this.dead = true; throw new Error("power cut"); }
  }

  map(): ArrayBuffer {
    return this.bytes.buffer as ArrayBuffer;
  }

  /** Power is back: writes work again (the cut's damage stays). */
  restore(): void {
    this.dead = false;
    this.cutAfterBytes = -1;
  }
}
