/*
 * Home Assistant MQTT device discovery documents for rc485 meters (docs/mqtt.md).
 *
 * Device-based discovery (Home Assistant 2024.11 and later, "Device discovery payload" in the MQTT integration docs): one
 * retained message per meter on `<discovery_prefix>/device/<node_id>/config` carrying
 *   - `dev` (device: `ids` identifiers, `name`, `mf` manufacturer, `mdl` model, `via_device`),
 *   - `o` (origin: `name`, `sw` version, `url` support URL; required with device discovery),
 *   - `cmps` (components: one entry per point, each with `p` platform, `unique_id` and the platform's options),
 *   - shared options every component inherits: `state_topic`, `qos`, `availability` (a list of {topic,
 *     payload_available, payload_not_available}) and `availability_mode`.
 * A meter is available when both the concentrator ("<prefix>/<site>/status", last will "offline") and the meter's own
 * availability topic say "online" (`availability_mode: "all"`). With per-point availability (modules/forwarding/point-availability.ts)
 * each component overrides the shared list with its own (device discovery lets a component override shared options
 * except `dev` and `o`): the same two topics plus its point's, so a stale or invalid point is unavailable alone.
 *
 * Each numeric point becomes a `sensor` with `device_class`, `state_class`, `unit_of_measurement` from the profile
 * (`deviceClass`, `stateClass`, `unit`; Home Assistant sensor vocabulary) and `value_template` reading the point's key of
 * the JSON state message; a null value renders as "None", which Home Assistant shows as unknown. A bool point becomes a
 * `binary_sensor` whose template yields ON/OFF. An empty retained payload on the same topic removes the device.
 */
import { PAYLOAD_OFFLINE, PAYLOAD_ONLINE, type MqttLayout } from "./mqtt-payload";
import { pointAvailabilityTopic } from "./point-availability";

/** Who publishes the discovery documents (`o`). */
export interface DiscoveryOrigin {
  readonly name: string;
  readonly sw?: string;
  readonly url?: string;
}

/** Home Assistant sensor state classes. */
export const HA_STATE_CLASSES = Object.freeze(["measurement", "measurement_angle", "total", "total_increasing"] as const);

/** Home Assistant sensor device classes a meter profile may use (electrical and the usual environmental ones). */
export const HA_SENSOR_DEVICE_CLASSES = Object.freeze([
  "apparent_power", "current", "energy", "energy_storage", "frequency", "power", "power_factor", "reactive_energy",
  "reactive_power", "voltage", "temperature", "humidity", "pressure", "gas", "water", "volume", "volume_flow_rate",
  "duration", "monetary", "battery", "signal_strength",
] as const);

/** Keys this module writes in a component; the test checks them against Home Assistant's option names. */
export const COMPONENT_KEYS = Object.freeze([
  "p", "name", "unique_id", "device_class", "state_class", "unit_of_measurement", "value_template", "payload_on", "payload_off",
  "availability", "availability_mode",
] as const);

export interface DiscoveryComponent {
  p: "sensor" | "binary_sensor";
  name: string;
  unique_id: string;
  device_class?: string;
  state_class?: string;
  unit_of_measurement?: string;
  value_template: string;
  payload_on?: string;
  payload_off?: string;
  availability?: DiscoveryAvailability[];
  availability_mode?: "all";
}

export interface DiscoveryAvailability {
  topic: string;
  payload_available: string;
  payload_not_available: string;
}

export interface DiscoveryDocument {
  dev: { ids: string[]; name: string; mf?: string; mdl?: string; via_device?: string };
  o: { name: string; sw?: string; url?: string };
  cmps: Record<string, DiscoveryComponent>;
  state_topic: string;
  qos: 0 | 1;
  availability: DiscoveryAvailability[];
  availability_mode: "all";
}

