/*
 * JSON text written as UTF-8 bytes into one buffer owned by the writer, sized at construction: the MQTT state payload
 * (modules/forwarding/mqtt-payload.ts) is formatted here at send time without a string per message, on XS and V8 alike.
 *
 * Theory of operation. Every call appends at `length`; reset() starts a new document in the same bytes. Nothing
 * allocates: constant text is copied character by character (charCodeAt), numbers are turned into digits by arithmetic
 * into a scratch array of the instance. On V8 a double handed to a function that is not inlined is boxed (an
 * allocation), so hot callers hand numbers over in a Float64Array and an index (numberAt, unsignedAt, isoUtcAt); the
 * writer copies the value into its own scratch and works on locals. Constant text that is written per message is best
 * prepared as bytes at construction (copy()): a string literal evaluated at run time may be copied into the heap on an
 * engine whose code is not in flash. A document that would not fit sets `overflow` and stops growing (the caller
 * sizes the buffer so that it cannot happen, and checks).
 *
 * The text is the same as modules/common/json-text.ts produces:
 * - number(v, digits): formatNumber(v, digits) for digits 1..15 — null for NaN and ±Infinity (RFC 8259 §6 has no such
 *   numbers), integers below 10^15 exactly, anything else rounded to `digits` significant digits (ties away from zero,
 *   as Number.prototype.toPrecision, ECMA-262 §21.1.3.5) and printed in the shortest form Number::toString
 *   (ECMA-262 §6.1.6.1.20) gives for that decimal: a decimal of at most 15 significant digits is recovered exactly from
 *   its nearest double, so the rounded digits are the printed digits. The rounding scales by an exact power of ten
 *   and settles a computed tie by the exact error of that one operation (Dekker's product), so it is toPrecision's
 *   wherever the scale is at most 10^22 (15 digits: magnitudes above 10^-8; 7 digits: above 10^-16). Below that the
 *   last digit may differ from toPrecision's; the number still rounds the value to `digits` digits. formatNumber
 *   prints an f64 beyond about 1.797e308 rounded to 15 digits as "Infinity" (not JSON); this writer prints the digits.
 * - isoUtc(ms): json-text isoUtc, "YYYY-MM-DDTHH:MM:SS.mmmZ" (years 0000..9999).
 * - string(s): json-text jsonString (quote, backslash, control characters, '<', '>', '&', U+2028/2029 escaped), UTF-8.
 */
import { civilDate } from "../common/json-text";

/**
 * 10^0 .. 10^22, exact. A typed array, not a frozen array: on V8 a frozen array holds its doubles boxed, and an
 * expression mixing such a load with a computed double boxes the computed one (read-only: built at preload).
 */
const POW10: Readonly<Float64Array> = Float64Array.of(1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22);
const HEX = "0123456789abcdef";
/** DIGIT_PAIRS[2i], DIGIT_PAIRS[2i + 1]: the two ASCII digits of i = 0..99 (read-only: built at preload). */
const DIGIT_PAIRS: Readonly<Uint8Array> = new Uint8Array(200);
for (let i = 0; i < 100; i++) { (DIGIT_PAIRS as Uint8Array)[2 * i] = 0x30 + ((i / 10) | 0); (DIGIT_PAIRS as Uint8Array)[2 * i + 1] = 0x30 + (i % 10); }

function pow10(n: number): number {
  return n >= 0 && n <= 22 ? POW10[n] : Math.pow(10, n);
}

/** Veltkamp's split: the high half (26 bits) of x; x − high is exact. */
function highHalf(x: number): number {
  const c = 134217729 * x;
  return c - (c - x);
}

/**
 * The error of the floating-point product x·y (Dekker's exact product): x·y = fl(x·y) + error, exactly, barring overflow.
 */
function productError(x: number, y: number, product: number): number {
  const xh = highHalf(x), xl = x - xh, yh = highHalf(y), yl = y - yh;
  return ((xh * yh - product) + xh * yl + xl * yh) + xl * yl;
}

