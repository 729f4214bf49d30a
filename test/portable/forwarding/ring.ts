import { ForwardRing } from "../../../modules/forwarding/ring";
import { Prng } from "../../../modules/common/prng";
import { BLOCK_HEADER_BYTES, readingRecordBytes } from "../../../modules/forwarding/ring-record";
import { MemoryRingStorage, type RingStorage } from "../../../modules/forwarding/ring-storage";
import type { Cases } from "../../harness/check";

function fill(r: ForwardRing, from: number, to: number): void {
  for (let i = from; i < to; i++) r.push(i % 3, 1000 + i, [i, i + 0.5], 2);
}

/** Sends and acknowledges everything queued, one by one; returns the epochs delivered. */
function drain(r: ForwardRing): number[] {
  const out: number[] = [];
  for (let s = r.nextQueued(); s !== 0; s = r.nextQueued()) {
    out.push(r.loadedEpochMs);
    r.markSent(s);
    r.ack(s);
  }
  return out;
}

/** Sends everything the window allows without acknowledging; returns the seqs. */
function sendAll(r: ForwardRing): number[] {
  const out: number[] = [];
  for (let s = r.nextQueued(); s !== 0; s = r.nextQueued()) { out.push(s); r.markSent(s); }
  return out;
}

/** Flash-like storage whose `cutAt`-th byte written is the last one: that write is torn, and every later write is lost. */
class CutStorage implements RingStorage {
  readonly inner: MemoryRingStorage;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly deferredSync = false;
  written = 0;
  cutAt = Infinity;
  constructor(inner: MemoryRingStorage) { this.inner = inner; this.blockSize = inner.blockSize; this.blockCount = inner.blockCount; }
  read(offset: number, into: Uint8Array, length: number): void { this.inner.read(offset, into, length); }
  write(offset: number, from: Uint8Array, length: number): void {
    if (this.written >= this.cutAt) throw new Error("power cut");
    const n = Math.min(length, this.cutAt - this.written);
    this.inner.write(offset, from, n);
    this.written += n;
    if (n < length) throw new Error("power cut");
  }
  erase(block: number): void { if (this.written >= this.cutAt) throw new Error("power cut"); this.inner.erase(block); }
  sync(): void {}
}

const TWO = readingRecordBytes(2);
/** A RAM ring of `blocks` blocks holding `per` two-value readings each. */
function small(blocks: number, per: number, track = 4): ForwardRing {
  return new ForwardRing(new MemoryRingStorage(BLOCK_HEADER_BYTES + per * TWO, blocks), { maxPoints: 2, track, layoutId: 7 });
}

