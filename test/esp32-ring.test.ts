// The ESP32 side of the persistent ring: the ring on a flash partition through hosts/esp32/ring-flash.ts, over the SDK's
// Flash API faked with NOR semantics (hosts/sim/esp32-fakes.ts FakeFlash), with power cut mid-write at seeded random
// bytes. Each boot reopens the partition, replays what was not acknowledged (history topic, original times), takes new
// readings while the broker is sometimes reachable, and loses power again. What the broker's subscriber keeps with the
// seq rule (docs/mqtt.md, "Exactly once") must be every reading taken, once, in order; torn records are skipped.
import test from "ava";
import { ForwardRing } from "../modules/forwarding/ring";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { MqttSession, type MqttPublisher } from "../modules/forwarding/mqtt-session";
import { Prng } from "../modules/common/prng";
import { ReadingsStore, type MeterMeta } from "../modules/concentrator/readings";
import { FlashRingStorage } from "../hosts/esp32/ring-flash";
import { FakeFlash } from "../hosts/sim/esp32-fakes";

const METERS: MeterMeta[] = [
  { name: "main", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }, { name: "energy", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" }] },
  { name: "pump", profile: "p", points: [{ name: "power", unit: "W", deviceClass: "power", stateClass: "measurement" }] },
];
const BASE_MS = Date.UTC(2026, 11, 3, 12, 0, 0);

interface Msg { topic: string; seq: number; timeMs: number; historical: boolean; body: string }

test("power cut mid-write at 150 random bytes: torn records skipped, every reading taken reaches the subscriber once, in order", (t) => {
  const rng = new Prng(0x17f1a5);
  const flash = new FakeFlash(32 * 4096);
  const layout = new MqttLayout({ site: "dev" }, METERS);
  const store = new ReadingsStore({ meters: METERS, offlineAfter: 1 });
  const rx: Msg[] = [];
  const taken: number[] = []; // epoch ms of every reading whose push completed
  let k = 0;
  let torn = 0;
  const BOOTS = 150;
  for (let boot = 0; boot <= BOOTS; boot++) {
    const last = boot === BOOTS;
    const ring = new ForwardRing(new FlashRingStorage(flash, 0), { maxPoints: store.maxPoints, track: 4, layoutId: layout.layoutId });
    torn += ring.recovery.torn;
    const pending: number[] = [];
    const pub: MqttPublisher = {
      publishBytes(topic, bytes, length, qos, retain, token) {
        this.publish(topic, new TextDecoder().decode(bytes.subarray(0, length)), qos, retain, token);
        return true;
      },
      publish(topic, payload, _qos, _retain, token) {
        if (token === 0) return;
        const d = JSON.parse(payload) as { seq: number; time_ms: number; historical?: boolean };
        rx.push({ topic, seq: d.seq, timeMs: d.time_ms, historical: d.historical === true, body: payload.replace(',"historical":true', "") });
        pending.push(token);
      },
    };
    const session = new MqttSession(store, layout, pub, { window: 4, forwardRing: ring });
    if (!last) flash.cutAfterBytes = rng.nextUint32() % 3000;
    try {
      const online = last || rng.nextUint32() % 3 !== 0;
      if (online) session.connected();
      for (let i = 0; i < (last ? 0 : 25); i++) {
        const m = k % 2;
        k++;
        store.record(m, m === 0 ? [k, k * 10] : [k], k * 1_000_000, BASE_MS + k * 1000);
        const before = ring.pushed;
        try {
          session.reading(m);
        } finally {
          if (ring.pushed > before) taken.push(BASE_MS + k * 1000);
        }
        // The broker acknowledges some of what it got.
        while (pending.length > 0 && rng.nextUint32() % 4 !== 0) session.acked(pending.shift() as number);
      }
      if (last) while (pending.length > 0) session.acked(pending.shift() as number);
    } catch (e) {
      t.is((e as Error).message, "power cut");
    }
    t.is(ring.dropped, 0, `boot ${boot}: within capacity`);
    if (last) t.is(ring.length, 0, "the last boot drains the ring");
    flash.restore();
  }

  t.true(torn > 0, `torn records were found and skipped: ${torn}`);
  const kept: Msg[] = [];
  const bodies = new Map<number, string>();
  let highest = 0;
  for (const m of rx) {
    const b = bodies.get(m.seq);
    if (b === undefined) bodies.set(m.seq, m.body); else t.is(m.body, b, `seq ${m.seq}: a copy is the same reading`);
    if (m.seq > highest) { kept.push(m); highest = m.seq; }
  }
  t.log(`${BOOTS} power cuts, ${torn} torn records met at boots (one stays until its sector is reused), ${taken.length} readings taken, ${rx.length - kept.length} copies dropped by the seq rule`);
  t.deepEqual(kept.map((m) => m.seq), kept.map((_, i) => i + 1), "kept seqs are 1..n");
  t.deepEqual(kept.map((m) => m.timeMs), taken, "every reading taken, once, in order, with its original time");
  t.true(kept.some((m) => m.historical && m.topic.endsWith("/history")));
  for (const m of kept) t.is(m.topic.endsWith("/history"), m.historical);
});

test("wear: the ring uses the partition's sectors in turn, so erase counts differ by at most one", (t) => {
  const flash = new FakeFlash(8 * 4096);
  const ring = new ForwardRing(new FlashRingStorage(flash, 0), { maxPoints: 2, track: 4, layoutId: 1 });
  const v = [1, 2];
  for (let i = 0; i < 20_000; i++) {
    ring.push(0, BASE_MS + i, v, 2);
    const s = ring.nextQueued();
    ring.markSent(s);
    ring.ack(s);
  }
  const e = [...flash.erases];
  t.log(`erases per sector after 20,000 readings: ${e.join(" ")}`);
  t.true(Math.min(...e) > 0);
  t.true(Math.max(...e) - Math.min(...e) <= 1, e.join(" "));
});

test("a region smaller than two sectors is refused with one clear line; ringBytes takes whole sectors", (t) => {
  t.throws(() => new FlashRingStorage(new FakeFlash(4096), 0), { message: /forwarding\.mqtt\.ringStore: .*at least 2/ });
  t.throws(() => new FlashRingStorage(new FakeFlash(8 * 4096), 6000), { message: /at least 2/ });
  t.is(new FlashRingStorage(new FakeFlash(8 * 4096), 3 * 4096).blockCount, 3);
});
