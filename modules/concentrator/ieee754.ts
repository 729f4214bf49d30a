/*
 * IEEE 754 binary32 / binary64 numbers from and to their bit patterns, by arithmetic alone.
 *
 * Theory of operation. IEEE 754-2008 §3.4: a binary32 pattern is sign (1 bit), biased exponent E (8 bits, bias 127) and
 * trailing significand T (23 bits); binary64 is 1 + 11 (bias 1023) + 52. For 0 < E < max the value is
 * (−1)^s × (2^p + T) × 2^(E − bias − p) (p = 23 or 52), for E = 0 it is (−1)^s × T × 2^(1 − bias − p) (zero and
 * subnormals), and E = max is ±Infinity (T = 0) or NaN. The significand is an integer below 2^53, so a JS number holds it
 * exactly, and scaling it by a power of two is exact whenever the result is representable — which every decoded value is.
 * The power of two comes from read-only tables built at preload: 2^(E − 150) for each binary32 exponent, and for binary64
 * 2^r (r < 32) and 2^(32q − 1074), multiplied in the order that keeps the intermediate exact: no Math.pow, no scratch.
 *
 * Why not a DataView: a scratch ArrayBuffer/DataView at module level is frozen into flash when the module is preloaded
 * (Moddable SDK documentation/xs/XS linker warnings.md: preloaded DataView and TypedArray instances throw on write), and a
 * scratch per caller costs RAM per codec. Encoding (float → pattern) rounds with Math.fround for binary32 and finds the
 * exponent by comparison against the same tables.
 */

/**
 * F32_SCALE[E] = 2^(E − 150) for a binary32 biased exponent E = 1..254, and F32_SCALE[0] = 2^−149 (subnormals): a normal
 * pattern's value is (2^23 + T) × F32_SCALE[E]. Exported for decoders that inline the normal case (modules/concentrator/values.ts).
 */
export const F32_SCALE: Readonly<Float64Array> = new Float64Array(256);
/** FINE[r] = 2^r for r = 0..31. */
const FINE = new Float64Array(32);
/** COARSE[q] = 2^(32q − 1074) for q = 0..65 (COARSE[0] is the smallest subnormal, 2^−1074). */
const COARSE = new Float64Array(66);
{
  let p = 1;
  for (let r = 0; r < 32; r++) { FINE[r] = p; p *= 2; }
  let tiny = 1;
  for (let i = 0; i < 1074; i++) tiny /= 2; // exact: halving a power of two down to 2^-1074
  let c = tiny;
  for (let q = 0; q < 66; q++) { COARSE[q] = c; c *= 4294967296; }
  let f = tiny;
  for (let i = 0; i < 925; i++) f *= 2; // 2^-149
  const scale = F32_SCALE as Float64Array;
  scale[0] = f;
  for (let e = 1; e < 256; e++) { scale[e] = f; f *= 2; }
}

/**
 * m × 2^e, exact when the result is representable: m a non-negative integer below 2^53 (so m × 2^r, r < 32, is exact),
 * e from −1074 to 1023.
 */
function scaleByPow2(m: number, e: number): number {
  const k = e + 1074;
  return m * FINE[k & 31] * COARSE[k >> 5];
}

/** a × 2^n for any finite a ≠ 0 whose result is an integer below 2^53: in two halves, so no step overflows or underflows. */
function timesPow2(a: number, n: number): number {
  const h = n >> 1;
  return a * scaleByPow2(1, h) * scaleByPow2(1, n - h);
}

/**
 * The binary32 value of a 32-bit pattern given as an int32 (as `|` and `<<` produce it; bit 31 is the sign). One table
 * read and one multiplication: this is the decode path of every f32 register value.
 */
export function float32FromBits(bits: number): number {
  const exponent = (bits >> 23) & 0xff;
  if (exponent === 0xff) return (bits & 0x7fffff) !== 0 ? NaN : bits < 0 ? -Infinity : Infinity;
  const v = (exponent === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000) * F32_SCALE[exponent];
  return bits < 0 ? -v : v;
}

/** The binary64 value of a pattern given as its high and low 32-bit halves. */
export function float64FromWords(hi: number, lo: number): number {
  const exponent = (hi >>> 20) & 0x7ff;
  const t = (hi & 0xfffff) * 4294967296 + (lo >>> 0);
  const sign = (hi >>> 31) !== 0 ? -1 : 1;
  if (exponent === 0x7ff) return t === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * scaleByPow2(t, -1074);
  return sign * scaleByPow2(t + 4503599627370496, exponent - 1075);
}

/** The exponent e with 2^e ≤ a < 2^(e+1), for finite a > 0 (−1074 for the smallest subnormal). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (e > 1023) e = 1023;
  if (e < -1074) e = -1074;
  // log2 may be off by one near powers of two: settle it against the exact tables.
  while (e > -1074 && scaleByPow2(1, e) > a) e--;
  while (e < 1023 && scaleByPow2(1, e + 1) <= a) e++;
  return e;
}

/** The binary32 pattern (0..2^32−1) of `value` rounded to binary32 (NaN gives the quiet NaN 0x7FC00000). */
export function float32Bits(value: number): number {
  const v = Math.fround(value);
  if (v !== v) return 0x7fc00000;
  const signBit = v < 0 || (v === 0 && 1 / v < 0) ? 0x80000000 : 0;
  const a = v < 0 ? -v : v;
  if (a === Infinity) return signBit + 0x7f800000;
  if (a === 0) return signBit;
  const e = exponentOf(a);
  if (e < -126) return signBit + timesPow2(a, 149); // subnormal: T = a × 2^149
  return signBit + (e + 127) * 0x800000 + (timesPow2(a, 23 - e) - 0x800000);
}

/** The high 32 bits (0..2^32−1) of `value`'s binary64 pattern (NaN gives the quiet NaN 0x7FF80000_00000000). */
export function float64High(value: number): number {
  if (value !== value) return 0x7ff80000;
  const signBit = value < 0 || (value === 0 && 1 / value < 0) ? 0x80000000 : 0;
  const a = value < 0 ? -value : value;
  if (a === Infinity) return signBit + 0x7ff00000;
  if (a === 0) return signBit;
  const e = exponentOf(a);
  if (e < -1022) return signBit + Math.floor(timesPow2(a, 1074) / 4294967296);
  return signBit + (e + 1023) * 0x100000 + Math.floor((timesPow2(a, 52 - e) - 4503599627370496) / 4294967296);
}

/** The low 32 bits (0..2^32−1) of `value`'s binary64 pattern. */
export function float64Low(value: number): number {
  if (value !== value || value === Infinity || value === -Infinity || value === 0) return 0;
  const a = value < 0 ? -value : value;
  const e = exponentOf(a);
  const t = e < -1022 ? timesPow2(a, 1074) : timesPow2(a, 52 - e);
  return t % 4294967296;
}
