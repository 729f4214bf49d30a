import { MqttLayout } from "../../../modules/forwarding/mqtt-payload";
import { MqttSession, type MqttPublisher } from "../../../modules/forwarding/mqtt-session";
import { FAULT_TIMEOUT, ReadingsStore, type MeterMeta } from "../../../modules/concentrator/readings";
import { ForwardRing } from "../../../modules/forwarding/ring";
import { MemoryRingStorage } from "../../../modules/forwarding/ring-storage";
import type { Cases } from "../../harness/check";

const meters: MeterMeta[] = [
  { name: "a", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }] },
  { name: "b", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }, { name: "energy", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" }] },
];

/** The session's state payloads are ASCII JSON (point names [a-z0-9_], numbers, an ISO time). */
function ascii(b: Uint8Array, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(b[i]);
  return s;
}

interface Sent { topic: string; payload: string; qos: number; retain: boolean; token: number }

function setup(window = 2, ring = 8) {
  const store = new ReadingsStore({ meters, offlineAfter: 1 });
  const layout = new MqttLayout({ site: "s" }, meters);
  const sent: Sent[] = [];
  const pub: MqttPublisher = {
    publish: (topic, payload, qos, retain, token) => void sent.push({ topic, payload, qos, retain, token }),
    publishBytes: (topic, payload, length, qos, retain, token) => { sent.push({ topic, payload: ascii(payload, length), qos, retain, token }); return true; },
  };
  const session = new MqttSession(store, layout, pub, { window, ring });
  let k = 0;
  const take = (m: number): void => { k++; store.record(m, [k, k * 10], k * 1_000_000, 1_000_000 + k); session.reading(m); };
  return { store, session, sent, take };
}

const stateKs = (sent: Sent[]): number[] => sent.filter((s) => s.token > 0).map((s) => JSON.parse(s.payload).time_ms - 1_000_000);

