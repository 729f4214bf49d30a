/*
 * Applies what polling learned (modules/learned-limits.ts) to a running poll loop, so learned limits take effect within
 * the run rather than at the next start. The host calls applyLearned() after each observe() (from its PollLoopListener's
 * polled()); it does nothing unless the learner flagged a change, so the steady state allocates nothing.
 *
 * Theory of operation.
 *  - A changed cap recomputes the plan (modules/site.ts planForSite with the learned caps: the same meters and points,
 *    other reads) and hands it to PollLoop.replan(), which takes it between two reads: the reply of the read in flight
 *    is decoded by the read it was made for, and the late-reply protections of modules/master.ts are untouched (they
 *    work on the master's own transactions, not on plan indices). Planning allocates, once per change.
 *  - A changed timeout or gap is written into the master's per-unit tables (MasterConfig.unitTimeoutUs / unitGapUs),
 *    read by the master for each new request: the learned timeout replaces the computed one unless the site fixes a bus
 *    timeout (as in loopOptionsForSite), and the learned gap only adds silence.
 */
import type { LearnedLimits } from "./learned-limits";
import type { PollLoop } from "./poll-loop";
import { planForSite, type Site } from "./site";

/**
 * Applies `learned`'s pending changes to `loop` (polling `site`); `extraTimeoutUs` (per meter, µs) is added to a learned
 * timeout (a host's own delivery delay). Returns true when the plan was recomputed.
 */
export function applyLearned(site: Site, loop: PollLoop, learned: LearnedLimits, extraTimeoutUs?: ArrayLike<number>): boolean {
  if (!learned.planChanged && !learned.timingChanged) return false;
  const replanned = learned.planChanged;
  if (replanned) loop.replan(planForSite(site, learned.cap));
  if (learned.timingChanged) {
    const config = loop.master.config;
    for (let m = 0; m < site.meters.length && m < learned.meters; m++) {
      // The meter's unit row in the master's settings (loopOptionsForSite gives every site meter one; row 0 is the
      // shared default and is never written here).
      const row = config.unitRow[site.meters[m].unit];
      if (row === 0) continue;
      const t = learned.timeoutUs[m];
      if (site.bus.timeoutMs === 0 && t > 0) config.rowTimeoutUs[row] = t + (extraTimeoutUs !== undefined && m < extraTimeoutUs.length ? extraTimeoutUs[m] : 0);
      if (learned.gapUs[m] > config.rowGapUs[row]) config.rowGapUs[row] = learned.gapUs[m];
    }
  }
  learned.applied();
  return replanned;
}