export const cases: Cases = {
  "record sizes: 19 bytes plus 8 per value; capacity is every block but the one being reopened"(t) {
    t.is(readingRecordBytes(8), 17 + 64 + 2);
    const r = ForwardRing.inMemory(1000, 16384, { maxPoints: 8 });
    t.is(r.blockSize, 4096);
    t.is(r.blockCount, 4);
    t.is(r.capacity, 3 * Math.floor((4096 - BLOCK_HEADER_BYTES) / readingRecordBytes(8)));
    const byCount = ForwardRing.inMemory(1000, 0, { maxPoints: 8 });
    t.ok(byCount.capacity >= 1000, `a ring sized by readings holds at least them: ${byCount.capacity}`);
    const few = ForwardRing.inMemory(10, 0, { maxPoints: 2 });
    t.ok(few.capacity >= 10 && few.capacity < 20, `${few.capacity}`);
  },
  "readings leave in push order with their meter, original time and values"(t) {
    const r = small(4, 4);
    fill(r, 0, 5);
    t.is(r.length, 5);
    const s = r.nextQueued();
    t.is(s, 1);
    t.is(r.loadedMeter, 0);
    t.is(r.loadedEpochMs, 1000);
    t.is(r.loadedCount, 2);
    t.deepEqual([r.values[0], r.values[1]], [0, 0.5]);
    t.ok(!r.historical(s), "a reading of this run is not historical");
    t.deepEqual(drain(r), [1000, 1001, 1002, 1003, 1004]);
    t.is(r.length, 0);
    t.is(r.acknowledged, 5);
  },
  "the head moves only over acknowledged readings; the track bounds what is unacknowledged behind it"(t) {
    const r = small(4, 8, 3);
    fill(r, 0, 6);
    t.deepEqual(sendAll(r), [1, 2, 3], "three in flight at most");
    r.ack(2);
    t.is(r.headSeq, 1);
    t.is(r.nextQueued(), 0, "seq 1 still unacknowledged: nothing more");
    r.ack(1);
    t.is(r.headSeq, 3);
    t.deepEqual(sendAll(r), [4, 5]);
  },
  "requeue after a lost connection resends in-flight readings first, in order"(t) {
    const r = small(4, 4);
    fill(r, 0, 5);
    sendAll(r);
    r.ack(1);
    r.requeue();
    t.is(r.inFlight, 0);
    t.deepEqual(drain(r), [1001, 1002, 1003, 1004]);
  },
  "a full ring reopens its oldest block: those readings are dropped and counted, the newest kept in order"(t) {
    const r = small(3, 4);
    fill(r, 0, 20);
    t.ok(r.dropped > 0);
    t.is(r.pushed, r.dropped + r.length);
    t.ok(r.length >= r.capacity, `${r.length} >= ${r.capacity}`);
    const out = drain(r);
    t.is(out[out.length - 1], 1019);
    for (let i = 1; i < out.length; i++) t.is(out[i], out[i - 1] + 1);
    t.is(r.pushed, r.acknowledged + r.dropped);
  },
  "in-flight readings released by overflow: delivered if their PUBACK still comes, dropped if the connection is lost first"(t) {
    const r = small(2, 2);
    fill(r, 0, 2);
    t.deepEqual(sendAll(r), [1, 2]);
    fill(r, 2, 5); // reopens the first block: seq 1 and 2 are in flight
    t.is(r.dropped, 0, "not dropped yet: they are with the client");
    t.is(r.releasedInFlight, 2);
    t.is(r.inFlight, 0);
    t.ok(!r.ack(1));
    t.is(r.acknowledged, 1, "seq 1 was delivered");
    r.requeue();
    t.is(r.dropped, 1, "seq 2 was never acknowledged");
    t.deepEqual(drain(r), [1002, 1003, 1004]);
    t.is(r.pushed, r.acknowledged + r.dropped + r.length);
  },
  "dropped counts only readings the broker never acknowledged (overflow at an in-flight head while connected)"(t) {
    const r = small(3, 2, 2);
    const acks: number[] = [];
    for (let i = 0; i < 60; i++) {
      r.push(0, 1000 + i, [i, i], 2);
      for (let s = r.nextQueued(); s !== 0 && r.inFlight < 2; s = r.nextQueued()) { r.markSent(s); acks.push(s); }
      if (i % 2 === 1 && acks.length > 0) r.ack(acks.shift() as number);
    }
    for (const s of acks.splice(0)) r.ack(s);
    t.is(r.releasedInFlight, 0);
    t.is(r.pushed, r.acknowledged + r.dropped + r.length);
  },
  "a restart replays what was not acknowledged, oldest first, with original times, as historical; seq goes on"(t) {
    const storage = new MemoryRingStorage(BLOCK_HEADER_BYTES + 4 * TWO, 5);
    const a = new ForwardRing(storage, { maxPoints: 2, track: 4, layoutId: 7 });
    fill(a, 0, 10);
    t.deepEqual(drain(a).length, 10);
    fill(a, 10, 13);
    sendAll(a); // published, no PUBACK: the process dies
    const b = new ForwardRing(storage, { maxPoints: 2, track: 4, layoutId: 7 });
    t.is(b.recovery.replay, 3);
    t.is(b.bootSeq, 14);
    b.push(1, 5000, [9, 9], 2);
    const seqs: number[] = [];
    const hist: boolean[] = [];
    const epochs: number[] = [];
    for (let s = b.nextQueued(); s !== 0; s = b.nextQueued()) { seqs.push(s); hist.push(b.historical(s)); epochs.push(b.loadedEpochMs); b.markSent(s); b.ack(s); }
    t.deepEqual(seqs, [11, 12, 13, 14]);
    t.deepEqual(hist, [true, true, true, false]);
    t.deepEqual(epochs, [1010, 1011, 1012, 5000]);
    const c = new ForwardRing(storage, { maxPoints: 2, track: 4, layoutId: 7 });
    t.is(c.recovery.replay, 0, "all acknowledged and persisted");
    t.is(c.tailSeq, 15);
  },
  "acknowledgements are persisted in batches: a crash resends only readings with the seq they had"(t) {
    const storage = new MemoryRingStorage(BLOCK_HEADER_BYTES + 8 * TWO, 4);
    const a = new ForwardRing(storage, { maxPoints: 2, track: 4, layoutId: 7, ackBatch: 4 });
    fill(a, 0, 8);
    const sent = sendAll(a);
    a.ack(1); a.ack(2); // head at 3, two in flight: not yet persisted
    t.deepEqual(sent, [1, 2, 3, 4]);
    const b = new ForwardRing(storage, { maxPoints: 2, track: 4, layoutId: 7, ackBatch: 4 });
    t.is(b.headSeq, 1, "the acknowledgement of 1 and 2 was not persisted");
    const again = sendAll(b);
    t.deepEqual(again, [1, 2, 3, 4], "resent with the same seq: the subscriber drops the copies");
  },
  "a write torn at any byte is skipped; everything before it is replayed and new readings follow with the next seq"(t) {
    const rng = new Prng(17);
    for (let trial = 0; trial < 60; trial++) {
      const inner = new MemoryRingStorage(BLOCK_HEADER_BYTES + 3 * TWO, 4);
      const s = new CutStorage(inner);
      s.cutAt = 1 + (rng.nextUint32() % (14 * TWO));
      const a = new ForwardRing(s, { maxPoints: 2, track: 4, layoutId: 7 });
      let pushed = 0;
      try {
        for (let i = 0; i < 20; i++) { a.push(0, 1000 + i, [i, i], 2); pushed++; }
      } catch { /* power cut */ }
      const b = new ForwardRing(inner, { maxPoints: 2, track: 4, layoutId: 7 });
      const got = drain(b);
      // Readings written whole are all there (minus whole blocks the ring dropped), in order, ending at the last whole one.
      t.ok(got.length > 0 || pushed === 0, `trial ${trial}`);
      if (got.length > 0) t.is(got[got.length - 1], 1000 + pushed - 1, `trial ${trial}: last whole reading replayed`);
      for (let i = 1; i < got.length; i++) t.is(got[i], got[i - 1] + 1);
      t.is(b.tailSeq, pushed + 1, `trial ${trial}: the torn reading's seq is reused (it was never published)`);
      const n = b.push(0, 9999, [1, 1], 2);
      t.is(n, pushed + 1);
      t.deepEqual(drain(b), [9999]);
      const c = new ForwardRing(inner, { maxPoints: 2, track: 4, layoutId: 7 });
      t.is(c.recovery.replay, 0, `trial ${trial}`);
    }
  },
  "records of another site layout are not replayed, and their blocks are reused"(t) {
    const storage = new MemoryRingStorage(BLOCK_HEADER_BYTES + 4 * TWO, 3);
    const a = new ForwardRing(storage, { maxPoints: 2, layoutId: 1 });
    fill(a, 0, 6);
    const b = new ForwardRing(storage, { maxPoints: 2, layoutId: 2 });
    t.is(b.recovery.replay, 0);
    t.is(b.recovery.foreignBlocks, 2);
    fill(b, 0, 20);
    t.is(drain(b).length, b.pushed - b.dropped);
  },
  "with deferred sync a reading is handed out only once durable"(t) {
    const inner = new MemoryRingStorage(256, 4);
    let syncs = 0;
    const deferred: RingStorage = {
      blockSize: 256, blockCount: 4, deferredSync: true,
      read: (o, i, l) => inner.read(o, i, l), write: (o, f, l) => inner.write(o, f, l), erase: (b) => inner.erase(b), sync: () => { syncs++; },
    };
    const r = new ForwardRing(deferred, { maxPoints: 2 });
    fill(r, 0, 2);
    t.ok(r.needsSync);
    t.is(r.nextQueued(), 0);
    r.sync();
    t.is(syncs, 1);
    t.is(r.nextQueued(), 1);
  },
  "fixed memory: the value scratch is allocated once; bad sizes are refused"(t) {
    const r = ForwardRing.inMemory(16, 0, { maxPoints: 3 });
    const v = r.values;
    for (let i = 0; i < 5_000; i++) { r.push(1, i, [1, 2, 3, 4, 5], 5); if (i % 3 === 0) { const s = r.nextQueued(); r.markSent(s); r.ack(s); } }
    t.ok(r.values === v);
    t.is(r.values.length, 3);
    r.nextQueued();
    t.is(r.loadedCount, 3, "values beyond maxPoints are not stored");
    t.throws(() => ForwardRing.inMemory(4, 0, { maxPoints: 0 }), RangeError);
    t.throws(() => new ForwardRing(new MemoryRingStorage(64, 4), { maxPoints: 8 }), RangeError);
    t.throws(() => new MemoryRingStorage(4096, 1), RangeError);
  },
};
