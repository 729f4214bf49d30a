/*
 * One half-duplex RS-485 port on an ESP32: a UART plus the MAX485 DE/RE line. Implements Rs485Port (modules/port/contract.ts) and
 * feeds a PortListener.
 *
 * Two UART classes, chosen from the configuration (docs/esp32.md, "Framing and driver enable"):
 *  - ECMA-419 `embedded:io/serial` (the SDK's, the default): 8N1 only, DE on a GPIO (`embedded:io/digital`) dropped by a
 *    timer at a computed time. Everything below describes it unless marked "native".
 *  - rc485's native class `rc485/uart-rs485` (hosts/esp32/native, io.UartRs485) when the framing is 8E1, 8O1 or 8N2, or
 *    `driverEnable` is "rts". Native: the ESP-IDF driver's ring buffers (512 B of TX take a whole frame at once; 1 KB of RX), parity
 *    and stop bits, and an RX timeout set in characters (`rxTimeoutCharacters`, default 4). With driverEnable "gpio" DE is
 *    the GPIO and the timer as below; with "rts" the pin is the UART's RTS in RS-485 half-duplex mode: the UART raises it
 *    when it starts sending and drops it after the last stop bit, and the engine hears transmitted(now) from the class's
 *    onTransmitted (the UART's TX-done state), not from a timer. Receive errors the UART reports (onError: parity,
 *    framing, overflow) are counted and passed to the listener's lineError(now), ahead of the bytes that carry them.
 *
 * Theory of operation (the driver's behaviour is summed up in hosts/esp32/io.ts and design.md §6):
 *  - Receive. Every onReadable drains the RX FIFO with read(buffer) into one preallocated 128-byte buffer until read()
 *    has nothing left, and hands each batch to the listener with the time of the hand-over (Time.microseconds). A read
 *    that returns a full FIFO (128 bytes) means the FIFO filled before the script got to it, so bytes arriving meanwhile
 *    were lost: that is counted as an overrun (the driver reports no overflow itself). The engine's CRC and length checks
 *    reject the damaged frame; the counter tells the user the loop was too slow for the baud.
 *  - Transmit. transmit() raises DE, then writes as much of the frame as the TX FIFO holds (all 128 bytes at the start,
 *    the FIFO being empty after the previous frame) and the rest from onWritable, whose argument is the free space.
 *    write() takes a whole buffer view, so pieces go through a preallocated staging buffer and fixed views of it of 1, 2,
 *    4 … 128 bytes (a piece of n bytes is at most 8 writes): no view is created per frame.
 *  - DE release. There is no transmit-complete event. After the last write the characters still to leave are the ones
 *    queued in the FIFO (128 − free space) plus the one in the shift register, and modules/port/driver-enable.ts gives the time
 *    their last stop bit is gone. A DeadlineTimer (1 ms Moddable timer, corrected with Time.microseconds so it never
 *    fires early) drops DE then, and the listener hears transmitted(now). DE is never dropped before the computed time,
 *    and is held at most one character + one bit + one JS loop pass longer, below t3.5 at every Modbus baud
 *    (checkDriverRelease is run at construction with the Moddable tick as a bound).
 *  - Reconfigure (a bus scan across bauds and framings: modules/commissioning/scan-job.ts). reconfigure(baud, framing) closes the UART
 *    and opens the class the new setting needs at it; the line timing (character time, t1.5/t3.5, DE release) and the
 *    RX timeout follow. DE keeps its pin and timer. A setting that will not open leaves the port at its old one; if even
 *    that fails the port is closed and a transmit() ends at its computed time without reaching the line (no throw).
 *  - Configuration errors throw at construction, before any pin is touched: UART0 (the console), pins the ESP32 cannot
 *    drive (GPIO 34–39 are input only; 6–11 belong to the flash), repeated pins, a framing other than 8N1, 8E1, 8O1, 8N2,
 *    a driverEnable other than "gpio" or "rts", an RX timeout the chosen class cannot set, and a configuration that needs
 *    the native class on a platform without it.
 *
 * Allocation: buffers, views and callbacks are made in the constructor; the byte path allocates nothing.
 */
