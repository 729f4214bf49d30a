/*
 * The site file's `forwarding` section (prompts/formats.md leaves it to the forwarding modules), validated once at start
 * on both hosts, before anything connects. A bad value throws TypeError/RangeError whose message starts with the field
 * path and names the allowed values; the command line turns that into one line and exit status 2.
 *
 *   "forwarding": {
 *     "mqtt": { "url": "mqtts://broker.lan:8883", "site": "home", "prefix": "rc485", "discoveryPrefix": "homeassistant",
 *               "username": "rc485", "password": "…", "ca": "ca.pem", "cert": "client.pem", "key": "client.key",
 *               "ring": 1000, "ringStore": "/var/lib/rc485/ring", "window": 16, … },
 *     "http": { "host": "127.0.0.1", "port": 8485 }
 *   }
 *
 * URLs are mqtt://host[:port] or mqtts://host[:port] (default ports 1883 and 8883, IANA); credentials go in their own
 * fields, never in the URL (so logs can print the URL). `ca`, `cert` and `key` are PEM file paths on Node; the ESP32 host
 * reads them as names of PEM resources in its manifest. `ringStore` keeps the store-and-forward ring across restarts:
 * a file path on Node, the name of a flash data partition on the ESP32 (docs/mqtt.md, docs/esp32.md).
 */
import { isObject } from "../common/json-check";

export interface MqttSettings {
  readonly url: string;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  readonly clientId?: string;
  readonly prefix: string;
  readonly site: string;
  readonly discoveryPrefix: string;
  readonly discovery: boolean;
  readonly retainState: boolean;
  readonly ring: number;
  /** Byte budget of the store-and-forward ring (0: no budget, `ring` readings); the ESP32 host defaults it. */
  readonly ringBytes: number;
  /** Persistent ring: a file path (Node) or a flash partition name (ESP32); absent: the ring lives in RAM. */
  readonly ringStore?: string;
  /** Node: fdatasync of the ring file at most this often, ms (0: after every reading). */
  readonly ringSyncMs: number;
  readonly window: number;
  readonly keepaliveS: number;
  readonly connectTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly origin?: { readonly name: string; readonly sw?: string; readonly url?: string };
}

export interface HttpSettings {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
}

export interface ForwardingSettings {
  readonly mqtt: MqttSettings | null;
  readonly http: HttpSettings;
}

export const MQTT_KEYS = Object.freeze(["url", "username", "password", "ca", "cert", "key", "rejectUnauthorized", "clientId", "prefix", "site", "discoveryPrefix",
  "discovery", "retainState", "ring", "ringBytes", "ringStore", "ringSyncMs", "window", "keepaliveS", "connectTimeoutMs", "backoffMinMs", "backoffMaxMs", "origin"] as const);
const HTTP_KEYS = Object.freeze(["enabled", "host", "port"] as const);

// Integer options: [name, lowest, highest, default].
const MQTT_INTS: readonly (readonly [string, number, number, number])[] = Object.freeze([
  Object.freeze(["ring", 1, 1_000_000, 1000] as const),
  Object.freeze(["ringBytes", 0, 1 << 30, 0] as const),
  Object.freeze(["ringSyncMs", 0, 60_000, 200] as const),
  Object.freeze(["window", 1, 1000, 16] as const),
  Object.freeze(["keepaliveS", 0, 65535, 30] as const),
  Object.freeze(["connectTimeoutMs", 100, 600_000, 10_000] as const),
  Object.freeze(["backoffMinMs", 10, 3_600_000, 500] as const),
  Object.freeze(["backoffMaxMs", 10, 3_600_000, 30_000] as const),
]);

const URL_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^\s/?#]*)(\/?)$/;
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

function checkKeys(field: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (allowed.indexOf(k) < 0) throw new RangeError(`${field}.${k}: unknown option (allowed: ${allowed.join(", ")})`);
}

/** Parses an MQTT broker URL; throws naming `field`. */
export function parseMqttUrl(url: unknown, field = "forwarding.mqtt.url"): { tls: boolean; host: string; port: number } {
  if (typeof url !== "string" || url.length === 0) throw new TypeError(`${field}: required, e.g. mqtt://127.0.0.1:1883 or mqtts://broker:8883`);
  const m = URL_RE.exec(url);
  if (!m) throw new RangeError(`${field}: '${url}' is not a URL (expected mqtt://host[:port] or mqtts://host[:port])`);
  const scheme = m[1].toLowerCase();
  if (scheme !== "mqtt" && scheme !== "mqtts") throw new RangeError(`${field}: scheme '${scheme}' is not supported (mqtt or mqtts)`);
  let authority = m[2];
  if (authority.indexOf("@") >= 0) throw new RangeError(`${field}: put credentials in username/password, not in the URL`);
  let port = scheme === "mqtts" ? 8883 : 1883;
  const colon = authority.lastIndexOf(":");
  if (colon >= 0 && authority.indexOf("]", colon) < 0) {
    const p = authority.slice(colon + 1);
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new RangeError(`${field}: port '${p}' must be 1..65535`);
    port = Number(p);
    authority = authority.slice(0, colon);
  }
  if (authority.length === 0) throw new RangeError(`${field}: '${url}' has no host`);
  if (!HOST_RE.test(authority)) throw new RangeError(`${field}: '${authority}' is not a host name or address`);
  return { tls: scheme === "mqtts", host: authority, port };
}

