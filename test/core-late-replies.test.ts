// Issue 20 item 1 through the concentrator core: the shipped profiles with same-shape reads (schneider-iem3000,
// eastron-sdm72, all points) polled by the real PollLoop from meter emulators that answer late and twice. After every
// cycle each value the readings hold as OK must be the value the emulator holds for that point. (Before the master's reply
// windows the iem3000 case failed in its 4th cycle: voltage_l1_n read as 100, the value of a current register.)
import test from "ava";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/index";
import { planSite } from "../modules/concentrator/planner";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { VALUE_OK } from "../modules/concentrator/latest-values";
import { COUNT_LATE } from "../modules/master/status";
import { allProfiles } from "./harness/profiles";

for (const id of ["schneider-iem3000", "eastron-sdm72"]) {
  test(`${id}: late and repeated answers never put another register's value in a reading`, (t) => {
    const profile = allProfiles().find((p) => p.id === id);
    if (!profile) return t.fail(`profile ${id} not found`);
    const values: Record<string, number> = {};
    profile.points.forEach((p, i) => { values[p.name] = p.type === "bool" ? i & 1 : 100 + 37 * i; });
    const sim = new Simulation({ seed: 5, traceCapacity: 64 });
    const bus = sim.segment({ name: "bus", baud: 9600 });
    const plan = planSite([{ name: "m", unit: 1, profile, points: profile.points.map((_, i) => i) }], { baud: 9600, framing: "8N1" });
    const host = sim.host({ name: "master", tick: 1000, ports: [{ segment: bus, uart: "ideal" }] });
    const loop = new PollLoop(plan, host.port(0), { scheduler: { meters: [{ intervalUs: 3_000_000 }] }, master: { baud: 9600, retries: 1, turnaroundUs: 100000 }, sanity: { confirmations: 1 } });
    // Every answer begins within the shortest read's window (twice its timeout), however long the reply.
    const timeout = loop.master.config.responseTimeout(1, 9);
    const longest = Math.max(...plan.reads.map((r) => 5 + 2 * r.count));
    const latest = 2 * timeout - plan.line.airTimeUs(longest) - 10000 - 8000;
    const pm = profileMeter(profile, 1, values, {}, {
      turnaroundUs: [2000, 8000], lateProbability: 0.2, lateUs: [timeout, latest],
      duplicateProbability: 0.2, duplicateGapUs: [2000, Math.max(2000, latest - 8000 - plan.line.airTimeUs(longest))], frameEnd: "length", strictT15: false,
    });
    const meter = sim.meter(bus, pm.options);
    host.attach(loop);
    loop.start(0);
    let wrong = 0;
    let checked = 0;
    let first = "";
    for (let k = 1; k <= 400; k++) {
      sim.runUntil(k * 3_000_000);
      plan.values.forEach((v, i) => {
        if (loop.readings.status[i] !== VALUE_OK) return;
        checked++;
        const want = pm.values.get(v.name)!;
        const got = loop.readings.values[i];
        if (!(got === want || Math.abs(got - want) <= 1e-6 * Math.abs(want))) {
          if (wrong++ === 0) first = `${v.name}: emulator ${want}, reading ${got} after cycle ${k}`;
        }
      });
    }
    t.log(`${plan.reads.length} reads per cycle; ${checked} values checked; meter answered ${meter.counters.lateReplies} late and ${meter.counters.duplicates} twice; master dropped ${loop.master.counter(1, COUNT_LATE)}`);
    t.is(wrong, 0, first);
    t.true(meter.counters.lateReplies > 100 && meter.counters.duplicates > 100, "faults happened");
    t.true(checked > 1000);
  });
}
