import { ForwardRing } from "../../modules/forward-ring";
import type { Cases } from "../harness/check";

function fill(r: ForwardRing, from: number, to: number): void {
  for (let i = from; i < to; i++) r.push(i % 3, 1000 + i, [i, i + 0.5], 2);
}

/** Sends and acknowledges everything queued, one by one; returns the epochs delivered. */
function drain(r: ForwardRing): number[] {
  const out: number[] = [];
  for (let s = r.nextQueued(); s !== 0; s = r.nextQueued()) {
    out.push(r.epochMs(s));
    r.markSent(s);
    r.ack(s);
  }
  return out;
}

export const cases: Cases = {
  "a byte budget gives the entries that fit: 8 bytes per value plus 13 per entry, at least one"(t) {
    t.is(ForwardRing.entryBytes(8), 77);
    t.is(ForwardRing.capacityFor(16384, 8), 212);
    t.is(ForwardRing.capacityFor(16384, 40), 49);
    t.is(ForwardRing.capacityFor(10, 40), 1);
  },
  "entries leave in push order with their meter, time and values"(t) {
    const r = new ForwardRing(8, 4);
    fill(r, 0, 5);
    t.is(r.length, 5);
    const s = r.nextQueued();
    t.is(s, 1);
    t.is(r.meter(s), 0);
    t.is(r.epochMs(s), 1000);
    t.is(r.count(s), 2);
    t.is(r.values[r.valuesOffset(s) + 1], 0.5);
    t.deepEqual(drain(r), [1000, 1001, 1002, 1003, 1004]);
    t.is(r.length, 0);
    t.is(r.acknowledged, 5);
  },
  "when full the oldest are dropped and counted; delivery resumes from the oldest kept"(t) {
    const r = new ForwardRing(4, 2);
    fill(r, 0, 10);
    t.is(r.length, 4);
    t.is(r.dropped, 6);
    t.is(r.pushed, 10);
    t.deepEqual(drain(r), [1006, 1007, 1008, 1009]);
  },
  "a window of in-flight entries: out-of-order acknowledgements never release past an unacknowledged head"(t) {
    const r = new ForwardRing(8, 2);
    fill(r, 0, 4);
    const a = r.nextQueued(); r.markSent(a);
    const b = r.nextQueued(); r.markSent(b);
    const c = r.nextQueued(); r.markSent(c);
    t.deepEqual([a, b, c], [1, 2, 3]);
    t.is(r.inFlight, 3);
    t.ok(r.ack(c));
    t.ok(r.ack(b));
    t.is(r.length, 4, "head still unacknowledged");
    t.ok(r.ack(a));
    t.is(r.length, 1);
    t.is(r.inFlight, 0);
    t.is(r.nextQueued(), 4);
  },
  "requeue after a lost connection resends in-flight entries first, in order"(t) {
    const r = new ForwardRing(8, 2);
    fill(r, 0, 5);
    for (let i = 0; i < 3; i++) r.markSent(r.nextQueued());
    r.ack(1);
    r.requeue();
    t.is(r.inFlight, 0);
    t.deepEqual(drain(r), [1001, 1002, 1003, 1004]);
  },
  "in-flight entries released by overflow: delivered if their acknowledgement still comes, dropped if the connection is lost first"(t) {
    const r = new ForwardRing(3, 1);
    fill(r, 0, 3);
    r.markSent(r.nextQueued());
    r.markSent(r.nextQueued());
    fill(r, 3, 5); // releases seq 1 and 2 (both in flight): the broker may still acknowledge them
    t.is(r.dropped, 0, "not dropped yet: they are with the client");
    t.is(r.releasedInFlight, 2);
    t.is(r.inFlight, 0);
    t.ok(!r.ack(1), "seq 1 is no longer held");
    t.is(r.acknowledged, 1, "but it was delivered");
    t.ok(!r.holds(2));
    r.requeue(); // the connection is lost before seq 2's acknowledgement
    t.is(r.dropped, 1, "seq 2 was never acknowledged");
    t.is(r.releasedInFlight, 0);
    t.deepEqual(drain(r), [1002, 1003, 1004]);
    t.is(r.pushed, r.acknowledged + r.dropped + r.length + r.releasedInFlight);
  },
  "dropped counts only entries the broker never acknowledged (ring overflow at an in-flight head while connected)"(t) {
    // A window of 2 in flight, one acknowledgement per two readings: the ring keeps overflowing with its head in flight.
    const r = new ForwardRing(4, 1);
    const acks: number[] = [];
    let delivered = 0;
    let afterRelease = 0;
    const ack = (s: number) => {
      if (!r.ack(s)) afterRelease++;
      delivered++;
    };
    for (let i = 0; i < 40; i++) {
      r.push(0, 1000 + i, [i], 1);
      while (r.inFlight < 2) {
        const s = r.nextQueued();
        if (s === 0) break;
        r.markSent(s);
        acks.push(s);
      }
      if (i % 2 === 1 && acks.length > 0) ack(acks.shift() as number);
    }
    for (const s of acks.splice(0)) ack(s);
    t.ok(afterRelease > 5, `acknowledgements of entries the ring had released: ${afterRelease}`);
    t.is(r.acknowledged, delivered, "every PUBACK counts as delivered");
    t.is(r.dropped, 0, "every reading was published and acknowledged: none dropped");
    t.is(r.releasedInFlight, 0);
    t.is(r.pushed, r.acknowledged + r.dropped + r.length);
  },
  "fixed memory: the value store is allocated once and never grows"(t) {
    const r = new ForwardRing(16, 3);
    const v = r.values;
    t.is(v.length, 48);
    for (let i = 0; i < 10_000; i++) { r.push(1, i, [1, 2, 3, 4, 5], 5); if (i % 3 === 0) { const s = r.nextQueued(); r.markSent(s); r.ack(s); } }
    t.ok(r.values === v);
    t.is(r.values.length, 48);
    t.is(r.count(r.nextQueued()), 3, "values beyond maxPoints are not stored");
    t.throws(() => new ForwardRing(0, 1), RangeError);
    t.throws(() => new ForwardRing(4, 0), RangeError);
  },
};
