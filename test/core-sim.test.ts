// The concentrator core on the simulator: meter emulators built from every profile answer the planned reads without an
// exception (the plan honours the emulated limits) and every value decodes back to what the emulator holds; and a dead
// meter among five live ones on a simulated 9600-baud bus keeps the others on cadence and costs at most 5% of bus time
// once backed off. The loop is the real one: PollLoop = Scheduler + Master + LatestValues, configured from a site file.
import test from "ava";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/index";
import type { Profile } from "../modules/concentrator/profile";
import { codecOf, planSite, READ_REQUEST_BYTES } from "../modules/concentrator/planner";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { VALUE_OK } from "../modules/concentrator/latest-values";
import { OUTCOME_OK, STATE_OFFLINE, STATE_ONLINE } from "../modules/concentrator/scheduler";
import { checkSite, loopOptionsForSite, meterMetaForSite, planForSite, profileTable } from "../modules/site/site";
import { FAULT_TIMEOUT, ReadingsStore } from "../modules/concentrator/readings";
import { writeRaw, typeCode } from "../modules/concentrator/values";
import { traceOnFailure } from "./harness/sim";
import { SDM120 } from "./fixtures/maps";
import { allProfiles } from "./harness/profiles";

const profiles = allProfiles();

/** Plausible engineering values for every point (from random raws, so they fit the type), seeded. */
function valuesFor(profile: Profile, seed: number): { values: Record<string, number>; decimals: Record<string, number> } {
  let x = seed;
  const rand = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  const decimals: Record<string, number> = {};
  for (const p of profile.points) if (p.exponentFrom) decimals[`${p.exponentFrom.function}:${p.exponentFrom.address}`] = Math.floor(rand() * 3);
  const values: Record<string, number> = {};
  const b = new Uint8Array(8);
  for (const p of profile.points) {
    if (p.type === "bool") { values[p.name] = rand() < 0.5 ? 0 : 1; continue; }
    const raw = p.type === "f32" || p.type === "f64" ? (rand() - 0.3) * 5000 : Math.floor(rand() * 30000);
    writeRaw(typeCode(p.type), 0, raw, b, 0);
    const extra = p.exponentFrom ? p.exponentFrom.sign * decimals[`${p.exponentFrom.function}:${p.exponentFrom.address}`] : 0;
    values[p.name] = codecOf(p).decode(b, 0, extra);
  }
  return { values, decimals };
}

for (const profile of profiles) {
  test(`${profile.id}: an emulator built from the profile answers every planned read and every value decodes back`, (t) => {
    const sim = new Simulation({ seed: 7, traceCapacity: 200 });
    traceOnFailure(t, sim);
    const bus = sim.segment({ name: "bus", baud: 9600 });
    const { values, decimals } = valuesFor(profile, 1234);
    const pm = profileMeter(profile, 1, values, decimals, { turnaroundUs: [2000, 6000] });
    const meter = sim.meter(bus, pm.options);
    const plan = planSite([{ name: "m", unit: 1, profile, points: profile.points.map((_, i) => i) }], { baud: 9600, framing: "8N1" });
    const host = sim.host({ name: "master", tick: 1000, ports: [{ segment: bus, uart: "esp32" }] });
    const esp32 = { rxIdleDelayUs: 4 * plan.line.characterUs, rxBatchBytes: 120 };
    const loop = new PollLoop(plan, host.port(0), { scheduler: { meters: [{ intervalUs: 60_000_000 }] }, master: { baud: 9600, ...esp32 }, sanity: { confirmations: 1 } });
    host.attach(loop);
    loop.start(0);
    sim.runUntil(30_000_000);
    const { scheduler, readings } = loop;
    t.is(meter.counters.exceptions, 0, "no read broke the emulated limits");
    t.is(meter.counters.replies, plan.reads.length);
    t.is(scheduler.cyclesDone[0], 1);
    plan.values.forEach((v, i) => {
      const want = pm.values.get(v.name)!;
      const got = readings.values[i];
      t.is(readings.status[i], VALUE_OK, v.name);
      t.true(got === want || Math.abs(got - want) <= 1e-6 * Math.abs(want), `${v.name}: emulator ${want}, decoded ${got}`);
      t.true(readings.takenAt(i) > 0 && readings.takenAt(i) <= sim.now, `${v.name} carries the time it was taken`);
    });
  });
}

