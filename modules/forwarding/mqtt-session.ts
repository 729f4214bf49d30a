/*
 * What rc485 publishes over one MQTT connection, and when (docs/mqtt.md): a sans-I/O session shared by the Node host
 * (hosts/node/mqtt.ts, npm `mqtt`) and the ESP32 host (the Moddable MQTT client). The host owns the socket and tells the
 * session `connected()` (CONNACK received), `disconnected()` (connection lost) and `acked(token)` (PUBACK of a reading);
 * the session calls `publisher.publish(...)`.
 *
 * On connected(): the concentrator status "online" (retained; the host registers the last will "offline" on the same
 * topic when it connects), one Home Assistant device discovery document per meter (retained), each meter's availability
 * (retained), then queued readings. reading(meter) copies the store's latest values into the store-and-forward ring;
 * up to `window` readings are in flight (QoS 1, MQTT 3.1.1 §4.3.2) and each PUBACK releases one and sends the next, so
 * readings leave in the order taken. disconnected() returns the in-flight readings to the queue: the next connection
 * sends them again. Every reading carries its ring sequence number ("seq"), so the subscriber keeps exactly one copy of
 * each (docs/mqtt.md, "Exactly once"). Readings the ring replays from storage after a restart go to the meter's
 * history topic, marked "historical": true, never retained, so Home Assistant's state is never set back to an old value.
 * health() publishes meter availability when it changes, and, when the host keeps each point's quality (`quality`
 * option, modules/concentrator/point-quality.ts), each point's availability when it changes (modules/forwarding/point-availability.ts); with
 * it, each discovery component lists its point's topic too.
 *
 * Memory: the ring keeps compact records (modules/forwarding/ring-record.ts) on its storage and the payload buffer is preallocated. A state payload is written at send time from the ring's
 * compact values into the session's one JsonWriter (modules/forwarding/json-writer.ts) and handed to the host as bytes
 * (publishBytes), which the host writes out or copies before returning: the session allocates nothing per reading. A
 * host that cannot take a message now returns false; the reading stays queued and resume() sends it later. Status,
 * availability and discovery messages (per connection or per change) are strings.
 */
import { ForwardRing } from "./ring";
import { JsonWriter } from "./json-writer";
import { discoveryMessage, type DiscoveryOrigin } from "./ha-discovery";
import { PAYLOAD_OFFLINE, PAYLOAD_ONLINE, type MqttLayout } from "./mqtt-payload";
import { PointAvailability, pointAvailabilityTopic, type QualityBytes } from "./point-availability";
import type { ReadingsStore } from "../concentrator/readings";

export interface MqttPublisher {
  /**
   * Publishes one message. `token` > 0 marks a reading: the host calls `session.acked(token)` when its PUBACK arrives
   * (and never for a message sent on an earlier connection). `token` 0: no acknowledgement wanted.
   */
  publish(topic: string, payload: string, qos: 0 | 1, retain: boolean, token: number): void;
  /**
   * Publishes one reading's state message: the first `length` bytes of `payload` (UTF-8 JSON), a buffer the session
   * reuses: write or copy them before returning. `token` as for publish(). Returns false when the host cannot take the
   * message now (nothing was sent; the session tries again at resume()).
   */
  publishBytes(topic: string, payload: Uint8Array, length: number, qos: 0 | 1, retain: boolean, token: number): boolean;
}

export interface MqttSessionOptions {
  /** Readings in flight at once (default 16). */
  readonly window?: number;
  /** Ring capacity in readings (default 1000). */
  readonly ring?: number;
  /** Byte budget of the ring: the capacity is at most what fits in it (default 0: no budget). */
  readonly ringBytes?: number;
  readonly retainState?: boolean;
  /** Publish discovery documents on each connection (default true). */
  readonly discovery?: boolean;
  readonly origin?: DiscoveryOrigin;
  /**
   * A ring on persistent storage, built by the host with `maxPoints` = the store's and `layoutId` = the layout's
   * (default: a RAM ring sized by `ring`/`ringBytes`).
   */
  readonly forwardRing?: ForwardRing;
  /** Each point's quality, one byte per point in meter order (a PointQuality): enables per-point availability. */
  readonly quality?: QualityBytes;
}

export class MqttSession {
  readonly ring: ForwardRing;
  readonly layout: MqttLayout;
  private readonly store: ReadingsStore;
  private readonly publisher: MqttPublisher;
  private readonly window: number;
  private readonly retainState: boolean;
  private readonly discovery: boolean;
  private readonly origin: DiscoveryOrigin;
  /** Availability last published per meter: -1 unknown, 0 offline, 1 online. */
  private readonly published: Int8Array;
  /** The state payload of the reading being sent (sized for the longest one). */
  private readonly payload: JsonWriter;
  /** [the reading's wall-clock time (epoch ms), its ring seq], handed to the layout unboxed. */
  private readonly stamp = new Float64Array(2);
  private online = false;
  /** Replayed readings skipped because they do not fit the current layout. */
  discarded = 0;
  private readonly quality: QualityBytes | null;
  private readonly points: PointAvailability | null;
  private readonly publishPoint: (point: number, online: boolean) => void;

