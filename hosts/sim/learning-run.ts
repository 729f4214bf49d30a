/*
 * A learning run in the simulator, for the test and the bench of learned limits (modules/commissioning/learned-limits.ts): a site
 * whose meters' real register caps and turnarounds differ from their profiles is polled by the concentrator's PollLoop,
 * which runs without a restart while what it learns is applied live, as the hosts do (modules/commissioning/learned-apply.ts
 * applyLearned after every poll: caps replan the loop, learned timeouts and gaps go to the master). A polling cycle is
 * one interval of the site (every meter is due once per 3 s, more than the bus time of a cycle at 9600 baud). Every value delivered is compared with what the
 * emulator holds. Reports, per cycle, the bus time of the plan in force against a plan made with the true caps.
 */
import { applyLearned } from "../../modules/commissioning/learned-apply";
import { LearnedLimits } from "../../modules/commissioning/learned-limits";
import type { Master } from "../../modules/master/engine";
import type { Plan } from "../../modules/concentrator/planner";
import type { MasterResult } from "../../modules/master/result";
import { PollLoop } from "../../modules/concentrator/poll-loop";
import type { Profile } from "../../modules/concentrator/profile";
import { VALUE_OK } from "../../modules/concentrator/latest-values";
import { checkSite, loopOptionsForSite, minCapFor, planForSite, profileTable, type Site } from "../../modules/site/site";
import { profileMeter } from "./profile-meter";
import type { MeterEmulator } from "./meter";
import { Simulation } from "./simulation";

export interface LearningMeter {
  readonly profile: Profile;
  readonly unit: number;
  /** The meter's real register cap (below the profile's). */
  readonly cap: number;
  /** Over the cap: no answer at all (else exception 03). */
  readonly limitSilent?: boolean;
  /** Real turnaround, µs. */
  readonly turnaroundUs: readonly [number, number];
  readonly values: Readonly<Record<string, number>>;
  /** Reboots (silent 2 s) when a request starts sooner than this after its last reply, µs. */
  readonly rebootBelowUs?: number;
}

export interface LearningCycle {
  /** Bus time of one polling cycle of the plan in force when this cycle began, µs. */
  busTimeUs: number;
  /** True-plan bus time ÷ this plan's bus time. */
  ratio: number;
  /** Learned at this cycle's end: caps, timeouts (the latency budget, ms), gaps (ms). */
  caps: number[];
  timeoutsMs: number[];
  gapsMs: number[];
  /** Reads that failed in this cycle. */
  failures: number;
  wrongValues: number;
  /** Meter reboots (polled too fast) during this cycle, per meter. */
  reboots: number[];
  /** Reads that succeeded in this cycle. */
  reads: number;
}

export interface LearningReport {
  trueBusTimeUs: number;
  profileBusTimeUs: number;
  cycles: LearningCycle[];
  learned: LearnedLimits;
  site: Site;
  /** The running loop's master (its learned rows: what was applied live). */
  master: Master;
  /** The plan in force at the end. */
  plan: Plan;
}

/** One polling cycle: every meter of the run is due once per interval. */
const CYCLE_US = 3_000_000;

export function learningRun(meters: readonly LearningMeter[], cycles: number, seed = 1): LearningReport {
  const r = checkSite({
    bus: { port: "sim", baud: 9600, framing: "8N1", retries: 1 },
    meters: meters.map((m, i) => ({ name: `m${i}`, profile: m.profile.id, unit: m.unit, intervalMs: CYCLE_US / 1000 })),
  }, profileTable(meters.map((m) => m.profile).filter((p, i, all) => all.indexOf(p) === i)));
  if (!r.ok) throw new RangeError(r.errors.join("\n"));
  const site = r.site;
  const sim = new Simulation({ seed, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  const emulators: MeterEmulator[] = [];
  const expected = meters.map((m) => {
    const pm = profileMeter(m.profile, m.unit, m.values, {}, { maxRegisters: m.cap, limitSilent: m.limitSilent === true, turnaroundUs: m.turnaroundUs as [number, number], rebootBelowUs: m.rebootBelowUs ?? 0 });
    emulators.push(sim.meter(bus, pm.options));
    return pm.values;
  });
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const port = host.port(0);
  const learned = new LearnedLimits(site.meters.length);
  site.meters.forEach((m, i) => { learned.minCap[i] = minCapFor(m); });
  const trueBusTimeUs = planForSite(site, meters.map((m) => m.cap)).busTimePerCycleUs;
  const profileBusTimeUs = planForSite(site).busTimePerCycleUs;
  const line = bus.timing;
  const plan = planForSite(site, learned.cap);
  learned.applied();
  const options = loopOptionsForSite(site, plan, {});
  let failures = 0;
  let wrong = 0;
  let reads = 0;
  const loop: PollLoop = new PollLoop(plan, port, {
    ...options,
    listener: {
      polled(read: number, _outcome: number, res: MasterResult) {
        // The plan this read was made for (a replan is taken only after this call).
        const p = loop.plan;
        const m = p.readMeter[read];
        learned.observeResult(m, p.readFunction[read], p.readRegisters[read], res, line, 0);
        if (res.status !== 0) failures++;
        else {
          reads++;
          // Every value this read delivered must be what the meter holds.
          const lv = loop.readings;
          for (const v of p.valuesOf(read)) {
            if (lv.status[v] !== VALUE_OK) continue;
            const name = site.meters[m].profile.points[p.pointOf(v)].name;
            const want = expected[m].get(name) as number;
            if (!(lv.values[v] === want || (Number.isNaN(want) && Number.isNaN(lv.values[v])))) wrong++;
          }
        }
        applyLearned(site, loop, learned);
      },
    },
  });
  host.attach(loop);
  const start = sim.now;
  loop.start(start);
  const out: LearningCycle[] = [];
  const rebootsBefore = emulators.map(() => 0);
  for (let c = 0; c < cycles; c++) {
    const busTimeUs = loop.plan.busTimePerCycleUs;
    failures = 0;
    wrong = 0;
    reads = 0;
    sim.runUntil(start + (c + 1) * CYCLE_US);
    const reboots = emulators.map((e, i) => e.counters.reboots - rebootsBefore[i]);
    emulators.forEach((e, i) => { rebootsBefore[i] = e.counters.reboots; });
    out.push({
      busTimeUs, ratio: trueBusTimeUs / busTimeUs, caps: Array.from(learned.cap),
      timeoutsMs: Array.from(learned.timeoutUs, (t) => t / 1000), gapsMs: Array.from(learned.gapUs, (g) => g / 1000), failures, wrongValues: wrong,
      reboots, reads,
    });
  }
  return { trueBusTimeUs, profileBusTimeUs, cycles: out, learned, site, master: loop.master, plan: loop.plan };
}