/** Validates `forwarding.mqtt`. */
export function parseMqttSettings(raw: unknown, field = "forwarding.mqtt"): MqttSettings {
  if (!isObject(raw)) throw new TypeError(`${field}: must be an object with at least "url"`);
  checkKeys(field, raw, MQTT_KEYS);
  const u = parseMqttUrl(raw.url, `${field}.url`);
  for (const k of ["username", "password", "ca", "cert", "key", "clientId", "prefix", "site", "discoveryPrefix"]) {
    if (raw[k] !== undefined && typeof raw[k] !== "string") throw new TypeError(`${field}.${k}: must be a string`);
  }
  for (const k of ["rejectUnauthorized", "discovery", "retainState"]) {
    if (raw[k] !== undefined && typeof raw[k] !== "boolean") throw new TypeError(`${field}.${k}: must be true or false`);
  }
  if ((raw.cert === undefined) !== (raw.key === undefined)) throw new RangeError(`${field}.cert/key: give both the client certificate and its key, or neither`);
  if (!u.tls && (raw.ca !== undefined || raw.cert !== undefined)) throw new RangeError(`${field}.ca/cert/key: TLS files need an mqtts:// URL`);
  const ints: Record<string, number> = {};
  for (const [k, lo, hi, dflt] of MQTT_INTS) {
    const v = raw[k];
    if (v === undefined) { ints[k] = dflt; continue; }
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${field}.${k}: ${JSON.stringify(v)} must be an integer ${lo}..${hi}`);
    ints[k] = v;
  }
  const store = raw.ringStore;
  if (store !== undefined && (typeof store !== "string" || store.length === 0 || store.length > 1024 || store.indexOf("\u0000") >= 0)) {
    throw new TypeError(`${field}.ringStore: must be a file path (Node) or a flash partition name (ESP32) of 1..1024 characters`);
  }
  if (ints.backoffMaxMs < ints.backoffMinMs) throw new RangeError(`${field}.backoffMaxMs: must be >= backoffMinMs`);
  let origin: MqttSettings["origin"];
  if (raw.origin !== undefined) {
    const o = raw.origin;
    if (!isObject(o) || typeof o.name !== "string" || o.name.length === 0) throw new TypeError(`${field}.origin: must be an object with a non-empty "name"`);
    checkKeys(`${field}.origin`, o, ["name", "sw", "url"]);
    origin = { name: o.name, sw: typeof o.sw === "string" ? o.sw : undefined, url: typeof o.url === "string" ? o.url : undefined };
  }
  return {
    url: raw.url as string, tls: u.tls, host: u.host, port: u.port,
    username: raw.username as string | undefined, password: raw.password as string | undefined,
    ca: raw.ca as string | undefined, cert: raw.cert as string | undefined, key: raw.key as string | undefined,
    rejectUnauthorized: (raw.rejectUnauthorized as boolean | undefined) ?? true,
    clientId: raw.clientId as string | undefined,
    prefix: (raw.prefix as string | undefined) ?? "rc485",
    site: (raw.site as string | undefined) ?? "site",
    discoveryPrefix: (raw.discoveryPrefix as string | undefined) ?? "homeassistant",
    discovery: (raw.discovery as boolean | undefined) ?? true,
    retainState: (raw.retainState as boolean | undefined) ?? false,
    ring: ints.ring, ringBytes: ints.ringBytes, ringStore: store as string | undefined, ringSyncMs: ints.ringSyncMs, window: ints.window, keepaliveS: ints.keepaliveS, connectTimeoutMs: ints.connectTimeoutMs,
    backoffMinMs: ints.backoffMinMs, backoffMaxMs: ints.backoffMaxMs,
    origin,
  };
}

/** Validates the whole `forwarding` section (absent = no MQTT, HTTP on 127.0.0.1:8485). */
export function parseForwarding(raw: unknown): ForwardingSettings {
  if (raw === undefined) return { mqtt: null, http: { enabled: true, host: "127.0.0.1", port: 8485 } };
  if (!isObject(raw)) throw new TypeError("forwarding: must be an object with optional \"mqtt\" and \"http\"");
  checkKeys("forwarding", raw, ["mqtt", "http"]);
  const mqtt = raw.mqtt === undefined ? null : parseMqttSettings(raw.mqtt);
  let http: HttpSettings = { enabled: true, host: "127.0.0.1", port: 8485 };
  if (raw.http !== undefined) {
    const h = raw.http;
    if (!isObject(h)) throw new TypeError("forwarding.http: must be an object");
    checkKeys("forwarding.http", h, HTTP_KEYS);
    if (h.enabled !== undefined && typeof h.enabled !== "boolean") throw new TypeError("forwarding.http.enabled: must be true or false");
    if (h.host !== undefined && (typeof h.host !== "string" || !HOST_RE.test(h.host))) throw new RangeError(`forwarding.http.host: '${String(h.host)}' is not a host address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)`);
    if (h.port !== undefined && (typeof h.port !== "number" || !Number.isInteger(h.port) || h.port < 0 || h.port > 65535)) throw new RangeError(`forwarding.http.port: ${JSON.stringify(h.port)} must be an integer 0..65535`);
    http = { enabled: (h.enabled as boolean | undefined) ?? true, host: (h.host as string | undefined) ?? "127.0.0.1", port: (h.port as number | undefined) ?? 8485 };
  }
  return { mqtt, http };
}
