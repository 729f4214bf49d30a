/*
 * MQTT forwarding on Node over the npm package `mqtt` (docs/mqtt.md). What is published and when is the portable
 * session of modules/forwarding/mqtt-session.ts (topics and payloads: modules/forwarding/mqtt-payload.ts, discovery: modules/forwarding/ha-discovery.ts,
 * store-and-forward: modules/forwarding/ring.ts); this file owns the socket:
 *
 *   reading(meter) ─▶ ForwardRing (bounded, in order) ─▶ up to `window` QoS 1 publishes in flight ─▶ PUBACK releases them
 *
 * Connection handling is ours, not the client's: one `mqtt` client per connection attempt with its own reconnect turned
 * off. When a connection closes, the client is discarded (its pending callbacks are ignored by generation), every
 * in-flight reading returns to the queue, and a new attempt follows after an exponential backoff (min → max). So a
 * reading is published again only if it was in flight without a PUBACK when the connection dropped — QoS 1's "at least
 * once" (MQTT 3.1.1 §4.3.2), nothing more — and readings taken while the broker is unreachable wait in the ring and go
 * out in order after reconnection. When the ring is full the oldest block of readings is dropped and counted.
 *
 * With `ringStore` the ring lives in a file (hosts/node/ring-file.ts) and survives a crash: on start it replays what the
 * broker had not acknowledged, to the history topics. The file is fdatasync'ed at most every `ringSyncMs` by a timer
 * here, and a reading is published only after that (docs/mqtt.md, "Ring file and fsync").
 *
 * On every connection: the concentrator's status "online" (retained; the last will publishes "offline"), the discovery
 * document of each meter (retained), each meter's availability (retained), then the queued readings.
 *
 * Configuration errors (malformed URL, unknown scheme, unreadable TLS file) throw MqttConfigError before anything starts
 * (exit status 2 for the command line); an unreachable broker is a counted runtime fault, retried forever.
 */
import { FileReadError, readBounded } from "./read-bounded";
import { createSecureContext } from "node:tls";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { UsageError } from "./commands/command";
import { ForwardRing } from "../../modules/forwarding/ring";
import { readingRecordBytes, BLOCK_HEADER_BYTES } from "../../modules/forwarding/ring-record";
import { FileRingStorage, RING_FILE_BLOCK, RingFileError } from "./ring-file";
import { parseMqttSettings, type MqttSettings } from "../../modules/forwarding/config";
import type { DiscoveryOrigin } from "../../modules/forwarding/ha-discovery";
import { MqttLayout, PAYLOAD_OFFLINE } from "../../modules/forwarding/mqtt-payload";
import { MqttSession, type MqttPublisher } from "../../modules/forwarding/mqtt-session";
import type { QualityBytes } from "../../modules/forwarding/point-availability";
import type { ReadingsStore } from "../../modules/concentrator/readings";

/** A configuration problem: one line naming the field; the command line exits with status 2. */
export class MqttConfigError extends UsageError {}

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
  /** Byte budget of the ring: at most the readings that fit (default 0: no budget). */
  readonly ringBytes?: number;
  /** Ring file path: the ring survives restarts (default: RAM only). */
  readonly ringStore?: string;
  /** fdatasync of the ring file at most every this many ms (default 200; 0: after every reading). */
  readonly ringSyncMs?: number;
  /** Readings in flight at once (default 16). */
  readonly window?: number;
  readonly keepaliveS?: number;
  readonly connectTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly origin?: DiscoveryOrigin;
  /** Each point's quality (a PointQuality): publishes per-point availability (modules/forwarding/point-availability.ts). */
  readonly quality?: QualityBytes;
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
  /** Readings found in the ring file at start, not yet acknowledged (replayed as historical). */
  replayed: number;
  /** Torn records skipped in the ring file at start. */
  tornRecords: number;
  lastError: string | null;
}

/** Validates the site file's `forwarding.mqtt` section (modules/forwarding/config.ts); errors become MqttConfigError. */
export function parseMqttConfig(raw: unknown): MqttSettings {
  try {
    return parseMqttSettings(raw);
  } catch (e) {
    throw new MqttConfigError((e as Error).message);
  }
}

/** A CA bundle or a key: the largest system CA bundles are about 250 KB. */
const PEM_FILE_LIMIT = 1024 * 1024;

