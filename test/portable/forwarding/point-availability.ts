// Per-point MQTT availability (modules/forwarding/point-availability.ts, modules/forwarding/mqtt-session.ts, modules/forwarding/ha-discovery.ts): a point
// is online only while fresh; messages go out on a change only, every point once more on a new connection; discovery
// components list their point's topic; a total the sanity filter withholds makes its point invalid (modules/concentrator/point-quality.ts).
// Portable: runs on Node and on XS.
import { discoveryDocument } from "../../../modules/forwarding/ha-discovery";
import { VALUE_OK, VALUE_WITHHELD } from "../../../modules/concentrator/latest-values";
import { MqttLayout } from "../../../modules/forwarding/mqtt-payload";
import { MqttSession, type MqttPublisher } from "../../../modules/forwarding/mqtt-session";
import { AVAILABILITY_OFFLINE, AVAILABILITY_ONLINE, AVAILABILITY_UNKNOWN, PointAvailability, pointAvailabilityTopic } from "../../../modules/forwarding/point-availability";
import { PointQuality, QUALITY_FRESH, QUALITY_INVALID, QUALITY_NONE, QUALITY_STALE } from "../../../modules/concentrator/point-quality";
import { FAULT_TIMEOUT, ReadingsStore, type MeterMeta } from "../../../modules/concentrator/readings";
import type { Cases, Check } from "../../harness/check";

const meters: MeterMeta[] = [
  { name: "a", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }] },
  { name: "b", profile: "p", points: [{ name: "voltage", unit: "V", deviceClass: "voltage", stateClass: "measurement" }, { name: "energy", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" }] },
];

function collect(av: PointAvailability, q: Uint8Array): string[] {
  const out: string[] = [];
  av.sync(q, (k, on) => void out.push(`${k}=${on ? "online" : "offline"}`));
  return out;
}

export const cases: Cases = {
  "the tracker reports each point whose availability changed, once; reset() reports all again"(t: Check) {
    const av = new PointAvailability(3);
    const q = new Uint8Array([QUALITY_NONE, QUALITY_FRESH, QUALITY_STALE]);
    t.deepEqual(collect(av, q), ["0=offline", "1=online", "2=offline"], "first sync: every point");
    t.deepEqual(collect(av, q), [], "nothing changed: nothing sent");
    q[0] = QUALITY_FRESH;
    q[1] = QUALITY_INVALID;
    t.deepEqual(collect(av, q), ["0=online", "1=offline"]);
    q[2] = QUALITY_INVALID;
    t.deepEqual(collect(av, q), [], "stale to invalid stays offline");
    t.deepEqual(Array.from(av.published), [AVAILABILITY_ONLINE, AVAILABILITY_OFFLINE, AVAILABILITY_OFFLINE]);
    av.reset();
    t.deepEqual(Array.from(av.published), [AVAILABILITY_UNKNOWN, AVAILABILITY_UNKNOWN, AVAILABILITY_UNKNOWN]);
    t.is(av.sync(q, () => {}), 3);
    t.throws(() => new PointAvailability(-1));
  },
  "a total the sanity filter withheld is invalid, not fresh"(t: Check) {
    const q = new PointQuality([{ intervalMs: 1000, points: meters[1].points }]);
    q.recorded(0, [230, 100], 1_000_000, new Uint8Array([VALUE_OK, VALUE_OK]));
    t.deepEqual([q.of(0, 0), q.of(0, 1)], [QUALITY_FRESH, QUALITY_FRESH]);
    q.recorded(0, [231, 100], 2_000_000, new Uint8Array([VALUE_OK, VALUE_WITHHELD]));
    t.deepEqual([q.of(0, 0), q.of(0, 1)], [QUALITY_FRESH, QUALITY_INVALID], "the held total is the last accepted value, not a reading");
    q.recorded(0, [231, 101], 3_000_000, new Uint8Array([VALUE_OK, VALUE_OK]));
    t.is(q.of(0, 1), QUALITY_FRESH);
  },
  "the session publishes point availability on connect and on change; discovery components wait for their point"(t: Check) {
    const store = new ReadingsStore({ meters, offlineAfter: 1 });
    const layout = new MqttLayout({ site: "s" }, meters);
    const quality = new PointQuality(meters.map((m) => ({ intervalMs: 1000, points: m.points })));
    const sent: { topic: string; payload: string; retain: boolean }[] = [];
    const pub: MqttPublisher = { publish: (topic, payload, _qos, retain) => void sent.push({ topic, payload, retain }), publishBytes: () => true };
    const session = new MqttSession(store, layout, pub, { quality });
    const points = () => sent.filter((s) => s.topic.split("/").length === 5 && s.topic.endsWith("/availability")).map((s) => `${s.topic.split("/")[2]}.${s.topic.split("/")[3]}=${s.payload}`);
    store.record(0, [100], 1_000_000, 1000);
    quality.recorded(0, store.meters[0].values, 1_000_000);
    session.connected();
    t.deepEqual(points(), ["a.power=online", "b.voltage=offline", "b.energy=offline"]);
    t.ok(sent.filter((s) => s.topic.endsWith("/availability")).every((s) => s.retain), "retained");
    const disc = JSON.parse(sent.filter((s) => s.topic === layout.discoveryTopics[1])[0].payload);
    t.deepEqual(disc.cmps.energy.availability.map((a: { topic: string }) => a.topic), [layout.statusTopic, layout.availabilityTopics[1], "rc485/s/b/energy/availability"]);
    t.is(disc.cmps.energy.availability_mode, "all");
    t.is(pointAvailabilityTopic("rc485", "s", "b", "energy"), "rc485/s/b/energy/availability");
    store.record(1, [230, 5], 1_500_000, 1500);
    quality.recorded(1, store.meters[1].values, 1_500_000);
    session.health();
    session.health();
    t.deepEqual(points().slice(3), ["b.voltage=online", "b.energy=online"], "once per change");
    quality.age(4_600_000);
    session.health();
    t.deepEqual(points().slice(5), ["a.power=offline", "b.voltage=offline", "b.energy=offline"], "stale after 3 intervals");
    store.failure(0, FAULT_TIMEOUT, 5_000_000);
    quality.failed(0, store.online(0));
    session.health();
    t.deepEqual(points().slice(8), [], "already offline");
    const n = sent.length;
    session.disconnected();
    session.connected();
    t.deepEqual(points().length - 8, 3, "a new connection publishes every point again");
    t.ok(sent.length > n);
    t.throws(() => new MqttSession(store, layout, pub, { quality: new PointQuality([{ intervalMs: 1000, points: meters[0].points }]) }));
  },
  "without quality, discovery components carry no availability of their own"(t: Check) {
    const layout = new MqttLayout({ site: "s" }, meters);
    const d = discoveryDocument(layout, 1, { name: "rc485" });
    t.is(d.cmps.energy.availability, undefined);
    const e = discoveryDocument(layout, 1, { name: "rc485" }, undefined, true);
    t.deepEqual(e.availability.map((a) => a.topic), [layout.statusTopic, layout.availabilityTopics[1]], "the shared list stays");
  },
};
