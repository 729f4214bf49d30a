/*
 * The R/C repeater field tests of Urrea & Morales 2019 (§4–5), rebuilt in the simulator: one master and three meters at
 * 19200 baud 8N1, each polled once per second, white noise on the bus between meter 2 and meter 3, and three layouts:
 *
 *   none   master, meters 1–3 on one noisy segment                                  (plain Modbus)
 *   test1  master ─ RC1 ═ noisy bus (meters 1, 2) ═ RC2 ─ meter 3                    (paper Figure 7)
 *   test2  master, meters 1, 2, RC1 on a clean segment ═ noisy segment ═ RC2 ─ meter 3 (paper Figure 8)
 *
 * ─ is a short clean segment, ═ a repeater's side B (FEC link). Measurement as in the paper (§4): every reply is a fixed
 * reference message (the meters' registers never change), and what the master received is compared with it bit by bit:
 * BER = error bits / received bits, MER = messages with errors / messages received. Transactions that got no reply at
 * all are timeouts (a repeater drops a frame it cannot repair; the master's retry would handle it, so retries are 0 here
 * to count every transaction once). The repeaters' own BER estimate comes from their statistics.
 *
 * Test tooling for benches and tests (Node only); it allocates freely outside the engines.
 */
import { appendCrc } from "../../modules/rtu/crc16";
import { Master } from "../../modules/master/engine";
import type { MasterResult } from "../../modules/master/result";
import { STATUS_TIMEOUT } from "../../modules/master/status";
import { Repeater } from "../../modules/repeater/engine";
import { repeaterTimeoutBudgetUs, resolveRepeaterConfig, type RepeaterConfig } from "../../modules/repeater/config";
import { burstLengthFor } from "../../modules/repeater/link";
import { DIRECTION_AB, DIRECTION_BA, STAT_COUNT, STAT_NAMES, type RepeaterStats } from "../../modules/repeater/stats";
import { LineTiming } from "../../modules/rtu/timing";
import { ScriptedNode } from "./probe";
import type { Segment } from "./segment";
import type { NoiseOptions } from "./noise";
import { Simulation } from "./simulation";

export type Topology = "none" | "test1" | "test2";

export interface PaperOptions {
  topology: Topology;
  seed?: number;
  /** Polling rounds (one per simulated second). */
  seconds: number;
  /** Probability that a character on the noisy segment is hit (independent bit errors over its 10 bits). */
  characterErrorRate: number;
  /** Holding registers read from each meter (default 40: an 85-byte reply). */
  registers?: number;
  nroots?: number;
  interleave?: number;
  /** Repeater host timer tick (default 1000 µs, as on ESP32). */
  tickUs?: number;
  /** Meter turnaround range, µs (default 10–20 ms). */
  turnaroundUs?: readonly [number, number];
  traceCapacity?: number;
  /** Adaptive FEC strength on both repeaters (docs/fec.md §9); nroots / interleave are then the start setting. */
  adaptive?: boolean;
  /** Noise on the noisy segment instead of the paper's white noise (e.g. Gilbert–Elliott bursts). */
  noise?: NoiseOptions;
}

export interface MeterRow {
  unit: number;
  polls: number;
  /** Replies the master received (any bytes). */
  received: number;
  timeouts: number;
  /** Received replies that differ from the reference. */
  errorMessages: number;
  errorBits: number;
  receivedBits: number;
  ber: number;
  mer: number;
  /** Transactions that ended with a good reply (status OK). */
  ok: number;
}

export interface RepeaterRow {
  name: string;
  counters: Record<string, number>;
  /** Input registers 0–15 of the repeater's own unit (map version, settings, adaptive state). */
  register: number[];
  /** BER estimate of frames received on side B. */
  berEstimate: number;
}

export interface PaperResult {
  topology: Topology;
  rows: MeterRow[];
  repeaters: RepeaterRow[];
  /** Characters hit by noise / characters on the noisy segment. */
  measuredCharacterErrorRate: number;
  /** The trace around the first frame a repeater corrected (empty when none). */
  excerpt: string[];
  responseTimeoutUs: number;
  /** Requests the meters acted on beyond the polls addressed to them (a burst taken for a request would show here; must be 0). */
  meterExtraRequests: number;
  /** Test 2: chunks the meters on the master's clean segment discarded as bad (CRC, too short, malformed): noise or a
   * damaged frame let through onto the clean side (must be 0). */
  cleanSideBadFrames: number;
}

