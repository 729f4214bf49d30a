/*
 * The repeater's view of the FEC link (modules/fec/link.ts; burst format in docs/fec.md §3–4; design.md §5).
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
 *  - Adaptive strength (docs/fec.md §9, modules/fec/adapt.ts): with `adaptive` on, writeBurst sends version-2 bursts at
 *    the strength a FecStrengthChooser picks for each frame length from the peer's feedback, and carries in their header
 *    the feedback of a LinkErrorEstimator fed by every decode of the peer's bursts (verify and correct). Either way the
 *    receiving half reads the peer's settings from each burst header (version 1 or 2) and remembers the last ones, so it
 *    understands a fixed peer, an adaptive one, and one with other settings; with the frame in hand and the header beyond
 *    repair, the burst length follows from the peer's last settings. A fixed peer sends no feedback: the adaptive side
 *    then steers by its own estimate (one half-duplex segment carries both directions).
 *  - Clean link (docs/fec.md §9.3): when the peer's feedback says FEEDBACK_CLEAN the chooser picks no parity, and a
 *    frame goes without a burst, unless this side has feedback to deliver: a feedback-only burst (10 bytes, no parity)
 *    goes out when the feedback byte changed, until it went out FEEDBACK_REPEATS times, and once every
 *    FEEDBACK_REFRESH_FRAMES frames (a lost delivery is repaired). Frames that come without a burst are observed too
 *    (frameWithoutBurst), so the estimate notices noise on a link that carries no parity. A fixed peer's silence is
 *    never taken for a clean report: against it the weakest setting is the paper's nroots 2.
 */
import { FEEDBACK_CLEAN, FecStrengthChooser, LinkErrorEstimator } from "../fec/adapt";
import {
  FEC_BURST_ADDRESS, FEC_FEEDBACK_BURST_LENGTH, FEC_FORMAT_FEEDBACK_ONLY, FEC_FORMAT_VERSION, FEC_FORMAT_VERSION_ADAPTIVE,
  FEC_FORMAT_VERSION_FEEDBACK, FEC_FRAME_CORRECTED, FEC_FRAME_CRC_FAILED, FEC_FRAME_HELD, FEC_FRAME_UNCORRECTABLE,
  FEC_FRAME_UNPROTECTED, FEC_HEADER_LENGTH, FEC_HEADER_LENGTH_V2, FEC_MAX_FRAME, FEC_TRAILER_LENGTH, FecReceiver,
  FecTransmitter,
} from "../fec/link";
import { ReedSolomon } from "../fec/reed-solomon";

/** correct(): more errors than the code corrects, or a correction that fails the Modbus CRC. */
export const LINK_UNCORRECTABLE = -1;
/** correct(): the burst is for a frame of another length (or is no burst at all): orphaned. */
export const LINK_ORPHAN = -2;

/** Lowest reserved Modbus address (Serial Line V1.02 §2.2): no frame starts with 248–255, every burst does. */
export const RESERVED_ADDRESS_MIN = 248;

/** The smallest run rate a feedback byte carries (q 31, runs of one character): the chooser's weakest parity. */
const FEEDBACK_WEAKEST_RATE = 31 << 3;

/** A feedback-only burst goes out this many times after the feedback byte changed (a lost one is made good). */
export const FEEDBACK_REPEATS = 3;
/** Without parity and without news, a feedback-only burst still goes out once every this many frames. */
export const FEEDBACK_REFRESH_FRAMES = 64;

/** Bytes on the wire of the burst for a `frameLength`-byte frame (a pure rule, for timing budgets and tests). */
export function burstLengthFor(frameLength: number, nroots: number, interleave: number, version: number = FEC_FORMAT_VERSION): number {
  if (version === FEC_FORMAT_VERSION_FEEDBACK) return FEC_FEEDBACK_BURST_LENGTH;
  let m = Math.ceil(frameLength / (255 - nroots));
  if (interleave > m) m = interleave;
  if (m > frameLength) m = frameLength;
  return (version === FEC_FORMAT_VERSION_ADAPTIVE ? FEC_HEADER_LENGTH_V2 : FEC_HEADER_LENGTH) + m * nroots + FEC_TRAILER_LENGTH;
}

export interface AdaptiveLinkOptions {
  /** Send version-2 bursts at a strength chosen from the peer's feedback (default false: version 1, fixed). */
  adaptive?: boolean;
  /** Residual frame error rate the adaptive choice aims at (default 1e-3). */
  targetFer?: number;
  /** Strongest setting the adaptive choice may use (defaults 16 and 8). */
  maxNroots?: number;
  maxInterleave?: number;
  /** Frames in a row without a bad character before this side reports the link clean (default ⌈1 / targetFer⌉, ≥ 16). */
  cleanFrames?: number;
}