/**
 * a × 10^s rounded to an integer, ties away from zero (a > 0), as toPrecision rounds the exact value, into out[1] (an
 * integer up to 10^15 is no small integer on V8: returned, it would be boxed). The floating-point
 * product or quotient is correctly rounded, so it can only land on the wrong side of a tie by landing on the tie itself;
 * there the exact error of the operation (while 10^|s| is exact) says which side the true value lies.
 */
function roundScaled(a: number, s: number, out: Float64Array): void {
  if (s > 22) { out[1] = Math.round(s > 300 ? a * 1e300 * pow10(s - 300) : a * pow10(s)); return; }
  if (s < -22) { out[1] = Math.round(a / pow10(-s)); return; }
  const p = POW10[s >= 0 ? s : -s];
  const x = s >= 0 ? a * p : a / p;
  const m = Math.round(x);
  // x is a tie: is the exact a·p (or a/p) below it?
  const below = m - x === 0.5 && (s >= 0 ? productError(a, p, x) < 0 : (a - x * p) - productError(x, p, x * p) < 0);
  out[1] = below ? m - 1 : m;
}

export class JsonWriter {
  /** The document's UTF-8 bytes: the first `length` of them (constant text from the constructor after `capacity`). */
  readonly bytes: Uint8Array;
  /** The room for the document, bytes. */
  readonly capacity: number;
  length = 0;
  /** A write did not fit: the document is cut and must not be sent. */
  overflow = false;
  private readonly digits = new Uint8Array(24);
  /** [the number being written, its rounded digits]: doubles kept unboxed on V8. */
  private readonly x = new Float64Array(2);
  /** Where isoUtc's "YYYY-MM-DDT" is kept in `bytes`, and the day number (days since 1970) it spells (NaN: none yet). */
  private readonly dayAt: number;
  private readonly dayNumber = Float64Array.of(NaN);

