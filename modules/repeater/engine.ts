/*
 * The R/C repeater: a two-port store-and-forward Modbus RTU repeater that protects a noisy segment with Reed–Solomon
 * parity (Urrea & Morales 2019 §3; design.md §5; link format in docs/fec.md and modules/fec/link.ts).
 *
 * Theory of operation. Sans-I/O: the host calls `a.received` / `b.received` with UART bytes, `a.transmitted` /
 * `b.transmitted` when DE is low again, and `service(now)` at `nextDeadline()`; the engine calls `transmit` on the two
 * Rs485Port objects (modules/port/contract.ts). Every buffer is allocated in the constructor; the byte path allocates nothing.
 *
 * Side A is plain Modbus. A frame is complete when its CRC residue is zero at a length its function code allows
 * (modules/repeater/frame-end.ts) or after t3.5 of silence (Serial Line V1.02 §2.5.1.1). A complete frame with a good CRC
 * is copied to side B's output with its parity burst (modules/fec/link.ts) encoded behind it and sent at once; the burst
 * follows t3.5 after the frame's last stop bit (computed from the frame's start and air time plus one bit, never before
 * DE has dropped; the host timer may add one tick), unless side B has started receiving meanwhile: a side that is
 * receiving is never driven, so the burst is skipped and counted. A frame with a bad CRC is dropped (the destination
 * would drop it too) and counted. A request to the repeater's own unit is answered on A with the statistics registers
 * (modules/repeater/stats.ts) and not forwarded.
 *
 * Side B is the FEC link, CRC-first: a frame whose CRC checks is forwarded to A at once; its burst, when it comes, is
 * still decoded to count the errors in the parity for the BER estimate. A frame that fails its CRC waits for its burst (a
 * burst starts with a reserved address 248–255 after at least t3.5 of silence): repaired, CRC-checked again, forwarded;
 * beyond repair, dropped and counted (the master's retry handles it). A frame that gets no burst in time came from a
 * plain device on the FEC segment (the paper's first test): it passes through unchanged, as a wire would carry it, and
 * the destination's CRC check discards it; with `plainDevicesOnB: false` (only the peer on B, the paper's second test)
 * it is dropped instead, so noise on the idle FEC segment never reaches side A. Bytes that follow a bad frame after less than t2.5 of silence continue it. A
 * chunk that starts in a frame's burst window without a reserved address is held for the burst header's five bytes: a
 * burst whose address byte was hit is recognised from the rest of its header, anything else is replayed as a frame. A
 * burst with no frame before it, or for a frame of another length, is discarded and counted (orphaned).
 *
 * Batching UARTs (the ESP32 hands its RX FIFO over after about four characters of silence or when 120 bytes are in,
 * design.md §6): silences are estimated between stop bits from `rxLatencyUs` and `rxBatchBytes`, and a frame and its
 * burst handed over together are split by the burst's header or by the burst length the frame implies.
 *
 * Outputs: each side has a ring of `queueFrames` output slots, sent in order with t3.5 between frames (a transparent
 * repeater forwards every frame, so a request may come while the previous reply is still being repeated); a frame to
 * forward when the ring is full is dropped and counted. A side is free to drive when it is not receiving a frame or burst
 * and t3.5 has passed since it was last busy either way.
 */
import { crc16, CRC16_INIT } from "../rtu/crc16";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../port/contract";
import { type RepeaterConfig, type ResolvedRepeaterConfig, resolveRepeaterConfig } from "./config";
import type { LineTiming } from "../rtu/timing";
import { FrameEndCandidates, plausibleFrameLength } from "./frame-end";
import {
  DIRECTION_AB, DIRECTION_BA, REGISTER_COUNT, RepeaterStats, STAT_BITS_CHECKED, STAT_BITS_CORRECTED, STAT_BURSTS_MISSING,
  STAT_BURSTS_ORPHANED, STAT_BURSTS_SENT, STAT_BURSTS_SKIPPED, STAT_BYTES_CORRECTED, STAT_BYTES_FORWARDED, STAT_CRC_FAILURES,
  STAT_DROPPED_BUSY, STAT_FRAMES_CORRECTED, STAT_FRAMES_FORWARDED, STAT_FRAMES_RECEIVED, STAT_RX_WHILE_TX, STAT_UNCORRECTABLE,
} from "./stats";
import { burstLengthFor, FecLinkCodec, LINK_ORPHAN, RESERVED_ADDRESS_MIN } from "./link";