import { checkDriverRelease, driverReleaseTimeUs } from "../../modules/port/driver-enable";
import type { PortListener, ReconfigurablePort } from "../../modules/port/contract";
import { FRAMING_BITS, LineTiming, type Framing } from "../../modules/rtu/timing";
import { DeadlineTimer, type EngineLoop } from "./deadline-timer";
import {
  RX_TIMEOUT_CHARACTERS, TIMER_TICK_US, UART_ERROR_FRAMING, UART_ERROR_OVERFLOW, UART_ERROR_PARITY, UART_FIFO_BYTES, UART_RS485_TX_BUFFER,
  UART_RX_TIMEOUT_MAX, type DigitalIo, type Esp32Io, type SerialIo,
} from "./io";

export interface Esp32PortConfig {
  /** UART number: 1 or 2 (UART0 is the USB console and the debugger). */
  readonly uart: number;
  /** GPIO wired to the transceiver's DI (UART TX). */
  readonly txPin: number;
  /** GPIO wired to the transceiver's RO (UART RX). */
  readonly rxPin: number;
  /** GPIO wired to DE and /RE tied together. */
  readonly dePin: number;
  readonly baud: number;
  /** "8N1" (default), "8E1", "8O1" or "8N2"; all but 8N1 use the native UART class. */
  readonly framing?: string;
  /**
   * Who drives DE: "gpio" (default: dePin is a GPIO, dropped by a timer) or "rts" (dePin is the UART's RTS in RS-485
   * half-duplex mode, dropped by the UART after the last stop bit; native UART class).
   */
  readonly driverEnable?: string;
  /** RX timeout in character times, 1–126 (native class only; the ECMA-419 class's is fixed at 4). Default 4. */
  readonly rxTimeoutCharacters?: number;
  /** DE is active low (an inverting level shifter between the GPIO and DE); default false. */
  readonly deActiveLow?: boolean;
  /** Field path used in error messages (default "port"). */
  readonly field?: string;
}

export interface Esp32PortCounters {
  rxBytes: number;
  rxBatches: number;
  /** Reads that found the RX FIFO full: bytes may have been lost. */
  overruns: number;
  txFrames: number;
  txBytes: number;
  /** Pieces written from onWritable (frames longer than the free FIFO space). */
  txRefills: number;
  /** Writes the driver refused ("output full"); never expected, counted if the FIFO accounting were wrong. */
  txRefused: number;
  /** Receive errors the UART reported (native class: parity or framing errors), each passed to the listener. */
  lineErrors: number;
  /** Times reconfigure() reopened the UART (at the new setting, or back at the old one). */
  reopens: number;
}

/** The native class's parity and stop options for each framing (Modbus over Serial Line V1.02 §2.5.1). */
const UART_FRAMING: { readonly [F in Framing]: { readonly parity: "none" | "even" | "odd"; readonly stop: 1 | 2 } } = Object.freeze({
  "8N1": Object.freeze({ parity: "none", stop: 1 }),
  "8E1": Object.freeze({ parity: "even", stop: 1 }),
  "8O1": Object.freeze({ parity: "odd", stop: 1 }),
  "8N2": Object.freeze({ parity: "none", stop: 2 }),
});

/** Output-capable GPIOs of the ESP32 (0–33 minus the flash pins 6–11); 34–39 are input only. */
const OUTPUT_PIN = new Uint8Array(40);
for (let p = 0; p <= 33; p++) OUTPUT_PIN[p] = p >= 6 && p <= 11 ? 0 : 1;
const INPUT_PIN = new Uint8Array(40);
for (let p = 0; p <= 39; p++) INPUT_PIN[p] = p >= 6 && p <= 11 ? 0 : 1;

function pin(value: unknown, field: string, table: Uint8Array, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= table.length || table[value] === 0) {
    throw new RangeError(`${field} must be a GPIO number usable as ${what} (0–${table === OUTPUT_PIN ? "33" : "39"}, not 6–11 which belong to the flash${table === OUTPUT_PIN ? "; 34–39 are input only" : ""}), got ${String(value)}`);
  }
  return value;
}

