import { appendCrc, crcMatches } from "../../../modules/rtu/crc16";
import {
  FEC_BURST_ADDRESS, FEC_BURST_ORPHAN, FEC_BURST_UNNEEDED, FEC_FRAME_CORRECTED, FEC_FRAME_CRC_FAILED, FEC_FRAME_GOOD,
  FEC_FRAME_HELD, FEC_FRAME_OVERSIZE, FEC_FRAME_UNCORRECTABLE, FEC_FRAME_UNPROTECTED, FecReceiver, FecTransmitter,
} from "../../../modules/fec/link";
import type { Cases } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

const request = "11 03 00 6B 00 03 76 87"; // read 3 holding registers of unit 17 (Modbus application protocol §6.3)

function burstFor(frame: Uint8Array, nroots = 4, depth = 1): Uint8Array {
  const tx = new FecTransmitter({ nroots, depth });
  const out = new Uint8Array(tx.burstLength(frame.length));
  tx.encode(frame, 0, frame.length, out, 0);
  return out;
}

function modbusFrame(n: number, seed: number): Uint8Array {
  const f = new Uint8Array(n);
  f[0] = 1 + (seed % 247);
  for (let i = 1; i < n - 2; i++) f[i] = (i * 53 + seed * 7) & 0xff;
  appendCrc(f, 0, n - 2);
  return f;
}