export const cases: Cases = {
  "ringBytes sizes the RAM ring in bytes; without it the ring holds at least `ring` readings"(t) {
    const store = new ReadingsStore({ meters, offlineAfter: 1 });
    const layout = new MqttLayout({ site: "s" }, meters);
    const pub: MqttPublisher = { publish() {}, publishBytes: () => true };
    t.ok(new MqttSession(store, layout, pub, { ring: 1000 }).ring.capacity >= 1000);
    const r = new MqttSession(store, layout, pub, { ring: 1000, ringBytes: 16384 }).ring;
    t.ok(r.blockCount * r.blockSize <= 16384);
    t.is(r.layoutId, layout.layoutId);
  },
  "on connect: status online, one discovery document per meter, availability, then queued readings in order"(t) {
    const { session, sent, take } = setup(10);
    take(0); take(1); take(0);
    t.is(sent.length, 0, "nothing is published before the connection");
    session.connected();
    t.deepEqual(sent.map((s) => s.topic), [
      "rc485/s/status", "homeassistant/device/rc485_s_a/config", "homeassistant/device/rc485_s_b/config",
      "rc485/s/a/availability", "rc485/s/b/availability", "rc485/s/a/state", "rc485/s/b/state", "rc485/s/a/state",
    ]);
    t.deepEqual(sent.slice(0, 5).map((s) => s.retain), [true, true, true, true, true]);
    t.deepEqual(sent.slice(3, 5).map((s) => s.payload), ["online", "online"]);
    t.deepEqual(stateKs(sent), [1, 2, 3]);
    t.ok(sent.every((s) => s.qos === 1));
    t.is(JSON.parse(sent[6].payload).energy, 20);
  },
  "the window bounds readings in flight; each PUBACK sends the next"(t) {
    const { session, sent, take } = setup(2);
    session.connected();
    sent.length = 0;
    for (let i = 0; i < 5; i++) take(0);
    t.deepEqual(stateKs(sent), [1, 2]);
    session.acked(sent[0].token);
    t.deepEqual(stateKs(sent), [1, 2, 3]);
    session.acked(sent[2].token);
    session.acked(sent[1].token);
    t.deepEqual(stateKs(sent), [1, 2, 3, 4, 5]);
    t.is(session.ring.length, 2);
  },
  "a lost connection requeues in-flight readings; the next connection sends them first, in order"(t) {
    const { session, sent, take } = setup(2);
    session.connected();
    take(0); take(0); take(0);
    session.acked(sent.filter((s) => s.token > 0)[0].token); // reading 1 delivered; 2 and 3 in flight
    session.disconnected();
    take(1); take(1);
    sent.length = 0;
    session.connected();
    t.deepEqual(stateKs(sent), [2, 3], "window of 2: the two readings that were in flight go first");
    for (const s of sent.filter((x) => x.token > 0)) session.acked(s.token);
    t.deepEqual(stateKs(sent), [2, 3, 4, 5]);
  },
  "availability is published when it changes, not on every reading"(t) {
    const { store, session, sent, take } = setup(10);
    take(0);
    session.connected();
    const avail = () => sent.filter((s) => s.topic.endsWith("/availability")).map((s) => s.topic.split("/")[2] + "=" + s.payload);
    t.deepEqual(avail(), ["a=online", "b=offline"]);
    take(0);
    session.health();
    t.is(avail().length, 2);
    store.failure(0, FAULT_TIMEOUT, 99_000_000);
    take(1);
    session.health();
    t.deepEqual(avail().slice(2), ["a=offline", "b=online"]);
  },
  "a full ring drops its oldest block while disconnected; the newest readings leave in order"(t) {
    const { session, sent, take } = setup(2, 4);
    for (let i = 0; i < 10; i++) take(0);
    const ring = session.ring;
    t.ok(ring.dropped > 0);
    t.ok(ring.length >= ring.capacity && ring.capacity >= 4, `${ring.length} held, capacity ${ring.capacity}`);
    session.connected();
    for (let i = 0; i < 10; i++) { const s = sent.filter((x) => x.token > 0)[i]; if (s) session.acked(s.token); }
    const ks = stateKs(sent);
    t.is(ks.length, 10 - ring.dropped);
    t.deepEqual(ks, Array.from({ length: ks.length }, (_, i) => 11 - ks.length + i));
  },
  "every reading carries its seq; after a restart the rest is replayed to the history topic, marked historical, not retained"(t) {
    const store = new ReadingsStore({ meters, offlineAfter: 1 });
    const layout = new MqttLayout({ site: "s" }, meters);
    const sent: Sent[] = [];
    const pub: MqttPublisher = {
      publish: (topic, payload, qos, retain, token) => void sent.push({ topic, payload, qos, retain, token }),
      publishBytes: (topic, payload, length, qos, retain, token) => { sent.push({ topic, payload: ascii(payload, length), qos, retain, token }); return true; },
    };
    const storage = new MemoryRingStorage(4096, 4);
    const ring1 = new ForwardRing(storage, { maxPoints: store.maxPoints, track: 4, layoutId: layout.layoutId });
    const s1 = new MqttSession(store, layout, pub, { window: 4, retainState: true, forwardRing: ring1 });
    for (let k = 1; k <= 3; k++) { store.record(0, [k, k * 10], k * 1_000_000, 1_000_000 + k); s1.reading(0); }
    // The process dies; a new one starts on the same storage.
    const ring2 = new ForwardRing(storage, { maxPoints: store.maxPoints, track: 4, layoutId: layout.layoutId });
    const s2 = new MqttSession(store, layout, pub, { window: 4, retainState: true, forwardRing: ring2 });
    store.record(0, [4, 40], 4_000_000, 1_000_004);
    s2.reading(0);
    s2.connected();
    const readings = sent.filter((x) => x.token > 0);
    t.deepEqual(readings.map((x) => x.topic), ["rc485/s/a/history", "rc485/s/a/history", "rc485/s/a/history", "rc485/s/a/state"]);
    t.deepEqual(readings.map((x) => x.retain), [false, false, false, true]);
    const docs = readings.map((x) => JSON.parse(x.payload));
    t.deepEqual(docs.map((d) => d.seq), [1, 2, 3, 4]);
    t.deepEqual(docs.map((d) => d.historical), [true, true, true, undefined]);
    t.deepEqual(docs.map((d) => d.time_ms), [1_000_001, 1_000_002, 1_000_003, 1_000_004]);
    t.throws(() => new MqttSession(store, layout, pub, { window: 4, forwardRing: new ForwardRing(storage, { maxPoints: store.maxPoints, track: 4, layoutId: layout.layoutId ^ 1 }) }), RangeError);
  },
};
