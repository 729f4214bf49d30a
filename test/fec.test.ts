// Node-only fast-check properties of the Reed–Solomon codec and the FEC link (docs/fec.md).
import test from "ava";
import fc from "fast-check";
import { crcMatches } from "../modules/rtu/crc16";
import {
  FEC_BURST_ADDRESS, FEC_BURST_UNNEEDED, FEC_FRAME_CORRECTED, FEC_FRAME_CRC_FAILED, FEC_FRAME_GOOD, FEC_FRAME_HELD,
  FEC_FRAME_UNCORRECTABLE, FEC_FRAME_UNPROTECTED, FecReceiver, FecTransmitter,
} from "../modules/fec/link";
import { ReedSolomon } from "../modules/fec/reed-solomon";
import { FecStrengthChooser } from "../modules/fec/adapt";

const settings = fc.record({
  nroots: fc.constantFrom(2, 4, 6, 8, 10, 12, 14, 16),
  depth: fc.integer({ min: 1, max: 8 }),
});

test("every burst fails the Modbus CRC and starts with a reserved address (random frames and settings)", (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), settings, (frame, { nroots, depth }) => {
    const tx = new FecTransmitter({ nroots, depth });
    const out = new Uint8Array(tx.maxBurstLength + 3);
    const n = tx.encode(frame, 0, frame.length, out, 3);
    return n === tx.burstLength(frame.length) && out[3] === FEC_BURST_ADDRESS && !crcMatches(out, 3, n);
  }), { numRuns: 2000 });
  t.pass();
});

test("version-2 (adaptive) bursts too: reserved address, failing Modbus CRC, self-describing (random frames, settings, feedback)", (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), settings, fc.integer({ min: 0, max: 255 }), (frame, { nroots, depth }, feedback) => {
    const tx = new FecTransmitter();
    const out = new Uint8Array(tx.adaptiveBurstLength(256, 16, 8) + 3);
    const n = tx.encodeAdaptive(frame, 0, frame.length, nroots, depth, feedback, out, 3);
    if (n !== tx.adaptiveBurstLength(frame.length, nroots, depth) || out[3] < 248 || crcMatches(out, 3, n)) return false;
    // A receiver that held a damaged copy reads the settings and the feedback from the burst alone.
    const g = frame.slice();
    g[0] ^= 0x5a;
    // A damaged copy must fail its CRC to be held (1 random frame in 65,536 still checks after the damage).
    fc.pre(!crcMatches(g, 0, g.length));
    const rx = new FecReceiver();
    rx.receive(g, 0, g.length);
    const v = rx.receive(out, 3, n);
    return (v === FEC_FRAME_CORRECTED || v === FEC_FRAME_CRC_FAILED || v === FEC_FRAME_UNCORRECTABLE) &&
      rx.lastVersion === 2 && rx.lastNroots === nroots && rx.lastDepth === depth && rx.lastFeedback === feedback;
  }), { numRuns: 2000 });
  t.pass();
});

test("feedback-only bursts (clean link) too: reserved address, failing Modbus CRC, read by any receiver (random lengths, feedback)", (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.integer({ min: 0, max: 255 }), (frame, feedback) => {
    const tx = new FecTransmitter();
    const out = new Uint8Array(13);
    const n = tx.encodeFeedbackOnly(frame.length, feedback, out, 3);
    if (n !== 10 || out[3] < 248 || crcMatches(out, 3, n)) return false;
    const g = frame.slice();
    g[0] ^= 0x5a;
    // A damaged copy must fail its CRC to be held (1 random frame in 65,536 still checks after the damage).
    fc.pre(!crcMatches(g, 0, g.length));
    const rx = new FecReceiver();
    rx.receive(g, 0, g.length);
    return rx.receive(out, 3, n) === FEC_FRAME_UNPROTECTED && rx.lastVersion === 3 && rx.lastFeedback === feedback;
  }), { numRuns: 2000 });
  t.pass();
});

const errorPattern = (maxLen: number) => fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 1, max: 255 }) }), { maxLength: maxLen });

test("fast path and general decoder agree on every pattern (nroots 2 and 4, 0..4 errors anywhere)", (t) => {
  fc.assert(fc.property(
    fc.constantFrom(2, 4), fc.uint8Array({ minLength: 1, maxLength: 251 }), errorPattern(4), fc.boolean(),
    (nroots, data, errors, randomParity) => {
      const rs = new ReedSolomon(nroots);
      const len = Math.min(data.length, 255 - nroots);
      const p = new Uint8Array(nroots);
      rs.encode(data, 0, len, 1, p, 0);
      if (randomParity) for (let k = 0; k < nroots; k++) p[k] ^= errors[k]?.v ?? 0;
      const d = data.slice(0, len);
      for (const e of errors) { const i = e.at % (len + nroots); if (i < len) d[i] ^= e.v; else p[i - len] ^= e.v; }
      const d2 = d.slice(), p2 = p.slice();
      const a = rs.decode(d, 0, len, 1, p, 0), abits = rs.bits;
      const b = rs.decodeGeneral(d2, 0, len, 1, p2, 0), bbits = rs.bits;
      t.is(a, b);
      t.is(abits, bbits);
      t.deepEqual(d, d2);
      t.deepEqual(p, p2);
      return a <= nroots / 2;
    }), { numRuns: 3000 });
});

