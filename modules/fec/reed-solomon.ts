/*
 * Reed–Solomon coding of frames for the rc485 FEC link (docs/fec.md §1–2; design.md §5; method of Urrea & Morales 2019,
 * §3): systematic RS over GF(2^8) (modules/fec/gf256.ts) with generator roots α^0 … α^(nroots−1) (first consecutive root 0,
 * primitive element α = 2). For one codeword of `len` data bytes the parity is byte-identical to libfec
 * `init_rs_char(8, 0x11d, 0, 1, nroots, 255 − nroots − len)` + `encode_rs_char`, i.e. a codeword shortened to len + nroots.
 *
 * Theory of operation.
 * - Byte i of a codeword (data bytes first, then parity) is the coefficient of x^(n−1−i), n = len + nroots. The parity is
 *   the remainder of data(x)·x^nroots divided by the generator g(x), the first parity byte being the x^(nroots−1) term.
 * - Encoding (nroots 2 and 4) keeps the whole remainder register in one int32 and consumes eight bytes per step with eight
 *   precomputed tables (slice-by-8, as for a CRC): the remainder is linear in the input, so the table Tk[v] is the register
 *   produced by byte v followed by k zero bytes. nroots 6..16 pack the register into 2..4 int32 words and step one byte
 *   at a time with one table per word. encodeGeneral() is a plain log-domain register, the reference for both.
 * - Decoding first recomputes the remainder of the received word (the encoder over the received data, xor the received
 *   parity): zero means a clean codeword, so verifying costs one encode. Otherwise the syndromes S_j = rem(α^j) come from
 *   the nroots-byte remainder alone, not from the whole codeword.
 * - Fast path (nroots ≤ 4): the key equation is solved in closed form. nroots = 2: one error, X = S1/S0. nroots = 4: if
 *   S1² + S0·S2 ≠ 0 two errors, Λ(x) = 1 + Λ1 x + Λ2 x² by Cramer's rule, and the locators are the roots of
 *   z² + Λ1 z + Λ2, found through GF_QUADRATIC_ROOT after the substitution z = Λ1·y; else at most one error, checked
 *   against all four syndromes. No Chien search.
 * - General path (any nroots, also used to cross-check the fast path): Berlekamp–Massey, a Chien search over the positions
 *   of the shortened codeword, and Forney's formula e = X·Ω(X⁻¹)/Λ′(X⁻¹) (first consecutive root 0).
 * - Strictly bounded distance: a locator of degree above nroots/2 is a failure (RS_TOO_MANY_ERRORS), and so is one whose
 *   roots do not all lie in the codeword; if they all exist but some fall in the virtual zero padding of the shortened
 *   code, the result is RS_OUTSIDE_CODEWORD. On failure nothing is written.
 * - Frames longer than 255 − nroots (and any frame when an interleaving depth D > 1 is asked for) are split into
 *   m = min(len, max(D, ⌈len / (255 − nroots)⌉)) codewords; frame byte i belongs to codeword i mod m, and the parity of
 *   codeword j follows that of codeword j − 1. A burst of up to m·nroots/2 consecutive bad bytes is then correctable.
 *
 * All tables are built at module top level (preload-friendly, int32 values); an instance owns small scratch arrays
 * sized from nroots, and encode/decode allocate nothing.
 */
import { GF_EXP, GF_LOG, GF_QUADRATIC_ROOT } from "./gf256";

/** More errors than nroots/2 (or an inconsistent locator): nothing was changed. */
export const RS_TOO_MANY_ERRORS = -1;
/** The error locator points into the virtual padding of a shortened codeword: nothing was changed. */
export const RS_OUTSIDE_CODEWORD = -2;
/** Codeword length of the mother code RS(255, 255 − nroots). */
export const RS_MAX_CODEWORD = 255;

/** Number of set bits of a byte (corrected bits are the popcount of the error magnitudes). */
const POPCOUNT = new Uint8Array(256);
for (let v = 1; v < 256; v++) POPCOUNT[v] = (v & 1) + POPCOUNT[v >> 1];

