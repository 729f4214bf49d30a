/*
 * Configuration of the R/C repeater (modules/repeater/engine.ts), validated once before anything starts, and the timing rules
 * that follow from it.
 *
 * Theory of operation. A repeater sits between side A (plain Modbus RTU, toward the master or toward protected slaves)
 * and side B (the FEC link across a noisy segment, design.md §5). Each side has its own baud rate and framing (Modbus over
 * Serial Line V1.02 §2.5.1: t1.5 / t3.5 from the character time). The parity burst that follows every frame sent on B
 * leaves after the frame's t3.5 silence (Urrea & Morales 2019, §3) and, because the host timer has a resolution of
 * `tickUs`, up to one tick later. The receiver on B waits that long plus two characters for a burst to begin before it
 * gives up on a frame whose CRC failed.
 *
 * Response-timeout rule (documented in docs/fec.md): a request and its reply each cross every R/C pair once. A clean
 * frame gains at most its own air time plus one character per repeater it passes (store and forward); a frame that has
 * to be corrected gains at most its air time + t3.5 + one host tick + the burst's air time + one character. The master's
 * response timeout must cover the worst case of both directions on top of the slave's own turnaround:
 * `repeaterTimeoutBudgetUs` computes it (plus one frame ahead in the output queue when other slaves share the master's
 * side A) and `checkMasterTimeout` returns a warning text when a timeout is shorter.
 */
import { BAUD_RATES, FRAMING_BITS, LineTiming, type Framing } from "../rtu/timing";

export interface RepeaterSideConfig {
  /** Line speed in bit/s, one of BAUD_RATES. */
  readonly baud: number;
  /** Character framing, one of the keys of FRAMING_BITS. */
  readonly framing: Framing;
}

export interface RepeaterConfig {
  /** Reed–Solomon parity symbols per codeword: an even number from 2 to 16 (default 4, RS(255,251)). */
  readonly nroots?: number;
  /** Interleaving depth of the codeword split (default 1 = no interleaving); see docs/fec.md. */
  readonly interleave?: number;
  /** The repeater's own Modbus unit, answered on side A: 1–247, or 0 for none (default 0). */
  readonly unitId?: number;
  /** Plain Modbus side. */
  readonly sideA: RepeaterSideConfig;
  /** FEC link side. */
  readonly sideB: RepeaterSideConfig;
  /** Host timer resolution in µs (0 = exact timer, default 1000 as on ESP32); 0–20000. */
  readonly tickUs?: number;
  /** How late the host delivers received bytes after their last stop bit, in µs (0 for a byte-wise UART; about four
   * character times for the ESP32 RX-timeout FIFO); 0–20000, default 0. */
  readonly rxLatencyUs?: number;
  /** The host also hands bytes over as soon as this many are buffered (ESP32: its RX FIFO threshold, 120); 0 = never
   * (default). After such a full batch more bytes may follow with no silence, so the engine waits longer before it
   * ends a frame by silence. 0–1024. */
  readonly rxBatchBytes?: number;
  /** Frames each side's output can hold while the line is busy (default 4, 1–16). A transparent repeater forwards every
   * frame, so a request can arrive while the previous reply is still being repeated. */
  readonly queueFrames?: number;
  /** Adaptive FEC strength (docs/fec.md §9): version-2 bursts whose nroots and depth follow the peer's feedback (default
   * false: version-1 bursts at the fixed nroots / interleave). nroots / interleave are then the start setting. */
  readonly adaptive?: boolean;
  /** Adaptive: residual frame error rate to aim at, 1e-6..0.5 (default 1e-3). */
  readonly targetFer?: number;
  /** Adaptive: strongest setting allowed (defaults 8 and 4); timing budgets use it. */
  readonly maxNroots?: number;
  readonly maxInterleave?: number;
  /** Plain Modbus devices share side B (paper test 1; default true): a bad frame that gets no burst is passed through to
   * side A as a wire would carry it. false (only the peer repeater on B, paper test 2): it is dropped and counted, so
   * noise on an idle FEC segment never reaches side A. */
  readonly plainDevicesOnB?: boolean;
}

export const NROOTS_MIN = 2;
export const NROOTS_MAX = 16;
export const INTERLEAVE_MIN = 1;
export const INTERLEAVE_MAX = 8;
export const TICK_MAX_US = 20000;

export interface ResolvedRepeaterConfig {
  readonly nroots: number;
  readonly interleave: number;
  readonly unitId: number;
  readonly tickUs: number;
  readonly rxLatencyUs: number;
  readonly rxBatchBytes: number;
  readonly queueFrames: number;
  readonly adaptive: boolean;
  readonly targetFer: number;
  readonly maxNroots: number;
  readonly maxInterleave: number;
  readonly plainDevicesOnB: boolean;
  readonly lineA: LineTiming;
  readonly lineB: LineTiming;
}

function intIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

function side(value: RepeaterSideConfig | undefined, field: string): LineTiming {
  if (value === undefined || value === null || typeof value !== "object")
    throw new TypeError(`${field} must be an object { baud, framing }`);
  if (BAUD_RATES.indexOf(value.baud) < 0)
    throw new RangeError(`${field}.baud must be one of ${BAUD_RATES.join(", ")}, got ${String(value.baud)}`);
  if (typeof value.framing !== "string" || !Object.prototype.hasOwnProperty.call(FRAMING_BITS, value.framing))
    throw new RangeError(`${field}.framing must be one of ${Object.keys(FRAMING_BITS).join(", ")}, got ${String(value.framing)}`);
  return new LineTiming(value.baud, value.framing);
}

/**
 * Validates a repeater configuration; throws TypeError/RangeError naming the field and the allowed values. The site
 * configuration's `repeater` section (modules/site/site.ts passes it through) is exactly this object: pass `"$.repeater."` as
 * `path` so that messages name the field by its JSON path.
 */
export function resolveRepeaterConfig(config: RepeaterConfig, path: string = ""): ResolvedRepeaterConfig {
  if (config === undefined || config === null || typeof config !== "object") throw new TypeError(`${path || "repeater config "}must be an object`);
  const nroots = intIn(config.nroots, `${path}nroots`, NROOTS_MIN, NROOTS_MAX, 4);
  if (nroots % 2 !== 0) throw new RangeError(`${path}nroots must be even (2, 4, … 16), got ${nroots}`);
  const interleave = intIn(config.interleave, `${path}interleave`, INTERLEAVE_MIN, INTERLEAVE_MAX, 1);
  const unitId = intIn(config.unitId, `${path}unitId`, 0, 247, 0);
  const tickUs = intIn(config.tickUs, `${path}tickUs`, 0, TICK_MAX_US, 1000);
  const rxLatencyUs = intIn(config.rxLatencyUs, `${path}rxLatencyUs`, 0, TICK_MAX_US, 0);
  const queueFrames = intIn(config.queueFrames, `${path}queueFrames`, 1, 16, 4);
  const rxBatchBytes = intIn(config.rxBatchBytes, `${path}rxBatchBytes`, 0, 1024, 0);
  if (config.adaptive !== undefined && typeof config.adaptive !== "boolean") throw new TypeError(`${path}adaptive must be true or false, got ${String(config.adaptive)}`);
  const adaptive = config.adaptive === true;
  const targetFer = config.targetFer ?? 1e-3;
  if (typeof targetFer !== "number" || !(targetFer >= 1e-6 && targetFer <= 0.5)) throw new RangeError(`${path}targetFer must be a number from 1e-6 to 0.5, got ${String(config.targetFer)}`);
  const maxNroots = intIn(config.maxNroots, `${path}maxNroots`, NROOTS_MIN, NROOTS_MAX, adaptive ? Math.max(8, nroots) : nroots);
  if (maxNroots % 2 !== 0 || maxNroots < nroots) throw new RangeError(`${path}maxNroots must be even and at least nroots (${nroots}), got ${maxNroots}`);
  const maxInterleave = intIn(config.maxInterleave, `${path}maxInterleave`, INTERLEAVE_MIN, INTERLEAVE_MAX, adaptive ? Math.max(4, interleave) : interleave);
  if (maxInterleave < interleave) throw new RangeError(`${path}maxInterleave must be at least interleave (${interleave}), got ${maxInterleave}`);
  if (config.plainDevicesOnB !== undefined && typeof config.plainDevicesOnB !== "boolean") throw new TypeError(`${path}plainDevicesOnB must be true or false, got ${String(config.plainDevicesOnB)}`);
  const plainDevicesOnB = config.plainDevicesOnB !== false;
  return Object.freeze({
    nroots, interleave, unitId, tickUs, rxLatencyUs, rxBatchBytes, queueFrames, adaptive, targetFer, maxNroots, maxInterleave,
    plainDevicesOnB,
    lineA: side(config.sideA, `${path}sideA`), lineB: side(config.sideB, `${path}sideB`),
  });
}

/** Parity burst length on the wire for a frame of `frameLength` bytes (supplied by the FEC link, see modules/fec/link.ts). */
export type BurstLengthRule = (frameLength: number, nroots: number, interleave: number) => number;

/**
 * Worst-case time one frame of `frameLength` bytes gains crossing one repeater, in µs, measured from its last stop bit on
 * the incoming side to its last stop bit on the outgoing side (store and forward: the frame's air time on the outgoing
 * line plus one character of reaction). `fromA` true: side A to side B (the frame goes out at once, its burst follows and
 * delays nothing). `fromA` false and `corrected`: the frame waits for its burst: t3.5 + one host tick + the burst's air time
 * on B (+ the host's receive latency) before it goes out on A.
 */