/** Does this port need rc485's native UART class (framing other than 8N1, or DE on RTS)? Call after checkEsp32Port. */
export function usesNativeUart(config: Esp32PortConfig): boolean {
  return (config.framing ?? "8N1") !== "8N1" || config.driverEnable === "rts";
}

/** The RX timeout, in characters, whose hand-over comes no earlier than t3.5 of silence (at least the usual 4). */
export function rxTimeoutCoveringT35(timing: LineTiming): number {
  const chars = Math.ceil(timing.t35Us / timing.characterUs);
  return chars < RX_TIMEOUT_CHARACTERS ? RX_TIMEOUT_CHARACTERS : chars > UART_RX_TIMEOUT_MAX ? UART_RX_TIMEOUT_MAX : chars;
}

/** Checks a port configuration for the ESP32 without touching hardware; returns the line timing. */
export function checkEsp32Port(config: Esp32PortConfig): LineTiming {
  if (config === null || typeof config !== "object") throw new TypeError("port configuration must be an object { uart, txPin, rxPin, dePin, baud, framing? }");
  const f = config.field ?? "port";
  if (config.uart !== 1 && config.uart !== 2) throw new RangeError(`${f}.uart must be 1 or 2 (UART0 is the console), got ${String(config.uart)}`);
  const tx = pin(config.txPin, `${f}.txPin`, OUTPUT_PIN, "an output");
  const rx = pin(config.rxPin, `${f}.rxPin`, INPUT_PIN, "an input");
  const de = pin(config.dePin, `${f}.dePin`, OUTPUT_PIN, "an output");
  if (tx === rx || tx === de || rx === de) throw new RangeError(`${f}: txPin ${tx}, rxPin ${rx} and dePin ${de} must be three different GPIOs`);
  const framing = config.framing ?? "8N1";
  if (typeof framing !== "string" || !Object.prototype.hasOwnProperty.call(FRAMING_BITS, framing)) {
    throw new RangeError(`${f}.framing must be one of ${Object.keys(FRAMING_BITS).join(", ")}, got ${JSON.stringify(framing)}`);
  }
  const driverEnable = config.driverEnable ?? "gpio";
  if (driverEnable !== "gpio" && driverEnable !== "rts") {
    throw new RangeError(`${f}.driverEnable must be "gpio" (DE+/RE on a GPIO, dropped by a timer) or "rts" (DE+/RE on the UART's RTS pin, dropped by the UART after the last stop bit), got ${JSON.stringify(driverEnable)}`);
  }
  const native = usesNativeUart(config);
  const rxTimeout = config.rxTimeoutCharacters;
  if (rxTimeout !== undefined) {
    if (!Number.isInteger(rxTimeout) || rxTimeout < 1 || rxTimeout > UART_RX_TIMEOUT_MAX) throw new RangeError(`${f}.rxTimeoutCharacters must be an integer 1–${UART_RX_TIMEOUT_MAX}, got ${String(rxTimeout)}`);
    if (!native && rxTimeout !== RX_TIMEOUT_CHARACTERS) throw new RangeError(`${f}.rxTimeoutCharacters: the ECMA-419 serial driver's RX timeout is fixed at ${RX_TIMEOUT_CHARACTERS} characters (an 8N1 bus with DE on a GPIO uses it); got ${rxTimeout}`);
  }
  const timing = new LineTiming(config.baud, framing as Framing);
  if (driverEnable === "gpio") checkDriverRelease(timing, TIMER_TICK_US, 0);
  return timing;
}

export class Esp32SerialPort implements ReconfigurablePort {
  readonly counters: Esp32PortCounters = { rxBytes: 0, rxBatches: 0, overruns: 0, txFrames: 0, txBytes: 0, txRefills: 0, txRefused: 0, lineErrors: 0, reopens: 0 };
  /** The line setting the UART is open at (changed by reconfigure()). */
  timing: LineTiming;
  /** The native UART class runs this port (framing other than 8N1, or DE on RTS). */
  native: boolean;
  /** DE is the UART's RTS, dropped by the UART (driverEnable "rts"). */
  readonly hardwareDe: boolean;
  /** RX timeout in characters: the UART hands bytes over after this much silence (or at its full threshold). */
  rxTimeoutCharacters: number;
  listener: PortListener | null = null;
  /** The engine loop to rearm after each call into the listener (null: none). */
  loop: EngineLoop | null = null;

