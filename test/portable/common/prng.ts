import { Prng } from "../../../modules/common/prng";
import type { Cases } from "../../harness/check";

export const cases: Cases = {
  "same seed, same stream; different seeds differ"(t) {
    const a = new Prng(42), b = new Prng(42), c = new Prng(43);
    let same = true, differ = false;
    for (let i = 0; i < 100; i++) {
      const x = a.nextUint32();
      if (x !== b.nextUint32()) same = false;
      if (x !== c.nextUint32()) differ = true;
    }
    t.ok(same);
    t.ok(differ);
  },
  "uniform draws stay in range and fill it"(t) {
    const r = new Prng(7);
    const hist = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 10000; i++) {
      const f = r.nextFloat();
      t.ok(f >= 0 && f < 1);
      hist[Math.floor(f * 10)]++;
      const k = r.nextRange(3, 5);
      t.ok(k === 3 || k === 4 || k === 5);
      const u = r.nextUint32();
      t.ok(Number.isInteger(u) && u >= 0 && u < 4294967296);
    }
    for (const h of hist) t.ok(h > 850 && h < 1150, `decile count ${h}`); // 1000 ± 5 sigma (sigma 30)
  },
  "geometric skip has mean (1-p)/p"(t) {
    const r = new Prng(1);
    const p = 0.01;
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) sum += r.geometric(p);
    const mean = sum / n; // expected 99, sigma of the mean about 0.7
    t.ok(mean > 95.5 && mean < 102.5, `mean ${mean}`);
    t.is(r.geometric(0), Infinity);
    t.is(r.geometric(1), 0);
  },
  "exponential gaps have the configured mean"(t) {
    const r = new Prng(9);
    let sum = 0;
    for (let i = 0; i < 10000; i++) sum += r.exponential(1000);
    const mean = sum / 10000; // 1000.5 (rounded up), sigma 10
    t.ok(mean > 950 && mean < 1050, `mean ${mean}`);
  },
  "a non-integer seed is a TypeError"(t) {
    t.throws(() => new Prng(1.5), TypeError);
  },
};