export function hopDelayUs(cfg: ResolvedRepeaterConfig, fromA: boolean, frameLength: number, burstLength: number, corrected: boolean): number {
  const out = fromA ? cfg.lineB : cfg.lineA;
  const clean = out.airTimeUs(frameLength) + out.characterUs + cfg.rxLatencyUs;
  if (fromA || !corrected) return clean;
  return clean + cfg.lineB.t35Us + cfg.tickUs + cfg.lineB.airTimeUs(burstLength);
}

/**
 * The share of a master's response timeout taken by R/C pairs: the request and the reply each cross `pairs` pairs (two
 * repeaters each: one A→B hop, one B→A hop that may have to correct). When other slaves share the master's side A of a
 * repeater, that repeater also repeats their replies, so a request may have to wait behind one of them in the output
 * queue: pass the longest such reply as `aheadLength` (0 when the master is alone on side A). Add the slave's turnaround
 * and the reply's own air time for the whole timeout.
 */
/** The longest burst this repeater may send for a frame: its fixed setting, or adaptive, the strongest allowed (version 2). */
export function longestBurst(cfg: ResolvedRepeaterConfig, frameLength: number, burstLength: BurstLengthRule): number {
  return cfg.adaptive ? burstLength(frameLength, cfg.maxNroots, cfg.maxInterleave) + 3 : burstLength(frameLength, cfg.nroots, cfg.interleave);
}

export function repeaterTimeoutBudgetUs(cfg: ResolvedRepeaterConfig, pairs: number, requestLength: number, replyLength: number,
  burstLength: BurstLengthRule, aheadLength: number = 0): number {
  const b = cfg.lineB;
  const reqBurst = longestBurst(cfg, requestLength, burstLength);
  const repBurst = longestBurst(cfg, replyLength, burstLength);
  const req = hopDelayUs(cfg, true, requestLength, reqBurst, false) + hopDelayUs(cfg, false, requestLength, reqBurst, true);
  const rep = hopDelayUs(cfg, true, replyLength, repBurst, false) + hopDelayUs(cfg, false, replyLength, repBurst, true);
  const ahead = aheadLength > 0
    ? b.airTimeUs(aheadLength) + 2 * b.t35Us + cfg.tickUs + b.airTimeUs(longestBurst(cfg, aheadLength, burstLength))
    : 0;
  return pairs * (req + rep + ahead);
}

/**
 * Config check for the master side: returns "" when `responseTimeoutUs` (measured by the master from the end of its
 * request) covers the slave turnaround, the reply's air time on the master's line and the R/C budget; else a one-line
 * warning with the minimum.
 */
export function checkMasterTimeout(cfg: ResolvedRepeaterConfig, pairs: number, requestLength: number, replyLength: number,
  slaveTurnaroundUs: number, responseTimeoutUs: number, burstLength: BurstLengthRule, aheadLength: number = 0): string {
  const need = slaveTurnaroundUs + cfg.lineA.airTimeUs(replyLength) +
    repeaterTimeoutBudgetUs(cfg, pairs, requestLength, replyLength, burstLength, aheadLength);
  if (responseTimeoutUs >= need) return "";
  return `master response timeout ${responseTimeoutUs} µs is shorter than the ${need} µs a ${replyLength}-byte reply may take across ${pairs} R/C pair(s) (turnaround ${slaveTurnaroundUs} µs); raise it to at least ${Math.ceil(need / 1000)} ms`;
}

/**
 * Config check for the slaves on a repeater's side B (design.md §5: the burst must be over before any device replies):
 * returns "" when a slave that starts answering `minTurnaroundUs` after a request's last stop bit cannot collide with the
 * request's parity burst (sent t3.5 + one bit after the request, up to one host tick late), else a one-line warning.
 */
export function checkSlaveTurnaround(cfg: ResolvedRepeaterConfig, requestLength: number, minTurnaroundUs: number, burstLength: BurstLengthRule): string {
  const b = cfg.lineB;
  const burstEnd = b.t35Us + Math.ceil(1000000 / b.baud) + cfg.tickUs + b.airTimeUs(longestBurst(cfg, requestLength, burstLength));
  if (minTurnaroundUs > burstEnd) return "";
  return `slave turnaround ${minTurnaroundUs} µs on side B is not longer than the ${burstEnd} µs the parity burst of a ${requestLength}-byte request may last (nroots ${cfg.nroots}, interleave ${cfg.interleave}, tick ${cfg.tickUs} µs): replies would collide with it`;
}