test("up to nroots/2 errors per codeword are always corrected exactly (all nroots, interleaved frames)", (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), settings, fc.nat(), (frame, { nroots, depth }, seed) => {
    const rs = new ReedSolomon(nroots);
    const parity = new Uint8Array(rs.parityLength(frame.length, depth));
    rs.encodeFrame(frame, 0, frame.length, depth, parity, 0);
    const m = rs.codewords(frame.length, depth);
    const g = frame.slice();
    // nroots/2 distinct errors in codeword seed % m (frame bytes j, j+m, …)
    const j = seed % m, cwLen = Math.floor((frame.length - j + m - 1) / m);
    const hits = Math.min(nroots / 2, cwLen);
    const picked = new Set<number>();
    for (let k = 0; picked.size < hits && k < 10 * cwLen; k++) picked.add((seed * 31 + k * 17) % cwLen);
    for (const q of picked) g[j + q * m] ^= 1 + ((seed + q) % 255);
    const res = rs.decodeFrame(g, 0, g.length, depth, parity, 0);
    t.is(res, picked.size);
    t.deepEqual(g, frame);
  }), { numRuns: 500 });
});

test("receiver never accepts a frame whose CRC fails, and repairs whatever is within reach", (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 2, maxLength: 254 }), settings, errorPattern(6), errorPattern(2),
    (body, { nroots, depth }, frameHits, burstHits) => {
      const f = new Uint8Array(body.length + 2);
      f.set(body);
      const c = crc16Of(body);
      f[body.length] = c & 0xff; f[body.length + 1] = c >>> 8;
      const tx = new FecTransmitter({ nroots, depth });
      const burst = new Uint8Array(tx.burstLength(f.length));
      tx.encode(f, 0, f.length, burst, 0);
      const g = f.slice();
      for (const e of frameHits) g[e.at % g.length] ^= e.v;
      for (const e of burstHits) burst[5 + (e.at % (burst.length - 5))] ^= e.v; // parity and trailer only
      const rx = new FecReceiver();
      const v1 = rx.receive(g, 0, g.length);
      const v2 = rx.receive(burst, 0, burst.length);
      if (v1 === FEC_FRAME_GOOD) { t.is(v2, FEC_BURST_UNNEEDED); t.true(crcMatches(g, 0, g.length)); return; }
      t.is(v1, FEC_FRAME_HELD);
      t.true([FEC_FRAME_CORRECTED, FEC_FRAME_UNCORRECTABLE, FEC_FRAME_CRC_FAILED].includes(v2));
      if (v2 === FEC_FRAME_CORRECTED) t.true(crcMatches(rx.frame, 0, rx.frameLength));
      const distinct = new Set(frameHits.map((e) => e.at % g.length)).size;
      if (distinct + burstHits.length <= nroots / 2 && depth === 1 && f.length <= 255 - nroots) {
        t.is(v2, FEC_FRAME_CORRECTED);
        t.deepEqual(rx.frame.subarray(0, rx.frameLength), f);
      }
    }), { numRuns: 1500 });
});

test("the receiver never throws on random chunks", (t) => {
  const rx = new FecReceiver();
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
    for (const c of chunks) {
      const v = rx.receive(c, 0, c.length);
      if (v < 1 || v > 8) return false;
    }
    return true;
  }), { numRuns: 2000 });
  t.pass();
});

function crc16Of(b: Uint8Array): number {
  let c = 0xffff;
  for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1; }
  return c;
}

test("prediction table (modules/fec/adapt-table.ts): every entry is the sweep's code (regenerate with scripts/fec-adapt-table.ts)", (t) => {
  const swept = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4, table: false }).sweepTable();
  const tabled = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4 });
  t.true(tabled.usesTable);
  const limits = [8, 16, 32, 64, 96, 128, 176, 256];
  let differ = 0;
  for (let c = 0; c < 8; c++) for (let fb = 8; fb < 256; fb++) for (let n = 2; n <= 8; n += 2) for (let d = 1; d <= 4; d++) {
    if (tabled.tableCode(limits[c], fb, n, d) !== swept[(c * 256 + fb) * 16 + (n / 2 - 1) * 4 + d - 1]) differ++;
  }
  t.is(differ, 0);
});
