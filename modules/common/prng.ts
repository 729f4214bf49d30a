/*
 * A small seeded pseudo-random generator for simulations and jittered schedules (modules/ must not use Math.random).
 *
 * Theory of operation: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021): four
 * 32-bit words of state, period 2^128 - 1, only 32-bit integer operations (Math.imul, shifts), so XS keeps every value an
 * integer. The seed is expanded into the state with the splitmix32 finaliser so that nearby seeds give unrelated streams.
 * For rare events the caller asks for a geometric skip (how many trials pass before the next success) instead of drawing
 * once per trial: one draw per event, however small the probability.
 *
 * Not for cryptography. Allocation-free after construction.
 */

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed`: any integer (only its low 32 bits matter). */
  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    let s = seed | 0;
    this.a = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.b = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.c = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.d = splitmix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max] (both included; max >= min). */
  nextRange(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /**
   * Number of failed Bernoulli(p) trials before the next success (geometric distribution on 0, 1, 2, ...).
   * p <= 0 gives Infinity (never), p >= 1 gives 0.
   */
  geometric(p: number): number {
    if (p <= 0) return Infinity;
    if (p >= 1) return 0;
    const u = 1 - this.nextFloat(); // (0, 1]
    return Math.floor(Math.log(u) / Math.log1p(-p));
  }

  /** Exponentially distributed interval with the given mean (a Poisson process's gap), rounded up to an integer >= 1. */
  exponential(mean: number): number {
    const u = 1 - this.nextFloat();
    const x = Math.ceil(-Math.log(u) * mean);
    return x < 1 ? 1 : x;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