/** Largest Modbus RTU ADU (Serial Line V1.02 §2.5.1). */
const MAX_FRAME = 256;
/** First reserved address: a parity burst starts with one of 248–255 (design.md §5). */
const BURST_ADDRESS_MIN = RESERVED_ADDRESS_MIN;

// Receiver phases.
const RX_IDLE = 0;
const RX_FRAME = 1;
const RX_AWAIT_BURST = 2;
const RX_BURST = 3;
const RX_SKIP = 4;
/** A chunk right after a frame that does not start with a reserved address: a burst whose first byte was hit, or a frame. */
const RX_MAYBE_BURST = 5;

// What a burst being received belongs to.
const FOR_NONE = 0;
const FOR_CLEAN = 1;
const FOR_BAD = 2;

// Output phases.
const TX_IDLE = 0;
const TX_FRAME = 2;
const TX_GAP = 3;
const TX_BURST = 4;

/** "Long ago": a time in V8's small-integer range (a double here would be boxed on every use on Node). */
const NEVER = -1073741824;
/** From this frame length on every length rule is settled (byte counts sit at index 2, 6 or 10): frameRun may take over. */
const FAST_FROM = 11;

/** One port of the repeater: its receiver, its output slot and its timing. Internal to the engine. */
class Side {
  readonly isB: boolean;
  readonly line: LineTiming;
  readonly bitUs: number;
  readonly charUs: number;
  readonly t35Us: number;
  readonly gapUs: number;
  readonly port: Rs485Port;
  // Receiver.
  readonly rx = new Uint8Array(MAX_FRAME);
  rxLen = 0;
  /** CRC register over rx[0, rxCrcLen): folded lazily, only where a frame may end. */
  rxCrc = CRC16_INIT;
  rxCrcLen = 0;
  readonly ends = new FrameEndCandidates();
  rxPhase = RX_IDLE;
  lastRx = NEVER;
  /** Estimated stop bit of the last byte received (the hand-over time less the UART's delay). */
  lastByteAt = NEVER;
  /** The last hand-over was a full batch (more bytes may follow without a silence). */
  lastChunkFull = false;
  /** Deadline for a burst to begin after a bad frame (RX_AWAIT_BURST). */
  awaitUntil = NEVER;
  /** After a clean frame on B, a burst that starts before this time belongs to it. */
  cleanUntil = NEVER;
  cleanLen = 0;
  /** A clean frame whose burst has not come yet (adaptive: without one it still counts toward the estimate). */
  cleanPending = false;
  readonly burst: Uint8Array;
  burstLen = 0;
  burstExpected = 0;
  burstFor = FOR_NONE;
  // Output: a ring of `slots` frames; slot k holds a frame at k·slotSize and, on side B, its burst at k·slotSize + MAX_FRAME.
  readonly tx: Uint8Array;
  readonly slotSize: number;
  readonly slots: number;
  readonly txLens: Uint16Array;
  readonly txBurstLens: Uint16Array;
  txHead = 0;
  txCount = 0;
  /** Phase of the head slot. */
  txPhase = TX_IDLE;
  lastTx = NEVER;
  burstAt = NEVER;
  /** When the frame now on the wire was handed to the port (its burst is due from there). */
  txStart = NEVER;

  constructor(isB: boolean, port: Rs485Port, line: LineTiming, maxBurst: number, slots: number) {
    this.isB = isB;
    this.port = port;
    this.line = line;
    this.bitUs = Math.ceil(1000000 / line.baud);
    this.charUs = line.characterUs;
    this.t35Us = line.t35Us;
    this.gapUs = (line.t15Us + line.t35Us) >> 1;
    this.burst = new Uint8Array(isB ? maxBurst : 1);
    this.slots = slots;
    this.slotSize = MAX_FRAME + (isB ? maxBurst : 0);
    this.tx = new Uint8Array(slots * this.slotSize);
    this.txLens = new Uint16Array(slots);
    this.txBurstLens = new Uint16Array(slots);
  }
}

export class Repeater implements Timed {
  readonly config: ResolvedRepeaterConfig;
  readonly stats: RepeaterStats;
  /** Listener for side A's port (plain Modbus). */
  readonly a: PortListener;
  /** Listener for side B's port (FEC link). */
  readonly b: PortListener;
  private readonly sa: Side;
  private readonly sb: Side;
  private readonly link: FecLinkCodec;
  private readonly burstWaitUs: number;
  private readonly batchWaitUs: number;
  /** Longest burst this repeater's settings produce (the zone at the end of a hand-over where a burst may start). */
  private readonly ownBurstMax: number;

