/*
 * Serial-line timing for Modbus RTU, in integer microseconds.
 *
 * Modbus over Serial Line V1.02 §2.5.1.1: a character is 11 bits (start, 8 data, parity or a second stop, stop); the
 * no-parity one-stop framing 8N1 (10 bits) is not in the spec but is what most meters ship with, so it is supported.
 * Inside a frame, characters may be at most t1.5 apart; frames are separated by at least t3.5 of silence. Above 19200 baud
 * the spec fixes t1.5 = 750 µs and t3.5 = 1750 µs. Every duration here is rounded up, so a gap computed from it is never
 * shorter than the spec asks.
 */

export type Framing = "8N1" | "8E1" | "8O1" | "8N2";

/** Framings the RTU layer accepts, and their bits per character. Rules as data. */
export const FRAMING_BITS: { readonly [F in Framing]: number } = Object.freeze({ "8N1": 10, "8E1": 11, "8O1": 11, "8N2": 11 });

/** Baud rates accepted by configuration validation (standard UART rates up to 921600). */
export const BAUD_RATES: readonly number[] = Object.freeze([1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600]);

const FIXED_T15_US = 750;
const FIXED_T35_US = 1750;
const FIXED_TIMING_ABOVE_BAUD = 19200;

function checkLine(baud: number, framing: Framing): number {
  if (!Number.isInteger(baud) || baud < 300 || baud > 4000000) throw new RangeError(`baud must be an integer from 300 to 4000000, got ${baud}`);
  const bits = FRAMING_BITS[framing];
  if (bits === undefined) throw new RangeError(`framing must be one of 8N1, 8E1, 8O1, 8N2, got ${framing}`);
  return bits;
}

/** Bits on the wire per character for a framing. */
export function bitsPerCharacter(framing: Framing): number {
  return checkLine(9600, framing);
}

/** Time for `bytes` characters on the wire, rounded up to a whole microsecond. */
export function transmitTimeUs(bytes: number, baud: number, framing: Framing): number {
  const bits = checkLine(baud, framing);
  return Math.ceil((bytes * bits * 1000000) / baud);
}

/** One character time, rounded up. */
export function characterTimeUs(baud: number, framing: Framing): number {
  return transmitTimeUs(1, baud, framing);
}

/** Maximum silence between two characters of one frame (t1.5). */
export function t15Us(baud: number, framing: Framing): number {
  const bits = checkLine(baud, framing);
  if (baud > FIXED_TIMING_ABOVE_BAUD) return FIXED_T15_US;
  return Math.ceil((3 * bits * 1000000) / (2 * baud));
}

/** Minimum silence between frames (t3.5). */
export function t35Us(baud: number, framing: Framing): number {
  const bits = checkLine(baud, framing);
  if (baud > FIXED_TIMING_ABOVE_BAUD) return FIXED_T35_US;
  return Math.ceil((7 * bits * 1000000) / (2 * baud));
}

/** All timing for one line, computed once (for engines that must not recompute in their byte path). */
export class LineTiming {
  readonly baud: number;
  readonly framing: Framing;
  readonly bitsPerCharacter: number;
  readonly characterUs: number;
  readonly t15Us: number;
  readonly t35Us: number;

  constructor(baud: number, framing: Framing) {
    this.bitsPerCharacter = checkLine(baud, framing);
    this.baud = baud;
    this.framing = framing;
    this.characterUs = characterTimeUs(baud, framing);
    this.t15Us = t15Us(baud, framing);
    this.t35Us = t35Us(baud, framing);
  }

  /** Air time of `bytes` characters, rounded up. */
  airTimeUs(bytes: number): number {
    return Math.ceil((bytes * this.bitsPerCharacter * 1000000) / this.baud);
  }
}
