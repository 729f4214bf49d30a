// Learned limits over the simulator (hosts/sim/learning-run.ts): meters whose real register caps (refusing with an
// exception, or silently) and turnarounds differ from their profiles; within 5 polling cycles the plan reaches >= 95% of
// the bus time of a plan made with the true caps, and no wrong value is delivered on the way. A meter that reboots when
// polled too fast gets enough silence before its requests and then fails no more.
import test from "ava";
import { learningRun, type LearningMeter } from "../hosts/sim/learning-run";
import { allProfiles } from "./harness/profiles";

const ps = new Map(allProfiles().map((p) => [p.id, p]));
const LEARNING_BENCH: LearningMeter[] = [
  { profile: ps.get("eastron-sdm630")!, unit: 1, cap: 20, limitSilent: true, turnaroundUs: [40000, 60000], values: { voltage_l1_n: 231, frequency: 50 } },
  { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 10, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229, energy_active_import_total: 1234.5 } },
  { profile: ps.get("carlo-gavazzi-em340")!, unit: 3, cap: 16, limitSilent: true, turnaroundUs: [80000, 120000], values: { voltage_l1_n: 230 } },
  { profile: ps.get("schneider-iem3000")!, unit: 4, cap: 30, turnaroundUs: [5000, 8000], values: { voltage_l1_n: 230 } },
];

test("caps and turnarounds unlike the profiles: >= 95% of the true plan's bus time within 5 cycles, 0 wrong values", (t) => {
  const r = learningRun(LEARNING_BENCH, 6);
  t.true(r.profileBusTimeUs < r.trueBusTimeUs, "the profiles' plan is not the one that works");
  // Reached: a cycle without a failed read whose plan takes at most 1/0.95 of the true plan's bus time, and so on after.
  const reached = r.cycles.findIndex((c, k) => c.failures === 0 && r.cycles.slice(k).every((d) => d.ratio >= 0.95));
  t.true(reached >= 0 && reached < 5, `cycles: ${JSON.stringify(r.cycles.map((c) => [c.ratio.toFixed(3), c.failures]))}`);
  for (const c of r.cycles) t.is(c.wrongValues, 0);
  t.true(r.cycles[0].failures > 0, "the first cycle meets the real caps");
  t.is(r.cycles[5].failures, 0, "then no read fails");
  // Learned caps never exceed what the meters answer, learned timeouts cover the slow meters.
  const last = r.cycles[5];
  t.true(last.timeoutsMs[2] >= 3 * 80 && last.timeoutsMs[2] <= 2000, `em340 timeout ${last.timeoutsMs[2]} ms`);
  t.true(last.timeoutsMs[1] < last.timeoutsMs[0], "fast meter, shorter timeout");
});

test("a meter that reboots when polled too fast gets more silence before its requests, then fails no more", (t) => {
  const r = learningRun([
    { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 }, rebootBelowUs: 30000 },
    { profile: ps.get("eastron-sdm630")!, unit: 3, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 } },
  ], 5);
  t.true(r.cycles[0].failures > 0);
  const last = r.cycles[4];
  t.true(last.gapsMs[0] >= 30, `gap ${last.gapsMs[0]} ms`);
  t.is(last.gapsMs[1], 0, "the well-behaved meter keeps its pace");
  t.is(last.failures, 0);
  for (const c of r.cycles) t.is(c.wrongValues, 0);
});
