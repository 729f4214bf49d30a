import { GF_EXP, GF_LOG, GF_QUADRATIC_ROOT, gfDiv, gfMul } from "../../../modules/fec/gf256";
import { ReedSolomon, RS_OUTSIDE_CODEWORD } from "../../../modules/fec/reed-solomon";
import type { Cases } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

// Parity vectors produced by Debian's libfec 1.0: init_rs_char(8, 0x11d, 0, 1, nroots, 255 - nroots - len) + encode_rs_char.
const counting9 = "01 02 03 04 05 06 07 08 09";
const libfecVectors: [number, string, string][] = [
  [2, counting9, "73 72"],
  [4, counting9, "F0 9F 84 EA"],
  [8, counting9, "EB BD 8C 28 AD B6 41 A9"],
  [4, "11 03 00 6B 00 03 76 87", "58 8D 80 DE"],
  [2, "11 03 00 6B 00 03 76 87", "CE 45"],
];
function ramp(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + 11) & 0xff;
  return b;
}

function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

/** Flips byte `i` of the codeword (data then parity) by `v`. */
function hit(data: Uint8Array, parity: Uint8Array, i: number, v: number): void {
  if (i < data.length) data[i] ^= v; else parity[i - data.length] ^= v;
}

export const cases: Cases = {
  "GF(256): α generates the field, log and exp invert, the zero sentinel multiplies to 0"(t) {
    const seen = new Uint8Array(256);
    for (let k = 0; k < 255; k++) { t.is(GF_LOG[GF_EXP[k]], k); seen[GF_EXP[k]]++; }
    t.is(seen[0], 0);
    for (let v = 1; v < 256; v++) t.is(seen[v], 1, `element ${v}`);
    t.is(GF_EXP[8], 0x1d, "α^8 = x^4+x^3+x^2+1");
    for (let a = 0; a < 256; a += 17) { t.is(gfMul(a, 0), 0); t.is(gfMul(0, a), 0); t.is(gfDiv(0, a || 1), 0); }
  },
  "GF(256): multiplication agrees with carry-less multiply mod 0x11D; division inverts it"(t) {
    const slow = (a: number, b: number) => { let p = 0; for (; b; b >>= 1, a = (a << 1) ^ (a & 0x80 ? 0x11d : 0)) if (b & 1) p ^= a; return p; };
    for (let a = 0; a < 256; a += 3) for (let b = 0; b < 256; b += 5) {
      t.is(gfMul(a, b), slow(a, b));
      if (b) t.is(gfDiv(gfMul(a, b), b), a);
    }
  },
  "GF(256): the quadratic-root table solves y² + y = c exactly when a root exists"(t) {
    let solvable = 0;
    for (let c = 1; c < 256; c++) {
      const y = GF_QUADRATIC_ROOT[c];
      let exists = false;
      for (let z = 0; z < 256; z++) if ((gfMul(z, z) ^ z) === c) exists = true;
      t.is(y !== 0, exists, `c=${c}`);
      if (y) { solvable++; t.is(gfMul(y, y) ^ y, c); t.is(gfMul(y ^ 1, y ^ 1) ^ y ^ 1, c); }
    }
    t.is(solvable, 127, "half of the non-zero elements have trace 0");
  },
  "parity is byte-identical to libfec vectors (fast and general encoders)"(t) {
    for (const [nroots, data, parity] of libfecVectors) {
      const rs = new ReedSolomon(nroots);
      const d = fromHex(data);
      const p = new Uint8Array(nroots);
      rs.encode(d, 0, d.length, 1, p, 0);
      t.is(toHex(p), parity, `nroots ${nroots} ${data}`);
      p.fill(0);
      rs.encodeGeneral(d, 0, d.length, 1, p, 0);
      t.is(toHex(p), parity, `general, nroots ${nroots}`);
    }
    const p = new Uint8Array(16);
    new ReedSolomon(16).encode(ramp(239), 0, 239, 1, p, 0);
    t.is(toHex(p), "B1 7A DE D0 AE 31 CA 15 64 79 3B 96 50 B7 47 33", "RS(255,239) full length");
    new ReedSolomon(4).encode(ramp(251), 0, 251, 1, p, 0);
    t.is(toHex(p, 0, 4), "3A 2C A9 21", "RS(255,251) full length");
  },
  "sliced and packed encoders equal the byte-at-a-time register for every nroots, length, offset and stride"(t) {
    const rnd = xorshift(7);
    const buf = new Uint8Array(800);
    for (let i = 0; i < buf.length; i++) buf[i] = rnd() & 0xff;
    for (const nroots of [2, 4, 6, 8, 10, 12, 14, 16]) {
      const rs = new ReedSolomon(nroots);
      const a = new Uint8Array(nroots), b = new Uint8Array(nroots);
      for (let len = 0; len <= 255 - nroots; len += nroots <= 4 ? 1 : 7) {
        const stride = 1 + (len % 3), off = len % 5;
        rs.encode(buf, off, len, stride, a, 0);
        rs.encodeGeneral(buf, off, len, stride, b, 0);
        t.deepEqual(a, b, `nroots ${nroots} len ${len} stride ${stride}`);
      }
    }
  },
  "a clean codeword decodes to 0 corrections; every single error anywhere is corrected"(t) {
    for (const nroots of [2, 4, 6]) {
      const rs = new ReedSolomon(nroots);
      const d = ramp(40), p = new Uint8Array(nroots);
      rs.encode(d, 0, 40, 1, p, 0);
      t.is(rs.decode(d, 0, 40, 1, p, 0), 0);
      for (let i = 0; i < 40 + nroots; i++) {
        const dd = d.slice(), pp = p.slice();
        hit(dd, pp, i, 0x5a);
        t.is(rs.decode(dd, 0, 40, 1, pp, 0), 1, `nroots ${nroots} position ${i}`);
        t.is(rs.bits, 4);
        t.deepEqual(dd, d);
        t.deepEqual(pp, p);
      }
    }
  },
  "two errors are corrected with nroots 4, never three: a third is a failure or a wrong codeword, not 3 corrections"(t) {
    const rs = new ReedSolomon(4);
    const len = 85, d = ramp(len), p = new Uint8Array(4);
    rs.encode(d, 0, len, 1, p, 0);
    const rnd = xorshift(99);
    for (let k = 0; k < 300; k++) {
      const dd = d.slice(), pp = p.slice();
      const i1 = rnd() % (len + 4);
      let i2 = rnd() % (len + 4);
      if (i2 === i1) i2 = (i1 + 1) % (len + 4);
      hit(dd, pp, i1, 0x01); hit(dd, pp, i2, 0xff);
      t.is(rs.decode(dd, 0, len, 1, pp, 0), 2);
      t.is(rs.bits, 9);
      t.deepEqual(dd, d);
      const i3 = (i2 + 1 + (rnd() % (len + 2))) % (len + 4);
      if (i3 === i1 || i3 === i2) continue;
      hit(dd, pp, i1, 0x01); hit(dd, pp, i2, 0xff); hit(dd, pp, i3, 0x10);
      const res = rs.decode(dd, 0, len, 1, pp, 0);
      t.ok(res <= 2, "never more than nroots/2");
    }
  },
  "an error located in the virtual padding of a shortened codeword is rejected and nothing changes"(t) {
    // Received = codeword + (e·x^d mod g) in the parity, d ≥ n: its syndromes are those of one error in the padding.
    for (const nroots of [2, 4, 8]) {
      const rs = new ReedSolomon(nroots);
      const len = 20, n = len + nroots;
      const d = ramp(len), p = new Uint8Array(nroots);
      rs.encode(d, 0, len, 1, p, 0);
      for (const degree of [n, n + 1, 200, 254]) {
        // e·x^degree mod g is the parity of a virtual data word with a single 0x37 at that degree.
        const virtualLen = degree - nroots + 1;
        const v = new Uint8Array(virtualLen);
        v[0] = 0x37;
        const q = new Uint8Array(nroots);
        rs.encode(v, 0, virtualLen, 1, q, 0);
        const pp = p.slice(), dd = d.slice();
        for (let k = 0; k < nroots; k++) pp[k] ^= q[k];
        t.is(rs.decode(dd, 0, len, 1, pp, 0), RS_OUTSIDE_CODEWORD, `fast nroots ${nroots} degree ${degree}`);
        t.is(rs.decodeGeneral(dd, 0, len, 1, pp, 0), RS_OUTSIDE_CODEWORD, `general nroots ${nroots} degree ${degree}`);
        t.deepEqual(dd, d);
        for (let k = 0; k < nroots; k++) t.is(pp[k], p[k] ^ q[k]);
      }
    }
  },
  "fast path and general decoder agree on seeded random patterns (0..nroots+1 errors)"(t) {
    for (const nroots of [2, 4]) {
      const rs = new ReedSolomon(nroots);
      const rnd = xorshift(nroots * 1000 + 1);
      for (let k = 0; k < 400; k++) {
        const len = 1 + (rnd() % (255 - nroots));
        const d = new Uint8Array(len), p = new Uint8Array(nroots);
        for (let i = 0; i < len; i++) d[i] = rnd() & 0xff;
        rs.encode(d, 0, len, 1, p, 0);
        const errors = rnd() % (nroots + 2);
        for (let e = 0; e < errors; e++) hit(d, p, rnd() % (len + nroots), 1 + (rnd() % 255));
        const d2 = d.slice(), p2 = p.slice();
        const a = rs.decode(d, 0, len, 1, p, 0), abits = rs.bits;
        const b = rs.decodeGeneral(d2, 0, len, 1, p2, 0), bbits = rs.bits;
        t.is(a, b, `nroots ${nroots} len ${len} errors ${errors}`);
        t.is(abits, bbits);
        t.deepEqual(d, d2);
        t.deepEqual(p, p2);
      }
    }
  },
  "nroots 6..16: decode (packed remainder) equals decodeGeneral and corrects nroots/2 errors"(t) {
    const rnd = xorshift(4242);
    for (const nroots of [6, 8, 10, 12, 14, 16]) {
      const rs = new ReedSolomon(nroots);
      for (let k = 0; k < 40; k++) {
        const len = 1 + (rnd() % (255 - nroots));
        const d = new Uint8Array(len), p = new Uint8Array(nroots);
        for (let i = 0; i < len; i++) d[i] = rnd() & 0xff;
        rs.encode(d, 0, len, 1, p, 0);
        const d0 = d.slice(), p0 = p.slice();
        const errors = rnd() % (nroots / 2 + 3);
        for (let e = 0; e < errors; e++) hit(d, p, rnd() % (len + nroots), 1 + (rnd() % 255));
        const d2 = d.slice(), p2 = p.slice();
        const a = rs.decode(d, 0, len, 1, p, 0);
        const b = rs.decodeGeneral(d2, 0, len, 1, p2, 0);
        t.is(a, b, `nroots ${nroots} len ${len} errors ${errors}`);
        t.deepEqual(d, d2);
        t.deepEqual(p, p2);
        if (errors <= nroots / 2) { t.deepEqual(d, d0); t.deepEqual(p, p0); }
      }
    }
  },
  "on random received words a success is always a codeword at distance = corrections; a failure changes nothing"(t) {
    const rnd = xorshift(31337);
    let successes = 0, failures = 0;
    for (const nroots of [2, 4, 6]) {
      const rs = new ReedSolomon(nroots);
      for (let k = 0; k < 300; k++) {
        const len = 1 + (rnd() % 40);
        const d = new Uint8Array(len), p = new Uint8Array(nroots);
        for (let i = 0; i < len; i++) d[i] = rnd() & 0xff;
        for (let i = 0; i < nroots; i++) p[i] = rnd() & 0xff;
        const d0 = d.slice(), p0 = p.slice();
        const res = rs.decode(d, 0, len, 1, p, 0);
        if (res < 0) {
          failures++;
          t.deepEqual(d, d0);
          t.deepEqual(p, p0);
          continue;
        }
        successes++;
        t.ok(res <= nroots / 2);
        let distance = 0;
        for (let i = 0; i < len; i++) if (d[i] !== d0[i]) distance++;
        for (let i = 0; i < nroots; i++) if (p[i] !== p0[i]) distance++;
        t.is(distance, res);
        const q = new Uint8Array(nroots);
        rs.encode(d, 0, len, 1, q, 0);
        t.deepEqual(q, p, "the result is a codeword");
      }
    }
    t.ok(successes > 20 && failures > 200, `successes ${successes} failures ${failures}`);
  },
  "frames split into interleaved codewords by the documented rule"(t) {
    const rs = new ReedSolomon(4);
    t.is(rs.codewords(0), 0);
    t.is(rs.codewords(1), 1);
    t.is(rs.codewords(251), 1);
    t.is(rs.codewords(252), 2);
    t.is(rs.codewords(256), 2);
    t.is(rs.codewords(503), 3);
    t.is(rs.codewords(8, 4), 4);
    t.is(rs.codewords(3, 4), 3, "never more codewords than bytes");
    t.is(rs.parityLength(256, 1), 8);
    t.is(new ReedSolomon(16).codewords(256), 2);
    // Codeword j holds frame bytes j, j+m, j+2m, …: its parity equals the parity of those bytes gathered.
    const f = ramp(256), parity = new Uint8Array(8);
    t.is(rs.encodeFrame(f, 0, 256, 1, parity, 0), 8);
    const odd = new Uint8Array(128), even = new Uint8Array(128), q = new Uint8Array(4);
    for (let i = 0; i < 128; i++) { even[i] = f[2 * i]; odd[i] = f[2 * i + 1]; }
    rs.encode(even, 0, 128, 1, q, 0);
    t.deepEqual(parity.subarray(0, 4), q);
    rs.encode(odd, 0, 128, 1, q, 0);
    t.deepEqual(parity.subarray(4, 8), q);
  },
  "interleaving depth 4 corrects a burst of 8 consecutive bad bytes"(t) {
    const rs = new ReedSolomon(4);
    const f = ramp(89), parity = new Uint8Array(16);
    t.is(rs.encodeFrame(f, 0, 89, 4, parity, 0), 16);
    const g = f.slice();
    for (let i = 30; i < 38; i++) g[i] ^= 0xff;
    t.is(rs.decodeFrame(g, 0, 89, 4, parity, 0), 8);
    t.is(rs.bits, 64);
    t.deepEqual(g, f);
    for (let i = 30; i < 39; i++) g[i] ^= 0xff;
    t.ok(rs.decodeFrame(g, 0, 89, 4, parity, 0) !== 9, "nine bytes exceed 4 codewords × 2");
  },
  "decodeFrame reports the first failing codeword's code and sums corrections otherwise"(t) {
    const rs = new ReedSolomon(2);
    const f = ramp(300), parity = new Uint8Array(4);
    t.is(rs.encodeFrame(f, 0, 300, 1, parity, 0), 4);
    const g = f.slice();
    g[0] ^= 1; g[1] ^= 3;
    t.is(rs.decodeFrame(g, 0, 300, 1, parity, 0), 2);
    t.is(rs.bits, 3);
    t.deepEqual(g, f);
    g[0] ^= 1; g[2] ^= 1;
    t.ok(rs.decodeFrame(g, 0, 300, 1, parity, 0) < 0 || g[0] !== f[0]);
  },
  "configuration errors throw RangeError naming the field"(t) {
    for (const bad of [0, 1, 3, 17, 18, 4.5, NaN]) t.throws(() => new ReedSolomon(bad), RangeError, `nroots ${bad}`);
    const rs = new ReedSolomon(4);
    t.throws(() => rs.encode(new Uint8Array(300), 0, 252, 1, new Uint8Array(4), 0), RangeError);
  },
};
