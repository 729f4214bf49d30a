/*
 * The contract between the sans-I/O engines in modules/ and the hosts that carry out their I/O (hosts/esp32, hosts/node,
 * hosts/sim). Engines never touch a UART, a pin or a clock: a host hands them received bytes and the time, calls them back
 * at the deadline they ask for, and performs the transmissions they request. See docs/architecture.md.
 *
 * Time is integer microseconds on one monotonic clock chosen by the host (Time.microseconds on ESP32, process.hrtime on
 * Node, the virtual clock in the simulator).
 */

import type { Framing } from "../rtu/timing";

/** Returned by nextDeadline() when an engine needs no timer callback. */
export const NO_DEADLINE = -1;

/**
 * One half-duplex RS-485 port as an engine drives it; implemented by each host.
 *
 * transmit(): raise DE at once, send `length` bytes of `buffer` from `offset` (in pieces if the UART FIFO is smaller),
 * and release DE after the last stop bit has left the wire. The engine leaves those bytes untouched until the host calls
 * `PortListener.transmitted()`. An engine never calls transmit() again before that.
 */
export interface Rs485Port {
  transmit(buffer: Uint8Array, offset: number, length: number): void;
}

/**
 * A port that can be closed and reopened at another line setting (a bus scan across bauds and framings: modules/commissioning/scan-job.ts,
 * `rc485 scan`). Call it only while the line is idle (no transmit() waiting for its transmitted()). The host closes its
 * UART, opens it again at `baud` and `framing`, and recomputes everything that follows from the line setting (character
 * time, t1.5/t3.5, the DE release time, the UART's RX timeout). Returns null, or why it could not (one line): a host that
 * cannot open the new setting reopens the one it had, and says so in the reason. A host whose device opens
 * asynchronously (Node) returns null at once and holds a transmit() until the device is open.
 */
export interface ReconfigurablePort extends Rs485Port {
  reconfigure(baud: number, framing: Framing): string | null;
}

/** What a host tells an engine about one port. */
export interface PortListener {
  /**
   * Bytes read from the UART. `now` is when the host read them: with a batching UART (the ESP32 delivers its RX FIFO on a
   * timeout of about 4 character times) that is later than the last byte's stop bit, so engines find frame ends from the
   * expected length and the CRC first, and use silence only to confirm.
   */
  received(buffer: Uint8Array, offset: number, length: number, now: number): void;
  /** DE is low again after a transmit(): the line is free. */
  transmitted(now: number): void;
  /**
   * Optional: the UART reported a receive error (a character with a parity or framing error, or characters lost) at or
   * before `now`. The damaged character is in the bytes delivered next (a UART reports the error before it hands the
   * data over), so the frame being received is bad whatever its CRC says. Hosts whose UART reports no errors never call it.
   */
  lineError?(now: number): void;
}

/** Engines with timers: the host calls service(now) at or after nextDeadline(), and rereads nextDeadline() after every call. */
export interface Timed {
  nextDeadline(): number;
  service(now: number): void;
}
