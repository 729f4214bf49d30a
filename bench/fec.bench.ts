// Reed–Solomon FEC (docs/fec.md §5): rc485's codec (nroots 4, the link default) against a textbook Berlekamp–Massey +
// Chien decoder (bench/peers/rs-textbook.ts) and the npm package `reedsolomon` (a port of ZXing's codec, same field and
// roots), on frames of 8, 89 and 256 bytes. Frames over 251 bytes are two interleaved codewords (rc485 rule); the peers
// then code the two halves as two codewords as well. Decode benches re-insert the same errors each operation.
import zxing from "reedsolomon";
import { appendCrc } from "../modules/rtu/crc16";
import { FecReceiver, FecTransmitter } from "../modules/fec/link";
import { ReedSolomon } from "../modules/fec/reed-solomon";
import { adaptiveReport } from "../scripts/fec-adaptive";
import { monteCarloReport } from "../scripts/fec-montecarlo";
import { encodeFeedback, FecStrengthChooser } from "../modules/fec/adapt";
import type { Bench, Report } from "./harness";
import { TextbookReedSolomon } from "./peers/rs-textbook";

const NROOTS = 4;

function frame(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + 11) & 0xff;
  return b;
}

function rc485Benches(n: number): Bench[] {
  const group = `fec RS nroots 4 (${n}-byte frame)`;
  const mk = (name: string, errors: number, op: "encode" | "decode"): Bench => ({
    group, name, units: n, unitName: "byte",
    make: () => {
      const rs = new ReedSolomon(NROOTS);
      const f = frame(n), parity = new Uint8Array(rs.parityLength(n));
      rs.encodeFrame(f, 0, n, 1, parity, 0);
      if (op === "encode") return () => rs.encodeFrame(f, 0, n, 1, parity, 0);
      const a = 3, b = n - 2;
      if (errors === 0) return () => rs.decodeFrame(f, 0, n, 1, parity, 0);
      if (errors === 1) return () => { f[a] ^= 0x5a; return rs.decodeFrame(f, 0, n, 1, parity, 0); };
      return () => { f[a] ^= 0x5a; f[b] ^= 0x81; return rs.decodeFrame(f, 0, n, 1, parity, 0); };
    },
  });
  return [
    mk("rc485 encode", 0, "encode"),
    mk("rc485 verify clean", 0, "decode"),
    mk("rc485 decode 1 error", 1, "decode"),
    mk("rc485 decode 2 errors", 2, "decode"),
  ];
}

/** The peers code one codeword per call: split n bytes like rc485 (halves of at most 251) into contiguous codewords. */
function pieces(n: number): number[] {
  return n > 251 ? [n >> 1, n - (n >> 1)] : [n];
}

function textbookBenches(n: number): Bench[] {
  const group = `fec RS nroots 4 (${n}-byte frame)`;
  const mk = (name: string, errors: number, op: "encode" | "decode"): Bench => ({
    group, name, units: n, unitName: "byte",
    make: () => {
      const rs = new TextbookReedSolomon(NROOTS);
      const cws = pieces(n).map((k) => { const cw = new Uint8Array(k + NROOTS); cw.set(frame(k)); rs.encode(cw, k + NROOTS); return cw; });
      const c0 = cws[0], c1 = cws[1], n0 = c0.length, n1 = c1 ? c1.length : 0;
      if (op === "encode") return () => { rs.encode(c0, n0); if (c1) rs.encode(c1, n1); };
      const last = c1 ?? c0;
      if (errors === 0) return () => { rs.decode(c0, n0); if (c1) rs.decode(c1, n1); };
      if (errors === 1) return () => { c0[3] ^= 0x5a; rs.decode(c0, n0); if (c1) rs.decode(c1, n1); };
      return () => { c0[3] ^= 0x5a; last[last.length - 7] ^= 0x81; rs.decode(c0, n0); if (c1) rs.decode(c1, n1); };
    },
  });
  return [
    mk("textbook BM+Chien encode", 0, "encode"),
    mk("textbook BM+Chien verify clean", 0, "decode"),
    mk("textbook BM+Chien decode 1 error", 1, "decode"),
    mk("textbook BM+Chien decode 2 errors", 2, "decode"),
  ];
}

