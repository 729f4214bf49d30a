// Learned limits (modules/commissioning/learned-limits.ts) fed by hand: the binary search of a register cap from exceptions and from
// silence, a tentative cap dropped for a dead meter, the timeout from recent latencies within its bounds, the gap raised
// by too-fast symptoms, and the state round trip. Portable: runs on Node and on XS.
import { LearnedLimits } from "../../../modules/commissioning/learned-limits";
import { STATUS_EXCEPTION, STATUS_OK, STATUS_TIMEOUT } from "../../../modules/master/status";
import type { Cases, Check } from "../../harness/check";

export const cases: Cases = {
  "a refused block read lowers the cap halfway; a success at the cap searches upwards; a count that worked is never a cap"(t: Check) {
    const l = new LearnedLimits(2);
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 80, STATUS_EXCEPTION, 3, -1);
    t.is(l.cap[0], 45);
    t.ok(l.planChanged);
    l.planChanged = false;
    l.observe(0, 4, 44, STATUS_EXCEPTION, 2, -1);
    t.is(l.cap[0], 27);
    l.observe(0, 4, 26, STATUS_OK, 0, 5000);
    t.is(l.cap[0], 35, "probed halfway up after a success at the cap");
    l.observe(0, 4, 34, STATUS_EXCEPTION, 4, -1);
    t.is(l.cap[0], 30);
    // Exception 01 or 06 is not about the size; a timeout of a size that worked is not a cap problem.
    l.observe(0, 4, 30, STATUS_EXCEPTION, 1, -1);
    l.observe(0, 4, 20, STATUS_TIMEOUT, 0, -1);
    t.is(l.cap[0], 30);
    t.is(l.cap[1], 0, "the other meter is untouched");
  },
  "silence of a big read where smaller reads succeed lowers the cap; a meter silent at every size is dead, not capped"(t: Check) {
    const l = new LearnedLimits(2);
    l.observe(0, 3, 8, STATUS_OK, 0, 4000);
    l.observe(0, 3, 60, STATUS_TIMEOUT, 0, -1);
    t.is(l.cap[0], 34);
    l.minCap[1] = 4;
    l.observe(1, 3, 40, STATUS_TIMEOUT, 0, -1);
    t.is(l.cap[1], 20, "tentative");
    l.observe(1, 3, 20, STATUS_TIMEOUT, 0, -1);
    l.observe(1, 3, 12, STATUS_TIMEOUT, 0, -1);
    l.observe(1, 3, 7, STATUS_TIMEOUT, 0, -1);
    l.observe(1, 3, 4, STATUS_TIMEOUT, 0, -1);
    t.is(l.cap[1], 0, "silent even at its smallest read: the profile's plan again");
    l.observe(1, 3, 40, STATUS_TIMEOUT, 0, -1);
    t.is(l.cap[1], 0, "no more halving until it answers");
  },
  "the timeout follows factor × the highest recent latency + margin, within floor and ceiling"(t: Check) {
    const l = new LearnedLimits(1, { samples: 4, minSamples: 3, factor: 3, marginUs: 10000, floorUs: 30000, ceilingUs: 500000 });
    l.observe(0, 4, 2, STATUS_OK, 0, 4000);
    l.observe(0, 4, 2, STATUS_OK, 0, 6000);
    t.is(l.timeoutUs[0], 0, "not before minSamples");
    l.observe(0, 4, 2, STATUS_OK, 0, 5000);
    t.is(l.timeoutUs[0], 30000, "3 × 6 ms + 10 ms = 28 ms, raised to the floor");
    l.observe(0, 4, 2, STATUS_OK, 0, 50000);
    t.is(l.timeoutUs[0], 160000);
    l.observe(0, 4, 2, STATUS_OK, 0, 400000);
    t.is(l.timeoutUs[0], 500000, "ceiling");
    for (let i = 0; i < 4; i++) l.observe(0, 4, 2, STATUS_OK, 0, 8000);
    t.is(l.timeoutUs[0], 34000, "old samples leave the ring");
    t.ok(l.timingChanged);
  },
  "a meter silent right after answering, at a size it answers, gets more silence before its requests"(t: Check) {
    const l = new LearnedLimits(1, { gapStepUs: 20000, gapCeilingUs: 50000 });
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.gapUs[0], 20000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.gapUs[0], 20000, "only the first silence after an answer counts");
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.gapUs[0], 20000, "no second raise before the host applied the first");
    l.applied();
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    l.applied();
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.gapUs[0], 50000, "ceiling");
    t.is(l.gapRaises[0], 3);
    t.is(l.cap[0], 0);
  },
  "state round trip by meter name; bad entries skipped"(t: Check) {
    const a = new LearnedLimits(2);
    a.observe(0, 4, 6, STATUS_OK, 0, 5000);
    a.observe(0, 4, 40, STATUS_EXCEPTION, 3, -1);
    for (let i = 0; i < 4; i++) a.observe(1, 4, 2, STATUS_OK, 0, 10000);
    const saved = JSON.parse(JSON.stringify(a.toJSON(["x", "y"])));
    t.deepEqual(saved.x, { cap: 23, timeoutMs: 0, gapMs: 0, latencyMs: 5 });
    t.is(saved.y.timeoutMs, 50);
    const b = new LearnedLimits(3);
    t.is(b.load({ ...saved, z: { cap: "many" } }, ["y", "x", "z"]), 3);
    t.is(b.cap[1], 23);
    t.is(b.timeoutUs[0], 50000);
    t.is(b.cap[2], 0);
    t.ok(b.planChanged);
    t.is(new LearnedLimits(1).load(null, ["x"]), 0);
    t.throws(() => new LearnedLimits(1, { floorUs: 10 }), RangeError);
  },
  "an offline unit teaches no timing: its replies are no samples, its silence raises no gap, widens no timeout, lowers no cap"(t: Check) {
    const l = new LearnedLimits(1, { samples: 4, minSamples: 2, factor: 3, marginUs: 10000, floorUs: 30000 });
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    l.observe(0, 4, 10, STATUS_OK, 0, 5000);
    t.is(l.timeoutUs[0], 30000);
    l.applied();
    for (let i = 0; i < 5; i++) l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1, true);
    l.observe(0, 4, 40, STATUS_TIMEOUT, 0, -1, true);
    t.is(l.gapUs[0], 0);
    t.is(l.timeoutUs[0], 30000);
    t.is(l.cap[0], 0);
    t.ok(!l.timingChanged && !l.planChanged);
    // Back: the probe's slow reply (a meter just powered up) is no sample.
    l.observe(0, 4, 10, STATUS_OK, 0, 900000, true);
    t.is(l.highLatency(0), 5000);
    t.is(l.timeoutUs[0], 30000);
  },
  "in service, a silence at an answered size doubles the learned timeout once per applied(); the next reply recomputes it"(t: Check) {
    const l = new LearnedLimits(1, { samples: 4, minSamples: 2, factor: 3, marginUs: 10000, floorUs: 30000, ceilingUs: 100000 });
    l.observe(0, 4, 10, STATUS_OK, 0, 8000);
    l.observe(0, 4, 10, STATUS_OK, 0, 8000);
    t.is(l.timeoutUs[0], 34000);
    l.applied();
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.timeoutUs[0], 68000);
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.timeoutUs[0], 68000, "once per applied()");
    l.applied();
    l.observe(0, 4, 10, STATUS_TIMEOUT, 0, -1);
    t.is(l.timeoutUs[0], 100000, "ceiling");
    l.observe(0, 4, 10, STATUS_OK, 0, 8000);
    t.is(l.timeoutUs[0], 34000, "not kept as a floor: the reply recomputes it from the samples");
  },
  "a reply after a retry: counted from the attempt it answered until a timeout is learned; then the timeout widens"(t: Check) {
    const l = new LearnedLimits(1, { samples: 4, minSamples: 2, factor: 3, marginUs: 10000, floorUs: 30000 });
    // A meter slower than the configured timeout: its reply to the first attempt comes while the retry waits.
    l.observe(0, 4, 10, STATUS_OK, 0, 2000, false, 100000);
    l.observe(0, 4, 10, STATUS_OK, 0, 15000, false, 110000);
    t.is(l.highLatency(0), 110000);
    t.is(l.timeoutUs[0], 340000);
    l.applied();
    // With a timeout learned, a retried reply is sampled as measured, and the timeout it may have cut off widens.
    l.observe(0, 4, 10, STATUS_OK, 0, 3000, false, 400000);
    t.is(l.highLatency(0), 110000);
    t.is(l.timeoutUs[0], 680000);
  },
  "silence of a meter that never answered, in service: its latency budget is tried wider from twice the floor; offline it stops"(t: Check) {
    const l = new LearnedLimits(1, { floorUs: 30000 });
    l.minCap[0] = 2;
    l.observe(0, 3, 40, STATUS_TIMEOUT, 0, -1);
    t.is(l.timeoutUs[0], 60000);
    t.is(l.cap[0], 20, "and its cap halved (tentative)");
    l.applied();
    l.observe(0, 3, 20, STATUS_TIMEOUT, 0, -1);
    t.is(l.timeoutUs[0], 120000);
    l.applied();
    l.observe(0, 3, 10, STATUS_TIMEOUT, 0, -1, true);
    t.is(l.timeoutUs[0], 120000, "offline: no wider");
    t.is(l.cap[0], 5, "the tentative cap search goes on offline for a meter that never answered");
  },
};