  constructor(config: RepeaterConfig, portA: Rs485Port, portB: Rs485Port) {
    if (portA === null || typeof portA !== "object" || typeof portA.transmit !== "function") {
      throw new TypeError("portA must be an Rs485Port (an object with transmit(buffer, offset, length))");
    }
    if (portB === null || typeof portB !== "object" || typeof portB.transmit !== "function") {
      throw new TypeError("portB must be an Rs485Port (an object with transmit(buffer, offset, length))");
    }
    const cfg = resolveRepeaterConfig(config);
    this.config = cfg;
    this.link = new FecLinkCodec(cfg.nroots, cfg.interleave, {
      adaptive: cfg.adaptive, targetFer: cfg.targetFer, maxNroots: cfg.maxNroots, maxInterleave: cfg.maxInterleave,
    });
    const maxBurst = this.link.maxBurstLength;
    // Where in a hand-over a burst may start: the longest this repeater's peer may send (fixed: the same settings).
    this.ownBurstMax = cfg.adaptive ? maxBurst : this.link.burstLengthForFrame(MAX_FRAME);
    const waitBurst = cfg.adaptive ? maxBurst : burstLengthFor(MAX_FRAME, 16, 8);
    this.stats = new RepeaterStats(cfg.nroots, cfg.interleave, cfg.unitId);
    this.stats.adaptive = cfg.adaptive ? 1 : 0;
    this.sa = new Side(false, portA, cfg.lineA, maxBurst, cfg.queueFrames);
    this.sb = new Side(true, portB, cfg.lineB, maxBurst, cfg.queueFrames);
    // The far side sends its burst t3.5 after DE drops, up to a tick later; its first byte then takes one character.
    this.burstWaitUs = cfg.lineB.t35Us + cfg.tickUs + 2 * cfg.lineB.characterUs + cfg.rxLatencyUs +
      (cfg.rxLatencyUs > 0 ? cfg.lineB.airTimeUs(waitBurst) : 0);
    this.batchWaitUs = cfg.rxBatchBytes > 0 ? Math.max(cfg.lineA.airTimeUs(cfg.rxBatchBytes), cfg.lineB.airTimeUs(cfg.rxBatchBytes)) +
      cfg.rxLatencyUs + Math.max(cfg.lineA.t35Us, cfg.lineB.t35Us) : 0;
    const sa = this.sa;
    const sb = this.sb;
    this.a = {
      received: (buffer, offset, length, now) => this.receive(sa, buffer, offset, length, now),
      transmitted: (now) => this.sent(sa, now),
    };
    this.b = {
      received: (buffer, offset, length, now) => this.receive(sb, buffer, offset, length, now),
      transmitted: (now) => this.sent(sb, now),
    };
  }

  /**
   * Moves the engine's time origin: every stored time is reduced by `deltaUs`, so the host may continue with
   * `now − deltaUs`. For hosts whose microsecond counter wraps, and for Node runs that keep times in V8's small-integer
   * range (below 2^30 µs), where larger times are boxed doubles at every call. XS keeps numbers inline either way.
   */
  rebase(deltaUs: number): void {
    rebaseSide(this.sa, deltaUs);
    rebaseSide(this.sb, deltaUs);
  }

  nextDeadline(): number {
    let d = NO_DEADLINE;
    d = earliest(d, this.rxDeadline(this.sa));
    d = earliest(d, this.rxDeadline(this.sb));
    d = earliest(d, this.txDeadline(this.sa));
    d = earliest(d, this.txDeadline(this.sb));
    return d;
  }

  service(now: number): void {
    this.rxTimeouts(this.sa, now);
    this.rxTimeouts(this.sb, now);
    this.txService(this.sa, now);
    this.txService(this.sb, now);
  }

  // ---- receiving ----

