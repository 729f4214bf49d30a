/*
 * MQTT topic layout and payloads of rc485 (docs/mqtt.md), shared by the Node host and the ESP32 host.
 *
 *   <prefix>/<site>/status               concentrator availability, retained: "online"; last will "offline"
 *   <prefix>/<site>/<meter>/availability meter availability, retained: "online" | "offline" (polls failing)
 *   <prefix>/<site>/<meter>/state        one JSON message per reading, QoS 1:
 *                                          {"time":"<ISO 8601 UTC>","time_ms":<epoch ms>,"seq":<n>,"<point>":<value|null>,…}
 *   <prefix>/<site>/<meter>/history      a reading replayed from the ring after a restart (never retained): the same
 *                                          document with "historical":true after "seq" (docs/mqtt.md, "Exactly once")
 *   <discovery>/device/<node>/config     Home Assistant device discovery (modules/forwarding/ha-discovery.ts), retained
 *
 * Topic names follow MQTT 3.1.1 §4.7: levels separated by '/', no wildcards ('+', '#') in a published topic, no empty
 * level, no NUL. `prefix` may hold several levels ("site-a/energy"); `site` and meter names are one level of
 * [A-Za-z0-9_-] so they are also valid Home Assistant ids. Values are in engineering units, keyed by point name, with
 * NaN (not available) as null. Topics are built once, in the constructor; a state payload is written as UTF-8 bytes
 * into a JsonWriter (modules/forwarding/json-writer.ts), no string per message; `stateCapacity` bytes always suffice. The layout's
 * own `writer` holds the payload's constant text beside the document, so copying it costs one native call per piece.
 */
import { digitsFor } from "../common/json-text";
import { JsonWriter } from "./json-writer";
import type { MeterMeta } from "../concentrator/readings";

export const PAYLOAD_ONLINE = "online";
export const PAYLOAD_OFFLINE = "offline";
/** Keys of the state payload that are not points; a point with one of these names is refused. */
export const RESERVED_STATE_KEYS = Object.freeze(["time", "time_ms", "seq", "historical"] as const);

export interface MqttLayoutConfig {
  /** Topic prefix, one or more levels (default "rc485"). */
  readonly prefix?: string;
  /** Site name: one level, [A-Za-z0-9_-] (default "site"). */
  readonly site?: string;
  /** Home Assistant discovery prefix (default "homeassistant"). */
  readonly discoveryPrefix?: string;
}

const LEVEL = /^[A-Za-z0-9_-]{1,64}$/;

function checkTopicLevels(field: string, value: string): void {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) throw new RangeError(`${field}: a topic of 1..200 characters is required`);
  const levels = value.split("/");
  for (const l of levels) {
    if (l.length === 0) throw new RangeError(`${field}: '${value}' has an empty topic level (leading, trailing or double '/')`);
    if (l.indexOf("+") >= 0 || l.indexOf("#") >= 0 || l.indexOf("\u0000") >= 0) throw new RangeError(`${field}: '${value}' must not contain '+', '#' or NUL`);
  }
}

/** The bytes of ASCII text (point names are [a-z0-9_], as the readings store requires). */
function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

export class MqttLayout {
  readonly prefix: string;
  readonly site: string;
  readonly discoveryPrefix: string;
  /** Concentrator availability topic (also the last-will topic). */
  readonly statusTopic: string;
  readonly stateTopics: readonly string[];
  /** Where readings replayed after a restart go (Home Assistant does not read them). */
  readonly historyTopics: readonly string[];
  /**
   * 16-bit fingerprint of the meters and their points: the store-and-forward ring replays only records written under the
   * same layout (modules/forwarding/ring-record.ts), so a changed site never sends a reading under another meter's name.
   */
  readonly layoutId: number;
  readonly availabilityTopics: readonly string[];
  /** Home Assistant device node id per meter: rc485_<site>_<meter>. */
  readonly nodeIds: readonly string[];
  readonly discoveryTopics: readonly string[];
  readonly meters: readonly MeterMeta[];
  private readonly digits: readonly Uint8Array[];
  /** Bytes the longest state payload of any meter can take (a JsonWriter of this size never overflows). */
  readonly stateCapacity: number;
  /**
   * The writer state payloads are best written into (the session's): its buffer holds, after the document's room, the
   * payload's constant text, prepared once — `{"time":"`, `","time_ms":`, `,"seq":`, `,"historical":true` and per meter
   * each point's `,"<name>":` — so each piece is one copyWithin. Another writer gets the same text copied byte by byte.
   */
  readonly writer: JsonWriter;
  /** Where each constant piece starts in writer.bytes (HEAD, MIDDLE, SEQ, HISTORICAL, END). */
  private readonly pieces: Uint32Array;
  /** keyEnds[meter][i]: end of point i's key in writer.bytes (it starts at the previous end, the first at keyStart[meter]). */
  private readonly keyStart: Uint32Array;
  private readonly keyEnds: readonly Uint32Array[];