const UNITS = [10, 20, 30];
const BAUD = 19200;

/** Bit error rate per line bit that gives `p` per 10-bit character. */
export function bitRateForCharacterRate(p: number): number {
  return 1 - Math.pow(1 - p, 1 / 10);
}

function registersOf(unit: number, n: number): number[] {
  const regs: number[] = [];
  for (let i = 0; i < n; i++) regs.push((unit * 1000 + i * 7919) & 0xffff);
  return regs;
}

function reference(unit: number, regs: number[]): Uint8Array {
  const b = new Uint8Array(5 + 2 * regs.length);
  b[0] = unit;
  b[1] = 3;
  b[2] = 2 * regs.length;
  regs.forEach((v, i) => {
    b[3 + 2 * i] = v >>> 8;
    b[4 + 2 * i] = v & 0xff;
  });
  appendCrc(b, 0, 3 + 2 * regs.length);
  return b;
}

const POPCOUNT = new Uint8Array(256);
for (let v = 1; v < 256; v++) POPCOUNT[v] = (v & 1) + POPCOUNT[v >> 1];

/** Bits that differ between `got` and the reference; missing or extra bytes count 8 bits each. */
export function bitDifferences(ref: Uint8Array, got: Uint8Array, off: number, len: number): number {
  let bits = 0;
  const n = Math.min(ref.length, len);
  for (let i = 0; i < n; i++) bits += POPCOUNT[ref[i] ^ got[off + i]];
  return bits + 8 * Math.abs(ref.length - len);
}

