/*
 * MQTT on the device: the ECMA-419 MQTT client the Moddable SDK ships in its examples (examples/io/tcp/mqttclient;
 * TLS through examples/io/tcp/tlssocket) carrying the shared sans-I/O session (modules/forwarding/mqtt-session.ts: topics, state
 * payloads, Home Assistant discovery and the store-and-forward ring, the same code as the Node host).
 *
 * Theory of operation. connect() builds a client (DNS resolver, TCP or TLS socket classes passed in by the main) with the
 * concentrator status topic as last will ("offline", retained). CONNACK → session.connected(), which publishes the
 * status, discovery and queued readings. publish() (status, availability, discovery: strings) appends to a bounded outbox
 * and writes what the socket takes: the client throws "overflow" when a packet does not fit, and the rest waits for
 * onWritable. A reading's state message (publishBytes) comes as bytes in the session's reused buffer and is written at
 * once through one reused options object, or refused (false) while the outbox is not empty or the socket is full: it
 * stays in the session's ring, and the session is resumed when the outbox has drained. Readings
 * carry a session token; the packet id given to the client maps back to it when the PUBACK arrives (MQTT 3.1.1 §4.3.2).
 * Without a session (the repeater role) it only carries what the main publishes, with its own status topic and will.
 * A closed or failed connection → session.disconnected() (in-flight readings return to the ring) and a new attempt after
 * a delay doubling from backoffMinMs to backoffMaxMs. While Wi-Fi is down the forwarder stays closed.
 */
import { MqttSession, type MqttPublisher } from "../../modules/forwarding/mqtt-session";
import type { MqttSettings } from "../../modules/forwarding/config";
import type { Esp32Io, TimerId } from "./io";
import { utf8 } from "./utf8";

/** The SDK MQTT client as rc485 uses it (examples/io/tcp/mqttclient; declared in hosts/esp32/types for the device). */
export interface MqttClientLike {
  write(data: ArrayBuffer | Uint8Array | null, options?: { topic?: string; QoS?: number; retain?: boolean; id?: number; operation?: number }): number;
  read(count: number): ArrayBuffer;
  close(): void;
}

export interface MqttClientOptionsLike {
  host: string;
  port?: number;
  id?: string;
  user?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
  will?: { topic: string; message: ArrayBuffer; QoS?: number; retain?: boolean };
  dns: { io: unknown; servers: string[]; socket: { io: unknown } };
  socket: { io: unknown; TCP?: { io: unknown }; secure?: Record<string, unknown> };
  onControl?: (this: MqttClientLike, message: { operation: number; id?: number }) => void;
  onReadable?: (this: MqttClientLike, count: number) => void;
  onWritable?: (this: MqttClientLike, count: number) => void;
  onClose?: (this: MqttClientLike) => void;
  onError?: (this: MqttClientLike, error?: unknown) => void;
}

export interface MqttPlatform {
  readonly Client: new (options: MqttClientOptionsLike) => MqttClientLike;
  readonly Resolver: unknown;
  readonly UDP: unknown;
  readonly TCP: unknown;
  /** TLS socket class (embedded:io/socket/tcp/tls), needed for mqtts:// URLs. */
  readonly TLS?: unknown;
  /** TLS options (e.g. the CA certificate as a Resource), spread into the TLS socket's `secure`. */
  readonly secure?: Record<string, unknown>;
  readonly dnsServers: string[];
}

const OUTBOX = 64;
const PUBACK = 4;
const CONNACK = 2;

export class MqttForwarder implements MqttPublisher {
  readonly stats = { connects: 0, published: 0, acked: 0, dropped: 0, errors: 0 };
  session: MqttSession | null = null;
  private client: MqttClientLike | null = null;
  private connected = false;
  private wanted = false;
  private delayMs: number;
  private readonly retry: TimerId;
  private readonly outbox: { topic: string; payload: string; qos: 0 | 1; retain: boolean; token: number }[] = [];
  private readonly tokenOfId = new Map<number, number>();
  private nextId = 1;
  /** The client's write options for state messages, reused (the client reads them during write()). */
  private readonly stateOptions = { topic: "", QoS: 1, retain: false, id: 0 };

  constructor(private readonly io: Esp32Io, private readonly platform: MqttPlatform, private readonly settings: MqttSettings,
    private readonly log: (line: string) => void) {
    // An mqtts:// URL needs the TLS class and its options (hosts/esp32/mqtt-tls.ts): refused here rather than at the first
    // connect, and never connected with empty options.
    if (settings.tls && (platform.TLS === undefined || platform.secure === undefined)) {
      throw new RangeError("forwarding.mqtt.url is mqtts:// but the platform has no TLS socket or TLS options (hosts/esp32/network.ts mqttPlatform)");
    }
    this.delayMs = settings.backoffMinMs;
    this.retry = io.Timer.set(() => this.connect(), 0x3fffffff, 0x3fffffff);
    io.Timer.schedule(this.retry);
  }

