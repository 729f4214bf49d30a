/*
 * Register value codecs: numbers in engineering units from the data bytes of a read response, and back.
 *
 * Theory of operation. MODBUS Application Protocol V1.1b3 §4.2 and §6.3/§6.4: a register is 16 bits sent high byte first;
 * FC01/FC02 responses pack bits (coils, discrete inputs) eight per byte, the first one in the least significant bit
 * (§6.1/§6.2). Wider values span consecutive registers in an order the standard leaves to the device, so every value has an
 * `order`: ABCD (high word first, big-endian bytes: the common default), CDAB (low word first), BADC (bytes swapped in each
 * word) and DCBA (fully little-endian). For 64-bit values the same letters name word order and byte order. As codes:
 * bit 0 = word order reversed, bit 1 = bytes swapped in each word.
 *
 * Buffers: the codecs work on BYTES exactly as they appear on the wire (a Uint8Array and the offset of the value's first
 * register, register r of a block at offset + 2r, high byte first), so a master decodes straight out of its response buffer
 * and an emulator encodes straight into its reply: nothing is copied into a word array.
 *
 * Value = raw × scale × 10^(exponent + extra), where `extra` is the signed decimal-point register some meters publish next
 * to a value (the caller reads it with readRaw() and passes it in). Integer types treat the type's all-ones / maximum
 * pattern as "not available" (u16 0xFFFF, s16 0x7FFF, u32 0xFFFFFFFF, s32 0x7FFFFFFF, u64 all ones, s64 0x7FFF…F), and
 * floats NaN or ±Infinity; a profile may list more raw sentinels. Those decode to NaN, as does a read that would fall outside
 * the buffer and an extra exponent beyond ±MAX_EXTRA_EXPONENT (wire garbage must not turn into 1e300 kWh).
 *
 * Allocation-free and scratch-free: 64-bit integers are assembled from two 32-bit halves (exact up to 2^53, the precision of
 * a JS number), and floats from their bit patterns by arithmetic (modules/concentrator/ieee754.ts). No module-level buffer is written
 * at run time: this module is preloaded, and a preloaded DataView or typed array is read-only on the device.
 */

import { F32_SCALE, float32Bits, float32FromBits, float64FromWords, float64High, float64Low } from "./ieee754";

/** Type codes (index into the tables below). */
export const TYPE_U16 = 0;
export const TYPE_S16 = 1;
export const TYPE_U32 = 2;
export const TYPE_S32 = 3;
export const TYPE_U64 = 4;
export const TYPE_S64 = 5;
export const TYPE_F32 = 6;
export const TYPE_F64 = 7;
export const TYPE_BOOL = 8;

export type ValueTypeName = "u16" | "s16" | "u32" | "s32" | "u64" | "s64" | "f32" | "f64" | "bool";
export type OrderName = "ABCD" | "CDAB" | "BADC" | "DCBA";

/** Names by type code, and the registers each type occupies (bool: one register, or one bit for FC01/FC02). */
export const TYPE_NAMES: readonly ValueTypeName[] = Object.freeze(["u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64", "bool"]);
export const TYPE_WORDS: Readonly<Uint8Array> = Uint8Array.of(1, 1, 2, 2, 4, 4, 2, 4, 1);
/** 1 for integer types (encode rounds), 0 for floats and bool. */
const TYPE_INTEGER = Uint8Array.of(1, 1, 1, 1, 1, 1, 0, 0, 0);
/** Smallest and largest raw value of each type (64-bit bounds are those of a JS number's exact integers). */
const TYPE_MIN = Float64Array.of(0, -32768, 0, -2147483648, 0, -9007199254740991, -Infinity, -Infinity, 0);
const TYPE_MAX = Float64Array.of(65535, 32767, 4294967295, 2147483647, 9007199254740991, 9007199254740991, Infinity, Infinity, 1);

/** The default "not available" raw of each type that a double holds exactly (NaN: none, or checked otherwise). */
export const TYPE_SENTINEL: Readonly<Float64Array> = Float64Array.of(65535, 32767, 4294967295, 2147483647, NaN, NaN, Infinity, Infinity, NaN);

export const ORDER_ABCD = 0;
export const ORDER_CDAB = 1;
export const ORDER_BADC = 2;
export const ORDER_DCBA = 3;
export const ORDER_NAMES: readonly OrderName[] = Object.freeze(["ABCD", "CDAB", "BADC", "DCBA"]);