export function runPaper(options: PaperOptions): PaperResult {
  const registers = options.registers ?? 40;
  const tickUs = options.tickUs ?? 1000;
  const turnaround = options.turnaroundUs ?? [10000, 20000];
  const sim = new Simulation({ seed: options.seed ?? 1, traceCapacity: options.traceCapacity ?? 64 });
  const noise = options.noise ?? { bitErrorRate: bitRateForCharacterRate(options.characterErrorRate) };
  const line = { baud: BAUD, framing: "8N1" as const };
  // Test 2: only the peer repeater on each side B, so a bad frame that gets no burst is noise, dropped (docs/fec.md §8).
  const rcConfig: RepeaterConfig = {
    nroots: options.nroots ?? 4, interleave: options.interleave ?? 1, sideA: line, sideB: line, tickUs, adaptive: options.adaptive,
    plainDevicesOnB: options.topology !== "test2",
  };

  let masterSeg: Segment;
  let noisy: Segment;
  const meterSeg: Segment[] = [];
  const repeaters: { name: string; r: Repeater }[] = [];
  const addRepeater = (name: string, a: Segment, b: Segment, unitId: number) => {
    const host = sim.host({ name, ports: [{ segment: a, name: `${name}.A` }, { segment: b, name: `${name}.B` }], tick: tickUs });
    const r = new Repeater({ ...rcConfig, unitId }, host.port(0), host.port(1));
    host.attach(r, [r.a, r.b]);
    repeaters.push({ name, r });
  };
  if (options.topology === "none") {
    noisy = masterSeg = sim.segment({ name: "bus", ...line, noise });
    meterSeg.push(noisy, noisy, noisy);
  } else if (options.topology === "test1") {
    masterSeg = sim.segment({ name: "m", ...line });
    noisy = sim.segment({ name: "bus", ...line, noise });
    const s3 = sim.segment({ name: "s3", ...line });
    addRepeater("rc1", masterSeg, noisy, 201);
    addRepeater("rc2", s3, noisy, 202);
    meterSeg.push(noisy, noisy, s3);
  } else {
    masterSeg = sim.segment({ name: "bus", ...line });
    noisy = sim.segment({ name: "noisy", ...line, noise });
    const s3 = sim.segment({ name: "s3", ...line });
    addRepeater("rc1", masterSeg, noisy, 201);
    addRepeater("rc2", s3, noisy, 202);
    meterSeg.push(masterSeg, masterSeg, s3);
  }
  const refs = UNITS.map((u) => reference(u, registersOf(u, registers)));
  UNITS.forEach((u, i) => sim.meter(meterSeg[i], { unit: u, name: `m${i + 1}`, holding: registersOf(u, registers), turnaroundUs: turnaround }));

  // Response timeout by the documented rule: turnaround + reply air time + what one R/C pair may add.
  const cfg = resolveRepeaterConfig(rcConfig);
  const replyLength = 5 + 2 * registers;
  const pairs = options.topology === "none" ? 0 : 1;
  const responseTimeoutUs = turnaround[1] + new LineTiming(BAUD, "8N1").airTimeUs(replyLength) +
    repeaterTimeoutBudgetUs(cfg, pairs, 8, replyLength, burstLengthFor, options.topology === "test2" ? replyLength : 0) + 20000;

  const rows: MeterRow[] = UNITS.map((unit) => ({ unit, polls: 0, received: 0, timeouts: 0, errorMessages: 0, errorBits: 0, receivedBits: 0, ber: 0, mer: 0, ok: 0 }));
  let pending = 0;
  let excerpt: string[] = [];
  let excerptAt = -1;
  let correctedSeen = 0;
  // Frames the master-side repeater corrected (the reply the master got was repaired).
  const corrected = () => (repeaters.length > 0 ? repeaters[0].r.stats.ba[3] : 0);
  const listener = {
    completed(result: MasterResult) {
      pending--;
      if (excerptAt < 0 && corrected() > correctedSeen && result.status === 0) excerptAt = sim.now;
      const i = result.tag;
      const row = rows[i];
      if (result.status === STATUS_TIMEOUT && result.frameLength === 0) {
        row.timeouts++;
        return;
      }
      if (result.status === 0) row.ok++;
      if (result.frameLength === 0) {
        row.timeouts++;
        return;
      }
      row.received++;
      const bits = bitDifferences(refs[i], result.frame, result.frameOffset, result.frameLength);
      row.receivedBits += 8 * refs[i].length;
      row.errorBits += bits;
      if (bits > 0) row.errorMessages++;
    },
  };
  const masterHost = sim.host({ name: "master", ports: [{ segment: masterSeg }], tick: tickUs });
  const master = new Master({ baud: BAUD, retries: 0, responseTimeoutUs, offlineAfter: 0, queueCapacity: 8 }, masterHost.port(0), listener);
  masterHost.attach(master);

  for (let s = 0; s < options.seconds; s++) {
    sim.runUntil(s * 1000000 + 1000);
    if (pending === 0) {
      for (let i = 0; i < UNITS.length; i++) {
        if (master.submitRead(UNITS[i], 3, 0, registers, i) === 0) {
          pending++;
          rows[i].polls++;
        }
      }
      sim.poke();
    }
    correctedSeen = corrected();
    sim.runUntil(s * 1000000 + 999000);
    if (excerptAt >= 0 && excerpt.length === 0) {
      // The transaction whose reply was corrected, from its request on: every frame on every segment.
      excerpt = sim.trace.lines().filter((l) => {
        const t = Number(l.trim().split(" ")[0]);
        return t >= excerptAt - 400000 && t <= excerptAt;
      });
      let from = 0;
      for (let i = 0; i < excerpt.length; i++) if (/ master /.test(excerpt[i])) from = i;
      excerpt = excerpt.slice(from);
    }
  }
  for (const row of rows) {
    row.ber = row.receivedBits > 0 ? row.errorBits / row.receivedBits : 0;
    row.mer = row.received > 0 ? row.errorMessages / row.received : 0;
  }
  let meterExtraRequests = 0, cleanSideBadFrames = 0;
  sim.meters.forEach((m, i) => {
    meterExtraRequests += Math.max(0, m.counters.requests - rows[i].polls);
    if (options.topology === "test2" && meterSeg[i] === masterSeg) cleanSideBadFrames += m.counters.ignoredCrc + m.counters.ignoredShort + m.counters.ignoredMalformed;
  });
  return {
    topology: options.topology,
    rows,
    repeaters: repeaters.map(({ name, r }) => ({ name, counters: countersOf(r.stats), register: registersOfStats(r.stats), berEstimate: r.stats.ber(DIRECTION_BA) })),
    measuredCharacterErrorRate: noisy.counters.characters > 0 ? noisy.counters.noisyCharacters / noisy.counters.characters : 0,
    excerpt,
    responseTimeoutUs,
    meterExtraRequests,
    cleanSideBadFrames,
  };
}

function registersOfStats(stats: RepeaterStats): number[] {
  const out: number[] = [];
  for (let i = 0; i < 16; i++) out.push(stats.register(i));
  return out;
}

function countersOf(stats: RepeaterStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < STAT_COUNT; i++) {
    out[`ab.${STAT_NAMES[i]}`] = stats.get(DIRECTION_AB, i);
    out[`ba.${STAT_NAMES[i]}`] = stats.get(DIRECTION_BA, i);
  }
  return out;
}