  private receive(s: Side, buffer: Uint8Array, offset: number, length: number, now: number): void {
    if (length <= 0) return;
    const dir = s.isB ? this.stats.ba : this.stats.ab;
    if (s.txPhase === TX_FRAME || s.txPhase === TX_BURST) {
      // Our own transmission (echo) or a collision: nothing trustworthy can be assembled from it.
      dir[STAT_RX_WHILE_TX] += length;
      return;
    }
    // When the bytes were on the line: a hand-over on the RX timeout comes rxLatencyUs after the last stop bit, a
    // FIFO-full one at once. The silence before this chunk is estimated between stop bits, on the same footing.
    const full = this.config.rxBatchBytes > 0 && length >= this.config.rxBatchBytes;
    const lastByteAt = full ? now : now - this.config.rxLatencyUs;
    const chunkStart = lastByteAt - length * s.charUs;
    const newFrame = chunkStart - s.lastByteAt >= s.gapUs;
    if (newFrame) this.silenceBefore(s, now);
    s.lastRx = now;
    s.lastByteAt = lastByteAt;
    s.lastChunkFull = full;
    const end = offset + length;
    // On B, the last bytes of a hand-over may be a burst that came with its frame (see burstFollows).
    const splitZone = s.isB ? end - this.ownBurstMax : end;
    let i = offset;
    while (i < end) {
      const afterSilence = i === offset && newFrame;
      if (!afterSilence && s.rxPhase === RX_FRAME && s.rxLen >= FAST_FROM && i < splitZone && buffer[i] < BURST_ADDRESS_MIN) {
        i = this.frameRun(s, buffer, i, splitZone, now);
        continue;
      }
      if (!afterSilence && s.isB && s.rxPhase === RX_FRAME && (buffer[i] >= BURST_ADDRESS_MIN || i >= splitZone) &&
        this.burstFollows(s, buffer, i, end)) {
        // A batching UART handed over a bad frame and its burst together.
        this.frameEnded(s, now);
        this.byte(s, buffer[i], true, chunkStart, now);
      } else this.byte(s, buffer[i], afterSilence, chunkStart, now);
      i++;
    }
  }

  /**
   * The body of a frame, past its header (whose bytes fix every length the frame may have): appends bytes until a
   * candidate length whose CRC checks, a byte the general path must see (a reserved address on B), the split zone, or
   * the end. Returns where it stopped. The same work as frameByte, without a call and a switch per byte.
   */
  private frameRun(s: Side, buffer: Uint8Array, i: number, stop: number, now: number): number {
    const rx = s.rx;
    const ends = s.ends;
    const a = ends.fixedRequest, b = ends.fixedReply, c = ends.byRequestCount, d = ends.byReplyCount;
    const isB = s.isB;
    let n = s.rxLen;
    while (i < stop && n < MAX_FRAME) {
      const v = buffer[i];
      if (isB && v >= BURST_ADDRESS_MIN) break;
      rx[n++] = v;
      i++;
      if (n === a || n === b || n === c || n === d) {
        s.rxLen = n;
        if (residue(s) === 0) {
          this.frameEnded(s, now);
          return i;
        }
      }
    }
    s.rxLen = n;
    if (n >= MAX_FRAME && i < stop) {
      this.frameByte(s, buffer[i], now);
      return i + 1;
    }
    return i;
  }

  /**
   * Inside one hand-over, does the burst of the frame received so far start at buffer[i]? Either its reserved address and
   * header name this frame's length, or the frame has a length its function allows and the hand-over ends exactly where
   * that frame's burst would (the UART's RX timeout fired after the burst), whatever noise did to the burst's header.
   */
  private burstFollows(s: Side, buffer: Uint8Array, i: number, end: number): boolean {
    if (s.rxLen < 4) return false;
    if (buffer[i] >= BURST_ADDRESS_MIN && i + this.link.headerLength <= end && this.link.headerMatches(buffer, i, end - i, s.rxLen)) return true;
    return end - i === this.link.peerBurstLength(s.rxLen) && plausibleFrameLength(s.rx, 0, s.rxLen);
  }

  /** Silence of at least t2.5 was seen before new bytes: whatever was being assembled is over. */
  private silenceBefore(s: Side, now: number): void {
    if (s.rxPhase === RX_MAYBE_BURST) this.candidateIsFrame(s, now);
    if (s.rxPhase === RX_FRAME) this.frameEnded(s, now);
    else if (s.rxPhase === RX_BURST) this.burstEnded(s, now);
    else if (s.rxPhase === RX_SKIP) s.rxPhase = RX_IDLE;
  }

