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
 *    Framing is fixed at 8N1 (no parity or stop-bit options).
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
