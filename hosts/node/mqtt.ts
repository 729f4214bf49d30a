/*
 * MQTT forwarding on Node over the npm package `mqtt` (docs/mqtt.md). Topics and payloads come from
 * modules/mqtt-payload.ts, discovery documents from modules/ha-discovery.ts, and every reading passes through the
 * store-and-forward ring of modules/forward-ring.ts:
 *
 *   reading(meter) ─▶ ForwardRing (bounded, in order) ─▶ up to `window` QoS 1 publishes in flight ─▶ PUBACK releases them
 *
 * Connection handling is ours, not the client's: one `mqtt` client per connection attempt with its own reconnect turned
 * off. When a connection closes, the client is discarded (its pending callbacks are ignored by generation), every
 * in-flight reading returns to the queue, and a new attempt follows after an exponential backoff (min → max). So a
 * reading is published again only if it was in flight without a PUBACK when the connection dropped — QoS 1's "at least
 * once" (MQTT 3.1.1 §4.3.2), nothing more — and readings taken while the broker is unreachable wait in the ring and go
 * out in order after reconnection. When the ring is full the oldest reading is dropped and counted.
 *
 * On every connection: the concentrator's status "online" (retained; the last will publishes "offline"), the discovery
 * document of each meter (retained), each meter's availability (retained), then the queued readings.
 *
 * Configuration errors (malformed URL, unknown scheme, unreadable TLS file) throw MqttConfigError before anything starts
 * (exit status 2 for the command line); an unreachable broker is a counted runtime fault, retried forever.
 */
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { ForwardRing } from "../../modules/forward-ring";
import { discoveryMessage, type DiscoveryOrigin } from "../../modules/ha-discovery";
import { MqttLayout, PAYLOAD_OFFLINE, PAYLOAD_ONLINE } from "../../modules/mqtt-payload";
import type { ReadingsStore } from "../../modules/readings";

/** A configuration problem: one line naming the field; the command line exits with status 2. */
export class MqttConfigError extends Error {}

export interface MqttForwarderOptions {
  /** mqtt://host[:port] or mqtts://host[:port] (default ports 1883 / 8883). */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM file paths for TLS: the CA that signed the broker's certificate, and a client certificate and key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Verify the broker's certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Default "rc485-<site>". */
  readonly clientId?: string;
  readonly prefix?: string;
  readonly site?: string;
  readonly discoveryPrefix?: string;
  /** Publish Home Assistant discovery documents (default true). */
  readonly discovery?: boolean;
  /** Retain state messages (default false). */
  readonly retainState?: boolean;
  /** Store-and-forward capacity in readings (default 1000). */
  readonly ring?: number;
  /** Readings in flight at once (default 16). */
  readonly window?: number;
  readonly keepaliveS?: number;
  readonly connectTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly origin?: DiscoveryOrigin;
  /** One-line diagnostics (default: console.error). */
  readonly log?: (line: string) => void;
}

export interface MqttStats {
  connected: boolean;
  url: string;
  queued: number;
  inFlight: number;
  pushed: number;
  delivered: number;
  dropped: number;
  connects: number;
  connectFailures: number;
  disconnects: number;
  lastError: string | null;
}

const KNOWN_KEYS = ["url", "username", "password", "ca", "cert", "key", "rejectUnauthorized", "clientId", "prefix", "site", "discoveryPrefix",
  "discovery", "retainState", "ring", "window", "keepaliveS", "connectTimeoutMs", "backoffMinMs", "backoffMaxMs", "origin"];

function intIn(field: string, v: unknown, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw new MqttConfigError(`forwarding.mqtt.${field}: ${JSON.stringify(v)} must be an integer ${lo}..${hi}`);
  return v;
}

/** Validates the site file's `forwarding.mqtt` section (or command-line options) into forwarder options. */
export function parseMqttConfig(raw: unknown): MqttForwarderOptions {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new MqttConfigError("forwarding.mqtt: must be an object with at least \"url\"");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (KNOWN_KEYS.indexOf(k) < 0) throw new MqttConfigError(`forwarding.mqtt.${k}: unknown option (allowed: ${KNOWN_KEYS.join(", ")})`);
  checkUrl(o.url);
  for (const k of ["username", "password", "ca", "cert", "key", "clientId", "prefix", "site", "discoveryPrefix"]) {
    if (o[k] !== undefined && typeof o[k] !== "string") throw new MqttConfigError(`forwarding.mqtt.${k}: must be a string`);
  }
  for (const k of ["rejectUnauthorized", "discovery", "retainState"]) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") throw new MqttConfigError(`forwarding.mqtt.${k}: must be true or false`);
  }
  if ((o.cert === undefined) !== (o.key === undefined)) throw new MqttConfigError("forwarding.mqtt.cert/key: give both the client certificate and its key, or neither");
  intIn("ring", o.ring, 1, 1_000_000, 1000);
  intIn("window", o.window, 1, 1000, 16);
  intIn("keepaliveS", o.keepaliveS, 0, 65535, 30);
  intIn("connectTimeoutMs", o.connectTimeoutMs, 100, 600_000, 10_000);
  const min = intIn("backoffMinMs", o.backoffMinMs, 10, 3_600_000, 500);
  const max = intIn("backoffMaxMs", o.backoffMaxMs, 10, 3_600_000, 30_000);
  if (max < min) throw new MqttConfigError("forwarding.mqtt.backoffMaxMs: must be >= backoffMinMs");
  return o as unknown as MqttForwarderOptions;
}

