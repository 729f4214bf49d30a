// Learned limits over the simulator (hosts/sim/learning-run.ts: one running PollLoop, what is learned applied live):
// meters whose real register caps (refusing with an exception, or silently) and turnarounds differ from their profiles;
// within 5 polling cycles the plan reaches >= 95% of the bus time of a plan made with the true caps, and no wrong value
// is delivered on the way. A meter that reboots when polled too fast gets enough silence before its requests and then
// reboots no more.
import test from "ava";
import { learningRun, type LearningMeter } from "../hosts/sim/learning-run";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/simulation";
import { applyLearned } from "../modules/commissioning/learned-apply";
import { LearnedLimits } from "../modules/commissioning/learned-limits";
import type { MasterResult } from "../modules/master/result";
import { STATUS_TIMEOUT } from "../modules/master/status";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { STATE_OFFLINE, STATE_ONLINE } from "../modules/concentrator/scheduler";
import { checkSite, loopOptionsForSite, minCapFor, planForSite, profileTable } from "../modules/site/site";
import { allProfiles } from "./harness/profiles";

const ps = new Map(allProfiles().map((p) => [p.id, p]));
const LEARNING_BENCH: LearningMeter[] = [
  { profile: ps.get("eastron-sdm630")!, unit: 1, cap: 20, limitSilent: true, turnaroundUs: [40000, 60000], values: { voltage_l1_n: 231, frequency: 50 } },
  { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 10, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229, energy_active_import_total: 1234.5 } },
  { profile: ps.get("carlo-gavazzi-em340")!, unit: 3, cap: 16, limitSilent: true, turnaroundUs: [80000, 120000], values: { voltage_l1_n: 230 } },
  { profile: ps.get("schneider-iem3000")!, unit: 4, cap: 30, turnaroundUs: [5000, 8000], values: { voltage_l1_n: 230 } },
];

test("caps and turnarounds unlike the profiles, learned live by one running loop: >= 95% of the true plan's bus time within 5 cycles, 0 wrong values", (t) => {
  const r = learningRun(LEARNING_BENCH, 8);
  t.true(r.profileBusTimeUs < r.trueBusTimeUs, "the profiles' plan is not the one that works");
  // Reached: a cycle without a failed read whose plan takes at most 1/0.95 of the true plan's bus time, and so on after.
  const reached = r.cycles.findIndex((c, k) => c.failures === 0 && r.cycles.slice(k).every((d) => d.ratio >= 0.95 && d.failures === 0));
  t.true(reached >= 0 && reached < 5, `cycles: ${JSON.stringify(r.cycles.map((c) => [c.ratio.toFixed(3), c.failures]))}`);
  // The simulated figures are deterministic (seeded): the bus-time efficiency of the plan in force in cycles 5 to 8.
  for (const c of r.cycles.slice(4)) t.true(c.ratio >= 0.99, `efficiency ${c.ratio}`);
  for (const c of r.cycles) t.is(c.wrongValues, 0);
  t.true(r.cycles[0].failures > 0, "the first cycle meets the real caps");
  // No read of the plan in force asks a meter for more than it answers.
  for (let k = 0; k < r.plan.readCount; k++) {
    const m = r.plan.readMeter[k];
    t.true(r.plan.readRegisters[k] <= LEARNING_BENCH[m].cap, `read ${k} of meter ${m}: ${r.plan.readRegisters[k]} registers`);
  }
  // Timing in force in the running master (applied live, not at a restart): the em340 answers in 80..120 ms, slower
  // than the master's configured budget (50 ms) — it is reached only through what was learned; the quick sdm120 got a
  // timeout shorter than the configured one.
  const c = r.master.config;
  const reply = 5 + 2 * 16;
  t.true(c.rowLearnedUs[c.unitRow[3]] >= 3 * 80000 && c.rowLearnedUs[c.unitRow[3]] <= 2000000, `em340 budget ${c.rowLearnedUs[c.unitRow[3]]} µs`);
  t.true(c.learnedTimeout(3, reply) > c.responseTimeout(3, reply));
  t.true(c.learnedTimeout(2, reply) > 0 && c.learnedTimeout(2, reply) < c.responseTimeout(2, reply), "fast meter, shorter timeout");
  // Reply windows never shrink with learning (the late-reply guard of modules/master/engine.ts).
  for (const u of [1, 2, 3, 4]) t.true(c.replyWindow(u, reply) >= 2 * c.responseTimeout(u, reply));
});

