// Forwarding costs per reading: recording into the readings store and the store-and-forward ring (both must allocate
// nothing), formatting one MQTT state payload (one string per message, by design), and a whole session cycle
// (reading → publish → PUBACK) with a publisher that drops the message. The ring rows are the compact-record ring on
// RAM storage (modules/ring-storage.ts): append one reading, and replay one reading (load + send + acknowledge) after a
// restart; the Node-only report measures replay throughput from a ring file (hosts/node/ring-file.ts).
import { ForwardRing } from "../modules/forward-ring";
import { MemoryRingStorage } from "../modules/ring-storage";
import { MqttLayout } from "../modules/mqtt-payload";
import { MqttSession } from "../modules/mqtt-session";
import { ReadingsStore } from "../modules/readings";
import { SYNTHETIC_METERS } from "../test/harness/synthetic-site";
import type { Bench } from "./harness";

const house = 0; // the eight-point three-phase meter of the synthetic site
const values = new Float64Array([230.1, 231.2, 229.8, 3.41, 2410.5, 49.98, 0.97, 18234.567]);

/** A full ring of 16 × 4 KB blocks: what the replay bench recovers and sends. */
const REPLAY_RECORDS = 15 * Math.floor((4096 - 12) / (19 + 8 * 8));

function filledRing(storage: MemoryRingStorage): void {
  const ring = new ForwardRing(storage, { maxPoints: 8 });
  for (let i = 0; i < REPLAY_RECORDS; i++) ring.push(house, 1_795_240_790_120 + i, values, 8);
}

export const benches: Bench[] = [
  {
    group: "forwarding (one 8-point reading)", name: "readings store: record()",
    make: () => {
      const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
      const t = new Float64Array([1_000_000]); // a typed array, so the bench's own clock does not box a double per op
      return () => { t[0] += 10_000_000; store.record(house, values, t[0], 1_795_240_790_120); };
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "ring: push() + markSent() + ack()",
    make: () => {
      const ring = ForwardRing.inMemory(1000, 0, { maxPoints: 8 });
      return () => { ring.push(house, 1, values, 8); const s = ring.nextQueued(); ring.markSent(s); ring.ack(s); };
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "ring: append one record (push)",
    make: () => {
      const ring = ForwardRing.inMemory(1000, 0, { maxPoints: 8 });
      return () => { ring.push(house, 1, values, 8); };
    },
  },
  {
    group: "forwarding (ring replay after a restart)", name: "recover 16 × 4 KB blocks + load, send, ack every record", units: REPLAY_RECORDS, unitName: "record",
    make: () => {
      const storage = new MemoryRingStorage(4096, 16);
      filledRing(storage);
      const snapshot = storage.bytes.slice();
      return () => {
        storage.bytes.set(snapshot);
        const ring = new ForwardRing(storage, { maxPoints: 8 });
        for (let s = ring.nextQueued(); s !== 0; s = ring.nextQueued()) { ring.markSent(s); ring.ack(s); }
        return ring;
      };
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "MQTT state payload (string)",
    make: () => {
      const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
      return () => layout.statePayload(house, values, 0, 1_795_240_790_120);
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "session: reading → publish → PUBACK",
    make: () => {
      const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
      let last = 0;
      const session = new MqttSession(store, new MqttLayout({ site: "home" }, SYNTHETIC_METERS), { publish: (_t, _p, _q, _r, token) => { last = token; } }, { ring: 1000 });
      session.connected();
      store.record(house, values, 1_000_000, 1_795_240_790_120);
      return () => { session.reading(house); session.acked(last); };
    },
  },
];