function checkUrl(url: unknown): URL {
  if (typeof url !== "string" || url.length === 0) throw new MqttConfigError("forwarding.mqtt.url: required, e.g. mqtt://127.0.0.1:1883 or mqtts://broker:8883");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MqttConfigError(`forwarding.mqtt.url: '${url}' is not a URL (expected mqtt://host[:port] or mqtts://host[:port])`);
  }
  if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") throw new MqttConfigError(`forwarding.mqtt.url: scheme '${u.protocol.replace(/:$/, "")}' is not supported (mqtt or mqtts)`);
  if (!u.hostname) throw new MqttConfigError(`forwarding.mqtt.url: '${url}' has no host`);
  if (u.username || u.password) throw new MqttConfigError("forwarding.mqtt.url: put credentials in username/password, not in the URL");
  return u;
}

function readPem(field: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new MqttConfigError(`forwarding.mqtt.${field}: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export class MqttForwarder {
  readonly layout: MqttLayout;
  readonly ring: ForwardRing;
  private readonly store: ReadingsStore;
  private readonly url: string;
  private readonly clientOptions: IClientOptions;
  private readonly window: number;
  private readonly retainState: boolean;
  private readonly discovery: boolean;
  private readonly origin: DiscoveryOrigin;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly log: (line: string) => void;
  /** Last availability published per meter: -1 unknown, 0 offline, 1 online. */
  private readonly published: Int8Array;
  private client: MqttClient | null = null;
  private generation = 0;
  private connected = false;
  private stopped = true;
  private backoffMs: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly stats_: MqttStats;

  constructor(store: ReadingsStore, options: MqttForwarderOptions) {
    const { log, ...config } = options;
    const opts = parseMqttConfig(config as unknown);
    const u = checkUrl(opts.url);
    this.store = store;
    this.url = opts.url;
    const site = opts.site ?? "site";
    try {
      this.layout = new MqttLayout({ prefix: opts.prefix, site, discoveryPrefix: opts.discoveryPrefix }, store.meters.map((m) => m.meta));
    } catch (e) {
      throw new MqttConfigError((e as Error).message);
    }
    this.ring = new ForwardRing(opts.ring ?? 1000, store.maxPoints);
    this.window = opts.window ?? 16;
    this.retainState = opts.retainState ?? false;
    this.discovery = opts.discovery ?? true;
    this.origin = opts.origin ?? { name: "rc485", sw: "0.1.0" };
    this.backoffMinMs = opts.backoffMinMs ?? 500;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
    this.backoffMs = this.backoffMinMs;
    this.log = log ?? ((line) => console.error(line));
    this.published = new Int8Array(store.meters.length).fill(-1);
    const tls = u.protocol === "mqtts:";
    if (!tls && (opts.ca || opts.cert || opts.key)) throw new MqttConfigError("forwarding.mqtt.ca/cert/key: TLS files need an mqtts:// URL");
    this.clientOptions = {
      clientId: opts.clientId ?? `rc485-${site}`,
      username: opts.username,
      password: opts.password,
      clean: true,
      keepalive: opts.keepaliveS ?? 30,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      protocolVersion: 4,
      will: { topic: this.layout.statusTopic, payload: Buffer.from(PAYLOAD_OFFLINE), qos: 1, retain: true },
      ca: readPem("ca", opts.ca),
      cert: readPem("cert", opts.cert),
      key: readPem("key", opts.key),
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
    };
    this.stats_ = {
      connected: false, url: redact(opts.url), queued: 0, inFlight: 0, pushed: 0, delivered: 0, dropped: 0,
      connects: 0, connectFailures: 0, disconnects: 0, lastError: null,
    };
  }

  /** Starts connecting (returns at once; readings are queued until the broker answers). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Queues the store's latest reading of `meter` and sends what the window allows. Call after store.record(). */
  reading(meter: number): void {
    const m = this.store.meters[meter];
    this.ring.push(meter, m.epochMs, m.values, m.values.length);
    this.pump();
  }

  /** Publishes changed meter availability (call after store.record()/failure(); cheap when nothing changed). */
  health(): void {
    if (!this.connected || !this.client) return;
    for (let i = 0; i < this.published.length; i++) {
      const on = this.store.online(i) ? 1 : 0;
      if (this.published[i] !== on) this.publishAvailability(this.client, i, on);
    }
  }

  stats(): MqttStats {
    const s = this.stats_;
    s.connected = this.connected;
    s.queued = this.ring.length;
    s.inFlight = this.ring.inFlight;
    s.pushed = this.ring.pushed;
    s.delivered = this.ring.acknowledged;
    s.dropped = this.ring.dropped;
    return { ...s };
  }

  /**
   * Stops: waits up to `drainMs` for queued readings to be acknowledged, publishes "offline" on the status topic, and
   * disconnects cleanly.
   */
  async stop(drainMs = 2000): Promise<void> {
    if (this.stopped) return;
    const deadline = Date.now() + drainMs;
    while (this.connected && this.ring.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const c = this.client;
    this.client = null;
    this.generation++;
    this.connected = false;
    if (!c) return;
    if (c.connected) {
      await new Promise<void>((r) => c.publish(this.layout.statusTopic, PAYLOAD_OFFLINE, { qos: 1, retain: true }, () => r()));
      await new Promise<void>((r) => c.end(false, {}, () => r()));
    } else {
      await new Promise<void>((r) => c.end(true, {}, () => r()));
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    const c = mqtt.connect(this.url, this.clientOptions);
    this.client = c;
    let opened = false;
    c.on("connect", () => {
      if (gen !== this.generation) return;
      opened = true;
      this.connected = true;
      this.stats_.connects++;
      this.backoffMs = this.backoffMinMs;
      if (this.stats_.lastError !== null) this.log(`mqtt: connected to ${redact(this.url)}`);
      this.stats_.lastError = null;
      c.publish(this.layout.statusTopic, PAYLOAD_ONLINE, { qos: 1, retain: true });
      if (this.discovery) {
        for (let i = 0; i < this.store.meters.length; i++) {
          const d = discoveryMessage(this.layout, i, this.origin);
          c.publish(d.topic, d.payload, { qos: 1, retain: true });
        }
      }
      for (let i = 0; i < this.published.length; i++) this.publishAvailability(c, i, this.store.online(i) ? 1 : 0);
      this.pump();
    });
    c.on("error", (e: Error & { code?: string | number }) => {
      if (gen !== this.generation) return;
      const code = e.code === undefined ? "" : String(e.code);
      const msg = code && e.message.indexOf(code) < 0 ? `${code} ${e.message}` : e.message;
      if (this.stats_.lastError !== msg) this.log(`mqtt: ${redact(this.url)}: ${msg} (retrying with backoff)`);
      this.stats_.lastError = msg;
    });
    c.on("close", () => {
      if (gen !== this.generation) return;
      this.generation++;
      if (opened) {
        this.stats_.disconnects++;
        this.stats_.lastError = "connection lost";
        this.log(`mqtt: connection to ${redact(this.url)} lost; readings wait in the ring (retrying with backoff)`);
      } else this.stats_.connectFailures++;
      this.connected = false;
      this.client = null;
      this.ring.requeue();
      c.removeAllListeners();
      c.on("error", () => {});
      c.end(true);
      if (this.stopped) return;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMaxMs, this.backoffMs * 2);
      this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
    });
  }

  private publishAvailability(c: MqttClient, meter: number, on: number): void {
    this.published[meter] = on;
    c.publish(this.layout.availabilityTopics[meter], on ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE, { qos: 1, retain: true });
  }

  /** Sends queued readings while connected and the window has room. */
  private pump(): void {
    const c = this.client;
    if (!this.connected || !c) return;
    const ring = this.ring;
    const gen = this.generation;
    while (ring.inFlight < this.window) {
      const seq = ring.nextQueued();
      if (seq === 0) break;
      const meter = ring.meter(seq);
      const payload = this.layout.statePayload(meter, ring.values, ring.valuesOffset(seq), ring.epochMs(seq));
      ring.markSent(seq);
      c.publish(this.layout.stateTopics[meter], payload, { qos: 1, retain: this.retainState }, (err) => {
        if (gen !== this.generation) return; // an old connection: the entry was requeued on close
        if (err) { this.stats_.lastError = err.message; return; }
        ring.ack(seq);
        this.pump();
      });
    }
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(malformed url)";
  }
}