/** Largest |extra| exponent accepted from a decimal-point register. */
export const MAX_EXTRA_EXPONENT = 20;

/** Type code from its name, or -1. */
export function typeCode(name: string): number {
  return TYPE_NAMES.indexOf(name as ValueTypeName);
}

/** Order code from its name, or -1. */
export function orderCode(name: string): number {
  return ORDER_NAMES.indexOf(name as OrderName);
}

/** POW10[i] = 10^i for i = 0..40 (read-only: built at preload); scalePow10 uses it below |e| = 41, Math.pow beyond. */
export const POW10: Readonly<Float64Array> = new Float64Array(41);
(POW10 as Float64Array)[0] = 1;
for (let i = 1; i < POW10.length; i++) (POW10 as Float64Array)[i] = POW10[i - 1] * 10;

/** x × 10^e; divides for negative e, so 2305 × 10^-1 is exactly 230.5. */
export function scalePow10(x: number, e: number): number {
  if (e === 0) return x;
  if (e > 0) return e < POW10.length ? x * POW10[e] : x * Math.pow(10, e);
  return -e < POW10.length ? x / POW10[-e] : x / Math.pow(10, -e);
}

/**
 * Byte permutations: PERMn[order × 2n + j] is the offset, within an n-register value laid out in `order`, of the j-th
 * byte of the big-endian (ABCD) representation. One table lookup per byte instead of per-word arithmetic in the decode
 * path.
 */
function permutation(n: number): Uint8Array {
  const t = new Uint8Array(4 * 2 * n);
  for (let order = 0; order < 4; order++) {
    for (let k = 0; k < n; k++) {
      const w = (order & 1) !== 0 ? n - 1 - k : k;
      const swap = (order & 2) !== 0;
      t[order * 2 * n + 2 * k] = 2 * w + (swap ? 1 : 0);
      t[order * 2 * n + 2 * k + 1] = 2 * w + (swap ? 0 : 1);
    }
  }
  return t;
}
const PERM1 = permutation(1);
const PERM2 = permutation(2);
const PERM4 = permutation(4);

/** Word k (0 = most significant) of an n-word value at `offset`, after undoing `order`. */
function wordAt(b: Uint8Array, offset: number, n: number, order: number, k: number): number {
  const p = offset + 2 * ((order & 1) !== 0 ? n - 1 - k : k);
  return (order & 2) !== 0 ? (b[p + 1] << 8) | b[p] : (b[p] << 8) | b[p + 1];
}

/** Stores word k (0 = most significant) of an n-word value at `offset` in `order`. */
function putWord(b: Uint8Array, offset: number, n: number, order: number, k: number, w: number): void {
  const p = offset + 2 * ((order & 1) !== 0 ? n - 1 - k : k);
  if ((order & 2) !== 0) { b[p] = w & 0xff; b[p + 1] = (w >>> 8) & 0xff; } else { b[p] = (w >>> 8) & 0xff; b[p + 1] = w & 0xff; }
}

/** True when `n` registers starting at byte `offset` lie inside `b`. */
function fits(b: Uint8Array, offset: number, n: number): boolean {
  return Number.isInteger(offset) && offset >= 0 && offset + 2 * n <= b.length;
}

/**
 * The raw number (before scaling) of a value of `type` in `order` at byte `offset`. Bool reads one register and returns
 * it whole (use bitOfRegister). Returns NaN when the value would extend past the buffer. Does not apply sentinels.
 */
