/*
 * The simulator's virtual clock and event queue: a binary min-heap ordered by (time, insertion order), so runs are
 * deterministic for a seed. Event records are pooled: steady-state simulation allocates no event objects.
 * Times are integer microseconds.
 */

/** Anything that can receive a scheduled event. `kind` and `arg` are the target's own codes. */
export interface EventTarget {
  fire(kind: number, arg: number, now: number): void;
}

class SimEvent {
  time = 0;
  seq = 0;
  kind = 0;
  arg = 0;
  target: EventTarget | null = null;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private size = 0;
  private pool: SimEvent[] = [];
  private seq = 0;
  /** The virtual clock (µs). */
  now = 0;
  /** Events fired so far. */
  fired = 0;

  /** Schedules `target.fire(kind, arg, time)`. `time` is clamped to now (the past cannot be scheduled). */
  at(time: number, target: EventTarget, kind: number, arg: number): void {
    if (time < this.now) time = this.now;
    const e = this.pool.length > 0 ? (this.pool.pop() as SimEvent) : new SimEvent();
    e.time = time;
    e.seq = this.seq++;
    e.kind = kind;
    e.arg = arg;
    e.target = target;
    let i = this.size++;
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p];
      if (q.time < time || (q.time === time && q.seq < e.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = e;
  }

  /** Time of the earliest pending event, or Infinity. */
  peekTime(): number {
    return this.size > 0 ? this.heap[0].time : Infinity;
  }

  /** Fires the earliest event if it is at or before `limit`. Returns false when there is none. */
  step(limit: number): boolean {
    if (this.size === 0) return false;
    const h = this.heap;
    const top = h[0];
    if (top.time > limit) return false;
    const last = h[--this.size];
    h[this.size] = undefined as unknown as SimEvent;
    if (this.size > 0) {
      let i = 0;
      const n = this.size;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (h[r].time < h[l].time || (h[r].time === h[l].time && h[r].seq < h[l].seq))) c = r;
        const hc = h[c];
        if (last.time < hc.time || (last.time === hc.time && last.seq < hc.seq)) break;
        h[i] = hc;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.time;
    const target = top.target as EventTarget;
    const kind = top.kind;
    const arg = top.arg;
    top.target = null;
    this.pool.push(top);
    this.fired++;
    target.fire(kind, arg, this.now);
    return true;
  }

  get pending(): number {
    return this.size;
  }
}