function readPem(field: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  let pem: Buffer;
  try {
    pem = readBounded(path, PEM_FILE_LIMIT);
  } catch (e) {
    if (e instanceof FileReadError) throw new MqttConfigError(`forwarding.mqtt.${field}: ${e.message}`);
    throw e;
  }
  // Node's TLS ignores a CA file without certificates instead of failing; say so before connecting.
  if (field === "ca" && pem.indexOf("-----BEGIN CERTIFICATE-----") < 0) throw new MqttConfigError(`forwarding.mqtt.ca: '${path}' holds no PEM certificate`);
  return pem;
}

export class MqttForwarder {
  readonly layout: MqttLayout;
  readonly session: MqttSession;
  private readonly url: string;
  private readonly clientOptions: IClientOptions;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly log: (line: string) => void;
  private client: MqttClient | null = null;
  private generation = 0;
  private stopped = true;
  private backoffMs: number;
  private timer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private readonly ringFile: FileRingStorage | null = null;
  private readonly ringSyncMs: number;
  private readonly stats_: MqttStats;

  constructor(store: ReadingsStore, options: MqttForwarderOptions) {
    const { log, quality, ...config } = options;
    const opts = parseMqttConfig(config);
    this.url = opts.url;
    try {
      this.layout = new MqttLayout({ prefix: opts.prefix, site: opts.site, discoveryPrefix: opts.discoveryPrefix }, store.meters.map((m) => m.meta));
    } catch (e) {
      throw new MqttConfigError((e as Error).message);
    }
    const send = (topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean, token: number): boolean => {
      const c = this.client;
      if (!c) return false;
      const gen = this.generation;
      if (token === 0) { c.publish(topic, payload, { qos, retain }); return true; }
      c.publish(topic, payload, { qos, retain }, (err) => {
        // A callback from an earlier connection: that reading was requeued when the connection closed.
        if (gen !== this.generation) return;
        if (err) { this.stats_.lastError = err.message; return; }
        this.session.acked(token);
      });
      return true;
    };
    const publisher: MqttPublisher = {
      publish: (topic, payload, qos, retain, token) => { send(topic, payload, qos, retain, token); },
      // The npm client keeps the payload until it is written: a copy of the session's bytes.
      publishBytes: (topic, payload, length, qos, retain, token) => send(topic, Buffer.from(payload.subarray(0, length)), qos, retain, token),
    };
    let forwardRing: ForwardRing | undefined;
    if (opts.ringStore !== undefined) {
      // The file holds `ringBytes` (whole blocks, at least 2), or room for at least `ring` readings.
      const per = Math.floor((RING_FILE_BLOCK - BLOCK_HEADER_BYTES) / readingRecordBytes(store.maxPoints));
      if (per < 1) throw new MqttConfigError(`forwarding.mqtt.ringStore: a reading of ${store.maxPoints} values does not fit a ${RING_FILE_BLOCK}-byte ring block`);
      const blocks = opts.ringBytes > 0 ? Math.max(2, Math.floor(opts.ringBytes / RING_FILE_BLOCK)) : Math.ceil(opts.ring / per) + 1;
      try {
        this.ringFile = new FileRingStorage(opts.ringStore, blocks, log ?? ((line) => console.error(line)));
      } catch (e) {
        if (e instanceof RingFileError) throw new MqttConfigError(`forwarding.mqtt.ringStore: ${e.message}`);
        throw e;
      }
      forwardRing = new ForwardRing(this.ringFile, { maxPoints: store.maxPoints, track: opts.window, layoutId: this.layout.layoutId });
    }
    this.ringSyncMs = opts.ringSyncMs;
    this.session = new MqttSession(store, this.layout, publisher, {
      window: opts.window, ring: opts.ring, ringBytes: opts.ringBytes, retainState: opts.retainState, discovery: opts.discovery, origin: opts.origin, forwardRing, quality,
    });
    this.backoffMinMs = opts.backoffMinMs;
    this.backoffMaxMs = opts.backoffMaxMs;
    this.backoffMs = this.backoffMinMs;
    this.log = log ?? ((line) => console.error(line));
    this.clientOptions = {
      clientId: opts.clientId ?? `rc485-${opts.site}`,
      username: opts.username,
      password: opts.password,
      clean: true,
      keepalive: opts.keepaliveS,
      connectTimeout: opts.connectTimeoutMs,
      reconnectPeriod: 0,
      protocolVersion: 4,
      will: { topic: this.layout.statusTopic, payload: Buffer.from(PAYLOAD_OFFLINE), qos: 1, retain: true },
      ca: readPem("ca", opts.ca),
      cert: readPem("cert", opts.cert),
      key: readPem("key", opts.key),
      rejectUnauthorized: opts.rejectUnauthorized,
    };
    if (opts.tls) {
      // Unparseable PEM files or a certificate that does not match its key are configuration errors, found now.
      try {
        createSecureContext({ ca: this.clientOptions.ca as Buffer | undefined, cert: this.clientOptions.cert as Buffer | undefined, key: this.clientOptions.key as Buffer | undefined });
      } catch (e) {
        throw new MqttConfigError(`forwarding.mqtt.ca/cert/key: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    this.stats_ = {
      connected: false, url: redact(opts.url), queued: 0, inFlight: 0, pushed: 0, delivered: 0, dropped: 0,
      connects: 0, connectFailures: 0, disconnects: 0, replayed: this.session.ring.recovery.replay, tornRecords: this.session.ring.recovery.torn, lastError: null,
    };
    const rec = this.session.ring.recovery;
    if (this.ringFile && (rec.replay > 0 || rec.torn > 0 || rec.foreignBlocks > 0)) {
      this.log(`mqtt: ring file ${opts.ringStore}: ${rec.replay} readings to replay (historical), ${rec.torn} torn records skipped${rec.foreignBlocks > 0 ? `, ${rec.foreignBlocks} blocks of another site layout not replayed` : ""}`);
    }
  }

  /** The store-and-forward ring (read-only use). */
  get ring(): ForwardRing {
    return this.session.ring;
  }

  /** Starts connecting (returns at once; readings are queued until the broker answers). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.ringFile && this.ringSyncMs > 0) {
      this.syncTimer = setInterval(() => { if (this.session.ring.needsSync) this.session.sync(); }, this.ringSyncMs);
    }
    this.connect();
  }

  /** Queues the store's latest reading of `meter` and sends what the window allows. Call after store.record(). */
  reading(meter: number): void {
    this.session.reading(meter);
    if (this.ringFile && this.ringSyncMs === 0) this.session.sync();
  }

  /** Publishes changed meter and point availability (call after store.record()/failure() and quality changes; cheap when nothing changed). */
  health(): void {
    this.session.health();
  }

  stats(): MqttStats {
    const s = this.stats_;
    const ring = this.session.ring;
    s.connected = this.session.isConnected;
    s.queued = ring.length;
    s.inFlight = ring.inFlight;
    s.pushed = ring.pushed;
    s.delivered = ring.acknowledged;
    s.dropped = ring.dropped;
    return { ...s };
  }

  /**
   * Stops: waits up to `drainMs` for queued readings to be acknowledged, publishes "offline" on the status topic, and
   * disconnects cleanly.
   */
  async stop(drainMs = 2000): Promise<void> {
    if (this.stopped) return;
    const deadline = Date.now() + drainMs;
    while (this.session.isConnected && this.session.ring.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.syncTimer) { clearInterval(this.syncTimer); this.syncTimer = null; }
    const c = this.client;
    this.client = null;
    this.generation++;
    this.session.disconnected();
    if (this.ringFile) {
      this.session.ring.persistAck();
      this.session.ring.sync();
      this.ringFile.sync();
      this.ringFile.close();
    }
    if (!c) return;
    if (c.connected) {
      // A half-dead connection must not hold the exit: each step gives up after a second, then the socket is dropped.
      const ok = await within(1000, new Promise<void>((r) => c.publish(this.layout.statusTopic, PAYLOAD_OFFLINE, { qos: 1, retain: true }, () => r())));
      if (!ok || !(await within(1000, new Promise<void>((r) => c.end(false, {}, () => r()))))) {
        c.removeAllListeners();
        c.on("error", () => {});
        await within(1000, new Promise<void>((r) => c.end(true, {}, () => r())));
      }
    } else {
      c.removeAllListeners();
      c.on("error", () => {});
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
      this.stats_.connects++;
      this.backoffMs = this.backoffMinMs;
      if (this.stats_.lastError !== null) this.log(`mqtt: connected to ${redact(this.url)}`);
      this.stats_.lastError = null;
      this.session.connected();
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
      this.client = null;
      this.session.disconnected();
      if (opened) {
        this.stats_.disconnects++;
        this.stats_.lastError = "connection lost";
        this.log(`mqtt: connection to ${redact(this.url)} lost; readings wait in the ring (retrying with backoff)`);
      } else this.stats_.connectFailures++;
      c.removeAllListeners();
      c.on("error", () => {});
      c.end(true);
      if (this.stopped) return;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMaxMs, this.backoffMs * 2);
      this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
    });
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise (the timer never outlives the race). */
async function within(ms: number, p: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
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