/** Markdown table of one run. */
export function paperTable(r: PaperResult): string {
  const lines = [
    `| meter | polls | replies | timeouts | MER | BER | good replies |`,
    `|---|---:|---:|---:|---:|---:|---:|`,
  ];
  r.rows.forEach((row, i) => lines.push(`| ${i + 1} (unit ${row.unit}) | ${row.polls} | ${row.received} | ${row.timeouts} | ${(100 * row.mer).toFixed(2)}% | ${row.ber.toExponential(2)} | ${row.ok} |`));
  return lines.join("\n");
}

// ---- one R/C pair across a noisy segment: the benchmark target, and per-hop latency ----

export interface PairOptions {
  /** With the R/C pair (master ─ RC1 ═ noisy ═ RC2 ─ meter) or without (master and meter on the noisy segment). */
  withRc: boolean;
  transactions: number;
  /** Probability that a received byte's value is wrong (noise on its start and data bits). */
  byteErrorRate: number;
  registers?: number;
  nroots?: number;
  interleave?: number;
  seed?: number;
  tickUs?: number;
  /** The repeaters' UARTs: "ideal" (each byte at its stop bit, default) or "esp32" (RX FIFO handed over after 4 characters of silence). */
  rcUart?: "ideal" | "esp32";
  /** Adaptive FEC strength on RC1 (docs/fec.md §9). */
  adaptive?: boolean;
  /** Settings of RC2 (the meter's side) where they differ from RC1's: a fixed or adaptive peer. */
  rc2?: { adaptive?: boolean; nroots?: number; interleave?: number };
  /** Noise on the noisy segment instead of independent errors at byteErrorRate. */
  noise?: NoiseOptions;
  /** Adaptive: the residual frame error rate aimed at (default 1e-3; the link counts as clean after ⌈1/targetFer⌉ clean frames). */
  targetFer?: number;
  /** Count the characters on the noisy segment from the start of this transaction on (default 0). */
  countFrom?: number;
}

export interface PairResult {
  transactions: number;
  failed: number;
  failureRate: number;
  /** Reply bytes the master received with a wrong value / reply bytes received (measured without R/C only). */
  measuredByteErrorRate: number;
  repeater: RepeaterRow | null;
  /** RC2's statistics (with R/C). */
  repeater2: RepeaterRow | null;
  /** The engines themselves (with R/C), for tests that look at their state. */
  engines: Repeater[];
  /** Characters on the noisy segment (frames, bursts, noise) from transaction `countFrom` on, and those transactions. */
  noisyCharacters: number;
  countedTransactions: number;
}

/** Bit error rate per line bit so that a byte's value (start bit + 8 data bits) is wrong with probability `p`. */
export function bitRateForByteRate(p: number): number {
  return 1 - Math.pow(1 - p, 1 / 9);
}

/** Probability that more than t = nroots/2 of n + nroots symbols are hit, each with probability p (binomial). */
export function binomialFailure(n: number, nroots: number, p: number): number {
  const total = n + nroots;
  let ok = 0;
  let term = Math.pow(1 - p, total);
  for (let k = 0; k <= nroots / 2; k++) {
    ok += term;
    term = (term * (total - k) * p) / ((k + 1) * (1 - p));
  }
  return 1 - ok;
}