test("a meter that reboots when polled too fast gets more silence before its requests, live, and reboots no more", (t) => {
  const r = learningRun([
    { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 }, rebootBelowUs: 30000 },
    { profile: ps.get("eastron-sdm630")!, unit: 3, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 } },
  ], 8);
  t.true(r.cycles[0].reboots[0] > 0 && r.cycles[0].failures > 0, "polled at t3.5, it reboots");
  const last = r.cycles[7];
  t.true(last.gapsMs[0] >= 30, `gap ${last.gapsMs[0]} ms`);
  t.is(last.gapsMs[1], 0, "the well-behaved meter keeps its pace");
  // The running master waits the learned silence before the quirky meter's requests (no restart in the run).
  const c = r.master.config;
  t.true(c.gapBefore(2, 2) - c.t35Us >= 30000);
  t.is(c.gapBefore(3, 3), c.t35Us);
  // From the third cycle on: no reboot, no failed read.
  for (const cy of r.cycles.slice(2)) {
    t.is(cy.reboots[0], 0);
    t.is(cy.failures, 0);
  }
  for (const cy of r.cycles) t.is(cy.wrongValues, 0);
});

test("a meter away for 2.5 s, with a quick learned timeout against its profile's 1.5 s, is polled again as soon as it is back, never offline", (t) => {
  const base = ps.get("eastron-sdm120")!;
  const profile = { ...base, id: "sdm120-slow-profile-timeout", limits: { ...base.limits, responseTimeoutMs: 1500 } };
  const checked = checkSite({ bus: { port: "sim", baud: 9600, framing: "8N1", retries: 1 }, meters: [{ name: "m", profile: profile.id, unit: 2, intervalMs: 500 }] }, profileTable([profile]));
  if (!checked.ok) throw new Error(checked.errors.join("\n"));
  const site = checked.site;
  const sim = new Simulation({ seed: 5, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  const emulator = sim.meter(bus, profileMeter(profile, 2, { voltage_l1_n: 229 }, {}, { turnaroundUs: [3000, 6000] }).options);
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const learned = new LearnedLimits(1);
  learned.minCap[0] = minCapFor(site.meters[0]);
  const plan = planForSite(site);
  let offlineSeen = false;
  let firstOkAfter = -1;
  let backAt = Infinity;
  const loop: PollLoop = new PollLoop(plan, host.port(0), {
    ...loopOptionsForSite(site, plan, {}),
    listener: {
      polled(read: number, _outcome: number, res: MasterResult) {
        learned.observeResult(0, loop.plan.readFunction[read], loop.plan.readRegisters[read], res, bus.timing, 0);
        applyLearned(site, loop, learned);
        if (loop.scheduler.state[0] === STATE_OFFLINE) offlineSeen = true;
        if (res.status === 0 && res.completedAt > backAt && firstOkAfter < 0) firstOkAfter = res.completedAt;
      },
    },
  });
  host.attach(loop);
  loop.start(sim.now);
  sim.runUntil(4_000_000);
  const c = loop.master.config;
  const learnedTimeout = c.learnedTimeout(2, 9);
  t.true(learnedTimeout > 0 && learnedTimeout < c.responseTimeout(2, 9) / 10, `learned ${learnedTimeout} µs in force, configured ${c.responseTimeout(2, 9)} µs`);
  emulator.dead = true;
  sim.runUntil(6_500_000);
  emulator.dead = false;
  backAt = sim.now;
  sim.runUntil(12_000_000);
  t.false(offlineSeen, "a 2.5 s absence does not make it offline (its polls after the first failed one wait 1.5 s)");
  t.true(firstOkAfter > 0 && firstOkAfter - backAt <= 3_200_000, `first reply ${(firstOkAfter - backAt) / 1000} ms after its return (simulated)`);
  t.is(loop.scheduler.state[0], STATE_ONLINE);
  t.true(loop.master.counter(2, STATUS_TIMEOUT) >= 2, "the absence was noticed");
});
