// Crash test of the persistent store-and-forward ring (docs/mqtt.md, "Exactly once"): `rc485 run` polls the pymodbus
// slave over a socat pty pair and forwards to a real mosquitto with its ring in a file. It is killed with SIGKILL at
// seeded random moments, 50 times, mostly while the broker is down (every fifth run has the broker up, so kills also
// land while the ring is replaying and readings are in flight), and started again each time. Then the broker stays up
// and a last run drains the ring.
//
// What is checked at the broker's subscriber (a persistent session, QoS 1), with the documented rule — keep a message
// only when its seq is higher than every seq kept so far:
//   - the kept seqs are exactly 1, 2, 3, … n: nothing lost, nothing twice, in order;
//   - n covers every reading in the ring file after the last kill (read by a decoder of its own below): every reading
//     produced before a kill arrives;
//   - every copy of a seq (a resend after a crash, or the broker's own redelivery) carries the same reading: the rule
//     never drops a different reading;
//   - readings from before a restart come on the history topic marked "historical": true, the others on the state
//     topic; original timestamps never go backwards.
import test from "ava";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, fstatSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Prng } from "../modules/common/prng";
import { BLOCK_HEADER_BYTES, BLOCK_OURS, KIND_ERASED, KIND_READING, blockHeaderState, getU32, recordIntact, recordLength } from "../modules/forwarding/ring-record";
import { mosquitto, until, type Broker } from "./harness/mosquitto";
import { killAll, ptyPair, pymodbusSlave, rc485Background, ROOT, type PtyPair } from "./harness/node-peers";

const PROFILES = join(ROOT, "test/fixtures/node/profiles");
const KILLS = 50;
const SEED = 0x5eed17;
const BLOCK = 4096;

