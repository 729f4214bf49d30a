// Allocation on V8 along the concentrator's forwarding path (issue 21 items 4 and 9), measured as heap growth with the
// collections V8 ran meanwhile (test/harness/allocation.ts allocationOf): the MQTT session turning a reading into a
// state payload (bytes written into its JsonWriter, handed to the publisher, acknowledged) over 100,000 readings, and
// writing a payload alone. Before the payload was bytes, a payload string and its pieces took about 1 KB per message;
// now V8 runs no collection and allocates one or two boxed numbers (16 bytes each) per payload — not yet 0 (see
// docs/benchmarks.md, "Allocation per transaction"). Deterministic figures, no wall clock.
import test from "ava";
import { JsonWriter } from "../modules/json-writer";
import { MqttLayout } from "../modules/mqtt-payload";
import { MqttSession } from "../modules/mqtt-session";
import { ReadingsStore } from "../modules/readings";
import { allocationOf } from "./harness/allocation";
import { SYNTHETIC_METERS } from "./harness/synthetic-site";

const values = new Float64Array([230.1, 231.2, 229.8, 3.41, 2410.5, 49.98, 0.97, 18234.567]);

/** One boxed number on V8 (a HeapNumber, with its header and alignment). */
const ONE_NUMBER = 16;

test("an MQTT state payload written into a JsonWriter: no collection, at most two boxed numbers (100,000 payloads)", async (t) => {
  const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
  const out = new JsonWriter(layout.stateCapacity);
  const time = new Float64Array(2);
  let k = 0;
  const r = await allocationOf(() => {
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
  t.true(r.bytesPerOp <= 2 * ONE_NUMBER, `${r.bytesPerOp} bytes per payload`);
});

test("the MQTT session forwards a reading (ring, payload bytes, publish, PUBACK): no collection, at most two boxed numbers (100,000 readings)", async (t) => {
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
  const r = await allocationOf(() => {
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
  t.true(r.bytesPerOp <= 2 * ONE_NUMBER, `${r.bytesPerOp} bytes per reading`);
});

test("the readings store records a reading (values, times, counters, history, energy periods): no collection, at most two boxed numbers (100,000 readings; it took 128 bytes before)", async (t) => {
  const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
  const time = new Float64Array([1_000_000]);
  let k = 0;
  const r = await allocationOf(() => {
    k++;
    values[7] = 18234.567 + k / 1000; // the energy total rises, so the day and month figures are updated each time
    time[0] = 1_000_000 + (k % 100_000) * 10_000_000;
    // A constant wall clock: a fresh double handed to record() would be boxed by the caller, not by the store.
    store.record(0, values, time[0], 1_795_240_790_120);
  }, 100000);
  t.log(`${r.bytesPerOp.toFixed(3)} bytes per reading, ${r.collections} collections`);
  t.is(r.collections, 0);
  t.true(r.bytesPerOp <= 2 * ONE_NUMBER, `${r.bytesPerOp} bytes per reading`);
});
