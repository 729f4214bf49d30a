// Allocation on V8 along the concentrator's path (issue 21 items 4, 6 and 9), measured as heap growth with the
// collections V8 ran meanwhile (test/harness/allocation.ts allocationOf): the whole concentrator without a bus
// (bench/concentrator-loopback.ts: poll, decode, sanity filter, readings store, point quality, MQTT state payload,
// publish and PUBACK, a gateway request every tenth transaction, time rebased as the Node host does) over 100,000
// transactions, and its forwarding pieces alone over 100,000 readings. Any object made per transaction, per reading or
// per payload is at least 16 bytes (one boxed number); the tests allow less than one byte per operation, the heap's
// own noise. Before: about 180 bytes per transaction (docs/benchmarks.md, "Allocation per transaction"). Deterministic
// figures, no wall clock. Serial: a collection caused by another test's warm-up must not count against this one.
import test from "ava";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { MqttSession } from "../modules/forwarding/mqtt-session";
import { ReadingsStore } from "../modules/concentrator/readings";
import { makeConcentratorLoopback } from "../bench/concentrator-loopback";
import { REBASE_US } from "../modules/port/time-rebase";
import { allocationOf } from "./harness/allocation";
import { SDM120, SDM630 } from "./fixtures/maps";
import { SYNTHETIC_METERS } from "./harness/synthetic-site";

const values = new Float64Array([230.1, 231.2, 229.8, 3.41, 2410.5, 49.98, 0.97, 18234.567]);

/** Less than one byte per operation: nothing is made per operation (one boxed number on V8 is 16 bytes). */
const NOTHING = 1;

/**
 * allocationOf() over `n` calls, the least of up to three tries (as test/harness/allocation.ts bytesPerOp): an object
 * made per call shows on every try; what V8 allocates beside the op now and then (a late optimising compile, the
 * runner's messages) does not.
 */
async function leastOf(op: () => unknown, n: number): Promise<{ bytesPerOp: number; collections: number }> {
  // Warm up over n calls first, so that V8 has optimised every function on the path (its code lands on the same heap).
  for (let i = 0; i < n; i++) op();
  let r = await allocationOf(op, n);
  for (let attempt = 1; attempt < 3 && (r.bytesPerOp >= NOTHING || r.collections > 0); attempt++) {
    const again = await allocationOf(op, n);
    if (again.collections <= r.collections && again.bytesPerOp < r.bytesPerOp) r = again;
  }
  return r;
}

test.serial("an MQTT state payload written into a JsonWriter: no collection, nothing allocated (100,000 payloads)", async (t) => {
  const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
  const out = layout.writer;
  const time = new Float64Array(2);
  let k = 0;
  const r = await leastOf(() => {
    k++;
    values[3] = 3 + (k % 1000) / 1000; // a different number each time, so no text could be cached
    time[0] = 1_795_240_790_120 + k;
    time[1] = k; // the ring seq
    out.reset();
    layout.writeStatePayload(0, values, 0, time, out);
    return out.length;
  }, 100000);
  t.log(`${r.bytesPerOp.toFixed(3)} bytes per payload, ${r.collections} collections`);
  t.is(r.collections, 0);
  t.true(r.bytesPerOp < NOTHING, `${r.bytesPerOp} bytes per payload`);
});

test.serial("the MQTT session forwards a reading (ring, payload bytes, publish, PUBACK): no collection, nothing allocated (100,000 readings)", async (t) => {
  const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
  let last = 0;
  let bytes = 0;
  const session = new MqttSession(store, new MqttLayout({ site: "home" }, SYNTHETIC_METERS), {
    publish() {},
    publishBytes: (_t, payload, length, _q, _r, token) => { bytes += length + payload[length - 1]; last = token; return true; },
  }, { ring: 64 });
  session.connected();
  const clock = new Float64Array([1_000_000]);
  let k = 0;
  const r = await leastOf(() => {
    k++;
    values[3] = 3 + (k % 1000) / 1000;
    clock[0] = 1_000_000 + (k % 100_000) * 1000;
    store.meters[0].values.set(values);
    session.reading(0);
    session.acked(last);
  }, 100000);
  t.log(`${r.bytesPerOp.toFixed(3)} bytes per reading, ${r.collections} collections`);
  t.true(bytes > 100000 * 100);
  t.is(r.collections, 0);
  t.true(r.bytesPerOp < NOTHING, `${r.bytesPerOp} bytes per reading`);
});

test.serial("the readings store records a reading (values, times, counters, history, energy periods): no collection, nothing allocated (100,000 readings; it took 128 bytes before)", async (t) => {
  const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
  const time = new Float64Array([1_000_000]);
  let k = 0;
  const r = await leastOf(() => {
    k++;
    values[7] = 18234.567 + k / 1000; // the energy total rises, so the day and month figures are updated each time
    time[0] = 1_000_000 + (k % 100_000) * 10_000_000;
    // A constant wall clock: a fresh double handed to record() would be boxed by the caller, not by the store.
    store.record(0, values, time[0], 1_795_240_790_120);
  }, 100000);
  t.log(`${r.bytesPerOp.toFixed(3)} bytes per reading, ${r.collections} collections`);
  t.is(r.collections, 0);
  t.true(r.bytesPerOp < NOTHING, `${r.bytesPerOp} bytes per reading`);
});

test.serial("the concentrator (poll, decode, sanity, store, quality, MQTT payload, PUBACK, a gateway request every tenth): no collection, no byte per transaction (100,000 transactions)", async (t) => {
  const loop = makeConcentratorLoopback([SDM630, SDM120], 0, REBASE_US);
  const r = await leastOf(() => loop.transaction(), 100000);
  t.log(`${r.bytesPerOp.toFixed(3)} bytes per transaction, ${r.collections} collections; ${loop.counts[0]} payloads, ${loop.counts[2]} gateway answers, ${loop.rebases()} rebases`);
  t.true(loop.counts[0] > 10000 && loop.counts[2] > 9000, "payloads published and gateway requests answered");
  t.true(loop.rebases() > 10, "the clock was rebased while measuring");
  t.is(r.collections, 0);
  t.true(r.bytesPerOp < NOTHING, `${r.bytesPerOp} bytes per transaction`);
});