  constructor(store: ReadingsStore, layout: MqttLayout, publisher: MqttPublisher, options: MqttSessionOptions = {}) {
    const window = options.window ?? 16;
    if (!Number.isInteger(window) || window < 1 || window > 1000) throw new RangeError("forwarding.mqtt.window: must be an integer 1..1000");
    if (layout.meters.length !== store.meters.length) throw new RangeError("mqtt session: the layout and the store must list the same meters");
    this.store = store;
    this.layout = layout;
    this.publisher = publisher;
    this.window = window;
    const readings = options.ring ?? 1000;
    const bytes = options.ringBytes ?? 0;
    if (options.forwardRing !== undefined) {
      const r = options.forwardRing;
      if (r.maxPoints < store.maxPoints || r.layoutId !== layout.layoutId || r.track < window) throw new RangeError("mqtt session: the ring must be built for this store, layout and window");
      this.ring = r;
    } else {
      this.ring = ForwardRing.inMemory(readings, bytes, { maxPoints: store.maxPoints, track: window, layoutId: layout.layoutId });
    }
    this.retainState = options.retainState ?? false;
    this.discovery = options.discovery ?? true;
    this.origin = options.origin ?? { name: "rc485", sw: "0.1.0" };
    this.published = new Int8Array(store.meters.length).fill(-1);
    // The layout's writer: its buffer holds the payload's constant text (one copyWithin per key).
    this.payload = layout.writer;
    const q = options.quality ?? null;
    if (q !== null) {
      let n = 0;
      for (const m of store.meters) n += m.meta.points.length;
      if (q.quality.length !== n || q.first.length !== store.meters.length + 1) throw new RangeError("mqtt session: the quality must cover the store's points");
    }
    this.quality = q;
    this.points = q === null ? null : new PointAvailability(q.quality.length);
    this.publishPoint = (k, on) => {
      const first = this.quality!.first;
      let m = 0;
      while (first[m + 1] <= k) m++;
      const meta = this.layout.meters[m];
      const topic = pointAvailabilityTopic(this.layout.prefix, this.layout.site, meta.name, meta.points[k - first[m]].name);
      this.publisher.publish(topic, on ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE, 1, true, 0);
    };
  }

  get isConnected(): boolean {
    return this.online;
  }

  /** The broker accepted the connection (CONNACK). */
  connected(): void {
    this.online = true;
    const p = this.publisher;
    p.publish(this.layout.statusTopic, PAYLOAD_ONLINE, 1, true, 0);
    if (this.discovery) {
      for (let i = 0; i < this.store.meters.length; i++) {
        const d = discoveryMessage(this.layout, i, this.origin, undefined, this.points !== null);
        p.publish(d.topic, d.payload, 1, true, 0);
      }
    }
    for (let i = 0; i < this.published.length; i++) this.publishAvailability(i, this.store.online(i) ? 1 : 0);
    if (this.points !== null) {
      this.points.reset();
      this.points.sync(this.quality!.quality, this.publishPoint);
    }
    this.pump();
  }

  /** The connection is gone: in-flight readings go back to the queue. */
  disconnected(): void {
    this.online = false;
    this.ring.requeue();
  }

  /** Queues the store's latest reading of `meter` (call after store.record()) and sends what the window allows. */
  reading(meter: number): void {
    const m = this.store.meters[meter];
    this.stamp[0] = m.epochMs;
    this.ring.pushAt(meter, this.stamp, 0, m.values, m.values.length);
    this.pump();
  }

  /**
   * Publishes meter (and point) availability that changed since last published (call after store.record()/failure(),
   * and after the quality ages, so a stale point turns offline).
   */
  health(): void {
    if (!this.online) return;
    for (let i = 0; i < this.published.length; i++) {
      const on = this.store.online(i) ? 1 : 0;
      if (this.published[i] !== on) this.publishAvailability(i, on);
    }
    if (this.points !== null) this.points.sync(this.quality!.quality, this.publishPoint);
  }

  /** Makes pushed readings durable (a ring file: fsync) and sends them; the host calls it on its sync timer. */
  sync(): void {
    this.ring.sync();
    this.pump();
  }

  /** PUBACK of the reading published with `token`. */
  acked(token: number): void {
    this.ring.ack(token);
    this.pump();
  }

  /** The host can take messages again (after publishBytes returned false): send what the window allows. */
  resume(): void {
    this.pump();
  }

  private publishAvailability(meter: number, on: number): void {
    this.published[meter] = on;
    this.publisher.publish(this.layout.availabilityTopics[meter], on ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE, 1, true, 0);
  }

  private pump(): void {
    const ring = this.ring;
    while (this.online && ring.inFlight < this.window) {
      const seq = ring.nextQueued();
      if (seq === 0) break;
      const meter = ring.loadedMeter;
      if (meter >= this.layout.meters.length || ring.loadedCount !== this.layout.meters[meter].points.length) {
        ring.markSent(seq);
        ring.ack(seq);
        this.discarded++;
        continue;
      }
      const historical = ring.historical(seq);
      const w = this.payload;
      w.reset();
      this.stamp[0] = ring.loadedEpochMs;
      this.stamp[1] = seq;
      this.layout.writeStatePayload(meter, ring.values, 0, this.stamp, w, historical);
      if (w.overflow) throw new RangeError("mqtt session: state payload larger than the layout's stateCapacity");
      const topic = historical ? this.layout.historyTopics[meter] : this.layout.stateTopics[meter];
      if (!this.publisher.publishBytes(topic, w.bytes, w.length, 1, historical ? false : this.retainState, seq)) break;
      ring.markSent(seq);
    }
  }
}