function title(name: string): string {
  const s = name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The discovery document of meter `meter`. `concentratorId`, when given, is the `ids` of a concentrator device the
 * meters hang off (`via_device`). `pointAvailability`: each component also waits for its point's availability topic.
 */
export function discoveryDocument(layout: MqttLayout, meter: number, origin: DiscoveryOrigin, concentratorId?: string, pointAvailability = false): DiscoveryDocument {
  const m = layout.meters[meter];
  if (!origin || typeof origin.name !== "string" || origin.name.length === 0) throw new TypeError("discovery: origin.name is required");
  const node = layout.nodeIds[meter];
  const cmps: Record<string, DiscoveryComponent> = {};
  const shared: DiscoveryAvailability[] = [
    { topic: layout.statusTopic, payload_available: PAYLOAD_ONLINE, payload_not_available: PAYLOAD_OFFLINE },
    { topic: layout.availabilityTopics[meter], payload_available: PAYLOAD_ONLINE, payload_not_available: PAYLOAD_OFFLINE },
  ];
  for (const p of m.points) {
    const c: DiscoveryComponent = p.type === "bool"
      ? { p: "binary_sensor", name: p.label || title(p.name), unique_id: `${node}_${p.name}`, value_template: `{{ 'ON' if value_json.${p.name} else 'OFF' }}`, payload_on: "ON", payload_off: "OFF" }
      : { p: "sensor", name: p.label || title(p.name), unique_id: `${node}_${p.name}`, value_template: `{{ value_json.${p.name} }}` };
    // "" and undefined both mean "none" (the profile loader writes "" for an absent field). An `enum` point is published
    // as a plain text sensor: Home Assistant's enum class wants the list of options, which profiles do not carry.
    const dc = p.deviceClass && p.deviceClass !== "enum" ? p.deviceClass : "";
    if (dc) {
      if (c.p === "sensor" && (HA_SENSOR_DEVICE_CLASSES as readonly string[]).indexOf(dc) < 0) {
        throw new RangeError(`meters[${m.name}].points[${p.name}].deviceClass: '${dc}' is not one of ${HA_SENSOR_DEVICE_CLASSES.join(", ")}, enum`);
      }
      c.device_class = dc;
    }
    if (c.p === "sensor" && p.deviceClass !== "enum") {
      if (p.stateClass) {
        if ((HA_STATE_CLASSES as readonly string[]).indexOf(p.stateClass) < 0) {
          throw new RangeError(`meters[${m.name}].points[${p.name}].stateClass: '${p.stateClass}' is not one of ${HA_STATE_CLASSES.join(", ")}`);
        }
        c.state_class = p.stateClass;
      }
      if (p.unit) c.unit_of_measurement = p.unit;
    }
    if (pointAvailability) {
      c.availability = [...shared, { topic: pointAvailabilityTopic(layout.prefix, layout.site, m.name, p.name), payload_available: PAYLOAD_ONLINE, payload_not_available: PAYLOAD_OFFLINE }];
      c.availability_mode = "all";
    }
    cmps[p.name] = c;
  }
  const dev: DiscoveryDocument["dev"] = { ids: [node], name: m.name };
  if (m.manufacturer) dev.mf = m.manufacturer;
  if (m.model) dev.mdl = m.model;
  if (concentratorId) dev.via_device = concentratorId;
  const o: DiscoveryDocument["o"] = { name: origin.name };
  if (origin.sw) o.sw = origin.sw;
  if (origin.url) o.url = origin.url;
  return {
    dev,
    o,
    cmps,
    state_topic: layout.stateTopics[meter],
    qos: 1,
    availability: shared,
    availability_mode: "all",
  };
}

/** The retained discovery message of meter `meter`: topic and JSON text. */
export function discoveryMessage(layout: MqttLayout, meter: number, origin: DiscoveryOrigin, concentratorId?: string, pointAvailability = false): { topic: string; payload: string } {
  return { topic: layout.discoveryTopics[meter], payload: JSON.stringify(discoveryDocument(layout, meter, origin, concentratorId, pointAvailability)) };
}