/** Generator polynomial coefficients g_0..g_nroots (g_nroots = 1) of Π (x + α^i), i < nroots, for even nroots 2..16. */
function makeGenerator(nroots: number): Uint8Array {
  const g = new Uint8Array(nroots + 1);
  g[0] = 1;
  for (let i = 0; i < nroots; i++) {
    // multiply by (x + α^i)
    for (let k = i + 1; k > 0; k--) g[k] = g[k - 1] ^ GF_EXP[GF_LOG[g[k]] + i];
    g[0] = GF_EXP[GF_LOG[g[0]] + i];
  }
  return g;
}
const GENERATORS: Uint8Array[] = [];
for (let r = 2; r <= 16; r += 2) GENERATORS[r] = makeGenerator(r);
Object.freeze(GENERATORS); // frozen arrays need no RAM alias once preloaded (XS linker: "not frozen")

/** Slice-by-8 tables for a register of `width` bytes packed big-endian in an int32 (first parity byte on top). */
function makeSliceTables(g: Uint8Array, width: number): Int32Array[] {
  const shift = 8 * (width - 1);
  const mask = width === 4 ? -1 : (1 << (8 * width)) - 1;
  const t0 = new Int32Array(256);
  for (let v = 0; v < 256; v++) {
    let packed = 0;
    for (let k = 0; k < width; k++) packed = (packed << 8) | GF_EXP[GF_LOG[v] + GF_LOG[g[width - 1 - k]]];
    t0[v] = packed;
  }
  const tables = [t0];
  for (let s = 1; s < 8; s++) {
    const prev = tables[s - 1];
    const t = new Int32Array(256);
    for (let v = 0; v < 256; v++) t[v] = ((prev[v] << 8) & mask) ^ t0[(prev[v] >>> shift) & 0xff];
    tables.push(t);
  }
  return tables;
}
const S4 = makeSliceTables(GENERATORS[4], 4);
const A0 = S4[0], A1 = S4[1], A2 = S4[2], A3 = S4[3], A4 = S4[4], A5 = S4[5], A6 = S4[6], A7 = S4[7];
const S2 = makeSliceTables(GENERATORS[2], 2).map((t) => Uint16Array.from(t)); // 16-bit register: half the flash
const B0 = S2[0], B1 = S2[1], B2 = S2[2], B3 = S2[3], B4 = S2[4], B5 = S2[5], B6 = S2[6], B7 = S2[7];