  private byte(s: Side, value: number, startsAfterSilence: boolean, chunkStart: number, now: number): void {
    switch (s.rxPhase) {
      case RX_IDLE:
        // No frame starts with a reserved address: on B that is a burst, even inside a batch right after its frame.
        if (s.isB && value >= BURST_ADDRESS_MIN) {
          this.startBurst(s, value, chunkStart <= s.cleanUntil ? FOR_CLEAN : FOR_NONE);
          return;
        }
        if (s.isB && startsAfterSilence && chunkStart <= s.cleanUntil) {
          this.startCandidate(s, value, FOR_CLEAN);
          return;
        }
        this.startFrame(s, value, now);
        return;
      case RX_FRAME:
        this.frameByte(s, value, now);
        return;
      case RX_AWAIT_BURST:
        if (!startsAfterSilence && value < BURST_ADDRESS_MIN) {
          // Less than t2.5 after the frame: the frame was not over (its length rule was fooled by an error).
          s.rxPhase = RX_FRAME;
          this.frameByte(s, value, now);
          return;
        }
        if (value >= BURST_ADDRESS_MIN) this.startBurst(s, value, FOR_BAD);
        else this.startCandidate(s, value, FOR_BAD);
        return;
      case RX_MAYBE_BURST:
        s.burst[s.burstLen++] = value;
        if (s.burstLen < this.link.headerLength) return;
        if (this.link.headerMatches(s.burst, 0, s.burstLen, this.heldLength(s))) {
          // The rest of the header is what this frame's burst carries: a burst whose first byte was hit.
          s.rxPhase = RX_BURST;
          s.burstExpected = this.link.burstLength(s.burst, 0, s.burstLen, this.heldLength(s));
          if (s.burstLen === s.burstExpected) this.burstEnded(s, now);
          return;
        }
        this.candidateIsFrame(s, now);
        return;
      case RX_BURST:
        if (s.burstLen < s.burst.length) s.burst[s.burstLen] = value;
        s.burstLen++;
        if (s.burstExpected === 0 && s.burstLen <= s.burst.length) s.burstExpected = this.link.burstLength(s.burst, 0, s.burstLen, this.heldLength(s));
        if (s.burstExpected > 0 && s.burstLen === s.burstExpected) this.burstEnded(s, now);
        else if (s.burstExpected < 0) this.burstEnded(s, now);
        return;
      default: // RX_SKIP: an overlong frame, discarded until silence
        return;
    }
  }

  private startFrame(s: Side, value: number, now: number): void {
    s.rxPhase = RX_FRAME;
    s.rxLen = 0;
    s.rxCrc = CRC16_INIT;
    s.rxCrcLen = 0;
    this.frameByte(s, value, now);
  }

  private frameByte(s: Side, value: number, now: number): void {
    if (s.rxLen >= MAX_FRAME) {
      // Longer than any ADU: noise or a collision. Counted as a CRC failure once, then skipped until silence.
      (s.isB ? this.stats.ba : this.stats.ab)[STAT_FRAMES_RECEIVED]++;
      (s.isB ? this.stats.ba : this.stats.ab)[STAT_CRC_FAILURES]++;
      s.rxPhase = RX_SKIP;
      return;
    }
    s.rx[s.rxLen++] = value;
    if (s.ends.next(value, s.rxLen) && residue(s) === 0) this.frameEnded(s, now);
  }

  private startCandidate(s: Side, value: number, owner: number): void {
    s.rxPhase = RX_MAYBE_BURST;
    s.burstFor = owner;
    s.burst[0] = value;
    s.burstLen = 1;
    s.burstExpected = 0;
  }

  /** A candidate burst turned out to be a frame: the held frame got no burst; replay the candidate's bytes as a frame. */
  private candidateIsFrame(s: Side, now: number): void {
    if (s.burstFor === FOR_BAD) this.noBurst(s, now);
    s.burstFor = FOR_NONE;
    s.cleanUntil = NEVER;
    const n = s.burstLen;
    this.startFrame(s, s.burst[0], now);
    for (let i = 1; i < n && s.rxPhase === RX_FRAME; i++) this.frameByte(s, s.burst[i], now);
  }

  private startBurst(s: Side, value: number, owner: number): void {
    s.rxPhase = RX_BURST;
    s.burstFor = owner;
    s.burst[0] = value;
    s.burstLen = 1;
    s.burstExpected = this.link.burstLength(s.burst, 0, 1, this.heldLength(s));
  }

  /** Length of the frame a burst being received on B would belong to (0: none). */
  private heldLength(s: Side): number {
    return s.burstFor === FOR_BAD ? s.rxLen : s.burstFor === FOR_CLEAN ? s.cleanLen : 0;
  }

