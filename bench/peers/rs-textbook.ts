/*
 * Bench peer: a generic, textbook Reed–Solomon codec over the same code as modules/fec/reed-solomon.ts (GF(2^8)/0x11D,
 * roots α^0..α^(nroots−1)): LFSR encoder through a gfMul function, syndromes by Horner over the whole received codeword,
 * Berlekamp–Massey, a Chien search over all 255 positions of the mother code, and Forney. Scratch preallocated, so it
 * allocates nothing either; it is what rc485's closed-form fast path is measured against. Not used by the firmware.
 */
import { GF_EXP, gfDiv, gfMul } from "../../modules/fec/gf256";

export class TextbookReedSolomon {
  private readonly gen: Uint8Array; // g_0..g_r
  private readonly syn: Uint8Array;
  private readonly lambda: Uint8Array;
  private readonly b: Uint8Array;
  private readonly t: Uint8Array;
  private readonly omega: Uint8Array;
  private readonly pos: Int16Array;

  constructor(readonly nroots: number) {
    const g = new Uint8Array(nroots + 1);
    g[0] = 1;
    for (let i = 0; i < nroots; i++) {
      for (let k = i + 1; k > 0; k--) g[k] = g[k - 1] ^ gfMul(g[k], GF_EXP[i]);
      g[0] = gfMul(g[0], GF_EXP[i]);
    }
    this.gen = g;
    this.syn = new Uint8Array(nroots);
    this.lambda = new Uint8Array(nroots + 1);
    this.b = new Uint8Array(nroots + 1);
    this.t = new Uint8Array(nroots + 1);
    this.omega = new Uint8Array(nroots + 1);
    this.pos = new Int16Array(nroots);
  }

  /** Codeword cw[0, n) = data then nroots parity bytes; writes the parity. */
  encode(cw: Uint8Array, n: number): void {
    const r = this.nroots, k = n - r, g = this.gen;
    for (let j = 0; j < r; j++) cw[k + j] = 0;
    for (let i = 0; i < k; i++) {
      const fb = cw[i] ^ cw[k];
      for (let j = 0; j < r - 1; j++) cw[k + j] = cw[k + j + 1] ^ gfMul(fb, g[r - 1 - j]);
      cw[k + r - 1] = gfMul(fb, g[0]);
    }
  }

  /** Corrects cw[0, n) in place; returns the number of corrected bytes or -1. */
  decode(cw: Uint8Array, n: number): number {
    const r = this.nroots, syn = this.syn;
    let any = 0;
    for (let j = 0; j < r; j++) {
      const x = GF_EXP[j];
      let s = 0;
      for (let i = 0; i < n; i++) s = gfMul(s, x) ^ cw[i];
      syn[j] = s;
      any |= s;
    }
    if (any === 0) return 0;
    const lambda = this.lambda, b = this.b, t = this.t;
    lambda.fill(0); b.fill(0); lambda[0] = 1; b[0] = 1;
    let L = 0, m = 1, bd = 1;
    for (let q = 0; q < r; q++) {
      let d = syn[q];
      for (let i = 1; i <= L; i++) d ^= gfMul(lambda[i], syn[q - i]);
      if (d === 0) { m++; continue; }
      const f = gfDiv(d, bd);
      if (2 * L <= q) {
        t.set(lambda);
        for (let i = m; i <= r; i++) lambda[i] ^= gfMul(f, b[i - m]);
        L = q + 1 - L; b.set(t); bd = d; m = 1;
      } else {
        for (let i = m; i <= r; i++) lambda[i] ^= gfMul(f, b[i - m]);
        m++;
      }
    }
    if (2 * L > r) return -1;
    // Chien search over the whole mother code.
    let found = 0;
    for (let d = 0; d < 255; d++) {
      const xinv = GF_EXP[(255 - d) % 255];
      let v = 0;
      for (let k = L; k >= 0; k--) v = gfMul(v, xinv) ^ lambda[k];
      if (v === 0) { if (found < r) this.pos[found] = d; found++; }
    }
    if (found !== L) return -1;
    const omega = this.omega;
    for (let k = 0; k < r; k++) {
      let o = 0;
      for (let i = 0; i <= k; i++) o ^= gfMul(lambda[i], syn[k - i]);
      omega[k] = o;
    }
    for (let e = 0; e < L; e++) if (this.pos[e] >= n) return -1;
    for (let e = 0; e < L; e++) {
      const d = this.pos[e];
      const xinv = GF_EXP[(255 - d) % 255];
      let num = 0;
      for (let k = r - 1; k >= 0; k--) num = gfMul(num, xinv) ^ omega[k];
      let den = 0;
      for (let k = L - (L % 2 === 0 ? 1 : 0); k >= 1; k -= 2) den = gfMul(den, gfMul(xinv, xinv)) ^ lambda[k];
      const mag = gfMul(GF_EXP[d], gfDiv(num, den));
      cw[n - 1 - d] ^= mag;
    }
    return L;
  }
}
