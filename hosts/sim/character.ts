/*
 * One UART character as the bits on the wire, for noise and truncation: bit 0 is the start bit (0), bits 1..8 the data
 * (least significant first), then the parity bit (8E1/8O1) or a second stop bit (8N2), and the stop bit (1). Idle is 1
 * (mark). Modbus over Serial Line V1.02 §2.5.1 gives the 11-bit character; 8N1 is the common 10-bit variant.
 *
 * decode() is what a receiving UART makes of a (possibly corrupted) bit vector:
 *  - a start bit that reads 1 is not seen: the receiver re-synchronises on the next 0 bit inside the character and reads
 *    idle 1s past its end (the spill-over into the character that follows is not modelled); no 0 bit at all loses the
 *    character;
 *  - a wrong parity bit sets RX_PARITY; a first stop bit that reads 0 sets RX_FRAMING (receivers check the first stop bit
 *    only, so a corrupted second stop bit of 8N2 goes unnoticed).
 */
import { FRAMING_BITS, type Framing } from "../../modules/rtu/timing";

/** Receive flags, per byte (bit set). RX_FRAMING and RX_PARITY are what a UART reports; the others are simulator truth. */
export const RX_FRAMING = 1;
export const RX_PARITY = 2;
/** Two drivers on the line during this character. */
export const RX_COLLISION = 4;
/** The driver's DE dropped (or rose) inside this character. */
export const RX_TRUNCATED = 8;
/** Noise changed at least one bit. */
export const RX_NOISE = 16;
/** No node sent this byte: noise on an idle line. */
export const RX_SPURIOUS = 32;

const PARITY = new Uint8Array(256);
for (let n = 0; n < 256; n++) {
  let p = 0;
  for (let k = 0; k < 8; k++) p ^= (n >>> k) & 1;
  PARITY[n] = p;
}

export class CharacterCodec {
  readonly bits: number;
  readonly allOnes: number;
  /** 0 none, 1 even, 2 odd. */
  private readonly parity: number;
  private readonly stopIndex: number;
  /** Flags of the last decode(). */
  flags = 0;

  constructor(framing: Framing) {
    this.bits = FRAMING_BITS[framing];
    this.allOnes = (1 << this.bits) - 1;
    this.parity = framing === "8E1" ? 1 : framing === "8O1" ? 2 : 0;
    this.stopIndex = this.parity !== 0 ? 10 : 9;
  }

  encode(byte: number): number {
    let v = ((byte & 0xff) << 1) | (this.allOnes & ~0x1ff);
    if (this.parity !== 0) {
      const p = this.parity === 1 ? PARITY[byte & 0xff] : PARITY[byte & 0xff] ^ 1;
      v = p ? v | 0x200 : v & ~0x200;
    }
    return v;
  }

  /** The byte a receiver reads from bit vector `v`, or -1 if it sees no character; sets `flags`. */
  decode(v: number): number {
    let flags = 0;
    if ((v & 1) !== 0) {
      let k = 1;
      while (k < this.bits && ((v >>> k) & 1) !== 0) k++;
      if (k >= this.bits) {
        this.flags = 0;
        return -1;
      }
      v = ((v >>> k) | (this.allOnes << (this.bits - k))) & this.allOnes;
    }
    const byte = (v >>> 1) & 0xff;
    if (this.parity !== 0) {
      const expected = this.parity === 1 ? PARITY[byte] : PARITY[byte] ^ 1;
      if (((v >>> 9) & 1) !== expected) flags |= RX_PARITY;
    }
    if (((v >>> this.stopIndex) & 1) === 0) flags |= RX_FRAMING;
    this.flags = flags;
    return byte;
  }
}