  /** A frame is complete (CRC-and-length rule, or silence). */
  private frameEnded(s: Side, now: number): void {
    const crcOk = s.rxLen >= 4 && residue(s) === 0;
    if (!s.isB) {
      const dir = this.stats.ab;
      s.rxPhase = RX_IDLE;
      dir[STAT_FRAMES_RECEIVED]++;
      if (!crcOk) {
        dir[STAT_CRC_FAILURES]++;
        return;
      }
      if (this.config.unitId !== 0 && s.rx[0] === this.config.unitId) {
        this.answer(s, now);
        return;
      }
      this.forwardToB(s.rx, s.rxLen, now);
      return;
    }
    const dir = this.stats.ba;
    dir[STAT_FRAMES_RECEIVED]++;
    this.cleanWithoutBurst(s);
    if (crcOk) {
      s.rxPhase = RX_IDLE;
      s.cleanPending = true;
      s.cleanLen = s.rxLen;
      s.cleanUntil = s.lastRx + this.burstWaitUs;
      this.forwardToA(s.rx, s.rxLen, now);
      return;
    }
    dir[STAT_CRC_FAILURES]++;
    s.rxPhase = RX_AWAIT_BURST;
    s.cleanUntil = NEVER;
    s.awaitUntil = s.lastRx + this.burstWaitUs;
  }

  /** A burst is complete (its own length, or silence, or an invalid header). */
  private burstEnded(s: Side, now: number): void {
    const dir = this.stats.ba;
    const owner = s.burstFor;
    s.rxPhase = RX_IDLE;
    s.burstFor = FOR_NONE;
    if (owner === FOR_CLEAN) s.cleanPending = false;
    const len = s.burstLen;
    if (owner === FOR_NONE || s.burstExpected <= 0 || len !== s.burstExpected) {
      dir[STAT_BURSTS_ORPHANED]++;
      if (owner === FOR_BAD) dir[STAT_UNCORRECTABLE]++;
      return;
    }
    const frameLen = owner === FOR_CLEAN ? s.cleanLen : s.rxLen;
    s.cleanUntil = NEVER;
    s.cleanPending = false;
    if (owner === FOR_CLEAN) {
      // The frame went out already; its burst only tells how much noise hit the parity (the receive buffer still holds
      // the frame, the forwarded copy is in A's output).
      const hit = this.link.verify(s.rx, 0, frameLen, s.burst, 0, len);
      if (hit < 0) {
        if (this.link.frameLength(s.burst, 0, len) !== frameLen) dir[STAT_BURSTS_ORPHANED]++;
        return;
      }
      dir[STAT_BYTES_CORRECTED] += hit;
      dir[STAT_BITS_CORRECTED] += this.link.correctedBits;
      dir[STAT_BITS_CHECKED] += 8 * (frameLen + len);
      return;
    }
    const fixed = this.link.correct(s.rx, 0, frameLen, s.burst, 0, len);
    if (fixed < 0) {
      // LINK_ORPHAN: the burst was for a frame of another length (its own frame was lost); the held frame is dropped too.
      if (fixed === LINK_ORPHAN) dir[STAT_BURSTS_ORPHANED]++;
      dir[STAT_UNCORRECTABLE]++;
      return;
    }
    if (!crcOk(s.rx, frameLen)) {
      // A miscorrection caught by the Modbus CRC (design.md §5); FecReceiver already checks, this is belt and braces.
      dir[STAT_UNCORRECTABLE]++;
      return;
    }
    dir[STAT_BYTES_CORRECTED] += fixed;
    dir[STAT_BITS_CORRECTED] += this.link.correctedBits;
    dir[STAT_BITS_CHECKED] += 8 * (frameLen + len);
    dir[STAT_FRAMES_CORRECTED]++;
    this.forwardToA(s.rx, frameLen, now);
  }

  /**
   * A bad frame got no burst in time: it came from a plain device on the FEC segment (or its burst was lost). It passes
   * through unchanged, as a wire would carry it; the destination's CRC check discards it.
   */
  private noBurst(s: Side, now: number): void {
    s.rxPhase = RX_IDLE;
    this.stats.ba[STAT_BURSTS_MISSING]++;
    this.link.frameWithoutBurst(s.rxLen, false);
    if (this.config.plainDevicesOnB) this.forwardToA(s.rx, s.rxLen, now);
  }

