/*
 * Seeded line noise for one segment.
 *
 * Theory of operation:
 *  - Independent bit errors with probability `bitErrorRate` on every bit of every character on the line, start and stop
 *    bits included (so framing errors and lost or shifted characters happen, see character.ts). Instead of one draw per
 *    bit, a geometric skip counts the clean bits before the next error: one PRNG draw per error, whatever the rate.
 *  - Bursts: a Poisson process of `burstsPerSecond`, each `burstUs` long. Every bit whose middle falls inside a burst is
 *    flipped with probability 1/2. A burst on an idle line is also heard as random characters (one per character time).
 *  - Gilbert–Elliott bursts (`burstShape: "exponential"`): the line alternates between a good state (only the independent
 *    bit errors above) and a bad state in which every bit whose middle falls inside it is flipped with probability
 *    `burstBitErrorRate` (default 1/2). Good periods are exponential with mean 1/burstsPerSecond (bursts arrive as a
 *    Poisson process while the line is good), bad periods exponential with mean `burstUs` (rounded up to whole µs). The
 *    physical picture: impulsive interference (supraharmonic emission of EV chargers and PV inverters, 2–150 kHz) coupled
 *    into the pair in bursts of some tens of µs, which hit one to three characters at 9600–115200 baud (docs/fec.md §9.1).
 *  - Spurious characters: a Poisson process of `spuriousPerSecond`; one random character if the line is idle then
 *    (a driven line is low impedance, so such a spike only matters when no one drives).
 * Every draw comes from the segment's own PRNG stream, so adding a node elsewhere does not change this segment's noise.
 */
import type { Prng } from "../../modules/common/prng";
import type { LineTiming } from "../../modules/rtu/timing";
import type { CharacterCodec } from "./character";
import type { EventQueue, EventTarget } from "./events";

/**
 * What the noise model needs of the segment it disturbs (segment.ts implements it). Declared here, not imported from
 * segment.ts, so the segment depends on its noise and not the other way round: no import cycle.
 */
export interface NoisyLine extends EventTarget {
  readonly timing: LineTiming;
  readonly codec: CharacterCodec;
  readonly queue: EventQueue;
  readonly counters: { bitErrors: number; bursts: number };
  /** Flips each bit of the character `v` sent from `start` whose middle lies in [from, to) with probability `h` (default 1/2). */
  scramble(v: number, start: number, from: number, to: number, h?: number): number;
  /** Starts `count` random characters at `now` if the line is idle. */
  startNoise(count: number, now: number): void;
}

export interface NoiseOptions {
  /** Probability that any one bit on the line is inverted (0 ≤ p < 1). */
  bitErrorRate?: number;
  /** Mean number of bursts per second of simulated time. */
  burstsPerSecond?: number;
  /** Length of one burst in µs (default: 4 character times). */
  burstUs?: number;
  /** Mean number of spurious characters per second on an idle line. */
  spuriousPerSecond?: number;
  /** "fixed" (default): every burst lasts burstUs; "exponential": Gilbert–Elliott bad periods of mean burstUs. */
  burstShape?: "fixed" | "exponential";
  /** Probability that a bit under a burst is flipped (0 < h ≤ 1, default 0.5). */
  burstBitErrorRate?: number;
}

const BURST = 10;
const SPURIOUS = 11;

function rate(value: unknown, field: string, max: number): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !(value >= 0 && value < max)) throw new RangeError(`noise.${field} must be a number from 0 to below ${max}, got ${value}`);
  return value;
}

export class NoiseModel {
  readonly bitErrorRate: number;
  readonly burstsPerSecond: number;
  readonly burstUs: number;
  readonly spuriousPerSecond: number;
  readonly burstShape: "fixed" | "exponential";
  readonly burstBitErrorRate: number;
  private skip: number;
  private burstStart = -1;
  private burstEnd = -1;

  constructor(private readonly segment: NoisyLine, private readonly prng: Prng, options: NoiseOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("noise must be an object { bitErrorRate?, burstsPerSecond?, burstUs?, spuriousPerSecond? }");
    this.bitErrorRate = rate(options.bitErrorRate, "bitErrorRate", 1);
    this.burstsPerSecond = rate(options.burstsPerSecond, "burstsPerSecond", 1e6);
    this.spuriousPerSecond = rate(options.spuriousPerSecond, "spuriousPerSecond", 1e6);
    const burstUs = options.burstUs ?? 4 * segment.timing.characterUs;
    if (!Number.isInteger(burstUs) || burstUs < 1) throw new RangeError(`noise.burstUs must be an integer >= 1 (µs), got ${burstUs}`);
    this.burstUs = burstUs;
    const shape = options.burstShape ?? "fixed";
    if (shape !== "fixed" && shape !== "exponential") throw new RangeError(`noise.burstShape must be "fixed" or "exponential", got ${String(shape)}`);
    this.burstShape = shape;
    const h = options.burstBitErrorRate ?? 0.5;
    if (typeof h !== "number" || !(h > 0 && h <= 1)) throw new RangeError(`noise.burstBitErrorRate must be a number above 0 and at most 1, got ${String(h)}`);
    this.burstBitErrorRate = h;
    this.skip = this.nextSkip();
    if (this.burstsPerSecond > 0) segment.queue.at(segment.queue.now + this.prng.exponential(1e6 / this.burstsPerSecond), segment, BURST, 0);
    if (this.spuriousPerSecond > 0) segment.queue.at(segment.queue.now + this.prng.exponential(1e6 / this.spuriousPerSecond), segment, SPURIOUS, 0);
  }

  /** Clean bits before the next bit error, kept a small integer (a skip beyond 2^30 bits is redrawn when it runs out). */
  private nextSkip(): number {
    const k = this.prng.geometric(this.bitErrorRate);
    return k < 0x40000000 ? k : 0x40000000;
  }

  /** Applies bit errors and any burst to the bit vector of a character on the line during [start, end). */
  corrupt(v: number, start: number, end: number): number {
    const bits = this.segment.codec.bits;
    if (this.bitErrorRate === 0) {
      // no independent bit errors
    } else if (this.skip < bits) {
      let i = 0;
      while (this.skip < bits - i) {
        i += this.skip;
        v ^= 1 << i;
        this.segment.counters.bitErrors++;
        i++;
        this.skip = this.nextSkip();
      }
      this.skip -= bits - i;
    } else this.skip -= bits;
    if (this.burstEnd > start && this.burstStart < end) v = this.segment.scramble(v, start, this.burstStart, this.burstEnd, this.burstBitErrorRate);
    return v;
  }

  fire(kind: number, _arg: number, now: number): void {
    const segment = this.segment;
    if (kind === BURST) {
      segment.counters.bursts++;
      const length = this.burstShape === "fixed" ? this.burstUs : this.prng.exponential(this.burstUs);
      this.burstStart = now;
      this.burstEnd = now + length;
      segment.startNoise(Math.ceil(length / segment.timing.characterUs), now);
      // Gilbert–Elliott: the next burst can only begin once the line is good again.
      const from = this.burstShape === "fixed" ? now : this.burstEnd;
      segment.queue.at(from + this.prng.exponential(1e6 / this.burstsPerSecond), segment, BURST, 0);
    } else if (kind === SPURIOUS) {
      segment.startNoise(1, now);
      segment.queue.at(now + this.prng.exponential(1e6 / this.spuriousPerSecond), segment, SPURIOUS, 0);
    }
  }
}