  constructor(config: MqttLayoutConfig, meters: readonly MeterMeta[]) {
    const prefix = config.prefix ?? "rc485";
    const site = config.site ?? "site";
    const discoveryPrefix = config.discoveryPrefix ?? "homeassistant";
    checkTopicLevels("forwarding.mqtt.prefix", prefix);
    checkTopicLevels("forwarding.mqtt.discoveryPrefix", discoveryPrefix);
    if (typeof site !== "string" || !LEVEL.test(site)) throw new RangeError(`forwarding.mqtt.site: '${String(site)}' must match [A-Za-z0-9_-]{1,64}`);
    this.prefix = prefix;
    this.site = site;
    this.discoveryPrefix = discoveryPrefix;
    this.statusTopic = `${prefix}/${site}/status`;
    const state: string[] = [];
    const history: string[] = [];
    let hash = 0x811c9dc5;
    const mix = (text: string): void => {
      for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
      hash = Math.imul(hash ^ 0x2f, 0x01000193);
    };
    const avail: string[] = [];
    const nodes: string[] = [];
    const disc: string[] = [];
    const digits: Uint8Array[] = [];
    let capacity = 0;
    for (const m of meters) {
      if (typeof m.name !== "string" || !LEVEL.test(m.name)) throw new RangeError(`meters: name '${String(m.name)}' must match [A-Za-z0-9_-]{1,64}`);
      if (m.name === "status") throw new RangeError("meters: a meter must not be called 'status' (the concentrator's topic)");
      for (const p of m.points) {
        if ((RESERVED_STATE_KEYS as readonly string[]).indexOf(p.name) >= 0) {
          throw new RangeError(`meters[${m.name}].points: '${p.name}' is reserved in the state payload (${RESERVED_STATE_KEYS.join(", ")})`);
        }
      }
      state.push(`${prefix}/${site}/${m.name}/state`);
      history.push(`${prefix}/${site}/${m.name}/history`);
      mix(m.name);
      for (const p of m.points) mix(p.name);
      avail.push(`${prefix}/${site}/${m.name}/availability`);
      const node = `rc485_${site}_${m.name}`;
      nodes.push(node);
      disc.push(`${discoveryPrefix}/device/${node}/config`);
      const d = new Uint8Array(m.points.length);
      for (let i = 0; i < d.length; i++) d[i] = digitsFor(m.points[i].type);
      digits.push(d);
      // {"time":"<24>","time_ms":<at most 16 digits>} and per point ,"<name>":<a number of at most 23 characters, or null>
      let bytes = 64 + 48; // and ,"seq":<at most 16 digits>,"historical":true
      for (const p of m.points) bytes += p.name.length + 5 + 23;
      if (bytes > capacity) capacity = bytes;
    }
    this.stateCapacity = capacity;
    const room = Math.max(1, capacity);
    const fixed = ['{"time":"', '","time_ms":', ',"seq":', ',"historical":true'];
    this.pieces = new Uint32Array(fixed.length + 1);
    let end = room;
    fixed.forEach((t, i) => { this.pieces[i] = end; end += t.length; });
    this.pieces[fixed.length] = end;
    this.keyStart = new Uint32Array(meters.length);
    this.keyEnds = meters.map((m, k) => {
      this.keyStart[k] = end;
      const ends = new Uint32Array(m.points.length);
      m.points.forEach((p, i) => { end += p.name.length + 4; ends[i] = end; });
      return ends;
    });
    this.writer = new JsonWriter(room, asciiBytes(fixed.join("") + meters.map((m) => m.points.map((p) => `,"${p.name}":`).join("")).join("")));
    this.meters = meters;
    this.stateTopics = state;
    this.historyTopics = history;
    this.layoutId = ((hash >>> 16) ^ hash) & 0xffff;
    this.availabilityTopics = avail;
    this.nodeIds = nodes;
    this.discoveryTopics = disc;
    this.digits = digits;
  }

  /**
   * Writes the state message of one reading into `out` (after out.reset(); check out.overflow): `values` (point order,
   * engineering units) read from `offset`, taken at `stamp[0]` (wall clock, epoch ms, UTC); `stamp[1]` > 0 is the
   * reading's sequence number in the store-and-forward ring; `historical`: replayed after a restart. Allocates nothing
   * (numbers are handed over in typed arrays: see modules/forwarding/json-writer.ts).
   */
  writeStatePayload(meter: number, values: ArrayLike<number>, offset: number, stamp: Float64Array, out: JsonWriter, historical = false): void {
    const d = this.digits[meter];
    const text = this.writer.bytes;
    const pieces = this.pieces;
    const ends = this.keyEnds[meter];
    stamp[0] = Math.floor(stamp[0]);
    out.copy(text, pieces[0], pieces[1] - pieces[0]);
    out.isoUtcAt(stamp, 0);
    out.copy(text, pieces[1], pieces[2] - pieces[1]);
    out.unsignedAt(stamp, 0);
    if (stamp.length > 1 && stamp[1] > 0) {
      out.copy(text, pieces[2], pieces[3] - pieces[2]);
      out.unsignedAt(stamp, 1);
    }
    if (historical) out.copy(text, pieces[3], pieces[4] - pieces[3]);
    let from = this.keyStart[meter];
    for (let i = 0; i < d.length; i++) {
      out.copy(text, from, ends[i] - from);
      from = ends[i];
      out.numberAt(values, offset + i, d[i]);
    }
    out.byte(0x7d);
  }

  /** The state message as a string (tests and documentation; the session writes bytes). */
  statePayload(meter: number, values: ArrayLike<number>, offset: number, epochMs: number, seq = 0, historical = false): string {
    const w = new JsonWriter(this.stateCapacity);
    this.writeStatePayload(meter, values, offset, Float64Array.of(epochMs, seq), w, historical);
    return w.text();
  }
}
