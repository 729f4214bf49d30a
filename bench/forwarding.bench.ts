// Forwarding costs per reading: recording into the readings store and the store-and-forward ring (both must allocate
// nothing), formatting one MQTT state payload into the session's byte buffer (nothing allocated), and a whole session
// cycle (reading → publish → PUBACK) with a publisher that drops the message.
import { ForwardRing } from "../modules/forward-ring";
import { JsonWriter } from "../modules/json-writer";
import { MqttLayout } from "../modules/mqtt-payload";
import { MqttSession } from "../modules/mqtt-session";
import { ReadingsStore } from "../modules/readings";
import { SYNTHETIC_METERS } from "../test/harness/synthetic-site";
import { makeConcentratorLoopback } from "./concentrator-loopback";
import { REBASE_US } from "../modules/time-rebase";
import { SDM120, SDM630 } from "../test/fixtures/maps";
import type { Bench } from "./harness";

const house = 0; // the eight-point three-phase meter of the synthetic site
const values = new Float64Array([230.1, 231.2, 229.8, 3.41, 2410.5, 49.98, 0.97, 18234.567]);

export const benches: Bench[] = [
  {
    group: "concentrator transaction (SDM630 + SDM120 all points, 19200 baud, no bus: bench/concentrator-loopback.ts)",
    name: "poll + decode + sanity + readings store + MQTT payload bytes + PUBACK, a gateway request every 10th, time rebased every REBASE_US",
    make: () => { const l = makeConcentratorLoopback([SDM630, SDM120], 0, REBASE_US); return () => l.transaction(); },
  },
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
      const ring = new ForwardRing(1000, 8);
      return () => { ring.push(house, 1, values, 8); const s = ring.nextQueued(); ring.markSent(s); ring.ack(s); };
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "MQTT state payload (bytes into a reused JsonWriter)",
    make: () => {
      const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
      const out = new JsonWriter(layout.stateCapacity);
      const time = new Float64Array(1);
      return () => { out.reset(); time[0] = 1_795_240_790_120; layout.writeStatePayload(house, values, 0, time, 0, out); return out.length; };
    },
  },
  {
    group: "forwarding (one 8-point reading)", name: "session: reading → publish → PUBACK",
    make: () => {
      const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
      let last = 0;
      const session = new MqttSession(store, new MqttLayout({ site: "home" }, SYNTHETIC_METERS), { publish() {}, publishBytes: (_t, _p, _n, _q, _r, token) => { last = token; return true; } }, { ring: 1000 });
      session.connected();
      store.record(house, values, 1_000_000, 1_795_240_790_120);
      return () => { session.reading(house); session.acked(last); };
    },
  },
];
