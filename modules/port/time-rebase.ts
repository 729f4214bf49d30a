/*
 * Moving the clock origin of the engines (a host on V8 does it; XS needs nothing).
 *
 * Theory of operation. Time is integer microseconds on one host clock everywhere in modules/. V8 passes an integer
 * below 2^30 between functions as a small integer; above it every time handed across a call that is not inlined is a
 * heap number, an allocation (issue 21: about 130 bytes per transaction past 2^31 µs, 36 minutes). A host on V8
 * therefore lowers its clock by REBASE_US whenever it passes REBASE_US, and at that moment calls rebaseTime(REBASE_US) on
 * each engine (PollLoop, Gateway, RegisterCache, ConcentratorRegisters; the Master and the Repeater have theirs), which
 * lowers every time it holds by the same amount: deadlines, ages and rates come out as before. Times older than the new
 * origin become negative, which is fine for differences; a "never" marker is kept as it is (rebasedTime).
 * REBASE_US is 2^29 rounded down to whole seconds (536 s), so every time the host reads stays below 2^30.
 */

/** The host's rebase step (µs): a whole number of seconds below 2^29. */
export const REBASE_US = 536_000_000;

/** `t` lowered by `deltaUs`, except the markers −1 ("never") and ±Infinity, which stay (and no time lands on −1). */
export function rebasedTime(t: number, deltaUs: number): number {
  if (t === -1 || t === Infinity || t === -Infinity || t !== t) return t;
  const r = t - deltaUs;
  return r === -1 ? -2 : r;
}

/** rebasedTime() applied to every element of `times`. */
export function rebaseTimes(times: Float64Array, deltaUs: number): void {
  for (let i = 0; i < times.length; i++) times[i] = rebasedTime(times[i], deltaUs);
}
