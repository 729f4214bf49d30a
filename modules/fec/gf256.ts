/*
 * GF(2^8) arithmetic for the rc485 Reed–Solomon code (docs/fec.md §1; design.md §5): field polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11D) with primitive element α = 2, the field libfec uses for init_rs_char(8, 0x11d, …).
 *
 * Theory of operation: every non-zero element is a power of α, so a product is a sum of logarithms. GF_EXP holds α^k for
 * k = 0..509 (two periods, so a sum of two logarithms needs no modulo) followed by zeros up to index 1023, and GF_LOG[0]
 * is the sentinel GF_LOG_ZERO = 510: any sum that involves the logarithm of 0 lands in the zero tail, so
 * GF_EXP[GF_LOG[a] + GF_LOG[b]] is the product for every a and b without a branch. GF_QUADRATIC_ROOT[c] is a root y of
 * y^2 + y = c (the other root is y ^ 1), or 0 when there is none (c = 0 or trace(c) = 1); the Reed–Solomon fast path uses
 * it to find two error locations without a Chien search.
 *
 * The tables are built once at module top level so that a Moddable `preload` freezes them into flash; values fit int32.
 * (JavaScript cannot Object.freeze a typed array that has elements, so on Node they are exported as plain typed arrays:
 * nothing may write to them.)
 */

/** Logarithm of zero: GF_EXP is 0 from here on, so sums involving it yield 0. */
export const GF_LOG_ZERO = 510;

function makeTables(): { exp: Uint8Array; log: Uint16Array } {
  const exp = new Uint8Array(1024);
  const log = new Uint16Array(256);
  let x = 1;
  for (let k = 0; k < 255; k++) {
    exp[k] = x;
    exp[k + 255] = x;
    log[x] = k;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  log[0] = GF_LOG_ZERO;
  return { exp, log };
}

const tables = makeTables();
/** α^k for k in 0..509; 0 for k in 510..1023. */
export const GF_EXP: Uint8Array = tables.exp;
/** log_α(a) for a in 1..255; GF_LOG_ZERO for 0. */
export const GF_LOG: Uint16Array = tables.log;

function makeQuadraticRoots(): Uint8Array {
  const roots = new Uint8Array(256);
  for (let y = 2; y < 256; y++) {
    const c = GF_EXP[GF_LOG[y] + GF_LOG[y]] ^ y;
    if (roots[c] === 0) roots[c] = y;
  }
  return roots;
}
/** A root y (≥ 2) of y^2 + y = c, the other being y ^ 1; 0 when the equation has no root in the field (or c = 0). */
export const GF_QUADRATIC_ROOT: Uint8Array = makeQuadraticRoots();

/** a · b. */
export function gfMul(a: number, b: number): number {
  return GF_EXP[GF_LOG[a] + GF_LOG[b]];
}

/** a / b; b must not be 0 (returns 0 then). */
export function gfDiv(a: number, b: number): number {
  if (b === 0) return 0;
  return GF_EXP[GF_LOG[a] + 255 - GF_LOG[b]];
}

/** α^k for any integer k ≥ 0. */
export function gfPow(k: number): number {
  return GF_EXP[k % 255];
}