function zxingBenches(n: number): Bench[] {
  const group = `fec RS nroots 4 (${n}-byte frame)`;
  const field = zxing.GenericGF.QR_CODE_FIELD_256();
  const mk = (name: string, errors: number, op: "encode" | "decode"): Bench => ({
    group, name, units: n, unitName: "byte",
    make: () => {
      const enc = new zxing.ReedSolomonEncoder(field), dec = new zxing.ReedSolomonDecoder(field);
      const cws = pieces(n).map((k) => { const cw = new Int32Array(k + NROOTS); cw.set(frame(k)); enc.encode(cw, NROOTS); return cw; });
      const c0 = cws[0], c1 = cws[1];
      if (op === "encode") return () => { enc.encode(c0, NROOTS); if (c1) enc.encode(c1, NROOTS); };
      const last = c1 ?? c0;
      if (errors === 0) return () => { dec.decode(c0, NROOTS); if (c1) dec.decode(c1, NROOTS); };
      if (errors === 1) return () => { c0[3] ^= 0x5a; dec.decode(c0, NROOTS); if (c1) dec.decode(c1, NROOTS); };
      return () => { c0[3] ^= 0x5a; last[last.length - 7] ^= 0x81; dec.decode(c0, NROOTS); if (c1) dec.decode(c1, NROOTS); };
    },
  });
  return [
    mk("peer: npm reedsolomon (ZXing) encode", 0, "encode"),
    mk("peer: npm reedsolomon (ZXing) verify clean", 0, "decode"),
    mk("peer: npm reedsolomon (ZXing) decode 1 error", 1, "decode"),
    mk("peer: npm reedsolomon (ZXing) decode 2 errors", 2, "decode"),
  ];
}

/** The link as the repeater drives it: burst for a frame, a good frame plus its unneeded burst, a repaired frame. */
function linkBenches(n: number): Bench[] {
  const group = `fec link nroots 4 (${n}-byte frame)`;
  const setup = () => {
    const f = frame(n);
    appendCrc(f, 0, n - 2);
    const tx = new FecTransmitter(), rx = new FecReceiver(), burst = new Uint8Array(tx.maxBurstLength);
    const len = tx.encode(f, 0, n, burst, 0);
    return { f, tx, rx, burst, len };
  };
  return [
    { group, name: "FecTransmitter.encode", units: n, unitName: "byte", make: () => { const s = setup(); return () => s.tx.encode(s.f, 0, n, s.burst, 0); } },
    { group, name: "FecReceiver good frame + unneeded burst", units: n, unitName: "byte", make: () => { const s = setup(); return () => { s.rx.receive(s.f, 0, n); return s.rx.receive(s.burst, 0, s.len); }; } },
    { group, name: "FecReceiver bad frame (2 errors) + burst: corrected", units: n, unitName: "byte", make: () => {
      const s = setup(), g = s.f.slice();
      g[1] ^= 0x40; g[n - 3] ^= 0x03;
      return () => { s.rx.receive(g, 0, n); return s.rx.receive(s.burst, 0, s.len); };
    } },
  ];
}

/** Adaptive strength (docs/fec.md §9): a version-2 burst, and the chooser's decision when the peer's feedback changes. */
function adaptiveBenches(): Bench[] {
  const group = "fec adaptive (89-byte frame)";
  return [
    { group, name: "FecTransmitter.encodeAdaptive nroots 4, depth 2", units: 89, unitName: "byte", make: () => {
      const f = frame(89), tx = new FecTransmitter(), out = new Uint8Array(200);
      appendCrc(f, 0, 87);
      return () => tx.encodeAdaptive(f, 0, 89, 4, 2, 0x69, out, 0);
    } },
    ...([[8, 4], [16, 8]] as const).map(([maxNroots, maxDepth]): Bench => ({
      group, name: `FecStrengthChooser: new feedback, decide for 89 bytes (caps ${maxNroots}/${maxDepth})`, units: 1, unitName: "decision", make: () => {
        const c = new FecStrengthChooser({ maxNroots, maxDepth });
        const a = encodeFeedback(1e-2, 1), b = encodeFeedback(5e-3, 1.5);
        let k = 0;
        return () => { c.update((k++ & 1) === 0 ? a : b); c.choose(89); return c.nroots; };
      },
    })),
    { group, name: "FecStrengthChooser: same feedback, cached decision for 89 bytes", units: 1, unitName: "decision", make: () => {
      const c = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4 });
      c.update(encodeFeedback(1e-2, 1));
      return () => { c.choose(89); return c.nroots; };
    } },
  ];
}

export const benches: Bench[] = [
  ...[8, 89, 256].flatMap((n) => [...rc485Benches(n), ...textbookBenches(n), ...zxingBenches(n)]),
  ...[8, 89, 256].flatMap(linkBenches),
  ...adaptiveBenches(),
];

export const reports: Report[] = [
  { title: "FEC residual frame error rate: Monte Carlo against binomial theory (docs/fec.md §5)", run: () => monteCarloReport() },
  { title: "FEC strength under independent and burst noise: the paper's nroots 2, fixed nroots 4 and adaptive (docs/fec.md §9.5; 115200 8N1, link-level Monte Carlo against exact theory)", run: () => adaptiveReport() },
];