  /** Network up: connect (and keep reconnecting). */
  start(): void {
    this.wanted = true;
    if (this.client === null) this.connect();
  }

  /** Network down: close and wait for start(). */
  stop(): void {
    this.wanted = false;
    this.io.Timer.schedule(this.retry);
    this.drop();
  }

  publish(topic: string, payload: string, qos: 0 | 1, retain: boolean, token: number): void {
    if (this.outbox.length >= OUTBOX) {
      // Readings are safe in the session's ring (they come back on the next connection); drop and count.
      this.stats.dropped++;
      return;
    }
    this.outbox.push({ topic, payload, qos, retain, token });
    this.flush();
  }

  publishBytes(topic: string, payload: Uint8Array, length: number, qos: 0 | 1, retain: boolean, token: number): boolean {
    const client = this.client;
    if (client === null || !this.connected || this.outbox.length > 0) return false;
    const o = this.stateOptions;
    o.topic = topic;
    o.QoS = qos;
    o.retain = retain;
    o.id = qos === 1 ? this.nextId : 0;
    try {
      // The client sends data.byteLength bytes: a view of exactly the payload (the SDK client allocates per packet anyway).
      client.write(new Uint8Array(payload.buffer, payload.byteOffset, length), o);
    } catch {
      return false; // "overflow": the session keeps the reading; resumed from onWritable
    }
    this.stats.published++;
    if (qos === 1) {
      if (token > 0) this.tokenOfId.set(this.nextId, token);
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
    }
    return true;
  }

  private connect(): void {
    this.io.Timer.schedule(this.retry);
    if (!this.wanted || this.client !== null) return;
    const s = this.settings;
    const p = this.platform;
    const session = this.session;
    const statusTopic = session !== null ? session.layout.statusTopic : `${this.settings.prefix}/${this.settings.site}/repeater/status`;
    this.stats.connects++;
    const socket = s.tls
      ? { io: p.TLS, TCP: { io: p.TCP }, secure: p.secure }
      : { io: p.TCP };
    if (s.tls && p.TLS === undefined) throw new RangeError("forwarding.mqtt.url is mqtts:// but the build has no TLS socket (see docs/esp32.md, TLS)");
    const self = this;
    try {
      this.client = new p.Client({
        host: s.host, port: s.port, id: s.clientId ?? `rc485-${s.site}`, user: s.username, password: s.password,
        keepalive: s.keepaliveS * 1000, clean: true,
        will: { topic: statusTopic, message: utf8("offline"), QoS: 1, retain: true },
        dns: { io: p.Resolver, servers: p.dnsServers, socket: { io: p.UDP } },
        socket,
        onControl(message) {
          if (message.operation === CONNACK) {
            self.connected = true;
            self.delayMs = s.backoffMinMs;
            self.log(`mqtt: connected to ${s.host}:${s.port}`);
            if (session !== null) session.connected();
            else self.publish(statusTopic, "online", 1, true, 0);
          } else if (message.operation === PUBACK && message.id !== undefined) {
            const token = self.tokenOfId.get(message.id);
            if (token !== undefined) {
              self.tokenOfId.delete(message.id);
              self.stats.acked++;
              if (session !== null) session.acked(token);
            }
          }
        },
        onReadable(count) {
          this.read(count); // rc485 subscribes to nothing; discard
        },
        onWritable() {
          self.flush();
          if (self.outbox.length === 0 && session !== null) session.resume();
        },
        onClose() {
          self.failed("closed");
        },
        onError() {
          self.failed("error");
        },
      });
    } catch {
      this.failed("connect failed");
    }
  }

  private flush(): void {
    const client = this.client;
    if (client === null || !this.connected) return;
    while (this.outbox.length > 0) {
      const m = this.outbox[0];
      const id = m.qos === 1 ? this.nextId : 0;
      try {
        client.write(utf8(m.payload), { topic: m.topic, QoS: m.qos, retain: m.retain, id: id || undefined });
      } catch {
        return; // "overflow": wait for onWritable
      }
      this.outbox.shift();
      this.stats.published++;
      if (m.qos === 1) {
        this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
        if (m.token > 0) this.tokenOfId.set(id, m.token);
      }
    }
  }

  private failed(why: string): void {
    this.stats.errors++;
    this.log(`mqtt: ${why}; retry in ${this.delayMs} ms`);
    this.drop();
    if (this.wanted) {
      this.io.Timer.schedule(this.retry, this.delayMs, 0x3fffffff);
      this.delayMs = Math.min(this.delayMs * 2, this.settings.backoffMaxMs);
    }
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    if (this.connected && this.session !== null) this.session.disconnected();
    this.connected = false;
    this.outbox.length = 0;
    this.tokenOfId.clear();
    if (client !== null) {
      try { client.close(); } catch { /* already closed */ }
    }
  }
}
