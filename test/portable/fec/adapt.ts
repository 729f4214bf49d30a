// Adaptive FEC strength (docs/fec.md §9): feedback byte, error-process estimator, strength chooser.
import {
  codewordsFor, encodeFeedback, FEEDBACK_CLEAN, FEEDBACK_NONE, FecStrengthChooser, feedbackMeanRun, feedbackRunRate,
  LinkErrorEstimator, predictionCode,
} from "../../../modules/fec/adapt";
import type { Cases } from "../../harness/check";

/** P(more than nroots/2 of n + nroots independent symbols hit), the binomial tail. */
function binomialTail(n: number, nroots: number, p: number): number {
  const total = n + nroots;
  let ok = 0, term = Math.pow(1 - p, total);
  for (let k = 0; k <= nroots / 2; k++) {
    ok += term;
    term = (term * (total - k) * p) / ((k + 1) * (1 - p));
  }
  return 1 - ok;
}

export const cases: Cases = {
  "feedback byte: rate in half octaves and run length, both rounded up; 0 means no estimate"(t) {
    t.is(feedbackRunRate(FEEDBACK_NONE), 0);
    for (const [rate, run] of [[1e-2, 1], [3e-3, 1.4], [1e-5, 2.2], [0.3, 7], [1e-9, 1]]) {
      const fb = encodeFeedback(rate, run);
      t.ok(fb >>> 3 >= 1 && fb >>> 3 <= 31, `code ${fb}`);
      const r = feedbackRunRate(fb);
      t.ok(r >= rate || fb >>> 3 === 31, `rate ${rate} → ${r}`);
      t.ok(r < rate * Math.SQRT2 * 1.0001 || fb >>> 3 === 31 || fb >>> 3 === 1, `rate ${rate} → ${r} within half an octave`);
      t.ok(feedbackMeanRun(fb) >= Math.min(run, 6), `run ${run} → ${feedbackMeanRun(fb)}`);
    }
    t.is(encodeFeedback(1e-2, 1), (13 << 3) | 0, "2^-6.5 ≥ 1e-2 > 2^-7");
    t.is(encodeFeedback(0, 1) >>> 3, 31, "a clean link: the smallest rate code");
  },
  "estimator: no estimate before minFrames; counts runs per character over its window"(t) {
    const e = new LinkErrorEstimator({ windowFrames: 64, minFrames: 8 });
    for (let i = 0; i < 7; i++) e.observe(100, 0, 0);
    t.is(e.feedback(), FEEDBACK_NONE);
    e.observe(100, 0, 0);
    t.ok(e.feedback() >>> 3 >= 20, "clean history: a small rate");
    // One run of two bad characters per 100 characters, for a long time.
    for (let i = 0; i < 2000; i++) e.observe(100, 2, 1);
    t.ok(Math.abs(e.runRate - 0.01) < 0.001, `rate ${e.runRate}`);
    t.ok(Math.abs(e.meanRun - 2) < 0.05, `run ${e.meanRun}`);
    const fb = e.feedback();
    t.is(feedbackMeanRun(fb), 2);
    t.ok(feedbackRunRate(fb) >= 0.01 && feedbackRunRate(fb) < 0.0142);
    // A failure counts as at least t + 1 bad characters.
    const f = new LinkErrorEstimator();
    for (let i = 0; i < 100; i++) f.observeFailure(100, 2);
    t.ok(f.runRate * 100 >= 1 && f.meanRun * f.runRate * 100 >= 2.9, `${f.runRate} ${f.meanRun}`);
    t.throws(() => new LinkErrorEstimator({ windowFrames: 4 }), RangeError);
  },
  "chooser: without feedback the start setting; on a clean link the paper's two parity bytes"(t) {
    const c = new FecStrengthChooser({ nroots: 4, depth: 2 });
    c.choose(85);
    t.is(c.nroots, 4);
    t.is(c.depth, 2);
    c.update(encodeFeedback(0, 1));
    for (const len of [8, 85, 165, 256]) {
      c.choose(len);
      t.is(c.nroots, 2, `clean, ${len} bytes`);
      t.is(c.depth, 1);
    }
    c.update(FEEDBACK_NONE);
    c.choose(8);
    t.is(c.nroots, 4, "feedback withdrawn: back to the start setting");
  },
  "chooser: the least parity that meets the target, more for longer frames, within the caps"(t) {
    const c = new FecStrengthChooser({ targetFer: 1e-3, maxNroots: 8, maxDepth: 4 });
    c.update(encodeFeedback(1e-2, 1));
    const beta = feedbackRunRate(c.feedback), run = feedbackMeanRun(c.feedback);
    let last = 0;
    for (const len of [8, 85, 165]) {
      c.choose(len);
      const m = Math.max(c.depth, Math.ceil(len / (255 - c.nroots)));
      const parity = Math.min(m, len) * c.nroots;
      t.ok(parity >= last, `${len}: ${c.nroots}/${c.depth}`);
      last = parity;
      t.ok(c.nroots <= 8 && c.depth <= 4);
      t.ok(c.predictCodewordFailure(len, c.nroots, c.depth, beta, run) <= 1e-3 || (c.nroots === 8 && c.depth === 4), `${len} meets the target`);
      // Nothing cheaper would have met it.
      for (const n of [2, 4, 6, 8]) for (const d of [1, 2, 3, 4]) {
        const p = Math.min(Math.max(d, Math.ceil(len / (255 - n))), len) * n;
        if (p < parity) t.ok(c.predictCodewordFailure(len, n, d, beta, run) > 1e-3, `${len}: ${n}/${d} is cheaper and would do`);
      }
    }
  },
  "estimator: FEEDBACK_CLEAN after cleanFrames frames in a row without a bad character; one bad character ends it"(t) {
    const e = new LinkErrorEstimator({ cleanFrames: 100 });
    for (let i = 0; i < 99; i++) e.observe(90, 0, 0);
    t.ok(e.feedback() >>> 3 > 0, "a rate code before");
    e.observe(90, 0, 0);
    t.is(e.feedback(), FEEDBACK_CLEAN);
    e.observe(90, 1, 1);
    t.ok(e.feedback() >>> 3 > 0, "a bad character: a rate code again");
    for (let i = 0; i < 99; i++) e.observe(90, 0, 0);
    t.ok(e.feedback() !== FEEDBACK_CLEAN, "99 clean frames are not enough");
    e.observe(90, 0, 0);
    t.is(e.feedback(), FEEDBACK_CLEAN);
    e.observeFailure(90, 0);
    t.ok(e.feedback() !== FEEDBACK_CLEAN, "a frame beyond repair ends it too");
    t.throws(() => new LinkErrorEstimator({ cleanFrames: 8 }), RangeError);
  },
  "chooser: FEEDBACK_CLEAN means no parity; a rate code brings it back"(t) {
    const c = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4 });
    c.update(encodeFeedback(1e-2, 1));
    c.choose(85);
    const before = c.nroots;
    c.update(FEEDBACK_CLEAN);
    t.is(c.feedback, FEEDBACK_CLEAN);
    for (const len of [8, 85, 256]) {
      c.choose(len);
      t.is(c.nroots, 0, `${len}: no parity`);
      t.is(c.depth, 0);
    }
    c.update(encodeFeedback(1e-2, 1));
    c.choose(85);
    t.is(c.nroots, before);
  },
  "chooser: every decision is the reference selection over predictCodewordFailure (swept, or read from the table)"(t) {
    for (const [maxN, maxD, target, table] of [[8, 4, 1e-3, 1], [8, 4, 1e-3, 0], [16, 8, 1e-4, 1], [4, 2, 1e-2, 1]]) {
      for (const [rate, run] of [[1e-2, 1], [3e-3, 2.5], [5e-4, 1.5], [0.05, 6], [1e-6, 1]]) {
        const c = new FecStrengthChooser({ targetFer: target, maxNroots: maxN, maxDepth: maxD, hysteresis: 1, table: table === 1 });
        t.is(c.usesTable, table === 1 && maxN <= 8 && maxD <= 4, "the table covers caps up to 8/4");
        c.update(encodeFeedback(rate, run));
        const beta = feedbackRunRate(c.feedback), ell = feedbackMeanRun(c.feedback);
        // The table holds each prediction as its quarter-octave upper bound.
        const value = (f: number) => (c.usesTable ? Math.pow(2, -predictionCode(f) / 4) : f);
        for (const len of [8, 16, 32, 64, 96, 128, 176, 256]) {
          c.choose(len);
          // Reference: the fewest parity bytes meeting the target (ties: the lowest prediction), else the lowest prediction.
          let best = "", bestCost = Infinity, bestF = Infinity, low = "", lowF = Infinity;
          for (let n = 2; n <= maxN; n += 2) for (const d of [1, 2, 3, 4, 6, 8]) {
            if (d > maxD) continue;
            const f = value(c.predictCodewordFailure(len, n, d, beta, ell)), cost = codewordsFor(len, n, d) * n;
            if (f < lowF) { lowF = f; low = `${n}/${d}`; }
            if (f <= target && (cost < bestCost || (cost === bestCost && f < bestF))) { best = `${n}/${d}`; bestCost = cost; bestF = f; }
          }
          const got = `${c.nroots}/${c.depth}`;
          if (best !== "") {
            t.is(codewordsFor(len, c.nroots, c.depth) * c.nroots, bestCost, `${len} bytes, ${rate}/${run}: ${got} vs ${best}`);
            t.ok(c.predictCodewordFailure(len, c.nroots, c.depth, beta, ell) <= target, "the exact prediction meets the target too");
          } else t.is(value(c.predictCodewordFailure(len, c.nroots, c.depth, beta, ell)), lowF, `${len} bytes, ${rate}/${run}: none meets ${target}; ${got} vs ${low}`);
        }
      }
    }
  },
  "prediction table (modules/fec/adapt-table.ts) agrees with the sweep: sampled here, every entry in test/fec.test.ts"(t) {
    const swept = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4, table: false });
    const tabled = new FecStrengthChooser({ maxNroots: 8, maxDepth: 4 });
    t.ok(tabled.usesTable && !swept.usesTable);
    for (const [rate, run] of [[2e-2, 1], [1e-3, 3], [1e-5, 1.25]]) {
      const fb = encodeFeedback(rate, run);
      const beta = feedbackRunRate(fb), ell = feedbackMeanRun(fb);
      for (const len of [8, 96, 256]) for (const n of [2, 4, 8]) for (const d of [1, 3, 4]) {
        const code = predictionCode(swept.predictCodewordFailure(len, n, d, beta, ell));
        t.is(tabled.tableCode(len, fb, n, d), code, `${len} bytes, fb 0x${fb.toString(16)}, ${n}/${d}`);
      }
    }
  },
  "chooser: hysteresis steps up at once, steps down only well below the target"(t) {
    const c = new FecStrengthChooser({ targetFer: 1e-3, hysteresis: 4 });
    c.update(encodeFeedback(1e-2, 1));
    c.choose(85);
    const strong = c.nroots * c.depth;
    c.update(encodeFeedback(7e-3, 1)); // one half-octave down: the strong setting is kept
    c.choose(85);
    t.is(c.nroots * c.depth, strong);
    c.update(encodeFeedback(1e-4, 1));
    c.choose(85);
    t.ok(c.nroots * c.depth < strong, "far below: steps down");
    t.is(c.changes, 1, "the first decision is no change; the step down is");
    t.throws(() => new FecStrengthChooser({ targetFer: 0 }), RangeError);
    t.throws(() => new FecStrengthChooser({ maxNroots: 5 }), RangeError);
  },
  "prediction: independent errors match the binomial tail; longer runs need interleaving"(t) {
    const c = new FecStrengthChooser();
    // Independent hits with probability p: runs start at p(1 − p) per character and last 1/(1 − p) on average.
    for (const [len, nroots, p] of [[85, 4, 1e-2], [165, 4, 1e-2], [8, 2, 1e-2], [85, 2, 1e-3]]) {
      const f = c.predictCodewordFailure(len, nroots, 1, p * (1 - p), 1 / (1 - p));
      const b = binomialTail(len, nroots, p);
      t.ok(Math.abs(f - b) < 1e-6 * b, `${len}/${nroots}/${p}: ${f} vs ${b}`);
    }
    // Runs of 3: depth 2 beats depth 1 at the same nroots.
    t.ok(c.predictCodewordFailure(85, 4, 2, 3e-3, 3) < c.predictCodewordFailure(85, 4, 1, 3e-3, 3));
    t.is(c.predictFailure(85, 4, 1, 0, 1), 0);
  },
};