export function readRaw(type: number, order: number, b: Uint8Array, offset: number): number {
  const n = TYPE_WORDS[type];
  if (n === undefined || !fits(b, offset, n)) return NaN;
  switch (type) {
    case TYPE_U16: case TYPE_BOOL: {
      const o = order << 1;
      return (b[offset + PERM1[o]] << 8) | b[offset + PERM1[o + 1]];
    }
    case TYPE_S16: {
      const o = order << 1;
      return (((b[offset + PERM1[o]] << 8) | b[offset + PERM1[o + 1]]) << 16) >> 16;
    }
    case TYPE_U32: case TYPE_S32: {
      const o = order << 2;
      const v = (b[offset + PERM2[o]] << 24) | (b[offset + PERM2[o + 1]] << 16) | (b[offset + PERM2[o + 2]] << 8) | b[offset + PERM2[o + 3]];
      return type === TYPE_S32 ? v : v >>> 0;
    }
    case TYPE_F32: {
      const o = order << 2;
      const bits = (b[offset + PERM2[o]] << 24) | (b[offset + PERM2[o + 1]] << 16) | (b[offset + PERM2[o + 2]] << 8) | b[offset + PERM2[o + 3]];
      // Normal numbers inline (the common case: one table read, one multiplication); zero, subnormals, ±Infinity and NaN
      // through float32FromBits.
      const e = (bits >> 23) & 0xff;
      if (e === 0 || e === 0xff) return float32FromBits(bits);
      const v = ((bits & 0x7fffff) | 0x800000) * F32_SCALE[e];
      return bits < 0 ? -v : v;
    }
    case TYPE_U64: case TYPE_S64: case TYPE_F64: {
      const o = order << 3;
      const hi = (b[offset + PERM4[o]] << 24) | (b[offset + PERM4[o + 1]] << 16) | (b[offset + PERM4[o + 2]] << 8) | b[offset + PERM4[o + 3]];
      const lo = (b[offset + PERM4[o + 4]] << 24) | (b[offset + PERM4[o + 5]] << 16) | (b[offset + PERM4[o + 6]] << 8) | b[offset + PERM4[o + 7]];
      if (type === TYPE_F64) return float64FromWords(hi, lo);
      return (type === TYPE_S64 ? hi : hi >>> 0) * 4294967296 + (lo >>> 0);
    }
  }
  return NaN;
}

/**
 * readRaw() written into `out[slot]` instead of returned: the decode path of every polled value (LatestValues.update).
 * On V8 a double returned from a call that is not inlined is boxed (a 16-byte HeapNumber per value); one stored into
 * a typed array is not. The bounds check is inline (no call per value: fewer XS computrons than readRaw), and binary32
 * patterns of every kind (normal, zero, subnormal, ±Infinity, NaN) are decoded here without a call.
 */
export function readRawInto(type: number, order: number, b: Uint8Array, offset: number, out: Float64Array, slot: number): void {
  const n = TYPE_WORDS[type];
  if (n === undefined || !(offset >= 0) || offset + 2 * n > b.length || (offset | 0) !== offset) { out[slot] = NaN; return; }
  switch (type) {
    case TYPE_F32: {
      const o = order << 2;
      const bits = (b[offset + PERM2[o]] << 24) | (b[offset + PERM2[o + 1]] << 16) | (b[offset + PERM2[o + 2]] << 8) | b[offset + PERM2[o + 3]];
      const e = (bits >> 23) & 0xff;
      if (e === 0xff) { out[slot] = (bits & 0x7fffff) !== 0 ? NaN : bits < 0 ? -Infinity : Infinity; return; }
      const m = e === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000;
      out[slot] = bits < 0 ? -(m * F32_SCALE[e]) : m * F32_SCALE[e];
      return;
    }
    case TYPE_U16: case TYPE_BOOL: {
      const o = order << 1;
      out[slot] = (b[offset + PERM1[o]] << 8) | b[offset + PERM1[o + 1]];
      return;
    }
    case TYPE_S16: {
      const o = order << 1;
      out[slot] = (((b[offset + PERM1[o]] << 8) | b[offset + PERM1[o + 1]]) << 16) >> 16;
      return;
    }
    case TYPE_U32: case TYPE_S32: {
      const o = order << 2;
      const v = (b[offset + PERM2[o]] << 24) | (b[offset + PERM2[o + 1]] << 16) | (b[offset + PERM2[o + 2]] << 8) | b[offset + PERM2[o + 3]];
      out[slot] = type === TYPE_S32 ? v : v >>> 0;
      return;
    }
    default: {
      const o = order << 3;
      const hi = (b[offset + PERM4[o]] << 24) | (b[offset + PERM4[o + 1]] << 16) | (b[offset + PERM4[o + 2]] << 8) | b[offset + PERM4[o + 3]];
      const lo = (b[offset + PERM4[o + 4]] << 24) | (b[offset + PERM4[o + 5]] << 16) | (b[offset + PERM4[o + 6]] << 8) | b[offset + PERM4[o + 7]];
      if (type === TYPE_F64) out[slot] = float64FromWords(hi, lo);
      else out[slot] = (type === TYPE_S64 ? hi : hi >>> 0) * 4294967296 + (lo >>> 0);
    }
  }
}