test("simulated bus: a dead meter among five live ones costs ≤ 5% of bus time once backed off; the others keep cadence", (t) => {
  const sim = new Simulation({ seed: 11, traceCapacity: 200 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ name: "bus", baud: 9600 });
  const DEAD = 2;
  const site = checkSite({
    bus: { port: "sim", baud: 9600, framing: "8N1", retries: 1 },
    meters: [0, 1, 2, 3, 4, 5].map((i) => ({ name: `m${i}`, profile: SDM120.id, unit: i + 1, intervalMs: 2000 })),
  }, profileTable([SDM120]));
  if (!site.ok) throw new Error(site.errors.join("\n"));
  for (let i = 0; i < 6; i++) {
    const { values } = valuesFor(SDM120, 100 + i);
    sim.meter(bus, profileMeter(SDM120, i + 1, values, {}, { turnaroundUs: [3000, 8000], dead: i === DEAD }).options);
  }
  const plan = planForSite(site.site);
  const host = sim.host({ name: "master", tick: 1000, ports: [{ segment: bus, uart: "esp32" }] });
  const opts = loopOptionsForSite(site.site, plan, { rxIdleDelayUs: 4 * plan.line.characterUs, rxBatchBytes: 120 });
  // maxBackoffUs is kept short so the 5% floor (not the 10-minute cap) sets the probe rate: the bound is what is tested.
  const log: { meter: number; read: number; at: number; end: number; outcome: number }[] = [];
  const air = plan.line.airTimeUs(READ_REQUEST_BYTES);
  const store = new ReadingsStore({ meters: meterMetaForSite(site.site, plan) });
  const loop = new PollLoop(plan, host.port(0), {
    scheduler: { ...opts.scheduler, maxBackoffUs: 4_000_000 }, master: opts.master, store,
    listener: {
      // Bus time of a transaction: from the start of its first request to its end (a dead meter: every attempt).
      polled: (read, outcome, r) => log.push({ meter: plan.reads[read].meter, read, at: r.sentAt - air - (r.attempts - 1) * (r.completedAt - r.sentAt + air), end: r.completedAt, outcome }),
    },
  });
  loop.setEpoch(1_700_000_000_000, 0);
  host.attach(loop);
  loop.start(0);
  const HOUR = 3_600_000_000;
  sim.runUntil(HOUR);
  const { scheduler, readings } = loop;
  t.is(scheduler.state[DEAD], STATE_OFFLINE);
  const from = 600_000_000;
  let dead = 0;
  for (const e of log) if (e.meter === DEAD && e.at >= from) dead += e.end - e.at;
  const share = dead / (HOUR - from);
  // The scheduler budgets a probe at (1 + retries) × (request + the unit's reply timeout + t3.5) and spaces probes so that
  // budget is 5%; the master spends one attempt on an offline unit (no retries), so about half of it: ~2.5%.
  t.true(share > 0.005 && share <= 0.05, `dead meter share ${(share * 100).toFixed(2)}%`);
  t.true(scheduler.probes[DEAD] > 200, `probed ${scheduler.probes[DEAD]} times`);
  for (let m = 0; m < 6; m++) {
    if (m === DEAD) continue;
    t.is(scheduler.state[m], STATE_ONLINE);
    t.is(scheduler.cyclesSkipped[m], 0, `meter ${m} skipped no cycle`);
    t.true(scheduler.cyclesDone[m] >= 1799, `meter ${m} ran ${scheduler.cyclesDone[m]} of 1800 cycles`);
    // Every cycle started within its own 2 s period.
    const starts = log.filter((e) => e.read === plan.meters[m].firstRead && e.outcome === OUTCOME_OK).map((e) => e.at);
    let late = 0;
    starts.forEach((s, k) => { if (s < k * 2_000_000 || s >= (k + 1) * 2_000_000) late++; });
    t.is(late, 0, `meter ${m} cycles outside their period`);
  }
  t.is(loop.refused, 0);
  // The forwarders' store saw every cycle of the live meters and the dead meter's failures.
  t.is(store.online(DEAD), false);
  t.true(store.meters[DEAD].faults[FAULT_TIMEOUT] > 200);
  t.true(store.online(0));
  t.true(store.meters[0].readings >= 1799);
  t.true(Math.abs(store.meters[0].epochMs - (1_700_000_000_000 + store.meters[0].timeUs / 1000)) < 1);
  t.is(store.meters[0].values[0], readings.values[plan.meters[0].firstValue]);
  const v = plan.values.findIndex((x) => x.meter === 0 && x.name === "voltage");
  t.is(readings.status[v], VALUE_OK);
  t.true(readings.takenAt(v) > HOUR - 2_100_000, "fresh readings at the end");
});
