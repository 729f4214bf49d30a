/*
 * A learning run in the simulator, for the test and the bench of learned limits (modules/learned-limits.ts): a site
 * whose meters' real register caps and turnarounds differ from their profiles is polled cycle after cycle by the
 * concentrator's PollLoop; after each cycle the loop is rebuilt from the plan of the caps learned so far (as a host
 * does when `planChanged` is set) and with the learned timing. Every value delivered is compared with what the
 * emulator holds. Reports, per cycle, the plan's bus time against a plan made with the true caps.
 */
import { LearnedLimits, replyLatencyUs } from "../../modules/learned-limits";
import type { MasterResult } from "../../modules/master-result";
import { PollLoop } from "../../modules/poll-loop";
import type { Profile } from "../../modules/profile";
import { VALUE_OK } from "../../modules/latest-values";
import { checkSite, loopOptionsForSite, minCapFor, planForSite, profileTable, type Site } from "../../modules/site";
import { profileMeter } from "./profile-meter";
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
  /** Bus time of one polling cycle with the caps learned before this cycle, µs. */
  busTimeUs: number;
  /** True-plan bus time ÷ this plan's bus time. */
  ratio: number;
  caps: number[];
  timeoutsMs: number[];
  gapsMs: number[];
  failures: number;
  wrongValues: number;
}

export interface LearningReport {
  trueBusTimeUs: number;
  profileBusTimeUs: number;
  cycles: LearningCycle[];
  learned: LearnedLimits;
  site: Site;
}

export function learningRun(meters: readonly LearningMeter[], cycles: number, seed = 1): LearningReport {
  const r = checkSite({
    bus: { port: "sim", baud: 9600, framing: "8N1", retries: 1 },
    meters: meters.map((m, i) => ({ name: `m${i}`, profile: m.profile.id, unit: m.unit, intervalMs: 1000 })),
  }, profileTable(meters.map((m) => m.profile).filter((p, i, all) => all.indexOf(p) === i)));
  if (!r.ok) throw new RangeError(r.errors.join("\n"));
  const site = r.site;
  const sim = new Simulation({ seed, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  const expected = meters.map((m) => {
    const pm = profileMeter(m.profile, m.unit, m.values, {}, { maxRegisters: m.cap, limitSilent: m.limitSilent === true, turnaroundUs: m.turnaroundUs as [number, number], rebootBelowUs: m.rebootBelowUs ?? 0 });
    sim.meter(bus, pm.options);
    return pm.values;
  });
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const port = host.port(0);
  const learned = new LearnedLimits(site.meters.length);
  site.meters.forEach((m, i) => { learned.minCap[i] = minCapFor(m); });
  const trueBusTimeUs = planForSite(site, meters.map((m) => m.cap)).busTimePerCycleUs;
  const profileBusTimeUs = planForSite(site).busTimePerCycleUs;
  const line = bus.timing;
  const out: LearningCycle[] = [];
  for (let c = 0; c < cycles; c++) {
    const plan = planForSite(site, learned.cap);
    learned.applied();
    const options = loopOptionsForSite(site, plan, {}, learned);
    let failures = 0;
    let wrong = 0;
    const loop: PollLoop = new PollLoop(plan, port, {
      ...options,
      listener: {
        polled(read: number, _outcome: number, res: MasterResult) {
          const rd = plan.reads[read];
          const latency = res.status === 0 ? replyLatencyUs(res, line, 0) : -1;
          learned.observe(rd.meter, rd.function, rd.count, res.status, res.exceptionCode, latency);
          if (res.status !== 0) { failures++; return; }
          // Every value this read delivered must be what the meter holds.
          const lv = loop.readings;
          for (const v of plan.valuesOf(read)) {
            if (lv.status[v] !== VALUE_OK) continue;
            const name = site.meters[rd.meter].profile.points[plan.values[v].point].name;
            const want = expected[rd.meter].get(name) as number;
            if (!(lv.values[v] === want || (Number.isNaN(want) && Number.isNaN(lv.values[v])))) wrong++;
          }
        },
      },
    });
    host.attach(loop);
    const start = sim.now;
    loop.start(start);
    sim.runUntilTrue(() => site.meters.every((_, m) => loop.scheduler.cyclesDone[m] >= 1), start + 60_000_000);
    // Let the read in flight finish before the next plan takes the line.
    loop.paused = true;
    sim.runUntilTrue(() => loop.master.pending === 0, sim.now + 10_000_000);
    sim.runUntil(sim.now + 100_000);
    out.push({
      busTimeUs: plan.busTimePerCycleUs, ratio: trueBusTimeUs / plan.busTimePerCycleUs, caps: Array.from(learned.cap),
      timeoutsMs: Array.from(learned.timeoutUs, (t) => t / 1000), gapsMs: Array.from(learned.gapUs, (g) => g / 1000), failures, wrongValues: wrong,
    });
  }
  return { trueBusTimeUs, profileBusTimeUs, cycles: out, learned, site };
}
