// Cross-check against the real libfec (Debian libfec-dev): a small C helper (test/c/libfec-helper.c) is compiled at test
// time with gcc and -lfec; a missing compiler or library fails this test (it is never skipped). Parity must be
// byte-identical; decoding must agree wherever libfec stays within nroots/2 inside the shortened codeword, and where
// libfec "corrects" more (more than nroots/2 locations, or locations in the padding) rc485 must report a failure. The
// tally of each case is logged (with Debian's libfec 1.0 both of those branches stay empty: it fails there too).
// The version-2 burst (adaptive strength) is checked the same way: its header parity and its interleaved data parity.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FecTransmitter } from "../modules/fec/link";
import { ReedSolomon, RS_OUTSIDE_CODEWORD } from "../modules/fec/reed-solomon";

const root = fileURLToPath(new URL("..", import.meta.url));
const helper = `${root}build/libfec-helper`;

function compile(): void {
  mkdirSync(`${root}build`, { recursive: true });
  execFileSync("gcc", ["-O2", "-Wall", "-o", helper, `${root}test/c/libfec-helper.c`, "-lfec"], { stdio: ["ignore", "pipe", "pipe"] });
}

function runHelper(requests: string[]): string[] {
  const out = execFileSync(helper, { input: requests.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 << 20 });
  const lines = out.trimEnd().split("\n");
  if (lines.length !== requests.length) throw new Error(`helper answered ${lines.length} of ${requests.length} requests`);
  return lines;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function xorshift(seed: number): () => number {
  let x = seed;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

test.before(() => compile());

test("parity is byte-identical to libfec for random frames of 1..256 bytes, split into codewords, nroots 2, 4 and 8", (t) => {
  const rnd = xorshift(2024);
  const requests: string[] = [];
  const expected: string[] = [];
  let codewords = 0;
  for (const nroots of [2, 4, 8]) {
    const rs = new ReedSolomon(nroots);
    for (let len = 1; len <= 256; len++) {
      const depth = 1 + (len % 3);
      const frame = new Uint8Array(len);
      for (let i = 0; i < len; i++) frame[i] = rnd() & 0xff;
      const parity = new Uint8Array(rs.parityLength(len, depth));
      rs.encodeFrame(frame, 0, len, depth, parity, 0);
      const m = rs.codewords(len, depth);
      for (let j = 0; j < m; j++) {
        const cw: number[] = [];
        for (let i = j; i < len; i += m) cw.push(frame[i]);
        requests.push(`E ${nroots} ${hex(Uint8Array.from(cw))}`);
        expected.push(`P ${hex(parity.subarray(j * nroots, (j + 1) * nroots))}`);
        codewords++;
      }
    }
  }
  const answers = runHelper(requests);
  let mismatches = 0;
  answers.forEach((a, i) => { if (a !== expected[i]) { mismatches++; if (mismatches < 5) t.log(requests[i], a, expected[i]); } });
  t.is(mismatches, 0);
  t.true(codewords > 3 * 256);
});

test("decoding agrees with libfec within nroots/2; where libfec corrects more, rc485 reports failure", (t) => {
  const rnd = xorshift(77);
  type Case = { nroots: number; len: number; word: Uint8Array; padding: boolean };
  const cases: Case[] = [];
  for (const nroots of [2, 4, 8]) {
    const rs = new ReedSolomon(nroots);
    for (let k = 0; k < 1500; k++) {
      const len = 1 + (rnd() % (255 - nroots));
      const word = new Uint8Array(len + nroots);
      for (let i = 0; i < len; i++) word[i] = rnd() & 0xff;
      rs.encode(word, 0, len, 1, word, len);
      const kind = k % 10;
      let padding = false;
      if (kind === 9) {
        for (let i = 0; i < word.length; i++) word[i] = rnd() & 0xff; // a random received word
      } else if (kind === 8 && len + nroots < 250) {
        // one error in the virtual padding: add e·x^d mod g to the parity (d beyond the shortened codeword)
        const d = len + nroots + (rnd() % (255 - len - nroots));
        const v = new Uint8Array(d - nroots + 1);
        v[0] = 1 + (rnd() % 255);
        const q = new Uint8Array(nroots);
        rs.encode(v, 0, v.length, 1, q, 0);
        for (let i = 0; i < nroots; i++) word[len + i] ^= q[i];
        if (rnd() & 1) word[rnd() % word.length] ^= 1 + (rnd() % 255);
        else padding = true;
      } else {
        const errors = rnd() % (nroots / 2 + 3);
        for (let e = 0; e < errors; e++) word[rnd() % word.length] ^= 1 + (rnd() % 255);
      }
      cases.push({ nroots, len, word, padding });
    }
  }
  const answers = runHelper(cases.map((c) => `D ${c.nroots} ${hex(c.word)}`));
  const tally = { agreeCorrected: 0, agreeFailed: 0, libfecBeyondCapacity: 0, libfecInPadding: 0, paddingErrors: 0 };
  const decoders = new Map([2, 4, 8].map((r) => [r, new ReedSolomon(r)]));
  answers.forEach((line, i) => {
    const { nroots, len, word, padding } = cases[i];
    const [tag, retText, after, ...posText] = line.split(" ");
    if (tag !== "R") throw new Error(`helper: ${line}`);
    const ret = Number(retText);
    const positions = posText.map(Number);
    const ours = word.slice();
    const rs = decoders.get(nroots)!;
    const res = rs.decode(ours, 0, len, 1, ours, len);
    const label = `nroots ${nroots} len ${len} libfec ${ret} [${positions}] rc485 ${res}`;
    if (padding) {
      t.is(res, RS_OUTSIDE_CODEWORD, label);
      tally.paddingErrors++;
    }
    if (ret >= 0 && ret <= nroots / 2 && positions.every((p) => p >= 0)) {
      t.is(res, ret, label);
      t.is(hex(ours), after, label);
      tally.agreeCorrected++;
    } else if (ret < 0) {
      t.true(res < 0, label);
      tally.agreeFailed++;
    } else {
      t.true(res < 0, label);
      if (ret > nroots / 2) tally.libfecBeyondCapacity++; else tally.libfecInPadding++;
    }
  });
  t.log(JSON.stringify(tally));
  t.true(tally.agreeCorrected > 1000);
  t.true(tally.agreeFailed > 100);
  t.true(tally.paddingErrors > 150, "single errors in the padding: rc485 rejects them (libfec 1.0 returns -1 there as well)");
});

test("version-2 and feedback-only bursts (docs/fec.md §9.3): header parity and interleaved data parity are libfec's", (t) => {
  const rnd = xorshift(2026);
  const tx = new FecTransmitter();
  const requests: string[] = [];
  const expected: string[] = [];
  for (const [nroots, depth] of [[2, 1], [4, 2], [6, 3], [8, 4]]) for (let k = 0; k < 40; k++) {
    const len = 1 + (rnd() % 256);
    const frame = new Uint8Array(len);
    for (let i = 0; i < len; i++) frame[i] = rnd() & 0xff;
    const out = new Uint8Array(tx.adaptiveBurstLength(len, nroots, depth));
    tx.encodeAdaptive(frame, 0, len, nroots, depth, rnd() & 0xff, out, 0);
    requests.push(`E 4 ${hex(out.subarray(0, 4))}`);
    expected.push(`P ${hex(out.subarray(4, 8))}`);
    const m = (out.length - 10) / nroots;
    for (let j = 0; j < m; j++) {
      const cw: number[] = [], p: number[] = [];
      for (let i = j; i < len; i += m) cw.push(frame[i]);
      for (let q = 0; q < nroots; q++) p.push(out[8 + q * m + j]);
      requests.push(`E ${nroots} ${hex(Uint8Array.from(cw))}`);
      expected.push(`P ${hex(Uint8Array.from(p))}`);
    }
  }
  // Feedback-only bursts (no parity): the same header code over FA C0 length−1 feedback.
  for (let k = 0; k < 40; k++) {
    const out = new Uint8Array(10);
    tx.encodeFeedbackOnly(1 + (rnd() % 256), rnd() & 0xff, out, 0);
    requests.push(`E 4 ${hex(out.subarray(0, 4))}`);
    expected.push(`P ${hex(out.subarray(4, 8))}`);
  }
  const answers = runHelper(requests);
  t.deepEqual(answers, expected);
  t.true(requests.length > 400);
});
