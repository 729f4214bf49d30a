// The sanity filter for running totals: backwards, too fast, transient zeros, start-up confirmation and recovery.
import {
  TotalSanity, VERDICT_ACCEPTED, VERDICT_BACKWARDS, VERDICT_INVALID, VERDICT_REBASELINED, VERDICT_TOO_FAST, VERDICT_UNCONFIRMED,
} from "../../../modules/concentrator/sanity";
import type { Cases } from "../../harness/check";

const S = 1_000_000; // µs per second

/** A filter with one kWh slot of a 23 kW meter whose baseline 1000 kWh was confirmed at t = 0..20 s. */
function established(options = {}): TotalSanity {
  const f = new TotalSanity(1, options);
  f.configure(0, 23000, "kWh");
  f.check(0, 1000, 0);
  f.check(0, 1000, 10 * S);
  if (f.check(0, 1000, 20 * S) !== VERDICT_ACCEPTED) throw new Error("baseline not established");
  return f;
}

export const cases: Cases = {
  "start-up: the first total is published only after three consistent readings"(t) {
    const f = new TotalSanity(1);
    f.configure(0, 23000, "kWh");
    t.is(f.check(0, 500, 0), VERDICT_UNCONFIRMED);
    t.is(f.check(0, 500.01, 10 * S), VERDICT_UNCONFIRMED);
    t.is(f.check(0, 500.02, 20 * S), VERDICT_ACCEPTED);
    t.is(f.accepted(0), 500.02);
  },
  "a single transient 0 is withheld and the next good reading is accepted"(t) {
    const f = established();
    t.is(f.check(0, 0, 30 * S), VERDICT_BACKWARDS);
    t.is(f.accepted(0), 1000);
    t.is(f.check(0, 1000.05, 40 * S), VERDICT_ACCEPTED);
    t.is(f.backwards[0], 1);
  },
  "zeros never become a new baseline, however many"(t) {
    const f = established();
    for (let i = 0; i < 20; i++) t.ok(f.check(0, 0, (30 + 10 * i) * S) !== VERDICT_ACCEPTED);
    t.is(f.accepted(0), 1000);
    t.is(f.rebaselines[0], 0);
  },
  "a rise faster than the rated power allows is withheld"(t) {
    const f = established();
    // 23 kW × 1.5 over 10 s = 95.8 Wh, plus 100 Wh slack: at most 0.1958 kWh.
    t.is(f.check(0, 1000.19, 30 * S), VERDICT_ACCEPTED);
    t.is(f.check(0, 1000.19 + 0.2, 40 * S), VERDICT_TOO_FAST);
    t.is(f.check(0, 1000.19 + 50, 50 * S), VERDICT_TOO_FAST);
    t.is(f.tooFast[0], 2);
    // After an hour of silence, 30 kWh is possible (23 kW × 1.5 = 34.5 kWh/h).
    t.is(f.check(0, 1030, 3630 * S), VERDICT_ACCEPTED);
  },
  "garbage spikes are withheld and do not move the baseline"(t) {
    const f = established();
    t.is(f.check(0, 3.4e38, 30 * S), VERDICT_TOO_FAST);
    t.is(f.check(0, 1000.01, 40 * S), VERDICT_ACCEPTED);
    t.is(f.check(0, NaN, 50 * S), VERDICT_INVALID);
    t.is(f.invalid[0], 1);
    t.is(f.accepted(0), 1000.01);
  },
  "recovery: a replaced meter is accepted after three consistent readings (rebaseline)"(t) {
    const f = established();
    t.is(f.check(0, 2.5, 30 * S), VERDICT_BACKWARDS);
    t.is(f.check(0, 2.5, 40 * S), VERDICT_BACKWARDS);
    t.is(f.check(0, 2.51, 50 * S), VERDICT_REBASELINED);
    t.is(f.accepted(0), 2.51);
    t.is(f.rebaselines[0], 1);
    t.is(f.check(0, 2.52, 60 * S), VERDICT_ACCEPTED);
  },
  "an inconsistent reading restarts the recovery chain"(t) {
    const f = established({ confirmations: 2 });
    t.is(f.check(0, 5, 30 * S), VERDICT_BACKWARDS);
    t.is(f.check(0, 4, 40 * S), VERDICT_BACKWARDS, "lower than the candidate: chain restarts");
    t.is(f.check(0, 4, 50 * S), VERDICT_REBASELINED);
  },
  "units without a power bound are checked for direction only; Wh and MWh scale"(t) {
    const f = new TotalSanity(3, { confirmations: 2 });
    f.configure(0, 23000, "Ah");
    f.configure(1, 0, "kWh");
    f.configure(2, 23000, "Wh");
    for (let s = 0; s < 3; s++) { f.check(s, 10, 0); t.is(f.check(s, 10, 0), VERDICT_ACCEPTED); }
    t.is(f.check(0, 1e6, S), VERDICT_ACCEPTED);
    t.is(f.check(1, 1e6, S), VERDICT_ACCEPTED);
    t.is(f.check(2, 10 + 100 + 9.5, S), VERDICT_ACCEPTED, "100 Wh slack + 9.58 Wh in one second");
    t.is(f.check(2, 10 + 100 + 9.5 + 120, 2 * S), VERDICT_TOO_FAST);
    t.is(f.check(0, 5, 2 * S), VERDICT_BACKWARDS);
  },
  "confirmations 1: every withheld reading becomes the baseline at once (no protection; documented)"(t) {
    const f = new TotalSanity(1, { confirmations: 1 });
    f.configure(0, 23000, "kWh");
    t.is(f.check(0, 10, 0), VERDICT_ACCEPTED);
    t.is(f.check(0, 5, S), VERDICT_REBASELINED);
  },
  "bad options and slots are RangeErrors"(t) {
    t.throws(() => new TotalSanity(-1), RangeError);
    t.throws(() => new TotalSanity(1, { confirmations: 0 }), RangeError);
    t.throws(() => new TotalSanity(1, { margin: 0.5 }), RangeError);
    t.throws(() => new TotalSanity(1).configure(1, 1, "kWh"), RangeError);
  },
};
