import { COMPONENT_KEYS, discoveryDocument, discoveryMessage, HA_STATE_CLASSES } from "../../../modules/forwarding/ha-discovery";
import { MqttLayout } from "../../../modules/forwarding/mqtt-payload";
import type { MeterMeta } from "../../../modules/concentrator/readings";
import type { Cases } from "../../harness/check";
import { SYNTHETIC_METERS } from "../../harness/synthetic-site";

// Option names of Home Assistant's MQTT device discovery payload (MQTT integration docs, "Device discovery payload"; the
// abbreviations table of homeassistant/components/mqtt/abbreviations.py): top level, device, origin, availability, and
// the options of the sensor and binary_sensor platforms that rc485 writes.
const HA_TOP = ["dev", "o", "cmps", "state_topic", "qos", "availability", "availability_mode", "encoding", "command_topic"];
const HA_DEVICE = ["ids", "name", "mf", "mdl", "mdl_id", "sw", "hw", "sn", "sa", "cu", "cns", "via_device"];
const HA_ORIGIN = ["name", "sw", "url"];
const HA_AVAILABILITY = ["topic", "payload_available", "payload_not_available", "value_template"];
const HA_SENSOR = ["p", "name", "unique_id", "device_class", "state_class", "unit_of_measurement", "value_template", "state_topic",
  "availability", "expire_after", "force_update", "icon", "suggested_display_precision", "entity_category", "enabled_by_default", "default_entity_id"];
const HA_BINARY_SENSOR = ["p", "name", "unique_id", "device_class", "value_template", "state_topic", "payload_on", "payload_off", "availability",
  "expire_after", "force_update", "icon", "off_delay", "entity_category", "enabled_by_default", "default_entity_id"];

const meters: MeterMeta[] = [
  ...SYNTHETIC_METERS.slice(0, 2),
  { name: "relay", profile: "x", manufacturer: "ACME", points: [{ name: "tripped", label: "Tripped", type: "bool" }, { name: "counter" }] },
];

function keysIn(t: { ok(v: unknown, m?: string): void }, obj: object, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) t.ok(allowed.indexOf(k) >= 0, `${where}: '${k}' is a Home Assistant option`);
}

