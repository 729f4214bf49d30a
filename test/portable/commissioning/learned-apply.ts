// Learned timing written into a master by modules/commissioning/learned-apply.ts: per unit, with the hysteresis (a longer budget at
// once, a shorter one only below 3/4 of the one in force), never when the site fixes a bus timeout, and the scheduler's
// probe cost following the longer of the configured and the learned timeout. Portable: runs on Node and on XS.
import { applyLearnedTiming } from "../../../modules/commissioning/learned-apply";
import { LearnedLimits } from "../../../modules/commissioning/learned-limits";
import { Master } from "../../../modules/master/engine";
import { Scheduler } from "../../../modules/concentrator/scheduler";
import { checkSite, longestReplyBytes, loopOptionsForSite, planForSite, profileTable, type Site } from "../../../modules/site/site";
import type { Cases, Check } from "../../harness/check";
import { FIXTURE_PROFILES } from "../../fixtures/maps";
import small from "../../fixtures/sites/small.json";

const profiles = profileTable(FIXTURE_PROFILES);

function site(bus: Record<string, unknown> = {}): Site {
  const json = JSON.parse(JSON.stringify(small)) as { bus: Record<string, unknown> };
  json.bus = { ...json.bus, ...bus };
  const r = checkSite(json, profiles);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.site;
}

function rig(s: Site): { master: Master; scheduler: Scheduler; learned: LearnedLimits } {
  const plan = planForSite(s);
  const o = loopOptionsForSite(s, plan);
  const master = new Master(o.master, { transmit() { /* not sent */ } }, { completed() { /* none */ } });
  return { master, scheduler: new Scheduler(plan, o.scheduler), learned: new LearnedLimits(s.meters.length) };
}

export const cases: Cases = {
  "learned budgets and silences go to the master per unit; longer at once, shorter only below 3/4 of the one in force"(t: Check) {
    const s = site();
    const { master, scheduler, learned } = rig(s);
    const c = master.config;
    const u = s.meters[1].unit;
    t.is(applyLearnedTiming(s, master, learned), 0, "nothing learned, nothing written");
    learned.timeoutUs[1] = 100000;
    learned.gapUs[1] = 20000;
    t.is(applyLearnedTiming(s, master, learned, scheduler, planForSite(s)), 1);
    t.is(c.rowLearnedUs[c.unitRow[u]], 100000);
    t.is(c.gapBefore(u, u), Math.max(20000, c.rowGapUs[c.unitRow[u]]) + c.t35Us);
    t.is(c.rowLearnedUs[c.unitRow[s.meters[0].unit]], 0, "the other meters untouched");
    learned.timeoutUs[1] = 80000;
    applyLearnedTiming(s, master, learned);
    t.is(c.rowLearnedUs[c.unitRow[u]], 100000, "80 ms is not below 3/4 of 100 ms: kept");
    learned.timeoutUs[1] = 70000;
    applyLearnedTiming(s, master, learned);
    t.is(c.rowLearnedUs[c.unitRow[u]], 70000);
    learned.timeoutUs[1] = 71000;
    applyLearnedTiming(s, master, learned);
    t.is(c.rowLearnedUs[c.unitRow[u]], 71000, "longer: at once");
  },
  "the scheduler's probe cost follows the longer of the configured and the learned timeout"(t: Check) {
    const s = site();
    const { master, scheduler, learned } = rig(s);
    const plan = planForSite(s);
    const c = master.config;
    const u = s.meters[2].unit;
    const bytes = longestReplyBytes(plan, 2);
    const before = scheduler.probeCostUs(2);
    learned.timeoutUs[2] = 1000;
    applyLearnedTiming(s, master, learned, scheduler, plan);
    t.is(scheduler.probeCostUs(2), before, "a shorter learned timeout: probes wait the configured one");
    learned.timeoutUs[2] = 3000000;
    applyLearnedTiming(s, master, learned, scheduler, plan);
    t.ok(c.learnedTimeout(u, bytes) > c.responseTimeout(u, bytes));
    t.ok(scheduler.probeCostUs(2) > before + 2000000);
  },
  "a site that fixes a bus timeout keeps it: no learned timeout is applied, learned silences are"(t: Check) {
    const s = site({ timeoutMs: 500 });
    const { master, learned } = rig(s);
    const c = master.config;
    learned.timeoutUs[0] = 100000;
    learned.gapUs[0] = 30000;
    applyLearnedTiming(s, master, learned);
    t.is(c.learnedTimeout(s.meters[0].unit, 9), 0);
    t.is(c.gapBefore(s.meters[0].unit, s.meters[0].unit), 30000 + c.t35Us);
  },
};
