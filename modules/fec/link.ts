/*
 * The rc485 FEC link (docs/fec.md §3–4; design.md §5; Urrea & Morales 2019 §3): after every Modbus RTU frame sent onto a
 * protected segment, and after that frame's 3.5-character silence (Modbus over Serial Line V1.02 §2.5.1.1), the sending
 * repeater transmits a parity burst; the receiving repeater repairs a damaged frame from it. Standard devices on the bus
 * ignore the burst: it starts with a reserved address (248–255, Modbus over Serial Line §2.2) and fails the CRC by
 * construction, its last two bytes being the bitwise complement of the CRC-16/MODBUS of the bytes before them.
 *
 * Burst, version 1 (all offsets in bytes; P = m·nroots parity bytes, m codewords as in modules/fec/reed-solomon.ts):
 *
 *     0        1        2          3    4    5 … 4+P              5+P  6+P
 *     0xFA     format   length−1   h0   h1   parity cw0 … cw m−1  ~crc lo, hi
 *     format = 0b01nnnddd: version 1 in the top two bits, nnn = nroots/2 − 1, ddd = depth − 1
 *     h0 h1  = RS parity (nroots 2) of bytes 0..2, so one damaged header byte is repaired
 *
 * Burst, version 2 (adaptive strength, docs/fec.md §9): the same frame, a longer header and interleaved parity:
 *
 *     0        1        2          3          4 … 7        8 … 7+P                       8+P  9+P
 *     0xFA     format   length−1   feedback   h0 … h3      parity, byte k of cw j at k·m+j  ~crc lo, hi
 *     format = 0b10nnnddd (version 2); feedback = the sender's estimate of the error process of the reverse direction
 *     (modules/fec/adapt.ts); h0..h3 = RS parity (nroots 4) of bytes 0..3, so two damaged header bytes are repaired
 *
 * Burst, feedback only (adaptive strength on a clean link: the frame goes without parity, docs/fec.md §9.3): the
 * version-2 header with format byte 0xC0 (top bits 11) and no parity, 10 bytes:
 *
 *     0        1        2          3          4 … 7        8    9
 *     0xFA     0xC0     length−1   feedback   h0 … h3      ~crc lo, hi
 *
 * Theory of operation. The sender needs only its own nroots and depth (FecTransmitter); the receiver (FecReceiver) needs
 * no configuration: it learns version, nroots, depth and the protected frame's length from each burst. It classifies every
 * silence-delimited chunk: a chunk whose first five bytes decode as a burst header and whose length matches it is a
 * burst; otherwise it is a frame. A frame with a good CRC needs no parity and is forwarded at once (its burst, when it
 * comes, is counted as unneeded). A frame with a bad CRC is held; the next burst repairs it if it is for a frame of the
 * same length, and the repaired frame is accepted only if its Modbus CRC then checks. A burst with no frame before it,
 * or for a frame of another length, is discarded. Every outcome is a numeric verdict and a counter; nothing throws on
 * wire data, and all memory is allocated in the constructors.
 */
import { crc16, crcMatches } from "../rtu/crc16";
import { ReedSolomon } from "./reed-solomon";

/** First byte of every burst: a reserved Modbus address no standard device answers. */
export const FEC_BURST_ADDRESS = 0xfa;
/** Burst format version carried in the top two bits of the format byte (version 1: fixed strength, §3). */
export const FEC_FORMAT_VERSION = 1;
/** Format version 2: adaptive strength, a feedback byte in the header, parity interleaved byte by byte (docs/fec.md §9). */
export const FEC_FORMAT_VERSION_ADAPTIVE = 2;
/** Format byte of a feedback-only burst (top bits 11; no parity: the sender protects this frame with nothing). */
export const FEC_FORMAT_FEEDBACK_ONLY = 0xc0;
/** Version number reported for a feedback-only burst (its format byte's top two bits). */
export const FEC_FORMAT_VERSION_FEEDBACK = 3;
/** Bytes of a feedback-only burst: the version-2 header and the trailer. */
export const FEC_FEEDBACK_BURST_LENGTH = 10;
/** Header bytes of a version-2 burst (address, format, length−1, feedback, four header parity bytes). */
export const FEC_HEADER_LENGTH_V2 = 8;
/** Header bytes (address, format, length−1, two header parity bytes) and trailer bytes. */
export const FEC_HEADER_LENGTH = 5;
export const FEC_TRAILER_LENGTH = 2;
/** Longest frame a burst can protect (the Modbus RTU ADU limit). */
export const FEC_MAX_FRAME = 256;
/** Largest interleaving depth the format carries. */
export const FEC_MAX_DEPTH = 8;