export function runPair(options: PairOptions): PairResult {
  const registers = options.registers ?? 40;
  const tickUs = options.tickUs ?? 1000;
  const sim = new Simulation({ seed: options.seed ?? 1, traceCapacity: 8 });
  const line = { baud: BAUD, framing: "8N1" as const };
  const noise = options.noise ?? { bitErrorRate: bitRateForByteRate(options.byteErrorRate) };
  let masterSeg: Segment;
  let meterSeg: Segment;
  let noisySeg: Segment;
  let rc: Repeater | null = null;
  let rc2: Repeater | null = null;
  const esp32 = options.rcUart === "esp32";
  const rcConfig: RepeaterConfig = {
    nroots: options.nroots ?? 4, interleave: options.interleave ?? 1, sideA: line, sideB: line, tickUs,
    rxLatencyUs: esp32 ? 4 * new LineTiming(BAUD, "8N1").characterUs : 0, rxBatchBytes: esp32 ? 120 : 0,
    adaptive: options.adaptive, targetFer: options.targetFer,
  };
  const rc2Config: RepeaterConfig = { ...rcConfig, ...(options.rc2 ?? {}) };
  if (options.withRc) {
    masterSeg = sim.segment({ name: "m", ...line });
    const noisy = noisySeg = sim.segment({ name: "noisy", ...line, noise });
    meterSeg = sim.segment({ name: "s", ...line });
    for (const [name, a] of [["rc1", masterSeg], ["rc2", meterSeg]] as const) {
      const uart = esp32 ? "esp32" as const : "ideal" as const;
      const host = sim.host({ name, ports: [{ segment: a, uart }, { segment: noisy, uart }], tick: tickUs });
      const r = new Repeater(name === "rc1" ? rcConfig : rc2Config, host.port(0), host.port(1));
      host.attach(r, [r.a, r.b]);
      if (name === "rc1") rc = r;
      else rc2 = r;
    }
  } else masterSeg = meterSeg = noisySeg = sim.segment({ name: "noisy", ...line, noise });
  const regs = registersOf(30, registers);
  const ref = reference(30, regs);
  sim.meter(meterSeg, { unit: 30, holding: regs, turnaroundUs: [10000, 20000] });
  const cfg = resolveRepeaterConfig(rcConfig), cfg2 = resolveRepeaterConfig(rc2Config);
  const budget = Math.max(repeaterTimeoutBudgetUs(cfg, 1, 8, ref.length, burstLengthFor), repeaterTimeoutBudgetUs(cfg2, 1, 8, ref.length, burstLengthFor));
  const responseTimeoutUs = 20000 + cfg.lineA.airTimeUs(ref.length) + (options.withRc ? budget : 0) + 20000;
  let done = 0;
  let failed = 0;
  let bytes = 0;
  let badBytes = 0;
  const countFrom = options.countFrom ?? 0;
  let charactersBefore = 0;
  const masterHost = sim.host({ name: "master", ports: [{ segment: masterSeg }], tick: tickUs });
  const master: Master = new Master({ baud: BAUD, retries: 0, responseTimeoutUs, offlineAfter: 0 }, masterHost.port(0), {
    completed(result: MasterResult) {
      done++;
      if (result.status !== 0) failed++;
      if (result.frameLength === ref.length) {
        bytes += ref.length;
        for (let i = 0; i < ref.length; i++) if (result.frame[result.frameOffset + i] !== ref[i]) badBytes++;
      }
      if (done === countFrom) charactersBefore = noisySeg.counters.characters;
      if (done < options.transactions) master.submitRead(30, 3, 0, registers, 0);
    },
  });
  masterHost.attach(master);
  master.submitRead(30, 3, 0, registers, 0);
  sim.runUntilTrue(() => done >= options.transactions, options.transactions * 2000000);
  return {
    transactions: done,
    failed,
    failureRate: done > 0 ? failed / done : 0,
    measuredByteErrorRate: bytes > 0 ? badBytes / bytes : 0,
    repeater: rc ? { name: "rc1", counters: countersOf((rc as Repeater).stats), register: registersOfStats((rc as Repeater).stats), berEstimate: (rc as Repeater).stats.ber(DIRECTION_BA) } : null,
    repeater2: rc2 ? { name: "rc2", counters: countersOf((rc2 as Repeater).stats), register: registersOfStats((rc2 as Repeater).stats), berEstimate: (rc2 as Repeater).stats.ber(DIRECTION_BA) } : null,
    engines: [rc, rc2].filter((r): r is Repeater => r !== null),
    noisyCharacters: noisySeg.counters.characters - charactersBefore,
    countedTransactions: Math.max(0, done - countFrom),
  };
}

export interface LatencyRow {
  hop: string;
  frames: number;
  /** Frame air time on the outgoing line, µs. */
  airUs: number;
  meanUs: number;
  maxUs: number;
  /** The target for this hop, µs (issue 6). */
  targetUs: number;
}

/**
 * Per-hop delay of a repeater pair, measured from each frame's last stop bit on one segment to its last stop bit on the
 * next (ideal UARTs on sniffers hand every byte over at its stop bit): seg m ─ RC1 ═ seg noisy ═ RC2 ─ seg s. Frames that
 * arrive clean at RC2 and frames RC2 had to correct are reported apart. Frames are `frameLength`-byte read replies.
 */
