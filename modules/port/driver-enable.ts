/*
 * When to release the RS-485 driver (DE) after a transmission, for hosts whose UART has no "transmit complete" event.
 *
 * Theory of operation. On the ESP32 (design.md §6) the host writes a frame into the UART's TX FIFO, in pieces if needed,
 * and must itself choose when to drop DE. Too early cuts the last character (its stop bit never reaches the line); too late
 * and the driver still holds the line when a slave starts answering, which may happen as soon as t3.5 after the request's
 * last stop bit (Modbus over Serial Line V1.02 §2.5.1.1), so both ends matter.
 *
 * After the host's last write, at time `now`, the characters whose stop bit has not left are those still in the TX FIFO
 * plus the one in the shift register. The host cannot see how much of the shift-register character is gone, so it counts
 * it whole (`charsPending` = FIFO bytes + 1 while the UART is busy). Those characters leave back to back, so every stop bit
 * is gone by now + airTime(charsPending). A UART starts a freshly written character on its next baud-clock edge, up to one
 * bit time late, so one bit time is added. A host timer with a tick T (1 ms for Moddable timers) fires a whole number of
 * ticks after it is armed, so the delay is rounded up to a multiple of T: the release is the earliest tick at or after
 * the last stop bit, and never before it.
 *
 * Worst case the driver is held after the last stop bit for: one character (the shift register counted whole) + one bit
 * + (T - 1 µs) + the host's timer jitter. That must stay below t3.5, or a reply arriving t3.5 after the request collides
 * with our driver: `driverHoldBoundUs` gives the bound and `checkDriverRelease` rejects a configuration that breaks it.
 *
 * Pure integer arithmetic on microseconds; no state, no allocation.
 */
import type { LineTiming } from "../rtu/timing";

/** One bit time, rounded up. */
export function bitTimeUs(timing: LineTiming): number {
  return Math.ceil(1000000 / timing.baud);
}

/**
 * Delay from the host's last write until DE may drop, rounded up to the host timer tick.
 * `charsPending`: characters in the TX FIFO plus one if the shift register is busy (0 if the UART is idle: release at once).
 * `tickUs`: the host timer resolution (0 = exact).
 */
export function driverReleaseDelayUs(charsPending: number, timing: LineTiming, tickUs: number): number {
  if (charsPending <= 0) return 0;
  const exact = timing.airTimeUs(charsPending) + bitTimeUs(timing);
  if (tickUs <= 0) return exact;
  return Math.ceil(exact / tickUs) * tickUs;
}

/** Absolute time at which DE may drop: `now` + driverReleaseDelayUs(). */
export function driverReleaseTimeUs(now: number, charsPending: number, timing: LineTiming, tickUs: number): number {
  return now + driverReleaseDelayUs(charsPending, timing, tickUs);
}

/** Longest the driver can stay on after the last stop bit has left, for a host with this tick and jitter. */
export function driverHoldBoundUs(timing: LineTiming, tickUs: number, jitterUs: number): number {
  // +1 per rounded-up term: airTimeUs(n) may exceed the true air time by up to 1 µs.
  return timing.characterUs + bitTimeUs(timing) + (tickUs > 0 ? tickUs - 1 : 0) + jitterUs + 2;
}

/**
 * Throws a RangeError when a host with this timer tick and jitter could hold DE until a reply that starts t3.5 after the
 * request: the line is then unusable at this baud with this host.
 */
export function checkDriverRelease(timing: LineTiming, tickUs: number, jitterUs: number): void {
  if (!Number.isInteger(tickUs) || tickUs < 0) throw new RangeError(`tick must be an integer >= 0 (µs), got ${tickUs}`);
  if (!Number.isInteger(jitterUs) || jitterUs < 0) throw new RangeError(`jitter must be an integer >= 0 (µs), got ${jitterUs}`);
  const bound = driverHoldBoundUs(timing, tickUs, jitterUs);
  if (bound >= timing.t35Us) {
    throw new RangeError(`tick ${tickUs} µs + jitter ${jitterUs} µs may hold DE ${bound} µs after the last stop bit at ${timing.baud} baud ${timing.framing}, not less than t3.5 = ${timing.t35Us} µs`);
  }
}