export const cases: Cases = {
  "one device document per meter with dev, o, cmps and shared state topic, qos and availability"(t) {
    const l = new MqttLayout({ prefix: "rc485", site: "home" }, meters);
    const d = discoveryDocument(l, 0, { name: "rc485", sw: "0.1.0", url: "https://example.invalid/rc485" });
    keysIn(t, d, HA_TOP, "top level");
    keysIn(t, d.dev, HA_DEVICE, "dev");
    keysIn(t, d.o, HA_ORIGIN, "o");
    t.deepEqual(d.dev, { ids: ["rc485_home_house"], name: "house", mf: "Eastron", mdl: "SDM630-Modbus V2" });
    t.deepEqual(d.o, { name: "rc485", sw: "0.1.0", url: "https://example.invalid/rc485" });
    t.is(d.state_topic, "rc485/home/house/state");
    t.is(d.qos, 1);
    t.is(d.availability_mode, "all");
    t.deepEqual(d.availability.map((a) => a.topic), ["rc485/home/status", "rc485/home/house/availability"]);
    for (const a of d.availability) { keysIn(t, a, HA_AVAILABILITY, "availability"); t.is(a.payload_available, "online"); t.is(a.payload_not_available, "offline"); }
    t.deepEqual(Object.keys(d.cmps), SYNTHETIC_METERS[0].points.map((p) => p.name));
  },
  "sensor components carry device_class, state_class, unit and a value_template from the profile"(t) {
    const l = new MqttLayout({ site: "home" }, meters);
    const d = discoveryDocument(l, 0, { name: "rc485" });
    t.deepEqual(d.cmps.energy_active_import_total, {
      p: "sensor", name: "Active energy import, total", unique_id: "rc485_home_house_energy_active_import_total", device_class: "energy",
      state_class: "total_increasing", unit_of_measurement: "kWh", value_template: "{{ value_json.energy_active_import_total }}",
    });
    t.is(d.cmps.power_factor_total.unit_of_measurement, undefined, "power factor has no unit");
    const ids: Record<string, boolean> = {};
    for (let m = 0; m < meters.length; m++) {
      const doc = discoveryDocument(l, m, { name: "rc485" });
      for (const k of Object.keys(doc.cmps)) {
        const c = doc.cmps[k];
        keysIn(t, c, c.p === "sensor" ? HA_SENSOR : HA_BINARY_SENSOR, `cmps.${k}`);
        keysIn(t, c, COMPONENT_KEYS, `cmps.${k} (module's own list)`);
        t.ok(/^[a-zA-Z0-9_-]+$/.test(c.unique_id), "unique_id charset");
        t.ok(!ids[c.unique_id], `unique_id ${c.unique_id} is unique`);
        ids[c.unique_id] = true;
        if (c.state_class !== undefined) t.ok((HA_STATE_CLASSES as readonly string[]).indexOf(c.state_class) >= 0);
      }
    }
  },
  "bool points become binary sensors; unlabelled points get a readable name"(t) {
    const l = new MqttLayout({ site: "home" }, meters);
    const d = discoveryDocument(l, 2, { name: "rc485" });
    t.deepEqual(d.cmps.tripped, { p: "binary_sensor", name: "Tripped", unique_id: "rc485_home_relay_tripped", value_template: "{{ 'ON' if value_json.tripped else 'OFF' }}", payload_on: "ON", payload_off: "OFF" });
    t.is(d.cmps.counter.name, "Counter");
    t.deepEqual(d.dev, { ids: ["rc485_home_relay"], name: "relay", mf: "ACME" });
  },
  "discoveryMessage is the device topic and the document as JSON"(t) {
    const l = new MqttLayout({ site: "home" }, meters);
    const msg = discoveryMessage(l, 1, { name: "rc485", sw: "0.1.0" }, "rc485_home");
    t.is(msg.topic, "homeassistant/device/rc485_home_heatpump/config");
    const o = JSON.parse(msg.payload);
    t.is(o.dev.via_device, "rc485_home");
    t.is(o.cmps.power_active_total.device_class, "power");
  },
  "empty strings from the profile loader mean absent; enum points become plain sensors"(t) {
    const l = new MqttLayout({ site: "s" }, [{ name: "m", profile: "x", points: [
      { name: "pf", label: "", unit: "", deviceClass: "power_factor", stateClass: "measurement" },
      { name: "mode", label: "Mode", unit: "", deviceClass: "enum", stateClass: "" },
      { name: "raw", label: "", unit: "", deviceClass: "", stateClass: "" },
    ] }]);
    const d = discoveryDocument(l, 0, { name: "rc485" });
    t.deepEqual(d.cmps.pf, { p: "sensor", name: "Pf", unique_id: "rc485_s_m_pf", value_template: "{{ value_json.pf }}", device_class: "power_factor", state_class: "measurement" });
    t.deepEqual(d.cmps.mode, { p: "sensor", name: "Mode", unique_id: "rc485_s_m_mode", value_template: "{{ value_json.mode }}" });
    t.deepEqual(d.cmps.raw, { p: "sensor", name: "Raw", unique_id: "rc485_s_m_raw", value_template: "{{ value_json.raw }}" });
  },
  "unknown device or state classes and a missing origin are refused"(t) {
    const bad = (p: object): MeterMeta[] => [{ name: "m", profile: "x", points: [{ name: "v", ...p }] }];
    t.throws(() => discoveryDocument(new MqttLayout({ site: "s" }, bad({ deviceClass: "volts" })), 0, { name: "rc485" }), RangeError);
    t.throws(() => discoveryDocument(new MqttLayout({ site: "s" }, bad({ stateClass: "total_decreasing" })), 0, { name: "rc485" }), RangeError);
    t.throws(() => discoveryDocument(new MqttLayout({ site: "s" }, bad({})), 0, { name: "" }), TypeError);
  },
};
