// The device's MQTT forwarder (hosts/esp32/mqtt-forwarder.ts) against a fake of the SDK's ECMA-419 MQTT client that
// behaves like examples/io/tcp/mqttclient: write() throws "overflow" when the packet does not fit the socket's free
// space, onWritable(count) reports room again, CONNACK and PUBACK arrive through onControl({operation, id}). Timers are
// the fake ESP32's. Checked: readings are published in order, each PUBACK releases one, a dropped connection re-sends
// the unacknowledged readings after the backoff, and the last will is registered.
import test from "ava";
import { parseMqttSettings } from "../modules/forwarding/config";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { MqttSession } from "../modules/forwarding/mqtt-session";
import { ReadingsStore } from "../modules/concentrator/readings";
import { MqttForwarder, type MqttClientOptionsLike, type MqttPlatform } from "../hosts/esp32/mqtt-forwarder";
import { utf8 } from "../hosts/esp32/utf8";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation } from "../hosts/sim/index";

interface Sent { topic: string; payload: string; qos: number; retain: boolean; id?: number }

class FakeClient {
  static instances: FakeClient[] = [];
  readonly sent: Sent[] = [];
  free = 700;
  closed = false;
  overflows = 0;
  constructor(readonly options: MqttClientOptionsLike) {
    FakeClient.instances.push(this);
  }
  write(data: ArrayBuffer, o: { topic: string; QoS?: number; retain?: boolean; id?: number }): number {
    if (this.closed) throw new Error("closed");
    const size = data.byteLength + o.topic.length + 8;
    if (size > this.free) {
      this.overflows++;
      throw new Error("overflow");
    }
    this.free -= size;
    this.sent.push({ topic: o.topic, payload: new TextDecoder().decode(data), qos: o.QoS ?? 0, retain: o.retain === true, id: o.id });
    return this.free;
  }
  read(): ArrayBuffer { return new ArrayBuffer(0); }
  close(): void { this.closed = true; }
  // test controls
  connack(): void { this.options.onControl!.call(this as never, { operation: 2 }); }
  drain(): void { this.free = 700; this.options.onWritable!.call(this as never, 600); }
  puback(id: number): void { this.options.onControl!.call(this as never, { operation: 4, id }); }
  fail(): void { this.options.onError!.call(this as never); }
}

test("utf8() encodes like TextEncoder", (t) => {
  for (const s of ["", "rc485", "230.5 V", "µs °C €", "𝄞 pair", "\u07ff\u0800\uffff"]) t.deepEqual(new Uint8Array(utf8(s)), new TextEncoder().encode(s));
});

test("readings go out in order through a socket that overflows, PUBACKs release them, a lost connection re-sends the unacknowledged ones", (t) => {
  FakeClient.instances = [];
  const sim = new Simulation({ seed: 1 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [] });
  const store = new ReadingsStore({ meters: [{ name: "main", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }] }] });
  const settings = parseMqttSettings({ url: "mqtt://broker.local:1883", site: "home", backoffMinMs: 1000, backoffMaxMs: 8000 });
  const platform: MqttPlatform = { Client: FakeClient as never, Resolver: {}, UDP: {}, TCP: {}, dnsServers: ["1.1.1.1"] };
  const log: string[] = [];
  const fwd = new MqttForwarder(board.io, platform, settings, (l) => log.push(l));
  const layout = new MqttLayout({ site: "home" }, store.meters.map((m) => m.meta));
  const session = new MqttSession(store, layout, fwd, { window: 4, discovery: true });
  fwd.session = session;
  fwd.start();
  t.is(FakeClient.instances.length, 1);
  const c1 = FakeClient.instances[0];
  t.is(c1.options.host, "broker.local");
  t.is(c1.options.port, 1883);
  t.deepEqual({ topic: c1.options.will!.topic, retain: c1.options.will!.retain }, { topic: layout.statusTopic, retain: true });

  // Readings taken before the broker answers wait in the ring.
  for (let k = 1; k <= 10; k++) {
    store.record(0, [k], k * 1000000, 1700000000000 + k * 1000);
    session.reading(0);
  }
  c1.connack();
  const states = () => c1.sent.filter((s) => s.topic === layout.stateTopics[0]);
  // Status + discovery + availability first; the discovery document alone nearly fills the socket.
  t.is(c1.sent[0].topic, layout.statusTopic);
  for (let i = 0; i < 20 && states().length < 4; i++) c1.drain();
  t.is(states().length, 4, "window of 4 in flight");
  t.true(c1.overflows > 0, `the socket overflowed and the rest waited for onWritable (sizes: ${c1.sent.map((s) => s.payload.length + s.topic.length).join(",")})`);
  const power = (s: Sent) => JSON.parse(s.payload).power;
  t.deepEqual(states().map(power), [1, 2, 3, 4]);
  // Two PUBACKs release two more.
  c1.puback(states()[0].id!);
  c1.puback(states()[1].id!);
  c1.drain();
  t.deepEqual(states().map(power), [1, 2, 3, 4, 5, 6]);
  // The connection drops: 3, 4, 5, 6 were not acknowledged.
  c1.fail();
  t.true(c1.closed);
  t.is(FakeClient.instances.length, 1);
  sim.runFor(1500000); // backoff 1 s (1 ms timer ticks)
  t.is(FakeClient.instances.length, 2);
  const c2 = FakeClient.instances[1];
  c2.connack();
  for (let i = 0; i < 20; i++) c2.drain();
  const again = c2.sent.filter((s) => s.topic === layout.stateTopics[0]);
  t.deepEqual(again.map(power), [3, 4, 5, 6]);
  for (const s of again) c2.puback(s.id!);
  for (let i = 0; i < 5; i++) c2.drain();
  t.deepEqual(c2.sent.filter((s) => s.topic === layout.stateTopics[0]).map(power), [3, 4, 5, 6, 7, 8, 9, 10]);
  t.true(log.some((l) => /retry in 1000 ms/.test(l)));
  // Stopping (Wi-Fi down) closes and does not reconnect.
  fwd.stop();
  sim.runFor(20000000);
  t.is(FakeClient.instances.length, 2);
});
