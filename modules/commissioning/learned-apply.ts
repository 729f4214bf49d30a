/*
 * Applies what polling learned (modules/commissioning/learned-limits.ts) to a running poll loop, so learned register caps and learned
 * timing take effect within the run rather than at the next start. The host calls applyLearned() after each observe()
 * (from its PollLoopListener's polled()), and applyLearnedTiming() once when it has built the loop (timing restored
 * from a state file or preference); applyLearned() does nothing unless the learner flagged a change, so the steady
 * state allocates nothing.
 *
 * Theory of operation.
 *  - A changed cap recomputes the plan (modules/site/site.ts planForSite with the learned caps: the same meters and points,
 *    other reads) and hands it to PollLoop.replan(), which takes it between two reads: the reply of the read in flight
 *    is decoded by the read it was made for, and the late-reply protections of modules/master/engine.ts are untouched (they
 *    work on the master's own transactions, not on plan indices). Planning allocates, once per change.
 *  - Learned timing goes into the master's per-unit learned rows (MasterConfig.learnTiming), read for each new
 *    request: the learned latency budget gives the unit's timeout for a first attempt while it answers as learned
 *    (modules/master/engine.ts, "LEARNED TIMING": retries and the requests after a failed transaction, return-to-service
 *    probes included, wait at least the configured timeout), and the learned silence lengthens its gap. Not applied
 *    when the site fixes a bus timeout (the user's explicit choice). Bounds: the learner keeps the budget within
 *    [floorUs, ceilingUs] (30 ms .. 2 s by default) and the silence within [0, gapCeilingUs] (1 s).
 *  - Hysteresis: a longer budget is applied at once (a meter slower than learned must not be cut off), a shorter one
 *    only when it is below 3/4 of the one in force, so the few-percent moves of the recent maximum do not rewrite the
 *    master's timing at every sample. A learned silence is applied whenever it changes (it only rises while running).
 *
 * Why live timing once cut off a meter (the node-run unplug test, test/node-run.test.ts): the learned timeout of the
 * pymodbus slave on a pseudo-terminal was 55 ms against its profile's 1.5 s. Unplugged, the slave failed each poll in
 * about 140 ms instead of 3 s, so it reached the scheduler's offline count (3 failed polls) 1.8 s into a 2.5 s unplug;
 * the scheduler then holds an offline meter's next probe back by its probe cost ÷ the dead share (modules/concentrator/scheduler.ts:
 * 2 attempts × the profile's 1.5 s ÷ 5% = 60 s), past the end of the run. Nothing had shrunk: the timeouts had grown
 * (doubled on silence and kept as a floor), and the probe would have waited anyway. Hence the master's rule above: a
 * learned timeout only speeds up the polls of a meter in service; once it fails, it is judged on the configured timing
 * (it goes offline no sooner than that allows, after its first failed poll) and, offline, teaches nothing.
 */
import type { LearnedLimits } from "./learned-limits";
import type { Master } from "../master/engine";
import type { PollLoop } from "../concentrator/poll-loop";
import type { Plan } from "../concentrator/planner";
import type { Scheduler } from "../concentrator/scheduler";
import { longestReplyBytes, planForSite, type Site } from "../site/site";

/**
 * Applies `learned`'s pending changes to `loop` (polling `site`): a changed cap replans it, changed timing goes to
 * the master. Returns true when the plan was recomputed.
 */
export function applyLearned(site: Site, loop: PollLoop, learned: LearnedLimits): boolean {
  if (!learned.planChanged && !learned.timingChanged) return false;
  const replanned = learned.planChanged;
  if (replanned) loop.replan(planForSite(site, learned.cap));
  if (learned.timingChanged) applyLearnedTiming(site, loop.master, learned, loop.scheduler, loop.plan);
  learned.applied();
  return replanned;
}

/**
 * Writes the learned timing of `site`'s meters into `master`'s per-unit learned rows (with the hysteresis above), and
 * with `scheduler` and the `plan` it polls, each changed meter's probe cost. Returns the units whose timing changed.
 */
export function applyLearnedTiming(site: Site, master: Master, learned: LearnedLimits, scheduler?: Scheduler, plan?: Plan): number {
  const c = master.config;
  let changed = 0;
  for (let m = 0; m < site.meters.length && m < learned.meters; m++) {
    const unit = site.meters[m].unit;
    const row = c.unitRow[unit];
    if (row === 0) continue;
    const now = c.rowLearnedUs[row];
    let budget = now;
    const t = site.bus.timeoutMs === 0 ? learned.timeoutUs[m] : 0;
    if (t > now || t < now - (now >> 2)) budget = t;
    const gap = learned.gapUs[m];
    if (budget === now && gap === c.rowLearnedGapUs[row]) continue;
    c.learnTiming(unit, budget, gap);
    changed++;
    if (scheduler !== undefined && plan !== undefined) {
      // A probe waits the longer of the configured and the learned timeout (modules/master/engine.ts): the scheduler's
      // dead-share floor is computed from what it really costs.
      const bytes = longestReplyBytes(plan, m);
      const configured = c.responseTimeout(unit, bytes);
      const t = c.learnedTimeout(unit, bytes);
      scheduler.setProbeTimeout(m, t > configured ? t : configured);
    }
  }
  return changed;
}