/**
 * True when the value at `offset` carries the type's default "not available" pattern (see the header). Checked on the
 * words themselves, so 64-bit patterns are exact.
 */
export function isDefaultSentinel(type: number, order: number, b: Uint8Array, offset: number): boolean {
  const n = TYPE_WORDS[type];
  if (n === undefined || !fits(b, offset, n)) return true;
  switch (type) {
    case TYPE_U16: return wordAt(b, offset, 1, order, 0) === 0xffff;
    case TYPE_S16: return wordAt(b, offset, 1, order, 0) === 0x7fff;
    case TYPE_U32: case TYPE_U64: case TYPE_S32: case TYPE_S64: {
      const signed = type === TYPE_S32 || type === TYPE_S64;
      if (wordAt(b, offset, n, order, 0) !== (signed ? 0x7fff : 0xffff)) return false;
      for (let k = 1; k < n; k++) if (wordAt(b, offset, n, order, k) !== 0xffff) return false;
      return true;
    }
    case TYPE_F32: case TYPE_F64: {
      const v = readRaw(type, order, b, offset);
      return v !== v || v === Infinity || v === -Infinity;
    }
  }
  return false;
}

/**
 * Writes the raw number `raw` of `type` in `order` at byte `offset`; returns the bytes written (2 × registers), or 0 when
 * the value would not fit in the buffer. Integer raws are rounded and must lie in the type's range (RangeError otherwise:
 * encoding is for emulators and tests, where an out-of-range value is a programmer error). NaN writes the type's default
 * sentinel.
 */
export function writeRaw(type: number, order: number, raw: number, b: Uint8Array, offset: number): number {
  const n = TYPE_WORDS[type];
  if (n === undefined) throw new RangeError(`type code must be 0..${TYPE_NAMES.length - 1}, got ${type}`);
  if (!fits(b, offset, n)) return 0;
  if (raw !== raw) return writeSentinel(type, order, b, offset);
  if (TYPE_INTEGER[type] === 1 || type === TYPE_BOOL) {
    raw = Math.round(raw);
    if (raw < TYPE_MIN[type] || raw > TYPE_MAX[type]) {
      throw new RangeError(`raw value ${raw} is outside ${TYPE_NAMES[type]} (${TYPE_MIN[type]}..${TYPE_MAX[type]})`);
    }
  }
  switch (type) {
    case TYPE_U16: case TYPE_S16: case TYPE_BOOL: putWord(b, offset, 1, order, 0, raw & 0xffff); break;
    case TYPE_U32: case TYPE_S32: {
      const v = raw < 0 ? raw + 4294967296 : raw;
      putWord(b, offset, 2, order, 0, Math.floor(v / 65536) & 0xffff);
      putWord(b, offset, 2, order, 1, v & 0xffff);
      break;
    }
    case TYPE_U64: case TYPE_S64: {
      // Two's complement of a negative value from its two 32-bit halves.
      let hi = Math.floor(raw / 4294967296);
      let lo = raw - hi * 4294967296;
      if (hi < 0) hi += 4294967296;
      putWord(b, offset, 4, order, 0, Math.floor(hi / 65536) & 0xffff);
      putWord(b, offset, 4, order, 1, hi & 0xffff);
      putWord(b, offset, 4, order, 2, Math.floor(lo / 65536) & 0xffff);
      putWord(b, offset, 4, order, 3, lo & 0xffff);
      break;
    }
    case TYPE_F32: {
      const bits = float32Bits(raw);
      putWord(b, offset, 2, order, 0, bits >>> 16);
      putWord(b, offset, 2, order, 1, bits & 0xffff);
      break;
    }
    case TYPE_F64: {
      const hi = float64High(raw), lo = float64Low(raw);
      putWord(b, offset, 4, order, 0, hi >>> 16);
      putWord(b, offset, 4, order, 1, hi & 0xffff);
      putWord(b, offset, 4, order, 2, lo >>> 16);
      putWord(b, offset, 4, order, 3, lo & 0xffff);
      break;
    }
  }
  return 2 * n;
}