export const cases: Cases = {
  // Header parity B3 06 and data parity 58 8D 80 DE checked with libfec; trailer = ~CRC-16/MODBUS (0x2D0C) low byte first.
  "burst layout of the spec example request (docs/fec.md §3 vector)"(t) {
    const b = burstFor(fromHex(request));
    t.is(b.length, 5 + 4 + 2);
    t.is(toHex(b), "FA 48 07 B3 06 58 8D 80 DE 0C 2D");
    t.is(b[0], FEC_BURST_ADDRESS);
    t.is(b[1], 0b01_001_000, "version 1, nroots 4, depth 1");
    t.is(b[2], 7, "length - 1");
  },
  "the burst fails the Modbus CRC by construction, for several settings and lengths"(t) {
    for (const nroots of [2, 4, 8, 16]) for (const depth of [1, 3, 8]) for (const n of [1, 4, 8, 89, 252, 256]) {
      const b = burstFor(modbusFrame(Math.max(n, 4), n), nroots, depth);
      t.ok(!crcMatches(b, 0, b.length), `nroots ${nroots} depth ${depth} len ${n}`);
      t.ok(b[0] >= 248);
    }
  },
  "burst length: header + m·nroots + trailer; no burst for 0 or more than 256 bytes"(t) {
    const tx = new FecTransmitter({ nroots: 4, depth: 2 });
    t.is(tx.burstLength(8), 5 + 8 + 2);
    t.is(tx.burstLength(1), 5 + 4 + 2, "one byte is one codeword");
    t.is(tx.burstLength(0), 0);
    t.is(tx.burstLength(257), 0);
    t.is(tx.encode(new Uint8Array(300), 0, 257, new Uint8Array(400), 0), 0);
    t.is(new FecTransmitter().maxBurstLength, 5 + 8 + 2);
    t.is(new FecTransmitter({ nroots: 16, depth: 8 }).maxBurstLength, 5 + 128 + 2);
  },
  "good frame forwarded at once; its burst is unneeded"(t) {
    const rx = new FecReceiver();
    const f = fromHex(request);
    t.is(rx.receive(f, 0, f.length), FEC_FRAME_GOOD);
    const b = burstFor(f);
    t.is(rx.receive(b, 0, b.length), FEC_BURST_UNNEEDED);
    t.is(rx.framesGood, 1);
    t.is(rx.burstsUnneeded, 1);
    t.is(rx.burstsOrphan, 0);
  },
  "bad frame held, repaired by its burst (2 errors with nroots 4), counted"(t) {
    const rx = new FecReceiver();
    const f = modbusFrame(89, 5);
    const b = burstFor(f);
    const g = f.slice();
    g[10] ^= 0x0f; g[70] ^= 0x80;
    t.is(rx.receive(g, 0, g.length), FEC_FRAME_HELD);
    t.ok(rx.holding);
    t.is(rx.receive(b, 0, b.length), FEC_FRAME_CORRECTED);
    t.is(rx.frameLength, 89);
    t.deepEqual(rx.frame.subarray(0, 89), f);
    t.is(rx.lastCorrectedBytes, 2);
    t.is(rx.lastCorrectedBits, 5);
    t.is(rx.framesCorrected, 1);
    t.is(rx.bitsCorrected, 5);
    t.ok(!rx.holding);
  },
  "a damaged burst still repairs (one bad header byte, one bad parity byte)"(t) {
    const rx = new FecReceiver();
    const f = modbusFrame(20, 9);
    const b = burstFor(f);
    b[0] ^= 0x20; b[6] ^= 0x44;
    const g = f.slice();
    g[3] ^= 1;
    t.is(rx.receive(g, 0, g.length), FEC_FRAME_HELD);
    t.is(rx.receive(b, 0, b.length), FEC_FRAME_CORRECTED);
    t.deepEqual(rx.frame.subarray(0, 20), f);
    t.is(rx.burstsDamaged, 1);
  },
  "too many errors: dropped as uncorrectable or CRC-failed, never accepted"(t) {
    const f = modbusFrame(40, 3);
    const b = burstFor(f, 2);
    let seen = 0;
    const rx = new FecReceiver();
    for (let k = 0; k < 60; k++) {
      const droppedBefore = rx.framesDropped;
      const g = f.slice();
      g[k % 40] ^= 0x11; g[(k * 7 + 3) % 40] ^= 0x22; g[(k * 13 + 5) % 40] ^= 0x40;
      if (crcMatches(g, 0, 40)) continue;
      t.is(rx.receive(g, 0, 40), FEC_FRAME_HELD);
      const v = rx.receive(b, 0, b.length);
      t.ok(v === FEC_FRAME_UNCORRECTABLE || v === FEC_FRAME_CRC_FAILED || (v === FEC_FRAME_CORRECTED && toHex(rx.frame, 0, 40) === toHex(f)), `k ${k}`);
      t.is(rx.framesDropped - droppedBefore, v === FEC_FRAME_CORRECTED ? 0 : 1);
      seen++;
    }
    t.ok(seen > 40);
  },
  "orphan bursts: none before it, or for a frame of another length"(t) {
    const rx = new FecReceiver();
    const b = burstFor(modbusFrame(10, 1));
    t.is(rx.receive(b, 0, b.length), FEC_BURST_ORPHAN, "nothing before");
    const g = modbusFrame(11, 1);
    g[2] ^= 1;
    t.is(rx.receive(g, 0, g.length), FEC_FRAME_HELD);
    t.is(rx.receive(b, 0, b.length), FEC_BURST_ORPHAN, "length 11 vs 10");
    t.is(rx.burstsOrphan, 2);
    t.is(rx.framesUnrepaired, 1, "the held frame goes with it");
    const good = modbusFrame(12, 2);
    t.is(rx.receive(good, 0, 12), FEC_FRAME_GOOD);
    t.is(rx.receive(b, 0, b.length), FEC_BURST_ORPHAN, "good frame of another length");
    t.is(rx.receive(burstFor(good), 0, 2 + 5 + 4), FEC_BURST_ORPHAN, "a second burst has no frame");
  },
  "held frame expires or is replaced; oversize bad frames are dropped"(t) {
    const rx = new FecReceiver({ maxFrame: 64 });
    const g = modbusFrame(30, 4);
    g[0] ^= 2;
    t.is(rx.receive(g, 0, 30), FEC_FRAME_HELD);
    t.ok(rx.expire());
    t.ok(!rx.expire());
    t.is(rx.receive(g, 0, 30), FEC_FRAME_HELD);
    t.is(rx.receive(g, 0, 30), FEC_FRAME_HELD);
    t.is(rx.framesUnrepaired, 2);
    const big = new Uint8Array(100);
    t.is(rx.receive(big, 0, 100), FEC_FRAME_OVERSIZE);
    t.is(rx.framesDropped, 4);
  },
  "self-describing: one receiver handles every nroots and depth"(t) {
    const rx = new FecReceiver();
    for (const nroots of [2, 4, 6, 8, 16]) for (const depth of [1, 2, 5, 8]) {
      const f = modbusFrame(256, nroots + depth);
      const b = burstFor(f, nroots, depth);
      const g = f.slice();
      g[100] ^= 0xff;
      t.is(rx.receive(g, 0, 256), FEC_FRAME_HELD);
      t.is(rx.receive(b, 0, b.length), FEC_FRAME_CORRECTED, `nroots ${nroots} depth ${depth}`);
      t.deepEqual(rx.frame, f);
    }
  },
  "a corrupted burst length is not a burst; short chunks and garbage never throw"(t) {
    const rx = new FecReceiver();
    const b = burstFor(modbusFrame(10, 1));
    t.is(rx.receive(b, 0, b.length - 1), FEC_FRAME_HELD, "one byte lost: treated as a damaged frame");
    for (let n = 0; n < 12; n++) t.ok(rx.receive(new Uint8Array(n), 0, n) > 0);
  },
  "version 2 (adaptive) burst layout of the spec example request (docs/fec.md §9.3 vectors)"(t) {
    const tx = new FecTransmitter();
    const f = fromHex(request);
    const out = new Uint8Array(64);
    let n = tx.encodeAdaptive(f, 0, 8, 4, 1, 0, out, 0);
    t.is(n, tx.adaptiveBurstLength(8, 4, 1));
    t.is(toHex(out, 0, n), "FA 88 07 00 77 B3 C0 71 58 8D 80 DE 39 4D", "data parity as in version 1");
    n = tx.encodeAdaptive(f, 0, 8, 4, 2, 0x69, out, 0);
    t.is(toHex(out, 0, n), "FA 89 07 69 46 A0 30 CB B5 48 D8 FC 4D CE 47 96 FC 55", "two codewords, parity interleaved");
    t.ok(!crcMatches(out, 0, n));
    t.is(tx.encodeAdaptive(f, 0, 8, 5, 1, 0, out, 0), 0, "nroots 5 is no setting");
    t.is(tx.encodeAdaptive(f, 0, 8, 4, 9, 0, out, 0), 0, "depth 9 is no setting");
  },
  "version 2: two damaged header bytes repaired, feedback and settings read, frame corrected"(t) {
    const tx = new FecTransmitter();
    const f = modbusFrame(85, 3);
    const b = new Uint8Array(tx.adaptiveBurstLength(85, 6, 2));
    tx.encodeAdaptive(f, 0, 85, 6, 2, 0xab, b, 0);
    b[0] ^= 0x40; b[1] ^= 0x01; // address and format hit
    const g = f.slice();
    g[4] ^= 0x10; g[5] ^= 0x20; g[6] ^= 0x40; // three in a row: spread over the two codewords (2 + 1)
    g[60] ^= 0x01; // and one more, alone
    const rx = new FecReceiver({ observeErrors: true });
    t.is(rx.receive(g, 0, 85), FEC_FRAME_HELD);
    t.is(rx.receive(b, 0, b.length), FEC_FRAME_CORRECTED);
    t.deepEqual(rx.frame.subarray(0, 85), f);
    t.is(rx.lastVersion, 2);
    t.is(rx.lastNroots, 6);
    t.is(rx.lastDepth, 2);
    t.is(rx.lastFeedback, 0xab);
    t.is(rx.lastErrorSymbols, 6, "4 in the frame, 2 in the header");
    t.is(rx.lastErrorRuns, 3, "two runs in the frame, one in the header");
    t.is(rx.lastSymbols, 85 + b.length);
  },
  "version 2 interleaves the parity: a run over consecutive parity bytes is spread over the codewords"(t) {
    const f = modbusFrame(40, 8);
    const tx = new FecTransmitter({ nroots: 4, depth: 4 });
    const v1 = new Uint8Array(tx.burstLength(40)), v2 = new Uint8Array(tx.adaptiveBurstLength(40, 4, 4));
    tx.encode(f, 0, 40, v1, 0);
    tx.encodeAdaptive(f, 0, 40, 4, 4, 0, v2, 0);
    const g = f.slice();
    g[0] ^= 1; g[1] ^= 1; g[2] ^= 1; g[3] ^= 1; // one bad byte in each codeword
    for (let k = 0; k < 4; k++) { v1[5 + k] ^= 0x81; v2[8 + k] ^= 0x81; } // four consecutive parity bytes
    const rx = new FecReceiver({ observeErrors: true });
    rx.receive(g, 0, 40);
    t.is(rx.receive(v2, 0, v2.length), FEC_FRAME_CORRECTED, "version 2: 2 bad per codeword");
    t.is(rx.lastErrorSymbols, 8);
    t.is(rx.lastErrorRuns, 2, "one run in the frame, one in the parity");
    rx.receive(g, 0, 40);
    t.ok(rx.receive(v1, 0, v1.length) !== FEC_FRAME_CORRECTED, "version 1: 5 bad in codeword 0");
  },
  "check(): a clean frame's burst is decoded for the noise in it, nothing else changes"(t) {
    const tx = new FecTransmitter();
    const f = modbusFrame(20, 2);
    const b = new Uint8Array(tx.adaptiveBurstLength(20, 4, 1));
    tx.encodeAdaptive(f, 0, 20, 4, 1, 0x33, b, 0);
    b[9] ^= 0x0f;
    const rx = new FecReceiver();
    t.is(rx.check(f, 0, 20, b, 0, b.length), 1);
    t.is(rx.lastCorrectedBits, 4);
    t.is(rx.lastFeedback, 0x33);
    t.is(rx.check(f, 0, 19, b, 0, b.length), -1, "burst for another length");
    t.is(rx.framesGood + rx.framesHeld + rx.burstsUnneeded, 0, "receive state untouched");
  },
  "feedback-only burst (clean link, no parity): layout, never a frame, unneeded after a good frame, no repair after a bad one"(t) {
    const tx = new FecTransmitter();
    const f = fromHex(request);
    const out = new Uint8Array(16);
    const n = tx.encodeFeedbackOnly(8, 0x01, out, 0);
    t.is(n, 10);
    t.is(toHex(out, 0, n), "FA C0 07 01 3C 60 D5 B5 5F DD", "header as version 2, format 0xC0, no parity");
    t.ok(out[0] >= 248 && !crcMatches(out, 0, n), "reserved address, failing CRC");
    t.is(tx.encodeFeedbackOnly(0, 1, out, 0), 0);
    t.is(tx.encodeFeedbackOnly(257, 1, out, 0), 0);
    const rx = new FecReceiver({ observeErrors: true });
    t.is(rx.receive(f, 0, 8), FEC_FRAME_GOOD);
    const b = out.slice(0, n);
    b[0] ^= 0x22; b[3] ^= 0x80; // two header bytes hit: still read
    t.is(rx.receive(b, 0, 10), FEC_BURST_UNNEEDED);
    t.is(rx.lastVersion, 3);
    t.is(rx.lastFeedback, 0x01);
    t.is(rx.check(f, 0, 8, b, 0, 10), 2, "check(): the two damaged header bytes are the noise seen");
    t.is(rx.lastSymbols, 18);
    const g = f.slice();
    g[2] ^= 1;
    t.is(rx.receive(g, 0, 8), FEC_FRAME_HELD);
    t.is(rx.receive(out, 0, 10), FEC_FRAME_UNPROTECTED, "no parity: the held frame is dropped");
    t.is(rx.framesUnprotected, 1);
    t.is(rx.framesDropped, 1);
    t.is(rx.receive(g, 0, 8), FEC_FRAME_HELD);
    t.is(rx.receive(out, 0, 9), FEC_FRAME_HELD, "a byte short: not a burst");
  },
  "configuration errors throw RangeError naming the field"(t) {
    t.throws(() => new FecTransmitter({ nroots: 5 }), RangeError);
    t.throws(() => new FecTransmitter({ depth: 0 }), RangeError);
    t.throws(() => new FecTransmitter({ depth: 9 }), RangeError);
    t.throws(() => new FecReceiver({ maxFrame: 300 }), RangeError);
  },
};
