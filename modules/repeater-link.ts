/*
 * The repeater's view of the FEC link (modules/fec-link.ts; burst format in docs/fec.md §3–4; design.md §5).
 *
 * Theory of operation. The repeater engine delimits frames and bursts itself (it ends a burst as soon as its length is
 * in, without waiting for silence, and it must tell a burst from a frame inside one batched UART hand-over), so it needs
 * a little more than FecTransmitter/FecReceiver offer, and this adapter provides it over them, with fixed memory:
 *  - writeBurst: FecTransmitter.encode with this repeater's nroots and interleaving depth;
 *  - burstLength: with the damaged frame in hand, the burst's length follows from that frame and this repeater's own
 *    settings (a noise hit in the header then costs nothing); otherwise it is read from the header bytes;
 *  - headerMatches: the five header bytes (address, format, length − 1, and the header's own RS(2) parity) are compared
 *    with the header this repeater would send for the frame in hand; one differing byte is what the header code repairs,
 *    so a burst whose reserved address was hit is still recognised (and not passed on as a frame);
 *  - correct: the held frame and then the burst go through a FecReceiver, which repairs one damaged header byte, checks
 *    the burst against the frame's length, decodes, and accepts the result only if the Modbus CRC then checks.
 */
import {
  FEC_BURST_ADDRESS, FEC_FORMAT_VERSION, FEC_FRAME_CORRECTED, FEC_FRAME_CRC_FAILED, FEC_FRAME_HELD, FEC_FRAME_UNCORRECTABLE,
  FEC_HEADER_LENGTH, FEC_MAX_FRAME, FEC_TRAILER_LENGTH, FecReceiver, FecTransmitter,
} from "./fec-link";
import { ReedSolomon } from "./reed-solomon";

/** correct(): more errors than the code corrects, or a correction that fails the Modbus CRC. */
export const LINK_UNCORRECTABLE = -1;
/** correct(): the burst is for a frame of another length (or is no burst at all): orphaned. */
export const LINK_ORPHAN = -2;

/** Lowest reserved Modbus address (Serial Line V1.02 §2.2): no frame starts with 248–255, every burst does. */
export const RESERVED_ADDRESS_MIN = 248;

/** Bytes on the wire of the burst for a `frameLength`-byte frame (a pure rule, for timing budgets and tests). */
export function burstLengthFor(frameLength: number, nroots: number, interleave: number): number {
  let m = Math.ceil(frameLength / (255 - nroots));
  if (interleave > m) m = interleave;
  if (m > frameLength) m = frameLength;
  return FEC_HEADER_LENGTH + m * nroots + FEC_TRAILER_LENGTH;
}

export class FecLinkCodec {
  readonly nroots: number;
  readonly interleave: number;
  readonly maxBurstLength: number;
  /** Header bytes a receiver needs before it can tell a burst (FEC_HEADER_LENGTH). */
  readonly headerLength = FEC_HEADER_LENGTH;
  /** Bits corrected by the last successful `correct`. */
  correctedBits = 0;
  private readonly tx: FecTransmitter;
  private readonly rx: FecReceiver;
  private readonly headerCode = new ReedSolomon(2);
  private readonly code: ReedSolomon;
  private readonly header = new Uint8Array(FEC_HEADER_LENGTH);
  private readonly format: number;

  constructor(nroots: number, interleave: number) {
    this.nroots = nroots;
    this.interleave = interleave;
    this.tx = new FecTransmitter({ nroots, depth: interleave });
    this.rx = new FecReceiver({ maxFrame: FEC_MAX_FRAME });
    this.code = new ReedSolomon(nroots);
    // Any burst a peer may send: the longest frame at the largest nroots and depth the format carries.
    this.maxBurstLength = burstLengthFor(FEC_MAX_FRAME, 16, 8);
    this.format = (FEC_FORMAT_VERSION << 6) | ((nroots / 2 - 1) << 3) | (interleave - 1);
  }

