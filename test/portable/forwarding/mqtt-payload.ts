import { MqttLayout, PAYLOAD_OFFLINE, PAYLOAD_ONLINE } from "../../../modules/forwarding/mqtt-payload";
import type { MeterMeta } from "../../../modules/concentrator/readings";
import type { Cases } from "../../harness/check";

const meters: MeterMeta[] = [
  { name: "main", profile: "eastron-sdm630", points: [
    { name: "voltage_l1", unit: "V", deviceClass: "voltage", stateClass: "measurement", type: "f32" },
    { name: "energy_import", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing", type: "f64" },
    { name: "alarm", type: "bool" },
  ] },
  { name: "pump-2", profile: "eastron-sdm120", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement", type: "f32" }] },
];

export const cases: Cases = {
  "topic layout: prefix/site/meter/state, availability, concentrator status, device discovery"(t) {
    const l = new MqttLayout({ prefix: "rc485", site: "home" }, meters);
    t.is(l.stateTopics[0], "rc485/home/main/state");
    t.is(l.availabilityTopics[1], "rc485/home/pump-2/availability");
    t.is(l.statusTopic, "rc485/home/status");
    t.is(l.discoveryTopics[1], "homeassistant/device/rc485_home_pump-2/config");
    t.is(l.nodeIds[0], "rc485_home_main");
    const l2 = new MqttLayout({ prefix: "plant/energy", site: "b7", discoveryPrefix: "ha" }, meters);
    t.is(l2.stateTopics[0], "plant/energy/b7/main/state");
    t.is(l2.discoveryTopics[0], "ha/device/rc485_b7_main/config");
    t.is(PAYLOAD_ONLINE, "online");
    t.is(PAYLOAD_OFFLINE, "offline");
  },
  "state payload: time in ISO 8601 UTC and epoch ms, values in engineering units, NaN as null"(t) {
    const l = new MqttLayout({ site: "home" }, meters);
    const values = new Float64Array([99, Math.fround(230.1), 18234.567891, NaN, 1]);
    const p = l.statePayload(0, values, 1, Date.UTC(2026, 10, 21, 5, 55, 3, 123));
    t.is(p, '{"time":"2026-11-21T05:55:03.123Z","time_ms":1795240503123,"voltage_l1":230.1,"energy_import":18234.567891,"alarm":null}');
    const o = JSON.parse(p);
    t.is(o.time_ms, Date.parse(o.time));
  },
  "topic parts are validated with the field named"(t) {
    t.throws(() => new MqttLayout({ site: "a/b" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok", prefix: "x/+/y" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok", prefix: "x/#" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok", prefix: "/x" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok", prefix: "x//y" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok", discoveryPrefix: "" }, meters), RangeError);
    t.throws(() => new MqttLayout({ site: "ok" }, [{ name: "status", profile: "p", points: [{ name: "x" }] }]), RangeError);
    t.throws(() => new MqttLayout({ site: "ok" }, [{ name: "m", profile: "p", points: [{ name: "time" }] }]), RangeError);
    try { new MqttLayout({ site: "a b" }, meters); } catch (e) { t.ok((e as Error).message.indexOf("forwarding.mqtt.site") === 0); }
  },
};
