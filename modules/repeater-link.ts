/*
 * The repeater's view of the FEC link: encode a frame's parity burst, recognise a burst from its first bytes, and correct
 * a frame from its burst (design.md §5; burst format in docs/fec.md).
 *
 * Theory of operation. The engine needs five things from the link: the longest burst (for its buffers), writing a burst
 * behind a frame, the total length of a burst being received (from its header, so it ends without waiting for silence),
 * the frame length a burst is for, and correcting a frame in place. This adapter provides them over the Reed–Solomon codec
 * (modules/reed-solomon.ts) with a fixed instance per repeater, so the byte path allocates nothing.
 *
 * INTERIM burst layout, until modules/fec-link.ts lands: [0xF8 + version][frame length − 1][(nroots/2 − 1) << 4 |
 * (depth − 1)][parity …][trailer 2 bytes = Modbus CRC of everything before it, xor 0xFFFF]. It starts with a reserved
 * address (248–255, Serial Line V1.02 §2.2) and fails the Modbus CRC by construction (the trailer is the inverted CRC).
 */
import { crc16 } from "./crc16";
import { ReedSolomon } from "./reed-solomon";

const BURST_ADDRESS = 0xf8;
const HEADER = 3;
const TRAILER = 2;

/** Bytes on the wire of the burst for a `frameLength`-byte frame. */
export function burstLengthFor(frameLength: number, nroots: number, interleave: number): number {
  let m = Math.ceil(frameLength / (255 - nroots));
  if (interleave > m) m = interleave;
  if (m > frameLength) m = frameLength;
  return HEADER + m * nroots + TRAILER;
}

export class FecLinkCodec {
  readonly nroots: number;
  readonly interleave: number;
  readonly maxBurstLength: number;
  /** Bits corrected by the last successful `correct`. */
  correctedBits = 0;
  private readonly codecs: ReedSolomon[] = [];

  constructor(nroots: number, interleave: number, maxFrame: number) {
    this.nroots = nroots;
    this.interleave = interleave;
    // A receiver decodes whatever nroots a burst announces: one codec per even nroots, built once.
    for (let r = 2; r <= 16; r += 2) this.codecs[r] = new ReedSolomon(r);
    let max = 0;
    for (let r = 2; r <= 16; r += 2) for (let d = 1; d <= 8; d++) {
      const n = burstLengthFor(maxFrame, r, d);
      if (n > max) max = n;
    }
    this.maxBurstLength = max;
  }

  /** Writes the burst for frame[off, off+len) into out[outOff …]; returns its length. */
  writeBurst(frame: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): number {
    const rs = this.codecs[this.nroots];
    out[outOff] = BURST_ADDRESS;
    out[outOff + 1] = (len - 1) & 0xff;
    out[outOff + 2] = ((this.nroots / 2 - 1) << 4) | (this.interleave - 1);
    const p = rs.encodeFrame(frame, off, len, this.interleave, out, outOff + HEADER);
    const n = HEADER + p;
    const c = crc16(out, outOff, n) ^ 0xffff;
    out[outOff + n] = c & 0xff;
    out[outOff + n + 1] = c >>> 8;
    return n + TRAILER;
  }

  /**
   * Total length of the burst whose first `len` bytes are at buf[off …]: 0 if more bytes are needed, −1 if not a burst.
   * When the receiver holds the frame the burst is for (`frameLength` > 0), the length follows from that frame and this
   * repeater's own settings, so a noise hit in the header does not lose the burst (the frame is still checked by its CRC
   * after correction); otherwise it is read from the header.
   */
  burstLength(buf: Uint8Array, off: number, len: number, frameLength: number): number {
    if (len < 1) return 0;
    if (frameLength > 0) return burstLengthFor(frameLength, this.nroots, this.interleave);
    if (buf[off] < BURST_ADDRESS) return -1;
    if (len < HEADER) return 0;
    const h = buf[off + 2];
    return burstLengthFor(buf[off + 1] + 1, ((h >>> 4) + 1) * 2, (h & 15) + 1);
  }

  /**
   * True when bytes 1 and 2 of `buf[off …]` (at least 3 bytes) are the header this repeater writes for a frame of
   * `frameLength` bytes: with the frame in hand, a burst whose address byte was hit by noise is still recognised.
   */
  headerMatches(buf: Uint8Array, off: number, len: number, frameLength: number): boolean {
    return len >= HEADER && frameLength > 0 && buf[off + 1] === ((frameLength - 1) & 0xff) &&
      buf[off + 2] === (((this.nroots / 2 - 1) << 4) | (this.interleave - 1));
  }

  /** The frame length a complete burst announces (−1 if not a burst). */
  frameLength(buf: Uint8Array, off: number, len: number): number {
    if (len < HEADER || buf[off] < BURST_ADDRESS) return -1;
    return buf[off + 1] + 1;
  }

  /**
   * Corrects frame[off, off+len) in place from a complete burst of `blen` bytes; returns the bytes corrected or a negative
   * failure code. The burst's own settings are used when its header is consistent with its length; else this repeater's.
   */
  correct(frame: Uint8Array, off: number, len: number, burst: Uint8Array, boff: number, blen: number): number {
    this.correctedBits = 0;
    const h = burst[boff + 2];
    let r = ((h >>> 4) + 1) * 2;
    let depth = (h & 15) + 1;
    if (r > 16 || burst[boff + 1] + 1 !== len || burstLengthFor(len, r, depth) !== blen) {
      r = this.nroots;
      depth = this.interleave;
      if (burstLengthFor(len, r, depth) !== blen) return -3;
    }
    const rs = this.codecs[r];
    const n = rs.decodeFrame(frame, off, len, depth, burst, boff + HEADER);
    if (n >= 0) this.correctedBits = rs.bits;
    return n;
  }
}