// Verdicts of FecReceiver.receive().
/** Frame with a good CRC: forward the bytes you passed in. */
export const FEC_FRAME_GOOD = 1;
/** Frame with a bad CRC: held until its burst arrives (call expire() if none comes). */
export const FEC_FRAME_HELD = 2;
/** Burst repaired the held frame and its CRC checks: forward receiver.frame[0, receiver.frameLength). */
export const FEC_FRAME_CORRECTED = 3;
/** Burst could not repair the held frame (more errors than nroots/2 in a codeword): frame dropped. */
export const FEC_FRAME_UNCORRECTABLE = 4;
/** Burst "repaired" the held frame but its CRC still fails (a miscorrection caught): frame dropped. */
export const FEC_FRAME_CRC_FAILED = 5;
/** Burst for a frame that already arrived with a good CRC: nothing to do. */
export const FEC_BURST_UNNEEDED = 6;
/** Burst with no frame before it, or for a frame of another length: discarded (a held frame is dropped too). */
export const FEC_BURST_ORPHAN = 7;
/** Frame with a bad CRC longer than the receiver can hold or a burst can protect: dropped. */
export const FEC_FRAME_OVERSIZE = 8;
/** Feedback-only burst (no parity) after a frame with a bad CRC: nothing can repair it, frame dropped. */
export const FEC_FRAME_UNPROTECTED = 9;

/** Names of the verdicts, indexed by verdict, for logs and the command line. */
export const FEC_VERDICT_NAMES: readonly string[] = Object.freeze([
  "", "frame-good", "frame-held", "frame-corrected", "frame-uncorrectable", "frame-crc-failed", "burst-unneeded",
  "burst-orphan", "frame-oversize", "frame-unprotected",
]);

const NO_FRAME = 0, GOOD_FRAME = 1, HELD_FRAME = 2;

function validSetting(nroots: number, depth: number): boolean {
  return (nroots === 2 || nroots === 4 || nroots === 6 || nroots === 8 || nroots === 10 || nroots === 12 || nroots === 14 ||
    nroots === 16) && depth >= 1 && depth <= FEC_MAX_DEPTH && (depth | 0) === depth;
}

function checkNroots(nroots: number, field: string): void {
  if (!Number.isInteger(nroots) || nroots < 2 || nroots > 16 || nroots % 2 !== 0) {
    throw new RangeError(`${field} must be an even integer 2..16, got ${nroots}`);
  }
}

/** Sender side: writes the parity burst for a frame. */
export class FecTransmitter {
  readonly nroots: number;
  readonly depth: number;
  /** Length of the burst for the longest frame (FEC_MAX_FRAME bytes): size transmit buffers with it. */
  readonly maxBurstLength: number;
  private readonly codec: ReedSolomon;
  private readonly header: ReedSolomon;
  /** Codecs of every nroots (index nroots/2 − 1) and the version-2 header code, for encodeAdaptive. */
  private readonly codecs: ReedSolomon[];
  private readonly scratch = new Uint8Array(FEC_MAX_DEPTH * 16 * 2);

  constructor(options: { nroots?: number; depth?: number } = {}) {
    const nroots = options.nroots ?? 4, depth = options.depth ?? 1;
    checkNroots(nroots, "FecTransmitter: nroots");
    if (!Number.isInteger(depth) || depth < 1 || depth > FEC_MAX_DEPTH) {
      throw new RangeError(`FecTransmitter: depth must be an integer 1..${FEC_MAX_DEPTH}, got ${depth}`);
    }
    this.nroots = nroots;
    this.depth = depth;
    this.codecs = [];
    for (let r = 2; r <= 16; r += 2) this.codecs.push(new ReedSolomon(r));
    this.codec = this.codecs[nroots / 2 - 1];
    this.header = this.codecs[0];
    this.maxBurstLength = this.burstLength(FEC_MAX_FRAME);
  }