export class FecLinkCodec {
  readonly nroots: number;
  readonly interleave: number;
  readonly adaptive: boolean;
  /** Any burst a peer may send: the longest frame at the largest nroots and depth, version 2. */
  readonly maxBurstLength: number;
  /** Header bytes a receiver needs before it can tell a burst (the version-2 header; a version-1 burst is longer). */
  readonly headerLength = FEC_HEADER_LENGTH_V2;
  /** Bits corrected by the last successful `correct` or `verify`. */
  correctedBits = 0;
  /** Adaptive mode: the estimate of the peer's error process sent back as feedback, and the chooser fed by the peer's. */
  readonly estimator: LinkErrorEstimator;
  readonly chooser: FecStrengthChooser;
  /** Settings of the last burst written. */
  lastSentNroots: number;
  lastSentDepth: number;
  /** Settings of the last burst header the peer sent (initially this repeater's own). */
  peerVersion: number;
  peerNroots: number;
  peerDepth: number;
  private readonly tx: FecTransmitter;
  private readonly rx: FecReceiver;
  private readonly headerCode = new ReedSolomon(2);
  private readonly header = new Uint8Array(FEC_HEADER_LENGTH);
  /** Feedback byte last sent in a burst, how often it went out, frames since the last burst (adaptive). */
  private deliveredFeedback = -1;
  private deliveries = 0;
  private framesSinceBurst = 0;
  /** Feedback-only bursts written (statistics). */
  feedbackBursts = 0;

  constructor(nroots: number, interleave: number, options: AdaptiveLinkOptions = {}) {
    this.nroots = nroots;
    this.interleave = interleave;
    this.adaptive = options.adaptive === true;
    this.tx = new FecTransmitter({ nroots, depth: interleave });
    this.rx = new FecReceiver({ maxFrame: FEC_MAX_FRAME, observeErrors: this.adaptive });
    const target = options.targetFer ?? 1e-3;
    this.estimator = new LinkErrorEstimator({ cleanFrames: options.cleanFrames ?? Math.max(16, Math.min(1e6, Math.ceil(1 / target))) });
    this.chooser = new FecStrengthChooser({
      targetFer: options.targetFer ?? 1e-3, nroots, depth: interleave,
      maxNroots: options.maxNroots ?? 16, maxDepth: options.maxInterleave ?? 8,
    });
    this.maxBurstLength = burstLengthFor(FEC_MAX_FRAME, 16, 8, FEC_FORMAT_VERSION_ADAPTIVE);
    this.lastSentNroots = this.peerNroots = nroots;
    this.lastSentDepth = this.peerDepth = interleave;
    this.peerVersion = this.adaptive ? FEC_FORMAT_VERSION_ADAPTIVE : FEC_FORMAT_VERSION;
  }

  /** Writes the burst for frame[off, off+len) into out[outOff …]; returns its length (0 for a frame outside 1–256 bytes). */
  writeBurst(frame: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): number {
    if (!this.adaptive) return this.tx.encode(frame, off, len, out, outOff);
    const c = this.chooser, fb = this.estimator.feedback();
    c.choose(len);
    this.lastSentNroots = c.nroots;
    this.lastSentDepth = c.depth;
    if (fb !== this.deliveredFeedback) {
      this.deliveredFeedback = fb;
      this.deliveries = 0;
    }
    if (c.nroots === 0) {
      // No parity: a burst only to deliver feedback the peer may not have yet.
      if (this.deliveries >= FEEDBACK_REPEATS && this.framesSinceBurst + 1 < FEEDBACK_REFRESH_FRAMES) {
        this.framesSinceBurst++;
        return 0;
      }
      this.deliveries++;
      this.framesSinceBurst = 0;
      this.feedbackBursts++;
      return this.tx.encodeFeedbackOnly(len, fb, out, outOff);
    }
    this.deliveries++;
    this.framesSinceBurst = 0;
    return this.tx.encodeAdaptive(frame, off, len, c.nroots, c.depth, fb, out, outOff);
  }

  /**
   * A frame from the peer's side came without a burst (none arrived in time): adaptive, it counts toward the estimate,
   * as a clean frame when its CRC checks, else as a frame with a bad character. Chunks shorter than any Modbus frame (4
   * bytes) are noise heard on the idle line, not characters the noise hit: they are left out.
   */
  frameWithoutBurst(len: number, crcOk: boolean): void {
    if (!this.adaptive || len < 4) return;
    if (crcOk) this.estimator.observe(len, 0, 0);
    else this.estimator.observeFailure(len, 0);
  }

  /** Length of the burst this repeater writes for a frame of `frameLength` bytes with its configured settings. */
  burstLengthForFrame(frameLength: number): number {
    if (frameLength < 1 || frameLength > FEC_MAX_FRAME) return 0;
    return burstLengthFor(frameLength, this.nroots, this.interleave, this.adaptive ? FEC_FORMAT_VERSION_ADAPTIVE : FEC_FORMAT_VERSION);
  }

  /** Length of the burst the peer would send for a frame of `frameLength` bytes with its last settings seen. */
  peerBurstLength(frameLength: number): number {
    if (frameLength < 1 || frameLength > FEC_MAX_FRAME) return 0;
    return burstLengthFor(frameLength, this.peerNroots, this.peerDepth, this.peerVersion);
  }

