/*
 * Statistics of the R/C repeater, per direction, and their Modbus input-register map.
 *
 * Theory of operation. The engine counts into one preallocated Float64Array per direction (exact integers up to 2^53, so
 * counters never wrap inside the engine). Direction AB is frames received on side A (plain Modbus) and sent on side B
 * with parity; direction BA is frames received on side B (the FEC link) and sent on side A after a CRC check and, where
 * needed, Reed–Solomon correction (design.md §5; Urrea & Morales 2019 §4 measure BER and message error rate on the R/C).
 * The repeater's own Modbus unit serves them as input registers (function 04, and 03 for masters that only read holding
 * registers; MODBUS Application Protocol V1.1b3 §6.3/§6.4): every counter is 32 bits in two registers, high word first,
 * modulo 2^32. The map (docs/fec.md, "Repeater statistics registers"):
 *
 *   0 map version (1)   1 nroots   2 interleave depth   3 own unit id   4 adaptive (0/1)   5–6 nroots and depth of
 *   the last burst sent   7–8 feedback byte sent and heard (docs/fec.md §9)   9–15 reserved (0)
 *   16–47 direction AB: counter i at 16 + 2i      48–79 direction BA: counter i at 48 + 2i
 *
 * The bit-error-rate estimate is bitsCorrected / bitsChecked, in parts per 10^9: bitsChecked counts the bits of every
 * frame + burst whose parity was checked (clean, corrected, or verified after a clean forward); frames that could not be
 * corrected are left out of both terms, so the estimate is a lower bound when many frames are beyond repair.
 */
import type { LinkStats } from "../forwarding/status-json";

/** Counter indices inside one direction (rules as data: the register map follows this order). */
export const STAT_FRAMES_RECEIVED = 0;
export const STAT_FRAMES_FORWARDED = 1;
export const STAT_CRC_FAILURES = 2;
export const STAT_FRAMES_CORRECTED = 3;
export const STAT_BYTES_CORRECTED = 4;
export const STAT_BITS_CORRECTED = 5;
export const STAT_UNCORRECTABLE = 6;
export const STAT_BURSTS_MISSING = 7;
export const STAT_BURSTS_ORPHANED = 8;
export const STAT_BURSTS_SENT = 9;
export const STAT_BURSTS_SKIPPED = 10;
export const STAT_BITS_CHECKED = 11;
export const STAT_BER_PPB = 12;
export const STAT_DROPPED_BUSY = 13;
export const STAT_RX_WHILE_TX = 14;
export const STAT_BYTES_FORWARDED = 15;
export const STAT_COUNT = 16;

/** Names of the counters, in index order (for the host, docs and traces). */
export const STAT_NAMES: readonly string[] = Object.freeze([
  "framesReceived", "framesForwarded", "crcFailures", "framesCorrected", "bytesCorrected", "bitsCorrected", "uncorrectable",
  "burstsMissing", "burstsOrphaned", "burstsSent", "burstsSkipped", "bitsChecked", "berPpb", "droppedBusy", "rxWhileTx",
  "bytesForwarded",
]);

export const DIRECTION_AB = 0;
export const DIRECTION_BA = 1;

export const REG_MAP_VERSION = 0;
export const REG_NROOTS = 1;
export const REG_INTERLEAVE = 2;
export const REG_UNIT_ID = 3;
/** Adaptive strength (docs/fec.md §9): 1 when on; the setting of the last burst sent; the feedback bytes sent and heard. */
export const REG_ADAPTIVE = 4;
export const REG_TX_NROOTS = 5;
export const REG_TX_DEPTH = 6;
export const REG_FEEDBACK_SENT = 7;
export const REG_FEEDBACK_HEARD = 8;
export const REG_DIRECTION_BASE: readonly number[] = Object.freeze([16, 48]);
export const REGISTER_COUNT = 80;
export const MAP_VERSION = 1;

/** Counters of one FEC-protected segment, in the shape the status API serves (GET /api/links). */
export type RepeaterLinkStats = LinkStats;

