/*
 * The part of the Moddable runtime the ESP32 adapters touch, as structural types: ECMA-419 `embedded:io/serial` and
 * `embedded:io/digital` (ECMA-419 2nd edition §9 Digital, §10 Serial), the `timer` module and `Time.microseconds`.
 *
 * The role mains pass the real classes (`import Serial from "embedded:io/serial"`, …); the Node tests pass fakes that
 * behave like the ESP32 implementation (test/fakes/esp32.ts). Nothing here imports a Moddable module, so the adapters
 * run unchanged on both.
 *
 * Facts about the ESP32 implementation these types leave out, and the adapters rely on (Moddable SDK
 * modules/io/serial/esp32/serial.c, modules/base/timer/mc/timer.c, modules/base/microseconds):
 *  - Serial has no software buffer: 128-byte hardware FIFOs. `read(buffer)` moves min(buffer.byteLength, available)
 *    bytes and returns that count, or undefined when nothing is there. `write(buffer)` writes the whole view or throws
 *    "output full". `onReadable(count)` follows the RX timeout (4 character times) or the RX FIFO-full interrupt;
 *    `onWritable(count)` follows each write once the TX FIFO holds fewer than 10 bytes; `count` is the free space then.
 *    Framing is fixed at 8N1 (no parity or stop-bit options); rc485's native class (UartRs485, below) adds them.
 *  - A Timer fires when the millisecond counter reaches arm-time + interval: up to 1 ms early in real time. A one-shot
 *    timer is gone after it fires; a repeating one can be rescheduled (`Timer.schedule(id, ms, repeat)`) or paused
 *    (`Timer.schedule(id)`). Callbacks run in the JS loop, never in an interrupt.
 *  - Time.microseconds is esp_timer_get_time(): integer microseconds since boot.
 */

/** Options given to the serial constructor (the subset rc485 uses). */
export interface SerialOptions {
  port: number;
  receive: number;
  transmit: number;
  baud: number;
  format: "buffer";
  onReadable: (count: number) => void;
  onWritable: (count: number) => void;
}

export interface SerialIo {
  read(buffer: Uint8Array): number | undefined;
  write(buffer: Uint8Array): void;
  close(): void;
}

export type SerialClass = new (options: SerialOptions) => SerialIo;

/**
 * Options of rc485's native UART class (`rc485/uart-rs485`, hosts/esp32/native): the ECMA-419 serial options plus the
 * framing names ECMA-419 reserves (`parity`, `stop`, `data`) and the RS-485 driver enable on RTS.
 */
export interface UartRs485Options {
  port: number;
  receive: number;
  transmit: number;
  /** GPIO for RTS, wired to DE and /RE: the UART runs in RS-485 half-duplex mode and drives it. Absent: no RTS. */
  rts?: number;
  /** RTS is inverted (an inverting level shifter between RTS and DE). */
  rtsInverted?: boolean;
  baud: number;
  parity?: "none" | "even" | "odd";
  stop?: 1 | 2;
  data?: 8;
  /** RX timeout, character times of silence before onReadable (1–126; default 4, like ECMA-419 serial). */
  receiveTimeout?: number;
  format: "buffer";
  onReadable: (count: number) => void;
  onWritable?: (count: number) => void;
  /** The transmitter has gone idle after a write: the last stop bit has left (with `rts`, DE is already down). */
  onTransmitted?: () => void;
  /** Receive errors since the last call, as UART_ERROR_* bits. */
  onError?: (errors: number) => void;
}

export interface UartRs485Io extends SerialIo {
  /** True when the transmitter is idle (ESP-IDF uart_wait_tx_done with a 0 timeout). */
  readonly transmitted: boolean;
}

export type UartRs485Class = new (options: UartRs485Options) => UartRs485Io;

/** onError bits of the native UART class. */
export const UART_ERROR_PARITY = 1;
export const UART_ERROR_FRAMING = 2;
export const UART_ERROR_OVERFLOW = 4;
/** Bytes the native class's TX ring buffer holds (a whole 256-byte ADU fits at once). */
export const UART_RS485_TX_BUFFER = 512;
/** Bytes the native class's RX ring buffer holds. */
export const UART_RS485_RX_BUFFER = 1024;
/** The longest RX timeout the ESP32 UART takes, in character times (ESP-IDF uart_set_rx_timeout). */
export const UART_RX_TIMEOUT_MAX = 126;

export interface DigitalIo {
  write(value: 0 | 1): void;
  close(): void;
}

export interface DigitalClass {
  new (options: { pin: number; mode: unknown }): DigitalIo;
  readonly Output: unknown;
}

/** An opaque timer handle. */
export type TimerId = object;

export interface TimerApi {
  set(callback: (timer: TimerId) => void, interval?: number, repeat?: number): TimerId;
  schedule(timer: TimerId, interval?: number, repeat?: number): void;
  clear(timer: TimerId | undefined | null): void;
}

/** Everything the adapters need from the platform. */
export interface Esp32Io {
  readonly Serial: SerialClass;
  /** rc485's native UART class, for framings other than 8N1 and DE on RTS (absent where the firmware lacks it). */
  readonly UartRs485?: UartRs485Class;
  readonly Digital: DigitalClass;
  readonly Timer: TimerApi;
  /** Monotonic integer microseconds (Time.microseconds). */
  readonly now: () => number;
}

/** ESP32 UART FIFO depth, each way. */
export const UART_FIFO_BYTES = 128;
/** The TX-FIFO level under which the ESP32 serial driver reports onWritable. */
export const TX_WRITABLE_THRESHOLD = 10;
/** RX timeout of the ESP32 serial driver, in character times. */
export const RX_TIMEOUT_CHARACTERS = 4;
/** Moddable timer resolution, µs. */
export const TIMER_TICK_US = 1000;