  private readonly io: Esp32Io;
  private readonly config: Esp32PortConfig;
  /** The open UART; null only after a reconfigure() that could open neither the new nor the old setting. */
  private serial: SerialIo | null = null;
  private readonly de: DigitalIo | null;
  private readonly deOn: 0 | 1;
  private readonly deOff: 0 | 1;
  /** Drops DE (GPIO) or, on a port left closed by a failed reconfigure(), ends a transmission that cannot happen. */
  private readonly deTimer: DeadlineTimer;
  /** Free space of the UART's transmit buffer when idle: the FIFO (ECMA-419) or the driver's ring buffer (native). */
  private txCapacity: number;
  private readonly rx = new Uint8Array(UART_FIFO_BYTES);
  private readonly staging = new Uint8Array(UART_FIFO_BYTES);
  /** views[k] = the first 2^k bytes of `staging`. */
  private readonly views: Uint8Array[] = [];
  private readonly onReadable = (): void => this.readable();
  private readonly onWritable = (count: number): void => this.writable(count);
  private readonly onTransmitted = (): void => this.uartTransmitted();
  private readonly onError = (errors: number): void => this.uartError(errors);

  private active = false;
  private source: Uint8Array = this.staging;
  private sourceOffset = 0;
  private remaining = 0;
  /** Free TX FIFO bytes as last known (exact after our own writes, from onWritable's count otherwise). */
  private free = UART_FIFO_BYTES;
  private pieces = 0;

  constructor(io: Esp32Io, config: Esp32PortConfig) {
    this.timing = checkEsp32Port(config);
    this.io = io;
    this.config = config;
    this.native = usesNativeUart(config);
    this.hardwareDe = config.driverEnable === "rts";
    this.rxTimeoutCharacters = config.rxTimeoutCharacters ?? RX_TIMEOUT_CHARACTERS;
    this.checkClass(config, this.timing);
    for (let size = 1; size <= UART_FIFO_BYTES; size <<= 1) this.views.push(this.staging.subarray(0, size));
    this.txCapacity = this.native ? UART_RS485_TX_BUFFER : UART_FIFO_BYTES;
    this.free = this.txCapacity;
    this.deOn = config.deActiveLow === true ? 0 : 1;
    this.deOff = config.deActiveLow === true ? 1 : 0;
    if (this.hardwareDe) this.de = null;
    else {
      this.de = new io.Digital({ pin: config.dePin, mode: io.Digital.Output });
      this.de.write(this.deOff);
    }
    this.deTimer = new DeadlineTimer(io, (now) => this.release(now));
    this.serial = this.openUart();
  }

  /** Throws when the configuration needs the native UART class and the platform lacks it. */
  private checkClass(config: Esp32PortConfig, timing: LineTiming): void {
    if (usesNativeUart(config) && this.io.UartRs485 === undefined) {
      const f = config.field ?? "port";
      throw new RangeError(`${f}: framing ${timing.framing}${config.driverEnable === "rts" ? ' with driverEnable "rts"' : ""} needs rc485's native UART class (rc485/uart-rs485, hosts/esp32/native/manifest.json), which this platform does not provide`);
    }
  }