export class RepeaterStats {
  /** Counters of direction AB (index DIRECTION_AB) and BA; read them through `get`. */
  readonly ab = new Float64Array(STAT_COUNT);
  readonly ba = new Float64Array(STAT_COUNT);
  readonly nroots: number;
  readonly interleave: number;
  readonly unitId: number;
  /** Adaptive strength: on (1) or off (0), the last burst's setting and the feedback bytes (registers 4–8). */
  adaptive = 0;
  txNroots: number;
  txDepth: number;
  feedbackSent = 0;
  feedbackHeard = 0;

  constructor(nroots: number, interleave: number, unitId: number) {
    this.nroots = nroots;
    this.interleave = interleave;
    this.unitId = unitId;
    this.txNroots = nroots;
    this.txDepth = interleave;
  }

  /** The repeater sent an adaptive burst at (nroots, depth) carrying `sent`; `heard` is the peer's latest feedback. */
  noteAdaptive(nroots: number, depth: number, sent: number, heard: number): void {
    this.txNroots = nroots;
    this.txDepth = depth;
    this.feedbackSent = sent;
    this.feedbackHeard = heard;
  }

  direction(d: number): Float64Array {
    return d === DIRECTION_AB ? this.ab : this.ba;
  }

  /** Counter `index` of direction `d` (the BER estimate is computed on read). */
  get(d: number, index: number): number {
    const c = this.direction(d);
    if (index === STAT_BER_PPB) return this.berPpb(d);
    return c[index];
  }

  /** Bit-error-rate estimate of direction `d` as a fraction (0 when nothing was checked). */
  ber(d: number): number {
    const c = this.direction(d);
    return c[STAT_BITS_CHECKED] > 0 ? c[STAT_BITS_CORRECTED] / c[STAT_BITS_CHECKED] : 0;
  }

  berPpb(d: number): number {
    return Math.round(this.ber(d) * 1e9);
  }

  reset(): void {
    this.ab.fill(0);
    this.ba.fill(0);
  }

  /**
   * The FEC side as a link for the status API and forwarders: frames received on B, damaged on arrival, repaired, and
   * left damaged (dropped, or passed through without a burst). Allocates: for status requests, not the byte path.
   */
  linkStats(name: string): RepeaterLinkStats {
    const c = this.ba;
    return {
      name, kind: "fec", frames: c[STAT_FRAMES_RECEIVED], errors: c[STAT_CRC_FAILURES], corrected: c[STAT_FRAMES_CORRECTED],
      uncorrectable: c[STAT_CRC_FAILURES] - c[STAT_FRAMES_CORRECTED], timeouts: 0,
    };
  }

  /** Value of input register `address` (0 ≤ address < REGISTER_COUNT). */
  register(address: number): number {
    if (address === REG_MAP_VERSION) return MAP_VERSION;
    if (address === REG_NROOTS) return this.nroots;
    if (address === REG_INTERLEAVE) return this.interleave;
    if (address === REG_UNIT_ID) return this.unitId;
    if (address === REG_ADAPTIVE) return this.adaptive;
    if (address === REG_TX_NROOTS) return this.txNroots;
    if (address === REG_TX_DEPTH) return this.txDepth;
    if (address === REG_FEEDBACK_SENT) return this.feedbackSent;
    if (address === REG_FEEDBACK_HEARD) return this.feedbackHeard;
    for (let d = 0; d < 2; d++) {
      const rel = address - REG_DIRECTION_BASE[d];
      if (rel >= 0 && rel < 2 * STAT_COUNT) {
        const v = this.get(d, rel >> 1) % 4294967296;
        return (rel & 1) === 0 ? Math.floor(v / 65536) : v % 65536;
      }
    }
    return 0;
  }

  /** Writes `quantity` registers from `start` big-endian into `out` at `offset`; returns the byte count. */
  writeRegisters(start: number, quantity: number, out: Uint8Array, offset: number): number {
    for (let i = 0; i < quantity; i++) {
      const v = this.register(start + i);
      out[offset + 2 * i] = v >>> 8;
      out[offset + 2 * i + 1] = v & 0xff;
    }
    return 2 * quantity;
  }
}