  /** Length of the version-2 burst for a frame of `len` bytes at (nroots, depth); 0 when len is outside 1..256. */
  adaptiveBurstLength(len: number, nroots: number, depth: number): number {
    if (len < 1 || len > FEC_MAX_FRAME) return 0;
    return FEC_HEADER_LENGTH_V2 + this.codecs[nroots / 2 - 1].parityLength(len, depth) + FEC_TRAILER_LENGTH;
  }

  /**
   * Writes a version-2 burst (docs/fec.md §9) for frame[off, off+len) coded at (nroots, depth), carrying `feedback`
   * (0–255), and returns its length; 0 (nothing written) when len is outside 1..256 or the settings are not ones the
   * format carries. The parity of the m codewords is interleaved byte by byte: byte k of codeword j at k·m + j.
   */
  encodeAdaptive(frame: Uint8Array, off: number, len: number, nroots: number, depth: number, feedback: number,
    out: Uint8Array, outOff: number): number {
    if (len < 1 || len > FEC_MAX_FRAME || !validSetting(nroots, depth)) return 0;
    const codec = this.codecs[nroots / 2 - 1];
    out[outOff] = FEC_BURST_ADDRESS;
    out[outOff + 1] = (FEC_FORMAT_VERSION_ADAPTIVE << 6) | ((nroots / 2 - 1) << 3) | (depth - 1);
    out[outOff + 2] = len - 1;
    out[outOff + 3] = feedback & 0xff;
    this.codecs[1].encode(out, outOff, 4, 1, out, outOff + 4);
    const p = codec.encodeFrame(frame, off, len, depth, this.scratch, 0);
    const m = p / nroots, at = outOff + FEC_HEADER_LENGTH_V2;
    for (let j = 0; j < m; j++) for (let k = 0; k < nroots; k++) out[at + k * m + j] = this.scratch[j * nroots + k];
    const body = FEC_HEADER_LENGTH_V2 + p;
    const c = crc16(out, outOff, body) ^ 0xffff;
    out[outOff + body] = c & 0xff;
    out[outOff + body + 1] = c >>> 8;
    return body + FEC_TRAILER_LENGTH;
  }

  /**
   * Writes a feedback-only burst (no parity, docs/fec.md §9.3) for a frame of `len` bytes carrying `feedback`; returns
   * its length (FEC_FEEDBACK_BURST_LENGTH), or 0 when len is outside 1..256.
   */
  encodeFeedbackOnly(len: number, feedback: number, out: Uint8Array, outOff: number): number {
    if (len < 1 || len > FEC_MAX_FRAME) return 0;
    out[outOff] = FEC_BURST_ADDRESS;
    out[outOff + 1] = FEC_FORMAT_FEEDBACK_ONLY;
    out[outOff + 2] = len - 1;
    out[outOff + 3] = feedback & 0xff;
    this.codecs[1].encode(out, outOff, 4, 1, out, outOff + 4);
    const c = crc16(out, outOff, FEC_HEADER_LENGTH_V2) ^ 0xffff;
    out[outOff + FEC_HEADER_LENGTH_V2] = c & 0xff;
    out[outOff + FEC_HEADER_LENGTH_V2 + 1] = c >>> 8;
    return FEC_FEEDBACK_BURST_LENGTH;
  }

  /** Burst length for a frame of `len` bytes; 0 when no burst can be made (len outside 1..256). */
  burstLength(len: number): number {
    if (len < 1 || len > FEC_MAX_FRAME) return 0;
    return FEC_HEADER_LENGTH + this.codec.parityLength(len, this.depth) + FEC_TRAILER_LENGTH;
  }