  /** Opens the UART class the current setting needs (`timing`, `native`, `rxTimeoutCharacters`). */
  private openUart(): SerialIo {
    const config = this.config;
    const UartRs485 = this.io.UartRs485;
    if (this.native && UartRs485 !== undefined) {
      const framing = UART_FRAMING[this.timing.framing];
      return new UartRs485({
        port: config.uart,
        receive: config.rxPin,
        transmit: config.txPin,
        rts: this.hardwareDe ? config.dePin : undefined,
        rtsInverted: this.hardwareDe && config.deActiveLow === true,
        baud: this.timing.baud,
        parity: framing.parity,
        stop: framing.stop,
        data: 8,
        receiveTimeout: this.rxTimeoutCharacters,
        format: "buffer",
        onReadable: this.onReadable,
        onWritable: this.onWritable,
        onTransmitted: this.hardwareDe ? this.onTransmitted : undefined,
        onError: this.onError,
      });
    }
    return new this.io.Serial({
      port: config.uart,
      receive: config.rxPin,
      transmit: config.txPin,
      baud: this.timing.baud,
      format: "buffer",
      onReadable: this.onReadable,
      onWritable: this.onWritable,
    });
  }

  /**
   * Closes the UART and opens it again at `baud` and `framing` (modules/port/contract.ts ReconfigurablePort; the scan job tries
   * other line settings with it): the UART class follows the framing (ECMA-419 for 8N1 with DE on a GPIO, the native
   * class otherwise), the RX timeout is the one the concentrator picks at boot (native: covering t3.5; ECMA-419: its
   * fixed 4 characters), and the character time, t1.5/t3.5 and the DE release time follow from the new LineTiming.
   * DE stays on its pin. Refused while a frame is being sent. A setting that cannot be opened leaves the port at the one
   * it had (reopened), and the reason names both; null when the port is open at the new setting.
   */
  reconfigure(baud: number, framing: Framing): string | null {
    if (this.active) return "the port is sending a frame; reconfigure it when the line is idle";
    const f = this.config.field ?? "port";
    const next = { ...this.config, baud, framing, rxTimeoutCharacters: undefined };
    let timing: LineTiming;
    try {
      timing = checkEsp32Port(next);
      this.checkClass(next, timing);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    const before = { timing: this.timing, native: this.native, rx: this.rxTimeoutCharacters };
    this.closeUart();
    this.setLine(timing);
    try {
      this.serial = this.openUart();
      this.counters.reopens++;
      return null;
    } catch (e) {
      const why = `${f}: cannot open UART${this.config.uart} at ${baud} ${framing}: ${e instanceof Error ? e.message : String(e)}`;
      this.timing = before.timing;
      this.native = before.native;
      this.rxTimeoutCharacters = before.rx;
      this.txCapacity = this.native ? UART_RS485_TX_BUFFER : UART_FIFO_BYTES;
      try {
        this.serial = this.openUart();
        this.counters.reopens++;
        return `${why}; the port stays at ${before.timing.baud} ${before.timing.framing}`;
      } catch (e2) {
        this.serial = null;
        return `${why}; reopening at ${before.timing.baud} ${before.timing.framing} failed too (${e2 instanceof Error ? e2.message : String(e2)}): the port is closed`;
      }
    }
  }

  /** The UART setting that follows from a line timing (the rule of reconfigure()). */
  private setLine(timing: LineTiming): void {
    this.timing = timing;
    this.native = timing.framing !== "8N1" || this.hardwareDe;
    this.rxTimeoutCharacters = this.native ? rxTimeoutCoveringT35(timing) : RX_TIMEOUT_CHARACTERS;
    this.txCapacity = this.native ? UART_RS485_TX_BUFFER : UART_FIFO_BYTES;
    this.free = this.txCapacity;
  }

  private closeUart(): void {
    const serial = this.serial;
    this.serial = null;
    if (serial !== null) serial.close();
  }

  /** Silence after the last byte before the UART hands bytes over, µs (the engines' rxIdleDelayUs, less callback latency). */
  get rxIdleUs(): number {
    return this.rxTimeoutCharacters * this.timing.characterUs;
  }

  /** True from transmit() until DE has dropped. */
  get transmitting(): boolean {
    return this.active;
  }

  transmit(buffer: Uint8Array, offset: number, length: number): void {
    if (this.active) throw new Error("transmit() called before transmitted() for the previous frame");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1 || offset + length > buffer.length) {
      throw new RangeError(`transmit(offset ${offset}, length ${length}) outside a ${buffer.length}-byte buffer`);
    }
    this.active = true;
    this.source = buffer;
    this.sourceOffset = offset;
    this.remaining = length;
    this.free = this.txCapacity;
    this.pieces = 0;
    this.counters.txFrames++;
    if (this.de !== null) this.de.write(this.deOn);
    this.fill();
  }

