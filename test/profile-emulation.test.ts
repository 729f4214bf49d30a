// Every shipped profile, emulated and checked (issue 15): the simulator builds a meter from the profile holding a plausible
// value for every point (its standard key's typical value, varied per point so that two swapped registers would show),
// the planner plans every point at the profile's own serial default (baud and framing), and the real poll loop reads
// them on a simulated bus in virtual time. Checked: the plan honours the profile's caps (read size, even counts and
// starts, function codes, bits), the emulated meter (which answers an exception to any read beyond those caps) answers
// every read, and every value decodes to what the meter holds, within its key's plausible range and within one step of
// the intended engineering value.
import test from "ava";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/index";
import type { Point } from "../modules/concentrator/profile";
import { planSite } from "../modules/concentrator/planner";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { VALUE_OK } from "../modules/concentrator/latest-values";
import { POINT_KEYS, pointKeyIndex } from "../modules/concentrator/point-keys";
import { loadProfiles, PROFILES_DIR } from "../hosts/node/config";
import { traceOnFailure } from "./harness/sim";

const { profiles, errors } = loadProfiles([PROFILES_DIR]);

/** The smallest step a point's raw value moves its engineering value by (0 for floats: relative error applies). */
function stepOf(p: Point): number {
  if (p.type === "f32" || p.type === "f64") return 0;
  return Math.abs(p.scale) * 10 ** p.exponent;
}

/** The value the emulated meter should hold for point `i`: its key's typical value, varied by up to 8% downwards per point. */
function intended(p: Point, i: number): number {
  const k = POINT_KEYS[pointKeyIndex(p.name)];
  const v = k.typical * (1 - 0.01 * (i % 9));
  const step = stepOf(p);
  return step > 0 ? Math.round(v / step) * step : v;
}

test("the shipped profiles load without a problem", (t) => {
  t.deepEqual(errors, []);
  t.true(profiles.length >= 40, `${profiles.length} profiles`);
});

for (const profile of profiles) {
  test(`${profile.id}: emulated at ${profile.serial.baud} baud ${profile.serial.framing}, planned within its caps, every point polled and plausible`, (t) => {
    const { baud, framing } = profile.serial;
    const sim = new Simulation({ seed: 15, traceCapacity: 200 });
    traceOnFailure(t, sim);
    const bus = sim.segment({ name: "bus", baud, framing });
    const want: Record<string, number> = {};
    profile.points.forEach((p, i) => { want[p.name] = intended(p, i); });
    const pm = profileMeter(profile, 1, want, {}, { turnaroundUs: [2000, 6000] });
    const meter = sim.meter(bus, pm.options);
    const plan = planSite([{ name: "m", unit: 1, profile, points: profile.points.map((_, i) => i) }], { baud, framing });

    // The planner honours the meter's caps.
    const lim = profile.limits;
    for (const rd of plan.reads) {
      t.true(lim.functions.includes(rd.function as 1 | 2 | 3 | 4), `read FC${rd.function} not in ${lim.functions}`);
      if (rd.function <= 2) { t.true(rd.count <= lim.maxBits, `bits ${rd.count} > ${lim.maxBits}`); continue; }
      t.true(rd.count >= 1 && rd.count <= lim.maxRegisters, `read of ${rd.count} > ${lim.maxRegisters}`);
      if (lim.evenCountsOnly) t.is(rd.count % 2, 0, `odd count ${rd.count} at ${rd.start}`);
      if (lim.evenStartOnly) t.is(rd.start % 2, 0, `odd start ${rd.start}`);
    }

    const host = sim.host({ name: "master", tick: 1000, ports: [{ segment: bus }] });
    const loop = new PollLoop(plan, host.port(0), {
      scheduler: { meters: [{ intervalUs: 60_000_000 }] },
      master: { baud, framing, requestGapUs: lim.minDelayMs * 1000, ...(lim.responseTimeoutMs > 0 ? { responseTimeoutUs: lim.responseTimeoutMs * 1000 } : {}) },
      sanity: { confirmations: 1 },
    });
    host.attach(loop);
    loop.start(0);
    sim.runUntil(20_000_000);

    t.is(meter.counters.exceptions, 0, "no read broke the emulated limits");
    t.is(meter.counters.replies, plan.reads.length, "every planned read answered");
    t.is(loop.scheduler.cyclesDone[0], 1);
    plan.values.forEach((v, i) => {
      const p = profile.points.find((x) => x.name === v.name) as Point;
      const k = POINT_KEYS[pointKeyIndex(v.name)];
      const got = loop.readings.values[i];
      const held = pm.values.get(v.name) as number;
      t.is(loop.readings.status[i], VALUE_OK, v.name);
      t.true(got === held || Math.abs(got - held) <= 1e-6 * Math.abs(held), `${v.name}: meter holds ${held}, decoded ${got}`);
      t.true(got >= k.min && got <= k.max, `${v.name} = ${got} outside ${k.min}..${k.max}`);
      const tolerance = Math.max(stepOf(p), 1e-6 * Math.abs(want[v.name]));
      t.true(Math.abs(got - want[v.name]) <= tolerance, `${v.name}: wanted ${want[v.name]}, decoded ${got} (${p.type} × 10^${p.exponent})`);
    });
    t.is(plan.values.length, profile.points.length);
  });
}