  /**
   * Writes the burst for frame[off, off+len) to out[outOff …] and returns its length, or 0 (nothing written) when len is
   * outside 1..256. out needs burstLength(len) bytes from outOff.
   */
  encode(frame: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): number {
    if (len < 1 || len > FEC_MAX_FRAME) return 0;
    out[outOff] = FEC_BURST_ADDRESS;
    out[outOff + 1] = (FEC_FORMAT_VERSION << 6) | ((this.nroots / 2 - 1) << 3) | (this.depth - 1);
    out[outOff + 2] = len - 1;
    this.header.encode(out, outOff, 3, 1, out, outOff + 3);
    const p = this.codec.encodeFrame(frame, off, len, this.depth, out, outOff + FEC_HEADER_LENGTH);
    const body = FEC_HEADER_LENGTH + p;
    const c = crc16(out, outOff, body) ^ 0xffff;
    out[outOff + body] = c & 0xff;
    out[outOff + body + 1] = c >>> 8;
    return body + FEC_TRAILER_LENGTH;
  }
}

/** Receiver side: classifies frames and bursts, repairs damaged frames, counts every outcome. */
export class FecReceiver {
  /** The repaired frame after FEC_FRAME_CORRECTED (also the hold buffer: valid only until the next receive()). */
  readonly frame: Uint8Array;
  /** Length of the repaired frame after FEC_FRAME_CORRECTED. */
  frameLength = 0;
  /** From the last burst that repaired a frame: bytes and bits corrected. */
  lastCorrectedBytes = 0;
  lastCorrectedBits = 0;

  // Counters (never reset by the receiver; read them for statistics).
  framesGood = 0;
  framesHeld = 0;
  framesCorrected = 0;
  framesUncorrectable = 0;
  framesCrcFailed = 0;
  /** Held frames dropped because no matching burst came (expire(), a newer frame, or an orphan burst). */
  framesUnrepaired = 0;
  framesOversize = 0;
  /** Bad frames whose burst was feedback only (the sender sent no parity): dropped. */
  framesUnprotected = 0;
  burstsUnneeded = 0;
  burstsOrphan = 0;
  /** Bursts that arrived with errors (their trailer no longer complements their CRC); informational. */
  burstsDamaged = 0;
  bytesCorrected = 0;
  bitsCorrected = 0;

  /** From the last burst header parsed: format version (1 or 2), nroots, depth, feedback byte (version 2; else 0). */
  lastVersion = 0;
  lastNroots = 0;
  lastDepth = 0;
  lastFeedback = 0;
  /**
   * What the last decode of a frame against its burst saw (FEC_FRAME_CORRECTED, or check()): symbols on the wire that
   * were covered (frame + burst), symbols found in error (frame, header and parity) and the runs they form (maximal sets
   * of consecutive bad symbols in wire order; the frame and the burst are separate runs). Input to the error-process
   * estimate of modules/fec/adapt.ts. The runs are located only with `observeErrors` (a copy and a scan per repair);
   * without it the corrected bytes count as one run and a repaired header as another.
   */
  lastSymbols = 0;
  lastErrorSymbols = 0;
  lastErrorRuns = 0;

  private readonly maxFrame: number;
  private readonly codecs: ReedSolomon[];
  private readonly headerCodec: ReedSolomon;
  private readonly hdr = new Uint8Array(FEC_HEADER_LENGTH_V2);
  private readonly parity: Uint8Array;
  private readonly before: Uint8Array;
  private state = NO_FRAME;
  private lastLength = 0;
  // Fields of the last header parsed by parseBurst().
  private bVersion = 0;
  private bNroots = 0;
  private bDepth = 0;
  private bFrameLength = 0;
  private bHeaderErrors = 0;
  private bTotal = 0;

  /** Whether decodes report where the errors were (the last* observation fields); off, they cost nothing. */
  readonly observeErrors: boolean;