/** Remainder register (nroots = 4, packed) of the bytes data[off + k·stride], k < len. */
function remainder4(b: Uint8Array, off: number, len: number, stride: number): number {
  let c = 0;
  let i = off;
  if (stride === 1) {
    const end = off + len;
    for (const end8 = end - 8; i <= end8; i += 8) {
      c ^= (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
      c = A7[c >>> 24] ^ A6[(c >> 16) & 255] ^ A5[(c >> 8) & 255] ^ A4[c & 255] ^
        A3[b[i + 4]] ^ A2[b[i + 5]] ^ A1[b[i + 6]] ^ A0[b[i + 7]];
    }
    for (; i < end; i++) c = (c << 8) ^ A0[(c >>> 24) ^ b[i]];
    return c;
  }
  let left = len;
  if (left >= 8) {
    const s = stride, s2 = s + s, s3 = s2 + s, s4 = s3 + s, s5 = s4 + s, s6 = s5 + s, s7 = s6 + s, s8 = s7 + s;
    for (; left >= 8; left -= 8, i += s8) {
      c ^= (b[i] << 24) | (b[i + s] << 16) | (b[i + s2] << 8) | b[i + s3];
      c = A7[c >>> 24] ^ A6[(c >> 16) & 255] ^ A5[(c >> 8) & 255] ^ A4[c & 255] ^
        A3[b[i + s4]] ^ A2[b[i + s5]] ^ A1[b[i + s6]] ^ A0[b[i + s7]];
    }
  }
  for (; left > 0; left--, i += stride) c = (c << 8) ^ A0[(c >>> 24) ^ b[i]];
  return c;
}

/** Remainder register (nroots = 2, packed in 16 bits) of the bytes data[off + k·stride], k < len. */
function remainder2(b: Uint8Array, off: number, len: number, stride: number): number {
  let c = 0;
  let i = off;
  let left = len;
  if (stride === 1) {
    for (; left >= 8; left -= 8, i += 8) {
      c ^= (b[i] << 8) | b[i + 1];
      c = B7[c >>> 8] ^ B6[c & 255] ^ B5[b[i + 2]] ^ B4[b[i + 3]] ^ B3[b[i + 4]] ^ B2[b[i + 5]] ^ B1[b[i + 6]] ^ B0[b[i + 7]];
    }
  } else if (left >= 8) {
    const s = stride, s2 = s + s, s3 = s2 + s, s4 = s3 + s, s5 = s4 + s, s6 = s5 + s, s7 = s6 + s, s8 = s7 + s;
    for (; left >= 8; left -= 8, i += s8) {
      c ^= (b[i] << 8) | b[i + s];
      c = B7[c >>> 8] ^ B6[c & 255] ^ B5[b[i + s2]] ^ B4[b[i + s3]] ^ B3[b[i + s4]] ^ B2[b[i + s5]] ^ B1[b[i + s6]] ^ B0[b[i + s7]];
    }
  }
  for (; left > 0; left--, i += stride) c = ((c << 8) & 0xffff) ^ B0[(c >>> 8) ^ b[i]];
  return c;
}

/**
 * Byte-at-a-time tables for nroots 6..16: the register is the nroots parity bytes packed big-endian into ⌈nroots/4⌉ int32
 * words (zero-padded at the end); WIDE[nroots][w][v] is word w of the register produced by feedback byte v.
 */
function makeWideTables(g: Uint8Array, nroots: number): Int32Array[] {
  const words = (nroots + 3) >> 2;
  const tables: Int32Array[] = [];
  for (let w = 0; w < words; w++) {
    const t = new Int32Array(256);
    for (let v = 0; v < 256; v++) {
      let packed = 0;
      for (let k = 4 * w; k < 4 * w + 4; k++) packed = (packed << 8) | (k < nroots ? GF_EXP[GF_LOG[v] + GF_LOG[g[nroots - 1 - k]]] : 0);
      t[v] = packed;
    }
    tables.push(t);
  }
  return tables;
}
const WIDE: Int32Array[][] = [];
for (let r = 6; r <= 16; r += 2) WIDE[r] = Object.freeze(makeWideTables(GENERATORS[r], r)) as Int32Array[];
Object.freeze(WIDE);

/** Remainder of the bytes data[off + k·stride], k < len, for nroots 6..16, unpacked into reg[0, nroots). */
function remainderWide(b: Uint8Array, off: number, len: number, stride: number, nroots: number, reg: Uint8Array): void {
  const t = WIDE[nroots], t0 = t[0], t1 = t[1], words = t.length;
  let w0 = 0, w1 = 0, w2 = 0, w3 = 0;
  let i = off;
  if (words === 2) {
    for (let left = len; left > 0; left--, i += stride) {
      const fb = (w0 >>> 24) ^ b[i];
      w0 = ((w0 << 8) | (w1 >>> 24)) ^ t0[fb];
      w1 = (w1 << 8) ^ t1[fb];
    }
  } else if (words === 3) {
    const t2 = t[2];
    for (let left = len; left > 0; left--, i += stride) {
      const fb = (w0 >>> 24) ^ b[i];
      w0 = ((w0 << 8) | (w1 >>> 24)) ^ t0[fb];
      w1 = ((w1 << 8) | (w2 >>> 24)) ^ t1[fb];
      w2 = (w2 << 8) ^ t2[fb];
    }
  } else {
    const t2 = t[2], t3 = t[3];
    for (let left = len; left > 0; left--, i += stride) {
      const fb = (w0 >>> 24) ^ b[i];
      w0 = ((w0 << 8) | (w1 >>> 24)) ^ t0[fb];
      w1 = ((w1 << 8) | (w2 >>> 24)) ^ t1[fb];
      w2 = ((w2 << 8) | (w3 >>> 24)) ^ t2[fb];
      w3 = (w3 << 8) ^ t3[fb];
    }
  }
  for (let k = 0; k < nroots; k++) {
    const w = k < 4 ? w0 : k < 8 ? w1 : k < 12 ? w2 : w3;
    reg[k] = (w >>> (24 - 8 * (k & 3))) & 255;
  }
}

export class ReedSolomon {
  /** Parity bytes per codeword (even, 2..16). */
  readonly nroots: number;
  /** Errors a codeword can correct: nroots / 2. */
  readonly capacity: number;
  /** Largest data length of one codeword: 255 − nroots. */
  readonly maxData: number;
  /** Bits corrected by the last successful decode (popcount of the error magnitudes); 0 after a failure. */
  bits = 0;

  private readonly genLog: Uint16Array; // log of g_{nroots-1-k} for register index k
  private readonly reg: Uint8Array; // remainder register, reg[0] = x^(nroots-1) term
  private readonly syn: Uint8Array;
  private readonly lambda: Uint8Array;
  private readonly prev: Uint8Array;
  private readonly temp: Uint8Array;
  private readonly locs: Uint8Array; // degrees of the error locations found
  private readonly mags: Uint8Array;

  constructor(nroots: number = 4) {
    if (!Number.isInteger(nroots) || nroots < 2 || nroots > 16 || nroots % 2 !== 0) {
      throw new RangeError(`ReedSolomon: nroots must be an even integer 2..16, got ${nroots}`);
    }
    this.nroots = nroots;
    this.capacity = nroots / 2;
    this.maxData = RS_MAX_CODEWORD - nroots;
    const g = GENERATORS[nroots];
    this.genLog = new Uint16Array(nroots);
    for (let k = 0; k < nroots; k++) this.genLog[k] = GF_LOG[g[nroots - 1 - k]];
    this.reg = new Uint8Array(nroots);
    this.syn = new Uint8Array(nroots);
    this.lambda = new Uint8Array(nroots + 1);
    this.prev = new Uint8Array(nroots + 1);
    this.temp = new Uint8Array(nroots + 1);
    this.locs = new Uint8Array(nroots);
    this.mags = new Uint8Array(nroots);
  }

  private badLength(len: number): never {
    throw new RangeError(`ReedSolomon: codeword data length must be 0..${this.maxData}, got ${len}`);
  }

  /**
   * Writes the nroots parity bytes of one codeword whose data bytes are data[off + k·stride], k < len (len ≤ 255 − nroots),
   * to parity[pOff …].
   */
  encode(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): void {
    if (len < 0 || len > this.maxData) this.badLength(len);
    const r = this.nroots;
    if (r === 4) {
      const c = remainder4(data, off, len, stride);
      parity[pOff] = c >>> 24; parity[pOff + 1] = (c >> 16) & 255; parity[pOff + 2] = (c >> 8) & 255; parity[pOff + 3] = c & 255;
    } else if (r === 2) {
      const c = remainder2(data, off, len, stride);
      parity[pOff] = c >>> 8; parity[pOff + 1] = c & 255;
    } else {
      const reg = this.reg;
      remainderWide(data, off, len, stride, r, reg);
      for (let k = 0; k < r; k++) parity[pOff + k] = reg[k];
    }
  }

  /** The same parity through the byte-at-a-time log-domain register (any nroots; the reference for the sliced tables). */
  encodeGeneral(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): void {
    if (len < 0 || len > this.maxData) this.badLength(len);
    this.remainderGeneral(data, off, len, stride);
    const reg = this.reg;
    for (let k = 0; k < this.nroots; k++) parity[pOff + k] = reg[k];
  }

  private remainderGeneral(data: Uint8Array, off: number, len: number, stride: number): void {
    const r = this.nroots, last = r - 1, reg = this.reg, gl = this.genLog;
    reg.fill(0);
    for (let i = off, left = len; left > 0; left--, i += stride) {
      const lf = GF_LOG[data[i] ^ reg[0]];
      for (let k = 0; k < last; k++) reg[k] = reg[k + 1] ^ GF_EXP[lf + gl[k]];
      reg[last] = GF_EXP[lf + gl[last]];
    }
  }

  /**
   * Corrects one codeword in place (data bytes data[off + k·stride], k < len, parity at parity[pOff …]). Returns the number
   * of corrected bytes (parity bytes included; 0 for a clean codeword) and sets `bits`, or returns RS_TOO_MANY_ERRORS or
   * RS_OUTSIDE_CODEWORD and changes nothing. nroots ≤ 4 takes the closed-form fast path.
   */
  decode(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): number {
    if (len < 0 || len > this.maxData) this.badLength(len);
    if (this.nroots === 4) return this.decode4(data, off, len, stride, parity, pOff);
    if (this.nroots === 2) return this.decode2(data, off, len, stride, parity, pOff);
    remainderWide(data, off, len, stride, this.nroots, this.reg);
    return this.solveGeneral(data, off, len, stride, parity, pOff);
  }

  private decode2(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): number {
    const c = remainder2(data, off, len, stride) ^ ((parity[pOff] << 8) | parity[pOff + 1]);
    this.bits = 0;
    if (c === 0) return 0;
    const r1 = c >>> 8, r0 = c & 255;
    const s0 = r1 ^ r0;
    const s1 = GF_EXP[GF_LOG[r1] + 1] ^ r0;
    if (s0 === 0 || s1 === 0) return RS_TOO_MANY_ERRORS;
    const d = (GF_LOG[s1] + 255 - GF_LOG[s0]) % 255;
    const n = len + 2;
    if (d >= n) return RS_OUTSIDE_CODEWORD;
    const i = n - 1 - d;
    if (i < len) data[off + i * stride] ^= s0; else parity[pOff + i - len] ^= s0;
    this.bits = POPCOUNT[s0];
    return 1;
  }

  private decode4(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): number {
    const c = remainder4(data, off, len, stride) ^
      ((parity[pOff] << 24) | (parity[pOff + 1] << 16) | (parity[pOff + 2] << 8) | parity[pOff + 3]);
    this.bits = 0;
    if (c === 0) return 0;
    // Syndromes S_j = rem(α^j) from the remainder r3 x³ + r2 x² + r1 x + r0, in the log domain (510 = log 0).
    const l3 = GF_LOG[c >>> 24], l2 = GF_LOG[(c >> 16) & 255], l1 = GF_LOG[(c >> 8) & 255], r0 = c & 255;
    const s0 = (c >>> 24) ^ ((c >> 16) & 255) ^ ((c >> 8) & 255) ^ r0;
    const s1 = GF_EXP[l3 + 3] ^ GF_EXP[l2 + 2] ^ GF_EXP[l1 + 1] ^ r0;
    const s2 = GF_EXP[l3 + 6] ^ GF_EXP[l2 + 4] ^ GF_EXP[l1 + 2] ^ r0;
    const s3 = GF_EXP[l3 + 9] ^ GF_EXP[l2 + 6] ^ GF_EXP[l1 + 3] ^ r0;
    const L0 = GF_LOG[s0], L1 = GF_LOG[s1], L2 = GF_LOG[s2], L3 = GF_LOG[s3];
    const n = len + 4;
    const det = GF_EXP[L1 + L1] ^ GF_EXP[L0 + L2];
    if (det === 0) {
      // At most one error: S_{j+1} = X·S_j for all j.
      if (s0 === 0 || s1 === 0) return RS_TOO_MANY_ERRORS;
      const d = (L1 + 255 - L0) % 255;
      if (s2 !== GF_EXP[L1 + d] || s3 !== GF_EXP[L2 + d]) return RS_TOO_MANY_ERRORS;
      if (d >= n) return RS_OUTSIDE_CODEWORD;
      const i = n - 1 - d;
      if (i < len) data[off + i * stride] ^= s0; else parity[pOff + i - len] ^= s0;
      this.bits = POPCOUNT[s0];
      return 1;
    }
    // Two errors: Λ1 = (S1 S2 + S0 S3)/det, Λ2 = (S1 S3 + S2²)/det; locators z solve z² + Λ1 z + Λ2 = 0.
    const n1 = GF_EXP[L1 + L2] ^ GF_EXP[L0 + L3];
    const n2 = GF_EXP[L1 + L3] ^ GF_EXP[L2 + L2];
    if (n1 === 0 || n2 === 0) return RS_TOO_MANY_ERRORS;
    const lDet = GF_LOG[det];
    const lA = (GF_LOG[n1] + 255 - lDet) % 255; // log Λ1
    const lB = (GF_LOG[n2] + 255 - lDet) % 255; // log Λ2
    const y = GF_QUADRATIC_ROOT[GF_EXP[(lB + 510 - lA - lA) % 255]];
    if (y === 0) return RS_TOO_MANY_ERRORS;
    const d1 = (lA + GF_LOG[y]) % 255;
    const x2 = GF_EXP[d1] ^ GF_EXP[lA];
    const d2 = GF_LOG[x2];
    if (d1 >= n || d2 >= n) return RS_OUTSIDE_CODEWORD;
    const e1 = GF_EXP[GF_LOG[s1 ^ GF_EXP[L0 + d2]] + 255 - lA];
    const e2 = s0 ^ e1;
    if (e1 === 0 || e2 === 0) return RS_TOO_MANY_ERRORS;
    const i1 = n - 1 - d1, i2 = n - 1 - d2;
    if (i1 < len) data[off + i1 * stride] ^= e1; else parity[pOff + i1 - len] ^= e1;
    if (i2 < len) data[off + i2 * stride] ^= e2; else parity[pOff + i2 - len] ^= e2;
    this.bits = POPCOUNT[e1] + POPCOUNT[e2];
    return 2;
  }

  /** decode() through Berlekamp–Massey, Chien search and Forney, for every nroots (the fast path must agree with it). */
  decodeGeneral(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): number {
    if (len < 0 || len > this.maxData) this.badLength(len);
    this.remainderGeneral(data, off, len, stride);
    return this.solveGeneral(data, off, len, stride, parity, pOff);
  }

  /** The general decoder from the remainder of the received data in `reg` (parity not yet folded in). */
  private solveGeneral(data: Uint8Array, off: number, len: number, stride: number, parity: Uint8Array, pOff: number): number {
    const r = this.nroots, reg = this.reg, syn = this.syn;
    this.bits = 0;
    let any = 0;
    for (let k = 0; k < r; k++) { reg[k] ^= parity[pOff + k]; any |= reg[k]; }
    if (any === 0) return 0;
    // S_j = rem(α^j), Horner over the remainder (reg[0] is the x^(r-1) term).
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s = GF_EXP[GF_LOG[s] + j] ^ reg[k];
      syn[j] = s;
    }
    // Berlekamp–Massey: shortest LFSR Λ of length L generating S_0..S_{r-1}.
    const lambda = this.lambda, prev = this.prev, temp = this.temp;
    lambda.fill(0); prev.fill(0);
    lambda[0] = 1; prev[0] = 1;
    let L = 0, m = 1, lb = 0; // lb = log of the last non-zero discrepancy
    for (let q = 0; q < r; q++) {
      let d = syn[q];
      for (let i = 1; i <= L; i++) d ^= GF_EXP[GF_LOG[lambda[i]] + GF_LOG[syn[q - i]]];
      if (d === 0) { m++; continue; }
      const scale = (GF_LOG[d] + 255 - lb) % 255; // log(d / b); sums of logs must stay below 510
      if (2 * L <= q) {
        temp.set(lambda);
        for (let i = m; i <= r; i++) lambda[i] ^= GF_EXP[GF_LOG[prev[i - m]] + scale];
        L = q + 1 - L;
        prev.set(temp);
        lb = GF_LOG[d];
        m = 1;
      } else {
        for (let i = m; i <= r; i++) lambda[i] ^= GF_EXP[GF_LOG[prev[i - m]] + scale];
        m++;
      }
    }
    if (L > this.capacity) return RS_TOO_MANY_ERRORS;
    // Chien search over the degrees of the shortened codeword, then (only to classify a failure) over the padding.
    const n = len + r, locs = this.locs;
    let found = 0;
    for (let d = 0; d < 255 && found < L; d++) {
      let v = 0;
      const step = (255 - d) % 255; // log of α^(−d)
      for (let k = 0; k <= L; k++) v ^= GF_EXP[GF_LOG[lambda[k]] + (step * k) % 255];
      if (v === 0) {
        if (d >= n) {
          // keep counting: all L roots present means "outside", fewer means "too many errors"
          found++;
          if (found === L) return RS_OUTSIDE_CODEWORD;
          continue;
        }
        locs[found++] = d;
      }
    }
    if (found !== L) return RS_TOO_MANY_ERRORS;
    // Forney (first consecutive root 0): e = X · Ω(X⁻¹) / Λ′(X⁻¹), Ω = S·Λ mod x^r.
    const mags = this.mags;
    let bits = 0;
    for (let e = 0; e < L; e++) {
      const xInv = (255 - locs[e]) % 255;
      let om = 0;
      for (let k = 0; k < r; k++) {
        let ok = 0;
        for (let i = 0; i <= k && i <= L; i++) ok ^= GF_EXP[GF_LOG[lambda[i]] + GF_LOG[syn[k - i]]];
        om ^= GF_EXP[GF_LOG[ok] + (xInv * k) % 255];
      }
      let der = 0;
      for (let k = 1; k <= L; k += 2) der ^= GF_EXP[GF_LOG[lambda[k]] + (xInv * (k - 1)) % 255];
      if (der === 0 || om === 0) return RS_TOO_MANY_ERRORS;
      const mag = GF_EXP[GF_LOG[om] + (locs[e] + 255 - GF_LOG[der]) % 255];
      mags[e] = mag;
      bits += POPCOUNT[mag];
    }
    for (let e = 0; e < L; e++) {
      const i = n - 1 - locs[e];
      if (i < len) data[off + i * stride] ^= mags[e]; else parity[pOff + i - len] ^= mags[e];
    }
    this.bits = bits;
    return L;
  }

  /** Codewords a frame of `len` bytes is split into at interleaving depth `depth` (see the header comment). */
  codewords(len: number, depth: number = 1): number {
    if (len <= 0) return 0;
    let m = ((len + this.maxData - 1) / this.maxData) | 0;
    if (depth > m) m = depth;
    return m > len ? len : m;
  }

  /** Parity bytes a frame of `len` bytes carries at interleaving depth `depth`. */
  parityLength(len: number, depth: number = 1): number {
    return this.codewords(len, depth) * this.nroots;
  }

  /** Writes the parity of every codeword of frame[off, off+len) to parity[pOff …]; returns the number of parity bytes. */
  encodeFrame(frame: Uint8Array, off: number, len: number, depth: number, parity: Uint8Array, pOff: number): number {
    const r = this.nroots;
    if (depth <= 1 && len <= this.maxData) {
      if (len <= 0) return 0;
      if (r === 4) {
        // remainder4() inlined: this is the per-frame path of the link, and a call costs XS about 30 computrons.
        const b = frame, end = off + len;
        let c = 0, i = off;
        for (const end8 = end - 8; i <= end8; i += 8) {
          c ^= (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
          c = A7[c >>> 24] ^ A6[(c >> 16) & 255] ^ A5[(c >> 8) & 255] ^ A4[c & 255] ^
            A3[b[i + 4]] ^ A2[b[i + 5]] ^ A1[b[i + 6]] ^ A0[b[i + 7]];
        }
        for (; i < end; i++) c = (c << 8) ^ A0[(c >>> 24) ^ b[i]];
        parity[pOff] = c >>> 24; parity[pOff + 1] = (c >> 16) & 255; parity[pOff + 2] = (c >> 8) & 255; parity[pOff + 3] = c & 255;
      } else {
        this.encode(frame, off, len, 1, parity, pOff);
      }
      return r;
    }
    const m = this.codewords(len, depth);
    for (let j = 0; j < m; j++) this.encode(frame, off + j, ((len - j + m - 1) / m) | 0, m, parity, pOff + j * r);
    return m * r;
  }

  /**
   * Corrects frame[off, off+len) in place from its parity at parity[pOff …]. Returns the corrected byte count and sets
   * `bits` to the corrected bit count over all codewords, or returns the failure code of the first codeword that fails
   * (codewords before it may already be corrected: drop the frame).
   */
  decodeFrame(frame: Uint8Array, off: number, len: number, depth: number, parity: Uint8Array, pOff: number): number {
    const r = this.nroots;
    if (depth <= 1 && len <= this.maxData) {
      if (len <= 0) { this.bits = 0; return 0; }
      if (r === 4) return this.decode4(frame, off, len, 1, parity, pOff);
      return this.decode(frame, off, len, 1, parity, pOff);
    }
    const m = this.codewords(len, depth);
    let bytes = 0, bits = 0;
    for (let j = 0; j < m; j++) {
      const res = this.decode(frame, off + j, ((len - j + m - 1) / m) | 0, m, parity, pOff + j * r);
      if (res < 0) { this.bits = 0; return res; }
      bytes += res;
      bits += this.bits;
    }
    this.bits = bits;
    return bytes;
  }
}
