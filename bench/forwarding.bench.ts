// Forwarding costs per reading: recording into the readings store and the store-and-forward ring (both must allocate
// nothing), formatting one MQTT state payload into the session's byte buffer (nothing allocated), and a whole session
// cycle (reading → publish → PUBACK) with a publisher that drops the message. The ring rows are the compact-record ring
// on RAM storage (modules/forwarding/ring-storage.ts): append one reading, and replay one reading (load + send + acknowledge) after
// a restart; the Node-only report measures replay throughput from a ring file (hosts/node/ring-file.ts).
import { ForwardRing } from "../modules/forwarding/ring";
import { MemoryRingStorage } from "../modules/forwarding/ring-storage";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { MqttSession } from "../modules/forwarding/mqtt-session";
import { ReadingsStore } from "../modules/concentrator/readings";
import { SYNTHETIC_METERS } from "../test/harness/synthetic-site";
import { makeConcentratorLoopback } from "./concentrator-loopback";
import { REBASE_US } from "../modules/port/time-rebase";
import { SDM120, SDM630 } from "../test/fixtures/maps";
import { readingRecordBytes } from "../modules/forwarding/ring-record";
import type { Bench, Report } from "./harness";

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
    group: "forwarding (one 8-point reading)", name: "MQTT state payload (bytes into a reused JsonWriter)",
    make: () => {
      const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
      const out = layout.writer;
      const stamp = new Float64Array(2);
      return () => { out.reset(); stamp[0] = 1_795_240_790_120; stamp[1] = 1; layout.writeStatePayload(house, values, 0, stamp, out); return out.length; };
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

// This file is also bundled for XS (the benches above), so the Node-only report loads Node modules by names esbuild does
// not try to bundle.
const RING_FILE_MODULE = "../hosts/node/ring-file.ts";
const FS_MODULE = "node:fs";
const OS_MODULE = "node:os";
const PATH_MODULE = "node:path";

export const reports: Report[] = [
  {
    title: "Store-and-forward ring on a file (Node): append and replay throughput",
    async run() {
      const { FileRingStorage } = (await import(RING_FILE_MODULE)) as typeof import("../hosts/node/ring-file");
      const fs = (await import(FS_MODULE)) as typeof import("node:fs");
      const os = (await import(OS_MODULE)) as typeof import("node:os");
      const path = (await import(PATH_MODULE)) as typeof import("node:path");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc485-ring-bench-"));
      const rows = ["| what | records | ms | records/s |", "|---|---|---|---|"];
      try {
        const file = path.join(dir, "ring");
        const layout = new MqttLayout({ site: "home" }, SYNTHETIC_METERS);
        const store = new ReadingsStore({ meters: SYNTHETIC_METERS });
        const blocks = 256; // 1 MB
        const opts = { maxPoints: store.maxPoints, track: 16, layoutId: layout.layoutId };
        // Append: one pwrite per reading, one fdatasync at the end (what ringSyncMs batches).
        let storage = new FileRingStorage(file, blocks);
        let ring = new ForwardRing(storage, opts);
        const n = ring.capacity;
        let t0 = performance.now();
        for (let i = 0; i < n; i++) ring.push(house, 1_795_240_790_120 + i * 10_000, values, 8);
        ring.sync();
        let ms = performance.now() - t0;
        rows.push(`| append 8-point readings (pwrite each, one fdatasync) | ${n} | ${ms.toFixed(0)} | ${Math.round(n / (ms / 1000))} |`);
        storage.close();
        // Replay after a restart: recovery scan, then every record formatted and published (window 16), acknowledged.
        t0 = performance.now();
        storage = new FileRingStorage(file, blocks);
        ring = new ForwardRing(storage, opts);
        const recoverMs = performance.now() - t0;
        const tokens: number[] = [];
        let bytes = 0;
        const session = new MqttSession(store, layout, { publish: () => {}, publishBytes: (_t, _p, length, _q, _r, token) => { if (token > 0) { tokens.push(token); bytes += length; } return true; } }, { window: 16, forwardRing: ring });
        session.connected();
        let sent = 0;
        while (tokens.length > 0) { session.acked(tokens.shift() as number); sent++; }
        ms = performance.now() - t0;
        ring.sync();
        storage.sync();
        storage.close();
        rows.push(`| recover the file (scan every record) | ${ring.recovery.replay} | ${recoverMs.toFixed(0)} | ${Math.round(ring.recovery.replay / (recoverMs / 1000))} |`);
        rows.push(`| recover + replay: load, format the history payload, publish, PUBACK (window 16) | ${sent} | ${ms.toFixed(0)} | ${Math.round(sent / (ms / 1000))} |`);
        return rows.join("\n") + `\n\nA 1 MB ring file (${blocks} blocks of 4 KB, ${n} readings of the synthetic site's 8-point meter, ${readingRecordBytes(8)} bytes each) on this machine's tmpdir; the publisher is a stub (the broker is not measured). Times vary by machine and disk.`;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