  constructor(options: { maxFrame?: number; observeErrors?: boolean } = {}) {
    const maxFrame = options.maxFrame ?? FEC_MAX_FRAME;
    this.observeErrors = options.observeErrors === true;
    if (!Number.isInteger(maxFrame) || maxFrame < 4 || maxFrame > FEC_MAX_FRAME) {
      throw new RangeError(`FecReceiver: maxFrame must be an integer 4..${FEC_MAX_FRAME}, got ${maxFrame}`);
    }
    this.maxFrame = maxFrame;
    this.frame = new Uint8Array(maxFrame);
    this.before = new Uint8Array(maxFrame);
    this.codecs = [];
    for (let r = 2; r <= 16; r += 2) this.codecs.push(new ReedSolomon(r));
    this.headerCodec = this.codecs[0];
    this.parity = new Uint8Array(FEC_MAX_DEPTH * 16);
  }

  /** All frames dropped so far, whatever the reason. */
  get framesDropped(): number {
    return this.framesUncorrectable + this.framesCrcFailed + this.framesUnrepaired + this.framesOversize +
      this.framesUnprotected;
  }

  /** One silence-delimited chunk from the bus: a frame or a burst. Returns a FEC_* verdict. */
  receive(buf: Uint8Array, off: number, len: number): number {
    const crcOk = crcMatches(buf, off, len);
    if (crcOk && buf[off] < 248) return this.goodFrame(len);
    if (this.parseBurst(buf, off, len)) return this.burst(buf, off, len);
    if (crcOk) return this.goodFrame(len);
    if (this.state === HELD_FRAME) this.framesUnrepaired++;
    if (len > this.maxFrame) {
      this.state = NO_FRAME;
      this.framesOversize++;
      return FEC_FRAME_OVERSIZE;
    }
    for (let i = 0; i < len; i++) this.frame[i] = buf[off + i];
    this.state = HELD_FRAME;
    this.lastLength = len;
    this.framesHeld++;
    return FEC_FRAME_HELD;
  }

  /** The burst for a held frame is overdue: drop it. Returns true if a frame was held. */
  expire(): boolean {
    const held = this.state === HELD_FRAME;
    if (held) this.framesUnrepaired++;
    this.state = NO_FRAME;
    return held;
  }

  /** True while a frame with a bad CRC waits for its burst. */
  get holding(): boolean {
    return this.state === HELD_FRAME;
  }

  private goodFrame(len: number): number {
    if (this.state === HELD_FRAME) this.framesUnrepaired++;
    this.state = GOOD_FRAME;
    this.lastLength = len;
    this.framesGood++;
    return FEC_FRAME_GOOD;
  }

  /**
   * Decodes a candidate burst header (version 2: up to two damaged bytes repaired; version 1: one; in a copy) and checks
   * the chunk length against it. `frameLength` > 0 also requires the header to name that frame length.
   */
  private parseBurst(buf: Uint8Array, off: number, len: number, frameLength = 0, partial = false): boolean {
    if (len < (partial ? FEC_HEADER_LENGTH : FEC_HEADER_LENGTH + 2 + FEC_TRAILER_LENGTH)) return false;
    const h = this.hdr;
    this.bTotal = 0;
    // A whole burst's length tells the header form: version 1 is 7 + m·nroots bytes (odd), version 2 and feedback-only
    // 10 + m·nroots (even); only that form's header is decoded.
    if (len >= (partial ? FEC_HEADER_LENGTH_V2 : FEC_FEEDBACK_BURST_LENGTH) && (partial || (len & 1) === 0)) {
      for (let i = 0; i < FEC_HEADER_LENGTH_V2; i++) h[i] = buf[off + i];
      const e = this.codecs[1].decode(h, 0, 4, 1, h, 4);
      if (e >= 0 && h[0] === FEC_BURST_ADDRESS && h[1] === FEC_FORMAT_FEEDBACK_ONLY &&
        (frameLength === 0 || h[2] + 1 === frameLength) && (partial || len === FEC_FEEDBACK_BURST_LENGTH)) {
        this.bTotal = FEC_FEEDBACK_BURST_LENGTH;
        this.bNroots = this.bDepth = 0;
        this.bFrameLength = h[2] + 1;
        this.lastVersion = this.bVersion = FEC_FORMAT_VERSION_FEEDBACK;
        this.lastNroots = this.lastDepth = 0;
        this.bHeaderErrors = e;
        this.lastFeedback = h[3];
        return true;
      }
      if (e >= 0 && h[0] === FEC_BURST_ADDRESS && h[1] >>> 6 === FEC_FORMAT_VERSION_ADAPTIVE &&
        this.accept(h, partial ? -1 : len, FEC_HEADER_LENGTH_V2, frameLength)) {
        this.bVersion = FEC_FORMAT_VERSION_ADAPTIVE;
        this.bHeaderErrors = e;
        this.lastFeedback = h[3];
        return true;
      }
    }
    if (!partial && (len & 1) === 0) return false;
    for (let i = 0; i < FEC_HEADER_LENGTH; i++) h[i] = buf[off + i];
    const e = this.headerCodec.decode(h, 0, 3, 1, h, 3);
    if (e < 0 || h[0] !== FEC_BURST_ADDRESS || h[1] >>> 6 !== FEC_FORMAT_VERSION) return false;
    if (!this.accept(h, partial ? -1 : len, FEC_HEADER_LENGTH, frameLength)) return false;
    this.bVersion = FEC_FORMAT_VERSION;
    this.bHeaderErrors = e;
    this.lastFeedback = 0;
    return true;
  }

