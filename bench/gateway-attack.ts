// A well-behaved Modbus TCP client's latency while the gateway is attacked (docs/gateway.md, "Under attack").
// `node --import tsx bench/gateway-attack.ts [requests [rounds]]` (default 1000 requests per phase in 4 rounds) — needs socat and Debian's python3-pymodbus (as the tests do).
//
// `rc485 run` on a gateway-only site (maxClients 8) in front of the pymodbus RTU slave (unit 1) on a socat pty pair at
// 19200 baud. A pty carries bytes at once whatever the baud, so the slave answers after BUS_DELAY_MS, standing in for
// the air time a real 19200-baud line takes (8-byte request + 9-byte reply = 8.9 ms, plus the turnaround); without it
// the master runs more transactions per reply window than a real line allows and every 32nd waits for a window to close
// (docs/master.md, "Full ring"), a pty artefact that would be the p99 of every phase. The measured client keeps one
// request outstanding on one connection, alternating a read of 2 registers of unit 1 (crosses the bus) and a read of
// the concentrator's own registers (local unit 255), and records each answer's wall-clock latency. Each attack is
// measured in ROUNDS rounds, each a baseline stretch (no attack) followed by an attack stretch, and the samples of each
// kind are pooled: baseline and attack samples are spread over the same minutes, so drift in the machine's load (other
// work on a shared machine) falls on both alike and does not count as the attack's doing. The attacks, each alone while
// the client runs:
//  - pipeline: a client pipelining local and unrouted (0A) reads as fast as TCP takes them and never reading its answers;
//  - pipeline+bus: the same with every third request a read of unit 1 (it competes for the bus);
//  - slow: 6 sockets trickling one byte every 500 ms and reconnecting when closed, plus 1 silent one reconnecting;
//  - garbage: a new connection every 10 ms sending a broken header;
//  - http: 300 idle connections to the status page and a GET loop.
// The attackers run in a child process of their own (this script with `attack NAME PORT HTTP`) at the lowest CPU
// priority (nice 19: on a 2-core machine an attacker spinning on its own core would otherwise measure the scheduler of
// the operating system, not the gateway; a real attacker's CPU is on another machine) and connect from 127.0.0.2,
// another address than the measured client's (the gateway limits connections per address).
// Prints p50/p99/max per phase and request kind, the 1-minute load average when the phase began, and p99 ÷ its
// baseline's p99. Wall-clock figures: they vary with the machine.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { loadavg, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, killAll, ptyPair, pymodbusSlave, ROOT, waitFor } from "../test/harness/node-peers";

const REQUESTS = Number(process.argv[2] === "attack" ? 0 : process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 4);
const BUS_DELAY_MS = 10;
const FROM = "127.0.0.2";
const open = (port: number): Socket => connect({ port, host: "127.0.0.1", localAddress: FROM });

function adu(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid & 0xffff, 0);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The measured client: one request outstanding, alternating bus and local reads. Latencies in ms by kind. */
async function measure(port: number, count: number): Promise<{ bus: number[]; local: number[]; errors: number }> {
  const s = connect(port, "127.0.0.1");
  s.setNoDelay(true);
  await new Promise<void>((r, j) => { s.once("connect", () => r()); s.once("error", j); });
  const bus: number[] = [];
  const local: number[] = [];
  let errors = 0;
  let buffer = Buffer.alloc(0);
  let waiting: ((b: Buffer) => void) | null = null;
  s.on("data", (d) => {
    buffer = Buffer.concat([buffer, d]);
    if (buffer.length >= 7 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
      const n = 6 + buffer.readUInt16BE(4);
      const frame = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      waiting?.(frame);
    }
  });
  for (let i = 0; i < count; i++) {
    const toBus = i % 2 === 0;
    const t0 = process.hrtime.bigint();
    const answer = await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 10000);
      waiting = (b) => { clearTimeout(timer); resolve(b); };
      s.write(adu(i, toBus ? 1 : 255, [0x03, 0, toBus ? 4 : 0, 0, 2]));
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (answer === null || answer[7] !== 0x03 || answer.readUInt16BE(0) !== (i & 0xffff)) errors++;
    else (toBus ? bus : local).push(ms);
  }
  s.destroy();
  return { bus, local, errors };
}

interface Attack { name: string; start(port: number, http: number): () => void }

function pipeline(withBus: boolean): Attack {
  return {
    name: withBus ? "pipeline+bus (never reads)" : "pipeline (never reads)",
    start(port) {
      const block: Buffer[] = [];
      for (let i = 0; i < 5000; i++) block.push(adu(i, withBus && i % 3 === 0 ? 1 : i % 2 === 0 ? 255 : 250, [0x03, 0, 0, 0, 6]));
      const chunk = Buffer.concat(block);
      let stop = false;
      const s = open(port);
      s.on("error", () => { /* closed by the gateway */ });
      s.pause();
      const pump = () => { while (!stop && !s.destroyed && s.write(chunk)) { /* until TCP pushes back */ } };
      s.on("connect", pump);
      s.on("drain", pump);
      return () => { stop = true; s.destroy(); };
    },
  };
}

