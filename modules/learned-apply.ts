/*
 * Applies what polling learned (modules/learned-limits.ts) to a running poll loop, so learned register caps take effect
 * within the run rather than at the next start. The host calls applyLearned() after each observe() (from its PollLoopListener's
 * polled()); it does nothing unless the learner flagged a change, so the steady state allocates nothing.
 *
 * Theory of operation.
 *  - A changed cap recomputes the plan (modules/site.ts planForSite with the learned caps: the same meters and points,
 *    other reads) and hands it to PollLoop.replan(), which takes it between two reads: the reply of the read in flight
 *    is decoded by the read it was made for, and the late-reply protections of modules/master.ts are untouched (they
 *    work on the master's own transactions, not on plan indices). Planning allocates, once per change.
 *  - Learned timeouts and gaps are not applied to the running loop: they take effect at the next start
 *    (loopOptionsForSite with the learned values, from the state file or preference). Applied live, a timeout learned
 *    on a quick answer cut off a meter that came back slower after an adapter was unplugged (test/node-run.test.ts);
 *    until that is understood the running loop keeps the timeouts it started with.
 */
import type { LearnedLimits } from "./learned-limits";
import type { PollLoop } from "./poll-loop";
import { planForSite, type Site } from "./site";

/**
 * Applies `learned`'s pending changes to `loop` (polling `site`): a changed cap replans it; timing waits for the next
 * start. Returns true when the plan was recomputed.
 */
export function applyLearned(site: Site, loop: PollLoop, learned: LearnedLimits): boolean {
  if (!learned.planChanged && !learned.timingChanged) return false;
  const replanned = learned.planChanged;
  if (replanned) loop.replan(planForSite(site, learned.cap));
  learned.applied();
  return replanned;
}