  private accept(h: Uint8Array, len: number, headerLength: number, wantLength: number): boolean {
    const nroots = (((h[1] >> 3) & 7) + 1) * 2, depth = (h[1] & 7) + 1, frameLength = h[2] + 1;
    if (wantLength > 0 && frameLength !== wantLength) return false;
    const codec = this.codecs[nroots / 2 - 1];
    const total = headerLength + codec.parityLength(frameLength, depth) + FEC_TRAILER_LENGTH;
    if (len >= 0 && len !== total) return false;
    this.bTotal = total;
    this.bNroots = nroots;
    this.bDepth = depth;
    this.bFrameLength = frameLength;
    this.lastVersion = h[1] >>> 6;
    this.lastNroots = nroots;
    this.lastDepth = depth;
    return true;
  }

  /**
   * Decodes this.frame[0, bFrameLength) against the parity of the burst at buf[off …] (parsed by parseBurst), in place.
   * Returns the bytes corrected (and sets the last* observation fields) or a negative RS_* code (frame untouched).
   */
  private decodeHeld(buf: Uint8Array, off: number): number {
    const nroots = this.bNroots, frameLength = this.bFrameLength, depth = this.bDepth;
    const codec = this.codecs[nroots / 2 - 1], parity = this.parity;
    const plen = codec.parityLength(frameLength, depth);
    const m = plen / nroots;
    const v2 = this.bVersion === FEC_FORMAT_VERSION_ADAPTIVE;
    const at = off + (v2 ? FEC_HEADER_LENGTH_V2 : FEC_HEADER_LENGTH);
    if (v2) for (let j = 0; j < m; j++) for (let k = 0; k < nroots; k++) parity[j * nroots + k] = buf[at + k * m + j];
    else for (let i = 0; i < plen; i++) parity[i] = buf[at + i];
    const frame = this.frame, before = this.before;
    const observe = this.observeErrors;
    if (observe) for (let i = 0; i < frameLength; i++) before[i] = frame[i];
    const res = codec.decodeFrame(frame, 0, frameLength, depth, parity, 0);
    if (res < 0) return res;
    this.lastSymbols = frameLength + (at - off) + plen + FEC_TRAILER_LENGTH;
    this.lastErrorSymbols = res + this.bHeaderErrors;
    this.lastErrorRuns = (res > 0 ? 1 : 0) + (this.bHeaderErrors > 0 ? 1 : 0);
    if (!observe) return res;
    // Where the errors were, in wire order: frame bytes, then the header (repaired by its own code), then the parity;
    // the scan stops once every corrected byte was found.
    let errors = 0, runs = 0, bad = false, found = 0;
    for (let i = 0; i < frameLength && found < res; i++) {
      const hit = frame[i] !== before[i];
      if (hit) { errors++; found++; if (!bad) runs++; }
      bad = hit;
    }
    if (this.bHeaderErrors > 0) { errors += this.bHeaderErrors; runs++; }
    bad = this.bHeaderErrors > 0;
    for (let w = 0; w < plen && found < res; w++) {
      const i = v2 ? (w % m) * nroots + ((w / m) | 0) : w;
      const hit = parity[i] !== buf[at + w];
      if (hit) { errors++; found++; if (!bad) runs++; }
      bad = hit;
    }
    this.lastErrorSymbols = errors;
    this.lastErrorRuns = runs;
    return res;
  }