function writeSentinel(type: number, order: number, b: Uint8Array, offset: number): number {
  const n = TYPE_WORDS[type];
  if (type === TYPE_F32 || type === TYPE_F64) {
    // Canonical quiet NaN: 0x7FC00000 / 0x7FF8000000000000.
    putWord(b, offset, n, order, 0, type === TYPE_F32 ? 0x7fc0 : 0x7ff8);
    for (let k = 1; k < n; k++) putWord(b, offset, n, order, k, 0);
    return 2 * n;
  }
  const signed = type === TYPE_S16 || type === TYPE_S32 || type === TYPE_S64;
  putWord(b, offset, n, order, 0, signed ? 0x7fff : 0xffff);
  for (let k = 1; k < n; k++) putWord(b, offset, n, order, k, 0xffff);
  return 2 * n;
}

/** Bit `index` of an FC01/FC02 response's packed data (first bit in the least significant bit of the first byte). */
export function packedBit(b: Uint8Array, offset: number, index: number): boolean {
  const p = offset + (index >> 3);
  if (index < 0 || p < 0 || p >= b.length) return false;
  return ((b[p] >> (index & 7)) & 1) === 1;
}

/** Sets or clears bit `index` of packed coil/input data. */
export function setPackedBit(b: Uint8Array, offset: number, index: number, value: boolean): void {
  const p = offset + (index >> 3);
  if (index < 0 || p < 0 || p >= b.length) return;
  if (value) b[p] |= 1 << (index & 7); else b[p] &= ~(1 << (index & 7)) & 0xff;
}

/** A field of `width` bits starting at bit `shift` (0 = least significant) of a register word. */
export function bitField(word: number, shift: number, width: number): number {
  return (word >>> shift) & ((1 << width) - 1);
}

/**
 * One point's decoding rule, compiled once from its profile entry. Holds numbers only, so decode() allocates nothing.
 *   bit: -1 for a whole value; 0..15 for one bit of a register (type bool on FC03/FC04); -2 for an FC01/FC02 bit.
 */
export class ValueCodec {
  readonly type: number;
  readonly order: number;
  readonly words: number;
  readonly bit: number;
  readonly scale: number;
  readonly exponent: number;
  readonly invalid: Float64Array;

  constructor(type: number, order: number, bit = -1, scale = 1, exponent = 0, invalid: readonly number[] = []) {
    if (!(type >= 0 && type < TYPE_NAMES.length) || !Number.isInteger(type)) throw new RangeError(`type must be a type code 0..${TYPE_NAMES.length - 1}, got ${type}`);
    if (!(order >= 0 && order <= 3) || !Number.isInteger(order)) throw new RangeError(`order must be an order code 0..3 (ABCD, CDAB, BADC, DCBA), got ${order}`);
    if (!(bit === -2 || (bit >= -1 && bit <= 15)) || !Number.isInteger(bit)) throw new RangeError(`bit must be -2 (packed), -1 (none) or 0..15, got ${bit}`);
    if (bit !== -1 && type !== TYPE_BOOL) throw new RangeError(`bit is only for type bool, got type ${TYPE_NAMES[type]}`);
    if (!Number.isFinite(scale) || scale === 0) throw new RangeError(`scale must be a finite non-zero number, got ${scale}`);
    if (!Number.isInteger(exponent) || Math.abs(exponent) > 40) throw new RangeError(`exponent must be an integer from -40 to 40, got ${exponent}`);
    this.type = type;
    this.order = order;
    this.words = TYPE_WORDS[type];
    this.bit = bit;
    this.scale = scale;
    this.exponent = exponent;
    this.invalid = Float64Array.from(invalid);
  }

  /** Named-field constructor for configuration code: `ValueCodec.of("f32", "CDAB")`. */
  static of(type: ValueTypeName, order: OrderName = "ABCD", bit = -1, scale = 1, exponent = 0, invalid: readonly number[] = []): ValueCodec {
    const t = typeCode(type);
    const o = orderCode(order);
    if (t < 0) throw new RangeError(`type must be one of ${TYPE_NAMES.join(", ")}, got ${type}`);
    if (o < 0) throw new RangeError(`order must be one of ${ORDER_NAMES.join(", ")}, got ${order}`);
    return new ValueCodec(t, o, bit, scale, exponent, invalid);
  }