  /**
   * Total length of the burst whose first `len` bytes are at buf[off …]: 0 if more bytes are needed, −1 if not a burst.
   * With the frame it belongs to in hand (`frameLength` > 0) the header is decoded once its bytes are in (a damaged
   * header is repaired); beyond repair, the length follows from that frame and the peer's last settings. Without a frame
   * it is read from the (unrepaired) header.
   */
  burstLength(buf: Uint8Array, off: number, len: number, frameLength: number): number {
    if (frameLength > 0) {
      if (len < FEC_HEADER_LENGTH_V2) return 0;
      const n = this.rx.headerFor(buf, off, len, frameLength);
      return n > 0 ? n : this.peerBurstLength(frameLength);
    }
    if (len < 1) return 0;
    if (buf[off] < RESERVED_ADDRESS_MIN) return -1;
    if (len < 3) return 0;
    const f = buf[off + 1], v = f >>> 6;
    if (f === FEC_FORMAT_FEEDBACK_ONLY) return FEC_FEEDBACK_BURST_LENGTH;
    if (v !== FEC_FORMAT_VERSION && v !== FEC_FORMAT_VERSION_ADAPTIVE) return -1;
    return burstLengthFor(buf[off + 2] + 1, (((f >>> 3) & 7) + 1) * 2, (f & 7) + 1, v);
  }

  /**
   * True when the first header bytes at buf[off …] are those of a burst for a frame of `frameLength` bytes: they decode
   * (repaired) as a version-1 or version-2 header naming that length, or differ in at most one byte from the version-1
   * header of the peer's last settings.
   */
  headerMatches(buf: Uint8Array, off: number, len: number, frameLength: number): boolean {
    if (len < FEC_HEADER_LENGTH || frameLength < 1 || frameLength > FEC_MAX_FRAME) return false;
    if (len >= FEC_HEADER_LENGTH_V2 && this.rx.headerFor(buf, off, len, frameLength) > 0) return true;
    const h = this.header;
    h[0] = FEC_BURST_ADDRESS;
    h[1] = (FEC_FORMAT_VERSION << 6) | ((this.peerNroots / 2 - 1) << 3) | (this.peerDepth - 1);
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
   * For a frame that arrived with a good CRC and was already forwarded: decodes its burst to count the symbols noise hit
   * in the burst, for the BER estimate (and, adaptive, the error-process estimate). Returns the bytes found in error
   * (−1 when beyond the code, or no burst for this frame); sets correctedBits.
   */
  verify(frame: Uint8Array, off: number, len: number, burst: Uint8Array, boff: number, blen: number): number {
    this.correctedBits = 0;
    const rx = this.rx;
    const n = rx.check(frame, off, len, burst, boff, blen);
    if (n < 0) return -1;
    this.heard();
    this.correctedBits = rx.lastCorrectedBits;
    if (this.adaptive) this.estimator.observe(rx.lastSymbols, rx.lastErrorSymbols, rx.lastErrorRuns);
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
      this.heard();
      if (this.adaptive) this.estimator.observe(rx.lastSymbols, rx.lastErrorSymbols, rx.lastErrorRuns);
      const out = rx.frame;
      for (let i = 0; i < len; i++) frame[off + i] = out[i];
      this.correctedBits = rx.lastCorrectedBits;
      return rx.lastCorrectedBytes;
    }
    if (verdict === FEC_FRAME_UNCORRECTABLE || verdict === FEC_FRAME_CRC_FAILED) {
      this.heard();
      if (this.adaptive) this.estimator.observeFailure(len + blen, rx.lastNroots / 2);
      return LINK_UNCORRECTABLE;
    }
    if (verdict === FEC_FRAME_UNPROTECTED) {
      // The peer sent this frame without parity (it was told the link is clean): nothing repairs it.
      this.heard();
      if (this.adaptive) this.estimator.observeFailure(len + blen, 0);
      return LINK_UNCORRECTABLE;
    }
    return LINK_ORPHAN;
  }

  /** A burst header from the peer was decoded: remember its settings and pass on its feedback. */
  private heard(): void {
    const rx = this.rx;
    this.peerVersion = rx.lastVersion;
    this.peerNroots = rx.lastNroots;
    this.peerDepth = rx.lastDepth;
    if (!this.adaptive) return;
    if (rx.lastVersion !== FEC_FORMAT_VERSION) {
      this.chooser.update(rx.lastFeedback);
      return;
    }
    // A fixed peer sends no feedback: the pair is one half-duplex segment, so this side's own estimate stands in for it,
    // but never as a clean report (that would leave the fixed peer without parity): the weakest setting is nroots 2.
    const own = this.estimator.feedback();
    this.chooser.update(own === FEEDBACK_CLEAN ? FEEDBACK_WEAKEST_RATE : own);
  }
}