  /**
   * The first `len` bytes of a burst (at least its header) at buf[off …]: when they decode (repaired) as a version-1 or
   * version-2 header for a frame of `frameLength` bytes, the burst's total length; else 0. Remembers the settings.
   */
  headerFor(buf: Uint8Array, off: number, len: number, frameLength: number): number {
    return this.parseBurst(buf, off, len, frameLength, true) ? this.bTotal : 0;
  }

  /**
   * For a frame that arrived with a good CRC (and was forwarded) and the burst sent with it: decodes a copy to see how
   * much noise hit the burst. Returns the symbols found in error (setting the last* observation fields), or −1 when the
   * chunk is no burst for a frame of this length or the damage is beyond the code. Does not touch the receive state.
   */
  check(frame: Uint8Array, off: number, len: number, burst: Uint8Array, boff: number, blen: number): number {
    if (len < 1 || len > this.maxFrame || !this.parseBurst(burst, boff, blen, len)) return -1;
    if (this.bVersion === FEC_FORMAT_VERSION_FEEDBACK) return this.observeHeaderOnly(len);
    for (let i = 0; i < len; i++) this.frame[i] = frame[off + i];
    const res = this.decodeHeld(burst, boff);
    if (res < 0) return -1;
    for (let i = 0; i < len; i++) if (this.frame[i] !== frame[off + i]) return -1; // a good CRC, "corrected": parity beyond the code
    this.lastCorrectedBits = this.codecs[this.bNroots / 2 - 1].bits;
    return this.lastErrorSymbols;
  }

  /** A feedback-only burst was decoded against a frame of `len` bytes: only its header shows noise. */
  private observeHeaderOnly(len: number): number {
    this.lastSymbols = len + FEC_FEEDBACK_BURST_LENGTH;
    this.lastErrorSymbols = this.bHeaderErrors;
    this.lastErrorRuns = this.bHeaderErrors > 0 ? 1 : 0;
    this.lastCorrectedBits = 0;
    return this.bHeaderErrors;
  }

  private burst(buf: Uint8Array, off: number, len: number): number {
    const body = len - FEC_TRAILER_LENGTH;
    if ((crc16(buf, off, body) ^ 0xffff) !== (buf[off + body] | (buf[off + body + 1] << 8))) this.burstsDamaged++;
    const state = this.state, frameLength = this.bFrameLength;
    this.state = NO_FRAME;
    if (state === GOOD_FRAME && this.lastLength === frameLength) {
      this.burstsUnneeded++;
      return FEC_BURST_UNNEEDED;
    }
    if (state !== HELD_FRAME || this.lastLength !== frameLength) {
      if (state === HELD_FRAME) this.framesUnrepaired++;
      this.burstsOrphan++;
      return FEC_BURST_ORPHAN;
    }
    if (this.bVersion === FEC_FORMAT_VERSION_FEEDBACK) {
      this.framesUnprotected++;
      return FEC_FRAME_UNPROTECTED;
    }
    const codec = this.codecs[this.bNroots / 2 - 1];
    const res = this.decodeHeld(buf, off);
    if (res < 0) {
      this.framesUncorrectable++;
      return FEC_FRAME_UNCORRECTABLE;
    }
    if (!crcMatches(this.frame, 0, frameLength)) {
      this.framesCrcFailed++;
      return FEC_FRAME_CRC_FAILED;
    }
    this.frameLength = frameLength;
    this.lastCorrectedBytes = res;
    this.lastCorrectedBits = codec.bits;
    this.framesCorrected++;
    this.bytesCorrected += res;
    this.bitsCorrected += codec.bits;
    return FEC_FRAME_CORRECTED;
  }
}