  /** The last clean frame on B got no burst (its window passed, or the next frame began): adaptive, count it. */
  private cleanWithoutBurst(s: Side): void {
    if (!s.cleanPending) return;
    s.cleanPending = false;
    this.link.frameWithoutBurst(s.cleanLen, true);
  }

  /**
   * When the line counts as silent after the last delivery: t3.5 later, or, when the host handed over a full batch (a
   * FIFO-full hand-over: more bytes are on their way), after another batch could have arrived.
   */
  private silenceAt(s: Side): number {
    return s.lastChunkFull ? s.lastRx + this.batchWaitUs : s.lastRx + s.t35Us;
  }

  private rxDeadline(s: Side): number {
    if (receiving(s)) return this.silenceAt(s);
    if (s.rxPhase === RX_AWAIT_BURST) return s.awaitUntil;
    return NO_DEADLINE;
  }

  private rxTimeouts(s: Side, now: number): void {
    if (receiving(s) && now >= this.silenceAt(s)) this.silenceBefore(s, now);
    if (s.rxPhase === RX_AWAIT_BURST && now >= s.awaitUntil) this.noBurst(s, now);
    if (s.cleanPending && now > s.cleanUntil && s.rxPhase !== RX_BURST && s.rxPhase !== RX_MAYBE_BURST) this.cleanWithoutBurst(s);
  }

  // ---- sending ----

  /** Offset of the next free output slot of `s`, or −1 (counted) when all are taken. */
  private freeSlot(s: Side, dir: Float64Array): number {
    if (s.txCount === s.slots) {
      dir[STAT_DROPPED_BUSY]++;
      return -1;
    }
    const k = s.txHead + s.txCount;
    return (k >= s.slots ? k - s.slots : k) * s.slotSize;
  }

  /** Queues the frame now written at slot offset `at` (length `len`, with a burst on side B) and starts it if the side is free. */
  private commit(s: Side, at: number, len: number, now: number): void {
    const k = (at / s.slotSize) | 0;
    s.txLens[k] = len;
    s.txBurstLens[k] = s.isB ? this.link.writeBurst(s.tx, at, len, s.tx, at + MAX_FRAME) : 0;
    if (s.isB && this.config.adaptive) this.stats.noteAdaptive(this.link.lastSentNroots, this.link.lastSentDepth,
      this.link.estimator.feedback(), this.link.chooser.feedback);
    s.txCount++;
    this.txService(s, now);
  }

  private forwardToB(frame: Uint8Array, len: number, now: number): void {
    const s = this.sb;
    const at = this.freeSlot(s, this.stats.ab);
    if (at < 0) return;
    copy(frame, s.tx, at, len);
    this.commit(s, at, len, now);
  }

  private forwardToA(frame: Uint8Array, len: number, now: number): void {
    const s = this.sa;
    const at = this.freeSlot(s, this.stats.ba);
    if (at < 0) return;
    copy(frame, s.tx, at, len);
    this.commit(s, at, len, now);
  }

  /** Earliest time side `s` may be driven (while it is receiving: the silence that would end the reception). */
  private freeAt(s: Side): number {
    if (receiving(s)) return this.silenceAt(s);
    const rx = s.lastRx + s.t35Us;
    const tx = s.lastTx + s.t35Us;
    return rx > tx ? rx : tx;
  }

  private txDeadline(s: Side): number {
    if (s.txPhase === TX_IDLE && s.txCount > 0) return this.freeAt(s);
    if (s.txPhase === TX_GAP) return s.burstAt;
    return NO_DEADLINE;
  }

  private txService(s: Side, now: number): void {
    if (s.txPhase === TX_IDLE) {
      if (s.txCount === 0) return;
      if (receiving(s) || now < this.freeAt(s)) return;
      s.txPhase = TX_FRAME;
      s.txStart = now;
      s.port.transmit(s.tx, s.txHead * s.slotSize, s.txLens[s.txHead]);
      return;
    }
    if (s.txPhase === TX_GAP && now >= s.burstAt) {
      if (receiving(s) || s.lastRx > s.lastTx) {
        // Someone began to talk on B after our frame (a fast reply or noise): never drive a receiving side.
        this.stats.ab[STAT_BURSTS_SKIPPED]++;
        this.nextSlot(s, now);
        return;
      }
      s.txPhase = TX_BURST;
      s.port.transmit(s.tx, s.txHead * s.slotSize + MAX_FRAME, s.txBurstLens[s.txHead]);
    }
  }