  /** Releases the UART, the pin and the timer. */
  close(): void {
    this.deTimer.close();
    if (this.de !== null) this.de.write(this.deOff);
    this.closeUart();
    if (this.de !== null) this.de.close();
  }

  private fill(): void {
    const serial = this.serial;
    if (serial === null) {
      // Closed by a failed reconfigure(): nothing reaches the line; the transmission ends at its computed time all the
      // same (the engine times out and counts it, as on a line without meters).
      this.counters.txRefused++;
      const bytes = this.remaining;
      this.remaining = 0;
      this.deTimer.arm(driverReleaseTimeUs(this.io.now(), bytes, this.timing, 0));
      return;
    }
    let n = this.remaining < this.free ? this.remaining : this.free;
    if (n > 0) {
      this.pieces++;
      const src = this.source;
      let at = this.sourceOffset;
      let k = this.views.length - 1;
      while (n > 0) {
        while ((1 << k) > n) k--;
        const size = 1 << k;
        const view = this.views[k];
        for (let i = 0; i < size; i++) view[i] = src[at + i];
        try {
          serial.write(view);
        } catch {
          // "output full": the FIFO holds less than we believed; wait for onWritable and write the rest then.
          this.counters.txRefused++;
          this.free = 0;
          break;
        }
        at += size;
        n -= size;
        this.free -= size;
        this.remaining -= size;
        this.counters.txBytes += size;
      }
      this.sourceOffset = at;
    }
    if (this.remaining > 0) return; // the rest goes from onWritable
    if (this.hardwareDe) return; // hardware DE: the UART drops it and onTransmitted follows
    const now = this.io.now();
    // Characters whose stop bit has not left: the FIFO, plus the shift register unless this was the only piece (the
    // UART was idle when it started, so the first character is already counted in the FIFO bytes).
    const pending = this.txCapacity - this.free + (this.pieces > 1 ? 1 : 0);
    this.deTimer.arm(driverReleaseTimeUs(now, pending, this.timing, 0));
  }

  private writable(count: number): void {
    if (!this.active || this.remaining === 0) return;
    this.free = count;
    this.counters.txRefills++;
    this.fill();
  }

  /** Native class, DE on RTS: the transmitter is idle and the UART has dropped DE. */
  private uartTransmitted(): void {
    if (!this.active || this.remaining > 0) return;
    this.release(this.io.now());
  }

  /** Native class: receive errors reported by the UART (before the onReadable that carries the damaged bytes). */
  private uartError(errors: number): void {
    if ((errors & UART_ERROR_OVERFLOW) !== 0) this.counters.overruns++;
    if ((errors & (UART_ERROR_PARITY | UART_ERROR_FRAMING)) !== 0) this.counters.lineErrors++;
    const listener = this.listener;
    if (listener !== null && listener.lineError !== undefined) {
      listener.lineError(this.io.now());
      if (this.loop !== null) this.loop.rearm();
    }
  }

  private release(now: number): void {
    if (this.de !== null) this.de.write(this.deOff);
    this.active = false;
    const listener = this.listener;
    if (listener !== null) {
      listener.transmitted(now);
      if (this.loop !== null) this.loop.rearm();
    }
  }

  private readable(): void {
    const listener = this.listener;
    const serial = this.serial;
    if (serial === null) return;
    const now = this.io.now();
    for (;;) {
      const n = serial.read(this.rx);
      if (n === undefined || n <= 0) break;
      // A full FIFO read means bytes may have been lost (ECMA-419 class); the native class reports overflows itself.
      if (n >= UART_FIFO_BYTES && !this.native) this.counters.overruns++;
      this.counters.rxBytes += n;
      this.counters.rxBatches++;
      if (listener !== null) listener.received(this.rx, 0, n, now);
      if (n < UART_FIFO_BYTES) break;
    }
    if (listener !== null && this.loop !== null) this.loop.rearm();
  }
}
