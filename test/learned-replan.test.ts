// Learned caps take effect within the run (modules/commissioning/learned-apply.ts, PollLoop.replan): the concentrator's poller
// (hosts/esp32/site-poller.ts; the Node host's concentrator applies them the same way) polls simulated meters whose
// real register caps are below their profiles' (one refuses bigger reads with exception 03, one stays silent). One loop,
// never rebuilt: it gets new plans while it runs, its failed reads stop, and every value it delivers is the meter's.
import test from "ava";
import { sitePoller } from "../hosts/esp32/site-poller";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/simulation";
import { LearnedLimits } from "../modules/commissioning/learned-limits";
import type { Profile } from "../modules/concentrator/profile";
import { checkSite, minCapFor, profileTable } from "../modules/site/site";
import { allProfiles } from "./harness/profiles";

const ps = new Map(allProfiles().map((p) => [p.id, p]));
const METERS: { profile: Profile; unit: number; cap: number; limitSilent: boolean; values: Record<string, number> }[] = [
  { profile: ps.get("eastron-sdm630")!, unit: 1, cap: 20, limitSilent: true, values: { voltage_l1_n: 231, frequency: 50 } },
  { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 10, limitSilent: false, values: { voltage_l1_n: 229, energy_active_import_total: 1234.5 } },
];

test("a cap learned while polling replans the running loop: failed reads stop, 0 wrong values", (t) => {
  const r = checkSite({
    bus: { port: "sim", baud: 9600, framing: "8N1", retries: 1 },
    meters: METERS.map((m, i) => ({ name: `m${i}`, profile: m.profile.id, unit: m.unit, intervalMs: 1000 })),
  }, profileTable(allProfiles()));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const site = r.site;
  const sim = new Simulation({ seed: 3, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  const expected = METERS.map((m) => {
    const pm = profileMeter(m.profile, m.unit, m.values, {}, { maxRegisters: m.cap, limitSilent: m.limitSilent, turnaroundUs: [5000, 9000] });
    sim.meter(bus, pm.options);
    return pm.values;
  });
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const learned = new LearnedLimits(site.meters.length);
  site.meters.forEach((m, i) => { learned.minCap[i] = minCapFor(m); });
  const failures = [0, 0];
  let readings = 0;
  let wrong = 0;
  const poller = sitePoller(site, host.port(0), 0, 0, {
    failure(m) { failures[m]++; },
    reading(m) {
      readings++;
      // Every value of the finished cycle must be what the meter holds.
      const sm = poller.store.meters[m];
      sm.meta.points.forEach((p, k) => {
        const want = expected[m].get(p.name) as number;
        const got = sm.values[k];
        // NaN: no value (a failed read, or one the sanity filter holds back); any number delivered must be right.
        if (!Number.isNaN(got) && got !== want) wrong++;
      });
    },
  }, null, learned);
  const loop = poller.loop;
  const first = loop.plan;
  t.true(first.reads.some((rd) => rd.meter === 0 && rd.count > METERS[0].cap), "the profile's plan reads over the real cap");
  host.attach(loop);
  loop.start(sim.now);
  const cycles = (n: number) => sim.runUntilTrue(() => site.meters.every((_, m) => loop.scheduler.cyclesDone[m] >= n), sim.now + 120_000_000);
  t.true(cycles(2));
  t.true(failures[0] > 0 && failures[1] > 0, `the real caps were met: ${failures}`);
  t.true(loop.replans >= 1, "replanned within the first cycles");
  // The cap search (modules/commissioning/learned-limits.ts) settles within a few more cycles.
  t.true(cycles(12));
  t.true(loop.replans >= 2, `replans ${loop.replans}`);
  t.not(loop.plan, first);
  for (let m = 0; m < METERS.length; m++) {
    // A cap below the profile's was learned, and the running plan reads no more than the meter answers (the search may
    // rest one above the real cap: these meters read even counts only).
    t.true(learned.cap[m] > 0 && learned.cap[m] < METERS[m].profile.limits.maxRegisters, `meter ${m} cap ${learned.cap[m]}`);
    for (const rd of loop.plan.reads) if (rd.meter === m && rd.function >= 3) t.true(rd.count <= METERS[m].cap, `meter ${m} reads ${rd.count}`);
  }
  // From now on, the same loop polls without a failed read.
  const before = [...failures];
  const replans = loop.replans;
  const done = loop.scheduler.cyclesDone[0];
  t.true(cycles(done + 10));
  t.deepEqual(failures, before);
  t.true(loop.replans - replans <= 1, "a settled cap is not replanned again and again");
  t.true(readings > 20);
  t.is(wrong, 0);
  // And the values are there: each meter's voltage as the meter holds it.
  for (let m = 0; m < METERS.length; m++) {
    const sm = poller.store.meters[m];
    t.is(sm.values[sm.meta.points.findIndex((p) => p.name === "voltage_l1_n")], METERS[m].values.voltage_l1_n);
  }
});