  /** The head slot is done: move on (the next frame waits t3.5 after this one, see freeAt). */
  private nextSlot(s: Side, now: number): void {
    s.txPhase = TX_IDLE;
    s.txCount--;
    s.txHead = s.txHead + 1 === s.slots ? 0 : s.txHead + 1;
    this.txService(s, now);
  }

  private sent(s: Side, now: number): void {
    const phase = s.txPhase;
    s.lastTx = now;
    if (phase === TX_FRAME) {
      const dir = s.isB ? this.stats.ab : this.stats.ba;
      dir[STAT_FRAMES_FORWARDED]++;
      dir[STAT_BYTES_FORWARDED] += s.txLens[s.txHead];
      if (s.txBurstLens[s.txHead] > 0) {
        // t3.5 after the frame's last stop bit, computed from when it started (a UART may start up to one bit late),
        // not from the DE drop, which a host with a coarse timer reports up to a tick late.
        const due = s.txStart + s.line.airTimeUs(s.txLens[s.txHead]) + s.bitUs + s.t35Us;
        s.txPhase = TX_GAP;
        s.burstAt = due > now ? due : now;
        return;
      }
      this.nextSlot(s, now);
      return;
    }
    if (phase === TX_BURST) {
      this.stats.ab[STAT_BURSTS_SENT]++;
      this.nextSlot(s, now);
    }
  }

  // ---- the repeater's own unit ----

  private answer(s: Side, now: number): void {
    const at = this.freeSlot(s, this.stats.ab);
    if (at < 0) return;
    const out = s.tx;
    const req = s.rx;
    const fc = req[1];
    let len: number;
    out[at] = req[0];
    if ((fc === 3 || fc === 4) && s.rxLen === 8) {
      const start = (req[2] << 8) | req[3];
      const qty = (req[4] << 8) | req[5];
      if (qty < 1 || qty > 125) len = exception(out, at, fc, 3);
      else if (start + qty > REGISTER_COUNT) len = exception(out, at, fc, 2);
      else {
        out[at + 1] = fc;
        out[at + 2] = 2 * qty;
        len = 3 + this.stats.writeRegisters(start, qty, out, at + 3);
      }
    } else len = exception(out, at, fc, 1);
    const c = crc16(out, at, len);
    out[at + len] = c & 0xff;
    out[at + len + 1] = c >>> 8;
    this.commit(s, at, len + 2, now);
  }
}

/** The CRC register over every byte of the frame so far (zero when it ends in its own CRC); folds what is missing. */
function residue(s: Side): number {
  if (s.rxCrcLen < s.rxLen) {
    s.rxCrc = crc16(s.rx, s.rxCrcLen, s.rxLen - s.rxCrcLen, s.rxCrc);
    s.rxCrcLen = s.rxLen;
  }
  return s.rxCrc;
}

/** The side is receiving a frame, a burst or noise: it must not be driven. */
function receiving(s: Side): boolean {
  const p = s.rxPhase;
  return p === RX_FRAME || p === RX_BURST || p === RX_SKIP || p === RX_MAYBE_BURST;
}

function shifted(t: number, delta: number): number {
  if (t === NEVER) return NEVER;
  const v = t - delta;
  return v < NEVER ? NEVER : v;
}

function rebaseSide(s: Side, delta: number): void {
  s.lastRx = shifted(s.lastRx, delta);
  s.lastByteAt = shifted(s.lastByteAt, delta);
  s.awaitUntil = shifted(s.awaitUntil, delta);
  s.cleanUntil = shifted(s.cleanUntil, delta);
  s.lastTx = shifted(s.lastTx, delta);
  s.burstAt = shifted(s.burstAt, delta);
  s.txStart = shifted(s.txStart, delta);
}

function copy(from: Uint8Array, to: Uint8Array, at: number, length: number): void {
  for (let i = 0; i < length; i++) to[at + i] = from[i];
}

function exception(out: Uint8Array, at: number, fc: number, code: number): number {
  out[at + 1] = (fc | 0x80) & 0xff;
  out[at + 2] = code;
  return 3;
}

function crcOk(buffer: Uint8Array, length: number): boolean {
  return length >= 4 && crc16(buffer, 0, length) === 0;
}

function earliest(a: number, b: number): number {
  if (b === NO_DEADLINE) return a;
  if (a === NO_DEADLINE) return b;
  return a < b ? a : b;
}

export { DIRECTION_AB, DIRECTION_BA };
