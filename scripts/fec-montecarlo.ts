/*
 * Monte Carlo of the Reed–Solomon codec against binomial theory (docs/fec.md §5), run by the bench (`npm run bench -- fec`,
 * report "FEC residual frame error rate"). Each trial codes a fresh random Modbus frame of n bytes (CRC included) with
 * nroots parity bytes, hits each of the n + nroots bytes independently with probability p (xor with a uniform non-zero
 * value), decodes, and counts a residual frame error when the decoder fails or returns a frame that differs from the one
 * sent. Theory for a bounded-distance decoder: a frame fails exactly when more than nroots/2 of its n + nroots bytes are
 * hit, P = 1 − Σ_{k ≤ t} C(n+r, k) p^k (1−p)^(n+r−k). Miscorrections (decoder "succeeds" with a wrong frame) are split by
 * whether the Modbus CRC caught them. Seeded and deterministic; pure (no Node APIs).
 */
import { appendCrc, crcMatches } from "../modules/rtu/crc16";
import { ReedSolomon } from "../modules/fec/reed-solomon";

export interface MonteCarloRow {
  p: number; n: number; nroots: number; trials: number;
  theory: number; measured: number; standardError: number; z: number;
  failuresDetected: number; miscorrectedCaught: number; miscorrectedPastCrc: number;
}

function binomialTail(total: number, t: number, p: number): number {
  let below = 0, c = 1;
  for (let k = 0; k <= t; k++) {
    if (k > 0) c = (c * (total - k + 1)) / k;
    below += c * p ** k * (1 - p) ** (total - k);
  }
  return 1 - below;
}

export function simulate(p: number, n: number, nroots: number, trials: number, seed: number): MonteCarloRow {
  let x = seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const uniform = () => (next() + 0.5) / 4294967296;
  const rs = new ReedSolomon(nroots);
  const frame = new Uint8Array(n), sent = new Uint8Array(n), parity = new Uint8Array(nroots);
  const logq = Math.log(1 - p), total = n + nroots;
  let failures = 0, detected = 0, caught = 0, passed = 0;
  for (let trial = 0; trial < trials; trial++) {
    frame[0] = 1 + (next() % 247);
    for (let i = 1; i < n - 2; i++) frame[i] = next() & 0xff;
    appendCrc(frame, 0, n - 2);
    sent.set(frame);
    rs.encode(frame, 0, n, 1, parity, 0);
    // hit positions: geometric gaps between independent Bernoulli(p) hits
    for (let i = Math.floor(Math.log(uniform()) / logq); i < total; i += 1 + Math.floor(Math.log(uniform()) / logq)) {
      const v = 1 + (next() % 255);
      if (i < n) frame[i] ^= v; else parity[i - n] ^= v;
    }
    const res = rs.decode(frame, 0, n, 1, parity, 0);
    if (res < 0) { failures++; detected++; continue; }
    let same = true;
    for (let i = 0; i < n; i++) if (frame[i] !== sent[i]) { same = false; break; }
    if (same) continue;
    failures++;
    if (crcMatches(frame, 0, n)) passed++; else caught++;
  }
  const theory = binomialTail(total, nroots / 2, p);
  const measured = failures / trials;
  const standardError = Math.sqrt(Math.max(theory * (1 - theory), 1e-300) / trials);
  return {
    p, n, nroots, trials, theory, measured, standardError, z: (measured - theory) / standardError,
    failuresDetected: detected, miscorrectedCaught: caught, miscorrectedPastCrc: passed,
  };
}

export function monteCarloRows(): MonteCarloRow[] {
  const rows: MonteCarloRow[] = [];
  let seed = 0x5eed;
  for (const p of [1e-3, 1e-2, 5e-2]) for (const n of [8, 85]) for (const nroots of [2, 4]) {
    rows.push(simulate(p, n, nroots, n === 8 ? 400_000 : 200_000, seed++));
  }
  return rows;
}

const sci = (v: number) => (v === 0 ? "0" : v.toExponential(2));

export function monteCarloReport(): string {
  const rows = monteCarloRows();
  const lines = [
    "| byte error rate | frame bytes | nroots | trials | theory P(> nroots/2 hits) | measured residual FER | std. error | z | within 3 SE | decoder failures | miscorrected, CRC caught | miscorrected, past CRC |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|:-:|--:|--:|--:|",
  ];
  for (const r of rows) {
    lines.push(`| ${r.p} | ${r.n} | ${r.nroots} | ${r.trials.toLocaleString("en-US")} | ${sci(r.theory)} | ${sci(r.measured)} | ${sci(r.standardError)} | ${r.z.toFixed(2)} | ${Math.abs(r.z) <= 3 ? "yes" : "NO"} | ${r.failuresDetected} | ${r.miscorrectedCaught} | ${r.miscorrectedPastCrc} |`);
  }
  const all = rows.every((r) => Math.abs(r.z) <= 3);
  lines.push("", all ? "All cells within 3 standard errors of the binomial prediction." : "SOME CELLS ARE OUTSIDE 3 STANDARD ERRORS.");
  return lines.join("\n");
}