  /** Writes the burst for frame[off, off+len) into out[outOff …]; returns its length (0 for a frame outside 1–256 bytes). */
  writeBurst(frame: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): number {
    return this.tx.encode(frame, off, len, out, outOff);
  }

  /** Length of the burst this repeater writes for a frame of `frameLength` bytes. */
  burstLengthForFrame(frameLength: number): number {
    return this.tx.burstLength(frameLength);
  }

  /**
   * Total length of the burst whose first `len` bytes are at buf[off …]: 0 if more bytes are needed, −1 if not a burst.
   * With the frame it belongs to in hand (`frameLength` > 0) the length follows from that frame and this repeater's
   * settings; otherwise it is read from the (unrepaired) header.
   */
  burstLength(buf: Uint8Array, off: number, len: number, frameLength: number): number {
    if (frameLength > 0) return this.tx.burstLength(frameLength);
    if (len < 1) return 0;
    if (buf[off] < RESERVED_ADDRESS_MIN) return -1;
    if (len < 3) return 0;
    const f = buf[off + 1];
    if (f >>> 6 !== FEC_FORMAT_VERSION) return -1;
    return burstLengthFor(buf[off + 2] + 1, (((f >>> 3) & 7) + 1) * 2, (f & 7) + 1);
  }

  /**
   * True when the first FEC_HEADER_LENGTH bytes at buf[off …] differ in at most one byte from the header this repeater
   * writes for a frame of `frameLength` bytes (the header's RS(2) code repairs one byte).
   */
  headerMatches(buf: Uint8Array, off: number, len: number, frameLength: number): boolean {
    if (len < FEC_HEADER_LENGTH || frameLength < 1 || frameLength > FEC_MAX_FRAME) return false;
    const h = this.header;
    h[0] = FEC_BURST_ADDRESS;
    h[1] = this.format;
    h[2] = frameLength - 1;
    this.headerCode.encode(h, 0, 3, 1, h, 3);
    let differ = 0;
    for (let i = 0; i < FEC_HEADER_LENGTH; i++) if (buf[off + i] !== h[i]) differ++;
    return differ <= 1;
  }

  /** The frame length a burst's header announces (unrepaired; −1 if too short). */
  frameLength(buf: Uint8Array, off: number, len: number): number {
    return len >= 3 ? buf[off + 2] + 1 : -1;
  }

  /**
   * For a frame that arrived with a good CRC and was already forwarded: decodes its burst (sent with this repeater's
   * settings, as its length shows) to count the symbols noise hit in the parity, for the BER estimate. Both buffers may
   * be changed. Returns the bytes found in error (−1 when beyond the code, or not this repeater's burst); sets
   * correctedBits.
   */
  verify(frame: Uint8Array, off: number, len: number, burst: Uint8Array, boff: number, blen: number): number {
    this.correctedBits = 0;
    if (blen !== this.tx.burstLength(len)) return -1;
    const n = this.code.decodeFrame(frame, off, len, this.interleave, burst, boff + FEC_HEADER_LENGTH);
    if (n > 0) this.correctedBits = this.code.bits;
    return n;
  }

  /**
   * Corrects frame[off, off+len) (which failed its CRC) in place from a complete burst; returns the bytes corrected, or
   * LINK_UNCORRECTABLE, or LINK_ORPHAN.
   */
  correct(frame: Uint8Array, off: number, len: number, burst: Uint8Array, boff: number, blen: number): number {
    this.correctedBits = 0;
    const rx = this.rx;
    rx.expire();
    if (rx.receive(frame, off, len) !== FEC_FRAME_HELD) return LINK_ORPHAN;
    const verdict = rx.receive(burst, boff, blen);
    if (verdict === FEC_FRAME_CORRECTED) {
      const out = rx.frame;
      for (let i = 0; i < len; i++) frame[off + i] = out[i];
      this.correctedBits = rx.lastCorrectedBits;
      return rx.lastCorrectedBytes;
    }
    if (verdict === FEC_FRAME_UNCORRECTABLE || verdict === FEC_FRAME_CRC_FAILED) return LINK_UNCORRECTABLE;
    return LINK_ORPHAN;
  }
}