let pty: PtyPair;
let slave: { stop(): void; output(): string };
let broker: Broker;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc485-crash-"));
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a);
  broker = await mosquitto();
});
test.after.always(async () => {
  killAll();
  slave?.stop();
  pty?.stop();
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The highest reading seq in the ring file, read record by record with the format of modules/forwarding/ring-record.ts. */
function maxSeqInFile(path: string): number {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const block = new Uint8Array(BLOCK);
    let max = 0;
    for (let b = 0; b * BLOCK < size; b++) {
      readSync(fd, block, 0, BLOCK, b * BLOCK);
      // Any layout id: read it from the header itself.
      if (blockHeaderState(block, block[8] | (block[9] << 8)) !== BLOCK_OURS) continue;
      for (let off = BLOCK_HEADER_BYTES; off + 3 <= BLOCK;) {
        if (block[off] === KIND_ERASED) break;
        const rec = block.subarray(off);
        const len = recordLength(rec, 64);
        if (len === 0 || off + len > BLOCK || !recordIntact(rec, len)) break;
        if (block[off] === KIND_READING) max = Math.max(max, getU32(rec, 3));
        off += len;
      }
    }
    return max;
  } finally {
    closeSync(fd);
  }
}

interface Message { topic: string; seq: number; historical: boolean; timeMs: number; body: string }

test.serial(`${KILLS} SIGKILLs during a broker outage: every reading arrives exactly once at the subscriber, in order`, async (t) => {
  t.timeout(25 * 60_000); // a hang guard: it took 4 minutes at load 13, 12 at load 34
  const ring = join(dir, "ring");
  const site = join(dir, "site.json");
  writeFileSync(site, JSON.stringify({
    bus: { port: pty.b, baud: 9600, framing: "8N1", retries: 1 },
    meters: [{ name: "m1", profile: "pymodbus-test", unit: 1, intervalMs: 100 }],
    forwarding: {
      mqtt: { url: broker.url, site: "crash", discovery: false, ringStore: ring, ringBytes: 64 * BLOCK, ringSyncMs: 50, backoffMinMs: 50, backoffMaxMs: 100 },
      http: { enabled: false },
    },
  }));
  const rx: Message[] = [];
  const sub: MqttClient = mqtt.connect(broker.url, { clientId: "rc485-crash-subscriber", clean: false, reconnectPeriod: 100, connectTimeout: 2000 });
  sub.on("error", () => {});
  sub.on("message", (topic, payload) => {
    const body = payload.toString();
    const d = JSON.parse(body) as { seq: number; historical?: boolean; time_ms: number };
    rx.push({ topic, seq: d.seq, historical: d.historical === true, timeMs: d.time_ms, body: body.replace(/,"historical":true/, "") });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("subscriber did not connect")), 30_000);
    sub.once("connect", () => sub.subscribe(["rc485/crash/+/state", "rc485/crash/+/history"], { qos: 1 }, (e) => { clearTimeout(timer); if (e) reject(e); else resolve(); }));
  });
  const rng = new Prng(SEED);
  let produced = 0;
  let killedWithBrokerUp = 0;
  try {
    for (let round = 0; round < KILLS; round++) {
      const brokerUp = round % 5 === 4;
      if (brokerUp) await broker.start(); else await broker.stop();
      const run = rc485Background(["run", "--site", site, "--profiles", PROFILES]);
      // Every tenth run is killed during start-up (ring recovery, opening the port); the others at a moment up to 1.5 s
      // into polling (it starts when the run prints its bus line).
      if (round % 10 === 0) await new Promise((r) => setTimeout(r, rng.nextUint32() % 800));
      else {
        await until(() => run.stderr().includes(" meter on ") || run.child.exitCode !== null, 60_000);
        await new Promise((r) => setTimeout(r, rng.nextUint32() % 1500));
      }
      const selfExit = run.child.exitCode;
      run.child.kill("SIGKILL");
      await until(() => run.child.exitCode !== null || run.child.signalCode !== null, 10_000);
      t.is(selfExit, null, `round ${round}: killed, not exited by itself: ${run.stderr()}`);
      t.is(run.child.signalCode, "SIGKILL", `round ${round}: the kill took`);
      if (brokerUp) killedWithBrokerUp++;
      if (existsSync(ring)) produced = maxSeqInFile(ring);
    }
    t.true(produced > KILLS, `readings taken across the kills: ${produced}`);
    // Broker back, one last run drains the ring.
    await broker.start();
    const last = rc485Background(["run", "--site", site, "--profiles", PROFILES]);
    // Every seq of the ring, and one reading the last run took itself: it is polling, so its SIGTERM handler is in
    // place (a SIGTERM during start-up, before the handler, meets Node's default action). Waits on what arrives, however
    // long a loaded machine takes; the limit is a hang guard.
    const seqs = () => new Set(rx.map((m) => m.seq));
    const all = await until(() => {
      const s = seqs();
      for (let q = 1; q <= produced; q++) if (!s.has(q)) return false;
      return rx.some((m) => m.seq > produced) || last.child.exitCode !== null;
    }, 180_000);
    t.true(last.stderr().includes(" meter on "), `the last run started: ${last.stderr()}`);
    t.true(rx.some((m) => m.seq > produced), "the last run's own readings arrive too");
    // A clean stop (drain, "offline", disconnect); the 60 s limit is a hang guard.
    last.child.kill("SIGTERM");
    await until(() => last.child.exitCode !== null || last.child.signalCode !== null, 60_000);
    if (last.child.exitCode === null && last.child.signalCode === null) last.child.kill("SIGKILL");
    t.is(last.child.exitCode, 0, `clean stop: ${last.child.signalCode ?? ""} ${last.stderr()}`);
    await until(() => false, 300); // late PUBLISHes of the clean stop's drain
    t.true(all, `every seq up to ${produced} arrived (missing: ${[...Array(produced).keys()].map((i) => i + 1).filter((q) => !seqs().has(q)).slice(0, 20).join(",")})`);
  } finally {
    sub.end(true);
  }

  // The subscriber's rule: keep a message only if its seq is above every seq kept so far.
  const kept: Message[] = [];
  let highest = 0;
  const firstBody = new Map<number, string>();
  let copies = 0;
  for (const m of rx) {
    const seen = firstBody.get(m.seq);
    if (seen === undefined) firstBody.set(m.seq, m.body);
    else { copies++; t.is(m.body, seen, `seq ${m.seq}: every copy is the same reading`); }
    if (m.seq > highest) { kept.push(m); highest = m.seq; }
  }
  t.log(`${KILLS} SIGKILLs (${killedWithBrokerUp} with the broker up); ${produced} readings before the last kill, ${kept.length} kept; ${copies} copies dropped by the seq rule`);
  t.true(kept.length >= produced);
  t.deepEqual(kept.map((m) => m.seq), kept.map((_, i) => i + 1), "kept seqs are 1..n: none lost, none twice, in order");
  for (const m of kept) t.is(m.topic.endsWith("/history"), m.historical, `seq ${m.seq}: historical exactly on the history topic`);
  t.true(kept.some((m) => m.historical), "readings replayed after a restart are marked historical");
  for (let i = 1; i < kept.length; i++) t.true(kept[i].timeMs >= kept[i - 1].timeMs, `seq ${kept[i].seq}: original timestamps in order`);
});