export function measureLatency(options: { frames: number; frameLength: number; byteErrorRate: number; seed?: number; tickUs?: number; nroots?: number; rcUart?: "ideal" | "esp32" }): LatencyRow[] {
  const tickUs = options.tickUs ?? 1000;
  const uart = options.rcUart ?? "ideal";
  const rxLatencyUs = uart === "esp32" ? 4 * new LineTiming(BAUD, "8N1").characterUs : 0;
  const sim = new Simulation({ seed: options.seed ?? 5, traceCapacity: 8 });
  const line = { baud: BAUD, framing: "8N1" as const };
  const segM = sim.segment({ name: "m", ...line });
  const noisy = sim.segment({ name: "noisy", ...line, noise: { bitErrorRate: bitRateForByteRate(options.byteErrorRate) } });
  const segS = sim.segment({ name: "s", ...line });
  const rcConfig: RepeaterConfig = { nroots: options.nroots ?? 4, sideA: line, sideB: line, tickUs, rxLatencyUs, rxBatchBytes: uart === "esp32" ? 120 : 0 };
  for (const [name, a] of [["rc1", segM], ["rc2", segS]] as const) {
    const host = sim.host({ name, ports: [{ segment: a, uart }, { segment: noisy, uart }], tick: tickUs });
    const r = new Repeater(rcConfig, host.port(0), host.port(1));
    host.attach(r, [r.a, r.b]);
  }
  const node = (segment: Segment, name: string) => {
    const host = sim.host({ name, ports: [{ segment }], tick: 0 });
    const n = new ScriptedNode(host.port(0));
    host.attach(n);
    return n;
  };
  const src = node(segM, "src");
  const spyB = node(noisy, "spyB");
  const dst = node(segS, "dst");
  const regs = (options.frameLength - 5) >> 1;
  const frame = reference(1, registersOf(1, regs));
  const period = Math.max(200000, 4 * new LineTiming(BAUD, "8N1").airTimeUs(frame.length));
  for (let k = 0; k < options.frames; k++) src.send(10000 + k * period, frame);
  sim.runUntil(10000 + options.frames * period + period);
  const timing = new LineTiming(BAUD, "8N1");
  const cfg = resolveRepeaterConfig(rcConfig);
  // Group sniffed bytes into frames (a gap over t1.5 ends one).
  const frames = (n: ScriptedNode) => {
    const out: { end: number; bytes: number[] }[] = [];
    let cur: { end: number; bytes: number[] } | null = null;
    for (const b of n.batches) {
      if (cur && b.time - b.bytes.length * timing.characterUs - cur.end <= timing.t15Us) {
        cur.bytes.push(...b.bytes);
        cur.end = b.time;
      } else {
        cur = { end: b.time, bytes: Array.from(b.bytes) };
        out.push(cur);
      }
    }
    return out;
  };
  const onB = frames(spyB).filter((f) => f.bytes.length === frame.length && f.bytes[0] < 248);
  const onS = frames(dst).filter((f) => f.bytes.length === frame.length);
  const hopAB: number[] = [];
  const clean: number[] = [];
  const corrected: number[] = [];
  for (let k = 0; k < options.frames; k++) {
    const end1 = src.transmittedAt[k] !== undefined ? 10000 + k * period + timing.airTimeUs(frame.length) : -1;
    const b = onB.find((f) => f.end > end1 && f.end < end1 + period / 2 + 40000);
    if (!b) continue;
    hopAB.push(b.end - end1);
    const s = onS.find((f) => f.end > b.end && f.end < b.end + period / 2 + 40000);
    if (!s || s.bytes.some((v, i) => v !== frame[i])) continue;
    const wasClean = b.bytes.every((v, i) => v === frame[i]);
    (wasClean ? clean : corrected).push(s.end - b.end);
  }
  const air = timing.airTimeUs(frame.length);
  const burstAir = timing.airTimeUs(burstLengthFor(frame.length, cfg.nroots, cfg.interleave));
  const row = (hop: string, xs: number[], targetUs: number): LatencyRow => ({
    hop, frames: xs.length, airUs: air, meanUs: xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0,
    maxUs: xs.length ? Math.max(...xs) : 0, targetUs,
  });
  // The targets of issue 6, plus the UART's hand-over delay when it batches (a property of the host, not the engine).
  return [
    row("RC1 A→B (frame out on the FEC link)", hopAB, air + timing.characterUs + rxLatencyUs),
    row("RC2 B→A, frame arrived clean", clean, air + timing.characterUs + rxLatencyUs),
    row("RC2 B→A, frame corrected from its burst", corrected, air + timing.t35Us + burstAir + 1000 + rxLatencyUs),
  ];
}