  /**
   * The value in engineering units. `offset` is the byte of the value's first register (for packed bits: the byte of the
   * block's data start, and `bitIndex` the bit's index in the block). `extra` is the power of ten from a decimal-point
   * register (already multiplied by its sign); NaN there gives NaN. Bools decode to 1 or 0.
   */
  decode(b: Uint8Array, offset: number, extra = 0, bitIndex = 0): number {
    if (this.bit === -2) {
      const p = offset + (bitIndex >> 3);
      if (bitIndex < 0 || p < 0 || p >= b.length) return NaN;
      return (b[p] >> (bitIndex & 7)) & 1;
    }
    if (this.bit >= 0) {
      if (!fits(b, offset, 1)) return NaN;
      return (wordAt(b, offset, 1, this.order, 0) >> this.bit) & 1;
    }
    if (extra !== extra || extra > MAX_EXTRA_EXPONENT || extra < -MAX_EXTRA_EXPONENT) return NaN;
    const type = this.type;
    const raw = readRaw(type, this.order, b, offset);
    // NaN: outside the buffer or a float NaN. The exact sentinel of 16/32-bit integers, and ±Infinity of floats, compare
    // on the raw number; 64-bit sentinels are checked on their words (a double cannot hold them exactly).
    if (raw !== raw || raw === TYPE_SENTINEL[type] || raw === -Infinity) return NaN;
    if ((type === TYPE_U64 || type === TYPE_S64) && isDefaultSentinel(type, this.order, b, offset)) return NaN;
    const inv = this.invalid;
    for (let i = 0; i < inv.length; i++) if (inv[i] === raw) return NaN;
    const v = this.scale === 1 ? raw : raw * this.scale;
    return scalePow10(v, this.exponent + extra);
  }

  /**
   * Writes `value` (engineering units) back as raw registers; the inverse of decode() within the type's precision.
   * Returns bytes written. NaN writes the default sentinel. For packed bits, sets bit `bitIndex` and returns 0.
   */
  encode(value: number, b: Uint8Array, offset: number, extra = 0, bitIndex = 0): number {
    if (this.bit === -2) {
      setPackedBit(b, offset, bitIndex, value !== 0 && value === value);
      return 0;
    }
    if (this.bit >= 0) {
      if (!fits(b, offset, 1)) return 0;
      const w = wordAt(b, offset, 1, this.order, 0);
      const m = 1 << this.bit;
      putWord(b, offset, 1, this.order, 0, value !== 0 && value === value ? w | m : w & ~m & 0xffff);
      return 2;
    }
    let raw = value;
    if (raw === raw) {
      raw = scalePow10(raw, -(this.exponent + extra));
      if (this.scale !== 1) raw = raw / this.scale;
    }
    return writeRaw(this.type, this.order, raw, b, offset);
  }
}

/**
 * ValueCodec.decode() on a rule held in columns (modules/concentrator/planner.ts Plan): type, order, bit, scale and exponent as in
 * ValueCodec, the rule's "not available" raws at invalid[invalidStart .. invalidEnd). Allocates nothing.
 */
export function decodeRule(type: number, order: number, bit: number, scale: number, exponent: number, invalid: Float64Array,
  invalidStart: number, invalidEnd: number, b: Uint8Array, offset: number, extra: number, bitIndex: number): number {
  if (bit === -2) {
    const p = offset + (bitIndex >> 3);
    if (bitIndex < 0 || p < 0 || p >= b.length) return NaN;
    return (b[p] >> (bitIndex & 7)) & 1;
  }
  if (bit >= 0) {
    if (!fits(b, offset, 1)) return NaN;
    return (wordAt(b, offset, 1, order, 0) >> bit) & 1;
  }
  if (extra !== extra || extra > MAX_EXTRA_EXPONENT || extra < -MAX_EXTRA_EXPONENT) return NaN;
  const raw = readRaw(type, order, b, offset);
  // NaN: outside the buffer or a float NaN. The exact sentinel of 16/32-bit integers, and ±Infinity of floats, compare
  // on the raw number; 64-bit sentinels are checked on their words (a double cannot hold them exactly).
  if (raw !== raw || raw === TYPE_SENTINEL[type] || raw === -Infinity) return NaN;
  if ((type === TYPE_U64 || type === TYPE_S64) && isDefaultSentinel(type, order, b, offset)) return NaN;
  for (let i = invalidStart; i < invalidEnd; i++) if (invalid[i] === raw) return NaN;
  const v = scale === 1 ? raw : raw * scale;
  return scalePow10(v, exponent + extra);
}