  /**
   * `capacity`: the largest document. `text`: constant text kept in the same buffer after the document's room
   * (bytes[capacity ..]), so that copy() from `bytes` is one copyWithin (a native call on XS, not a loop of byte stores).
   */
  constructor(capacity: number, text?: Uint8Array) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`json writer: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    // The buffer: the document, the constant text, isoUtc's "YYYY-MM-DDT" of the last day it wrote.
    const textLength = text !== undefined ? text.length : 0;
    this.bytes = new Uint8Array(capacity + textLength + 11);
    if (text !== undefined) this.bytes.set(text, capacity);
    this.dayAt = capacity + textLength;
  }

  /** Starts a new document. */
  reset(): void {
    this.length = 0;
    this.overflow = false;
  }

  byte(c: number): void {
    if (this.length >= this.capacity) { this.overflow = true; return; }
    this.bytes[this.length++] = c;
  }

  /** Text copied as it is (UTF-8 encoded, no escaping): JSON punctuation, keys known to need none. */
  raw(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) this.byte(c);
      else i = this.utf8(s, i, c);
    }
  }

  /**
   * `count` bytes of `source` from `from` (text prepared as bytes at construction). From this writer's own `bytes` (its
   * constant text) it is one copyWithin.
   */
  copy(source: Uint8Array, from: number, count: number): void {
    const b = this.bytes;
    let p = this.length;
    if (p + count > this.capacity) { this.overflow = true; return; }
    if (source === b) b.copyWithin(p, from, from + count);
    else for (let i = 0; i < count; i++) b[p + i] = source[from + i];
    this.length = p + count;
  }

  /** A JSON string literal (escaped as json-text jsonString). */
  string(s: string): void {
    this.byte(0x22);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22 || c === 0x5c) { this.byte(0x5c); this.byte(c); }
      else if (c === 0x0a) { this.byte(0x5c); this.byte(0x6e); }
      else if (c === 0x0d) { this.byte(0x5c); this.byte(0x72); }
      else if (c === 0x09) { this.byte(0x5c); this.byte(0x74); }
      else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
        this.byte(0x5c); this.byte(0x75);
        this.byte(HEX.charCodeAt((c >> 12) & 15)); this.byte(HEX.charCodeAt((c >> 8) & 15));
        this.byte(HEX.charCodeAt((c >> 4) & 15)); this.byte(HEX.charCodeAt(c & 15));
      } else if (c < 0x80) this.byte(c);
      else i = this.utf8(s, i, c);
    }
    this.byte(0x22);
  }

  /** UTF-8 of the character at `i` (code unit `c` ≥ 0x80); returns the index of its last code unit. */
  private utf8(s: string, i: number, c: number): number {
    if (c < 0x800) { this.byte(0xc0 | (c >> 6)); this.byte(0x80 | (c & 63)); return i; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        this.byte(0xf0 | (cp >> 18)); this.byte(0x80 | ((cp >> 12) & 63)); this.byte(0x80 | ((cp >> 6) & 63)); this.byte(0x80 | (cp & 63));
        return i + 1;
      }
    }
    // A lone surrogate is written as U+FFFD.
    const u = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
    this.byte(0xe0 | (u >> 12)); this.byte(0x80 | ((u >> 6) & 63)); this.byte(0x80 | (u & 63));
    return i;
  }

  /** unsigned(values[index], width) without handing a double across a call. */
  unsignedAt(values: Float64Array, index: number, width = 1): void {
    this.x[0] = values[index];
    this.unsignedX(width);
  }

  /** The decimal digits of a non-negative integer below 2^53, at least `width` of them (zero-padded). */
  unsigned(n: number, width = 1): void {
    this.x[0] = n;
    this.unsignedX(width);
  }

  private unsignedX(width: number): void {
    const x = this.x[0];
    let count = x >= 1e8 ? 9 : 1;
    while (count < 16 && x >= POW10[count]) count++;
    const size = count < width ? width : count;
    const at = this.length + size;
    if (at > this.capacity) { this.overflow = true; return; }
    this.x[1] = x;
    this.digitsBefore(count, at);
    for (let i = at - count - 1; i >= this.length; i--) this.bytes[i] = 0x30;
    this.length = at;
  }

  /**
   * The `count` lowest decimal digits of the integer x[1] (below 2^53; zero-padded), written so that they end before
   * `end`. From the right, two digits per step from DIGIT_PAIRS; above 2^31 the number is split at 10^8 so that every
   * step is small-integer arithmetic (cheap on XS).
   */
  private digitsBefore(count: number, end: number): void {
    const b = this.bytes;
    let v = this.x[1];
    let at = end;
    let left = count;
    if (v >= 2147483648) {
      const high = Math.floor(v / 1e8);
      let low = v - high * 1e8;
      for (let k = 0; k < 4; k++) {
        const q = (low / 100) | 0;
        const r = (low - q * 100) << 1;
        b[--at] = DIGIT_PAIRS[r + 1];
        b[--at] = DIGIT_PAIRS[r];
        low = q;
      }
      left -= 8;
      v = high;
    }
    for (; left >= 2; left -= 2) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      b[--at] = DIGIT_PAIRS[r + 1];
      b[--at] = DIGIT_PAIRS[r];
      v = q;
    }
    if (left === 1) b[at - 1] = 0x30 + v - ((v / 10) | 0) * 10;
  }

  /** number(values[index], digits) without handing a double across a call. */
  numberAt(values: ArrayLike<number>, index: number, digits: number): void {
    this.x[0] = values[index];
    this.numberX(digits);
  }

  /** formatNumber(v, digits) of modules/common/json-text.ts, digits 1..15. */
  number(v: number, digits: number): void {
    this.x[0] = v;
    this.numberX(digits);
  }

  /**
   * The number in x[0]. Every step of the common case is inline (no call takes or returns a double: on V8 that boxes it,
   * on XS each call costs): the decimal exponent from Math.log10 settled against the powers of ten, the digits rounded
   * by one scaling (roundScaled's tie check only when the scaled value lands on a tie), trailing zeros dropped
   * arithmetically, and the digits written from the right straight into place.
   */
  private numberX(digits: number): void {
    const v = this.x[0];
    if (v !== v || v === Infinity || v === -Infinity) { this.byte(0x6e); this.byte(0x75); this.byte(0x6c); this.byte(0x6c); return; }
    if (v === 0) { this.byte(0x30); return; }
    const a = v < 0 ? -v : v;
    if (v < 0) this.byte(0x2d);
    if (a < 1e15 && Math.floor(a) === a) { this.x[0] = a; this.unsignedX(1); return; }
    const p = digits < 1 ? 1 : digits > 15 ? 15 : digits;
    // e: the decimal exponent of a's leading digit.
    let e = Math.floor(Math.log10(a));
    if (a >= (e >= -1 && e <= 21 ? POW10[e + 1] : Math.pow(10, e + 1))) e++;
    else if (a < (e >= 0 && e <= 22 ? POW10[e] : Math.pow(10, e))) e--;
    const s = p - 1 - e;
    let m: number;
    if (s >= -22 && s <= 22) {
      const scale = POW10[s >= 0 ? s : -s];
      const scaled = s >= 0 ? a * scale : a / scale;
      m = Math.round(scaled);
      if (m - scaled === 0.5) {
        // A computed tie: roundScaled settles it by the exact error of the scaling.
        this.x[0] = a;
        roundScaled(a, s, this.x);
        m = this.x[1];
      }
    } else {
      this.x[0] = a;
      roundScaled(a, s, this.x);
      m = this.x[1];
    }
    if (m >= POW10[p]) { m = Math.round(m / 10); e++; }
    // Number::toString with n = e + 1 (the value is 0.d1d2… × 10^n): m has `count` digits, p but for a rounding at
    // the edge of the exponent estimate.
    let n = e + 1;
    let count = p;
    while (count > 1 && m < POW10[count - 1]) { count--; n--; }
    // Trailing zeros dropped in strides of 8, 4, 2 and 1 digits (at most 14 of them).
    if (count > 8 && m % 1e8 === 0) { m = m / 1e8; count -= 8; }
    if (count > 4 && m % 1e4 === 0) { m = m / 1e4; count -= 4; }
    if (count > 2 && m % 100 === 0) { m = m / 100; count -= 2; }
    if (count > 1 && m % 10 === 0) { m = m / 10; count -= 1; }
    if (!(n > -6 && n <= 21)) { this.exponentForm(m, count, n); return; }
    const b = this.bytes;
    const start = this.length;
    if (count <= n) {
      // Digits, then zeros up to the units.
      const end = start + n;
      if (end > this.capacity) { this.overflow = true; return; }
      this.x[1] = m;
      this.digitsBefore(count, start + count);
      for (let i = start + count; i < end; i++) b[i] = 0x30;
      this.length = end;
    } else if (n > 0) {
      // Integer digits, the point, the fraction's digits.
      const end = start + count + 1;
      if (end > this.capacity) { this.overflow = true; return; }
      const f = count - n;
      const whole = Math.floor(m / POW10[f]);
      this.x[1] = m - whole * POW10[f];
      this.digitsBefore(f, end);
      b[start + n] = 0x2e;
      this.x[1] = whole;
      this.digitsBefore(n, start + n);
      this.length = end;
    } else {
      // 0.000digits
      const end = start + 2 - n + count;
      if (end > this.capacity) { this.overflow = true; return; }
      b[start] = 0x30;
      b[start + 1] = 0x2e;
      for (let i = start + 2; i < end - count; i++) b[i] = 0x30;
      this.x[1] = m;
      this.digitsBefore(count, end);
      this.length = end;
    }
  }

  /** d.ddde±x of the `count`-digit integer m (its trailing zeros dropped), the value 0.d… × 10^n. */
  private exponentForm(m: number, count: number, n: number): void {
    const d = this.digits;
    let x = m;
    while (count > 1 && x % 10 === 0) { x = x / 10; count--; }
    for (let k = 0; k < count; k++) { const q = Math.floor(x / 10); d[k] = x - q * 10; x = q; }
    this.byte(0x30 + d[count - 1]);
    if (count > 1) { this.byte(0x2e); for (let i = count - 2; i >= 0; i--) this.byte(0x30 + d[i]); }
    this.byte(0x65);
    this.byte(n - 1 < 0 ? 0x2d : 0x2b);
    this.x[0] = n - 1 < 0 ? 1 - n : n - 1;
    this.unsignedX(1);
  }

  /** isoUtc(times[index]) without handing a double across a call. */
  isoUtcAt(times: Float64Array, index: number): void {
    this.x[0] = times[index];
    this.isoUtcX();
  }

  /** isoUtc(epochMs) of modules/common/json-text.ts, without the quotes. */
  isoUtc(epochMs: number): void {
    this.x[0] = epochMs;
    this.isoUtcX();
  }

  private isoUtcX(): void {
    const ms = Math.floor(this.x[0]);
    const days = Math.floor(ms / 86_400_000);
    const msOfDay = ms - days * 86_400_000;
    const b = this.bytes;
    let p = this.length;
    if (p + 24 > this.capacity) { this.overflow = true; return; }
    // "YYYY-MM-DDT" changes once a day: kept as bytes with the day it is for.
    const d = this.dayAt;
    if (days !== this.dayNumber[0]) {
      const date = civilDate(days);
      const year = (date / 512) | 0;
      if (year > 9999 || year < 0) { this.overflow = true; return; }
      const month = ((date / 32) | 0) % 16, dom = date % 32;
      b[d] = 0x30 + ((year / 1000) | 0); b[d + 1] = 0x30 + (((year / 100) | 0) % 10); b[d + 2] = 0x30 + (((year / 10) | 0) % 10); b[d + 3] = 0x30 + (year % 10);
      b[d + 4] = 0x2d; b[d + 5] = 0x30 + ((month / 10) | 0); b[d + 6] = 0x30 + (month % 10);
      b[d + 7] = 0x2d; b[d + 8] = 0x30 + ((dom / 10) | 0); b[d + 9] = 0x30 + (dom % 10); b[d + 10] = 0x54;
      this.dayNumber[0] = days;
    }
    b.copyWithin(p, d, d + 11);
    p += 11;
    const hours = (msOfDay / 3_600_000) | 0;
    const minutes = ((msOfDay - hours * 3_600_000) / 60_000) | 0;
    const milli = msOfDay % 60_000;
    const seconds = (milli / 1000) | 0;
    const ms3 = milli - seconds * 1000;
    b[p++] = 0x30 + ((hours / 10) | 0); b[p++] = 0x30 + (hours % 10); b[p++] = 0x3a;
    b[p++] = 0x30 + ((minutes / 10) | 0); b[p++] = 0x30 + (minutes % 10); b[p++] = 0x3a;
    b[p++] = 0x30 + ((seconds / 10) | 0); b[p++] = 0x30 + (seconds % 10); b[p++] = 0x2e;
    b[p++] = 0x30 + ((ms3 / 100) | 0); b[p++] = 0x30 + (((ms3 / 10) | 0) % 10); b[p++] = 0x30 + (ms3 % 10);
    b[p++] = 0x5a;
    this.length = p;
  }

  /** The document as a string (tests, logs and hosts that need text; allocates). */
  text(): string {
    let s = "";
    const b = this.bytes;
    for (let i = 0; i < this.length; i++) {
      const c = b[i];
      if (c < 0x80) { s += String.fromCharCode(c); continue; }
      let cp: number;
      if (c < 0xe0) { cp = ((c & 31) << 6) | (b[i + 1] & 63); i += 1; }
      else if (c < 0xf0) { cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); i += 2; }
      else { cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63); i += 3; }
      s += String.fromCodePoint(cp);
    }
    return s;
  }
}