const slow: Attack = {
  name: "slow (6 trickling + 1 silent socket, reconnecting)",
  start(port) {
    let stop = false;
    const sockets = new Set<Socket>();
    const start = (trickle: boolean) => {
      if (stop) return;
      const s = open(port);
      sockets.add(s);
      s.on("error", () => { /* closed */ });
      s.on("close", () => { sockets.delete(s); setTimeout(() => start(trickle), 50); });
      if (trickle) {
        const bytes = adu(1, 1, [0x03, 0, 0, 0, 1]);
        let at = 0;
        const timer = setInterval(() => { if (s.destroyed) clearInterval(timer); else s.write(bytes.subarray(at % bytes.length, (at++ % bytes.length) + 1)); }, 500);
        s.on("close", () => clearInterval(timer));
      }
    };
    for (let i = 0; i < 6; i++) start(true);
    start(false);
    return () => { stop = true; for (const s of sockets) s.destroy(); };
  },
};

const garbage: Attack = {
  name: "garbage (a broken header every 10 ms)",
  start(port) {
    const timer = setInterval(() => {
      const s = open(port);
      s.on("connect", () => s.end(Buffer.from([0, 1, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1])));
      s.on("error", () => { /* closed */ });
    }, 10);
    return () => clearInterval(timer);
  },
};

const httpFlood: Attack = {
  name: "http (300 idle connections + a GET loop)",
  start(_port, http) {
    let stop = false;
    const hogs: Socket[] = [];
    for (let i = 0; i < 300; i++) { const s = open(http); s.on("error", () => { /* refused */ }); hogs.push(s); }
    const loop = async () => { while (!stop) { try { await (await fetch(`http://127.0.0.1:${http}/api/meters`)).text(); } catch { /* refused */ } } };
    void loop();
    return () => { stop = true; for (const s of hogs) s.destroy(); };
  },
};

const ATTACKS: Attack[] = [pipeline(false), pipeline(true), slow, garbage, httpFlood];

if (process.argv[2] === "attack") {
  // Child mode: run one attack until killed, at the lowest priority.
  setPriority(19);
  ATTACKS[Number(process.argv[3])].start(Number(process.argv[4]), Number(process.argv[5]));
  await new Promise(() => {});
}

function startAttack(index: number, port: number, http: number): () => void {
  const c = spawn(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname, "attack", String(index), String(port), String(http)], { cwd: ROOT, stdio: "ignore" });
  return () => c.kill("SIGKILL");
}

const pty = await ptyPair();
const slave = await pymodbusSlave(pty.a, 19200, BUS_DELAY_MS);
const dir = mkdtempSync(join(tmpdir(), "rc485-attack-"));
const site = join(dir, "site.json");
writeFileSync(site, JSON.stringify({ bus: { port: pty.b, baud: 19200, framing: "8N1", timeoutMs: 150, retries: 0 }, meters: [], gateway: { port: 0, localUnit: 255, maxClients: 8 } }));
const child: ChildProcess = spawn(process.execPath, [BIN, "run", "--site", site, "--http-port", "0"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
let err = "";
child.stderr!.on("data", (d) => { err += String(d); });
try {
  await waitFor(() => /status page http:\/\/127\.0\.0\.1:\d+/.test(err), 30000, "rc485 run");
  const port = Number(/Modbus TCP on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
  const http = Number(/status page http:\/\/127\.0\.0\.1:(\d+)/.exec(err)![1]);
  await measure(port, 40); // warm-up
  console.error(`${REQUESTS} requests per phase (half bus, half local) in ${ROUNDS} rounds; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const rows: string[] = [
    "| phase | load | bus read p50 / p99 / max (ms) | local read p50 / p99 / max (ms) | p99 ÷ baseline (bus, local) | errors |",
    "|---|---|---|---|---|--:|",
  ];
  const f = (a: number[]) => `${percentile(a, 50).toFixed(2)} / ${percentile(a, 99).toFixed(2)} / ${a[a.length - 1].toFixed(2)}`;
  for (const attack of ATTACKS) {
    const pooled = [0, 1].map(() => ({ bus: [] as number[], local: [] as number[], errors: 0, loads: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of [0, 1]) {
        const p = pooled[phase];
        p.loads.push(loadavg()[0]);
        const stop = phase === 1 ? startAttack(ATTACKS.indexOf(attack), port, http) : () => {};
        if (phase === 1) await new Promise((r) => setTimeout(r, 2500));
        const m = await measure(port, Math.ceil(REQUESTS / ROUNDS / 2) * 2);
        stop();
        await new Promise((r) => setTimeout(r, 1500));
        p.bus.push(...m.bus);
        p.local.push(...m.local);
        p.errors += m.errors;
      }
    }
    const [base, hit] = pooled.map((p) => ({ ...p, bus: p.bus.sort((x, y) => x - y), local: p.local.sort((x, y) => x - y) }));
    const load = (l: number[]) => `${Math.min(...l).toFixed(1)}–${Math.max(...l).toFixed(1)}`;
    const ratio = `${(percentile(hit.bus, 99) / percentile(base.bus, 99)).toFixed(2)}, ${(percentile(hit.local, 99) / percentile(base.local, 99)).toFixed(2)}`;
    rows.push(`| baseline (for ${attack.name.split(" ")[0]}) | ${load(base.loads)} | ${f(base.bus)} | ${f(base.local)} |  | ${base.errors} |`);
    rows.push(`| ${attack.name} | ${load(hit.loads)} | ${f(hit.bus)} | ${f(hit.local)} | ${ratio} | ${hit.errors} |`);
    console.error(rows[rows.length - 2]);
    console.error(rows[rows.length - 1]);
  }
  console.log(rows.join("\n"));
} finally {
  child.kill("SIGKILL");
  slave.stop();
  pty.stop();
  killAll();
}
