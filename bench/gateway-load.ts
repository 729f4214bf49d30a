// 16 Modbus TCP clients on the simulated bus (Node only; loaded lazily by gateway.bench.ts so the XS bundle never sees the
// simulator). Each client keeps one request outstanding: a read of 1..40 holding registers from one of 4 meters, the next
// one sent the moment its answer arrives (in the same virtual instant, as a client on a fast LAN would come close to).
// Optionally a poller stands in for the concentrator's scheduler and keeps one read of its own always queued.
//
// How it is measured:
//  - bus time, virtual: each transaction at best takes request air time + the meter's answer delay (never under t3.5)
//    + reply air time + the t3.5 the master leaves before its next request (the same model as the master's efficiency
//    bench). Busy share = Σ best times of every bus transaction ÷ virtual time from the first request to the last answer.
//    Bus time lost per transaction = (elapsed − Σ best times) ÷ transactions (TCP and polls).
//  - gateway processing, real: process.hrtime around every call into the gateway (bytes in, results in, the response
//    handed to the client), summed and divided by requests. This is CPU time on this machine's Node, spent between bus
//    transactions (in the t3.5 gap before the next request, which the bus needs anyway); it is added to the bus time above,
//    so the "added per request" column is an upper bound.
import { Gateway, type GatewayLink } from "../modules/gateway/engine";
import { writeMbapHeader } from "../modules/gateway/mbap";
import { STATUS_OK } from "../modules/master/status";
import { Prng } from "../modules/common/prng";
import { Site } from "../test/harness/master-site";

const CLIENTS = 16;
const METERS = 4;

export interface LoadRow {
  baud: number;
  uart: "ideal" | "esp32";
  poller: boolean;
  requests: number;
  polls: number;
  busyShare: number;
  idlePerTransactionUs: number;
  cpuPerRequestUs: number;
  p50Ms: number;
  p99Ms: number;
  servedMin: number;
  servedMax: number;
  mismatches: number;
}

export function measureGateway(baud: number, uart: "ideal" | "esp32", poller: boolean, requests: number, seed = 1): LoadRow {
  const meters = [];
  for (let u = 1; u <= METERS; u++) meters.push({ unit: u, turnaroundUs: 0, strictT15: uart === "ideal" });
  const site = new Site({ baud, uart, tick: 0, meters, keep: false, seed, master: { queueCapacity: 32 } });
  const line = site.segment.timing;
  const rng = new Prng(seed);
  const gw = new Gateway({ maxClients: CLIENTS, maxPerAddress: CLIENTS, maxPerClient: 1 }, site.master);
  const tid = new Uint16Array(CLIENTS);
  const quantity = new Uint8Array(CLIENTS);
  const sentAt = new Float64Array(CLIENTS);
  const served = new Uint32Array(CLIENTS);
  const latencies: number[] = [];
  const due: number[] = [];
  const request = new Uint8Array(12);
  let cpuNs = 0n;
  let bestUs = 0;
  let answered = 0;
  let issued = 0;
  let polls = 0;
  let mismatches = 0;
  let first = -1;
  let last = 0;

  const best = (q: number) => line.airTimeUs(8) + line.t35Us + line.airTimeUs(5 + 2 * q) + line.t35Us;
  const link: GatewayLink = {
    send(c, buffer, offset) {
      const t = ((buffer[offset] << 8) | buffer[offset + 1]);
      if (t !== tid[c] || buffer[offset + 7] !== 3 || buffer[offset + 8] !== 2 * quantity[c]) mismatches++;
      latencies.push(site.sim.now - sentAt[c]);
      served[c]++;
      answered++;
      last = site.sim.now;
      due.push(c);
    },
    close() { throw new Error("the gateway closed a well-behaved client"); },
    resume() {},
  };
  gw.attach(link);
  const send = (c: number) => {
    if (issued >= requests) return;
    issued++;
    tid[c] = (tid[c] + 1) & 0xffff;
    quantity[c] = rng.nextRange(1, 40);
    writeMbapHeader(request, 0, tid[c], 1 + (c % METERS), 5);
    request[7] = 3;
    request[8] = 0;
    request[9] = rng.nextRange(0, 100);
    request[10] = 0;
    request[11] = quantity[c];
    sentAt[c] = site.sim.now;
    if (first < 0) first = site.sim.now;
    const t0 = process.hrtime.bigint();
    gw.received(c, request, 0, 12, site.sim.now);
    cpuNs += process.hrtime.bigint() - t0;
  };
  const flush = () => {
    while (due.length > 0) send(due.shift()!);
  };
  site.onResult = (r) => {
    if (r.status === STATUS_OK) bestUs += best(r.registerCount);
    if (gw.owns(r.tag)) {
      const t0 = process.hrtime.bigint();
      gw.completed(r);
      cpuNs += process.hrtime.bigint() - t0;
    } else {
      polls++;
      last = site.sim.now;
      site.master.submitRead(1 + (polls % METERS), 3, 0, 40, polls);
      const t0 = process.hrtime.bigint();
      gw.pump(r.completedAt);
      cpuNs += process.hrtime.bigint() - t0;
    }
    flush();
  };
  site.sim.runFor(10000);
  for (let c = 0; c < CLIENTS; c++) gw.accept("127.0.0.1", site.sim.now);
  if (poller) site.master.submitRead(1, 3, 0, 40, 0);
  for (let c = 0; c < CLIENTS; c++) send(c);
  site.sim.poke();
  site.sim.runUntilTrue(() => answered >= requests, site.sim.now + 3600e6);
  latencies.sort((a, b) => a - b);
  let servedMin = Infinity;
  let servedMax = 0;
  for (let c = 0; c < CLIENTS; c++) { servedMin = Math.min(servedMin, served[c]); servedMax = Math.max(servedMax, served[c]); }
  const elapsed = last - first;
  return {
    baud, uart, poller, requests: answered, polls,
    busyShare: bestUs / elapsed,
    idlePerTransactionUs: Math.max(0, elapsed - bestUs) / (answered + polls),
    cpuPerRequestUs: Number(cpuNs) / 1000 / answered,
    p50Ms: latencies[Math.floor(latencies.length / 2)] / 1000,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] / 1000,
    servedMin, servedMax, mismatches,
  };
}

export function gatewayLoadReport(): string {
  const rows = [
    "| baud | master UART | scheduler polls | TCP requests | polls | bus busy share | bus time lost per transaction | gateway CPU per request (Node) | added per request (sum) | latency p50 / p99 (virtual) | requests per client min–max | mismatches |",
    "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  measureGateway(115200, "ideal", true, 4000); // warm-up (JIT) so the CPU column is steady state
  for (const uart of ["ideal", "esp32"] as const) {
    for (const baud of [9600, 19200, 115200]) {
      for (const poller of [false, true]) {
        const r = measureGateway(baud, uart, poller, baud === 115200 ? 4000 : 1600);
        rows.push(`| ${baud} | ${uart} | ${poller ? "always one queued" : "none"} | ${r.requests} | ${r.polls} | ${(100 * r.busyShare).toFixed(2)}% | ` +
          `${r.idlePerTransactionUs.toFixed(1)} µs | ${r.cpuPerRequestUs.toFixed(1)} µs | ${((r.idlePerTransactionUs + r.cpuPerRequestUs) / 1000).toFixed(3)} ms | ` +
          `${r.p50Ms.toFixed(0)} / ${r.p99Ms.toFixed(0)} ms | ${r.servedMin}–${r.servedMax} | ${r.mismatches} |`);
      }
    }
  }
  rows.push("", `${CLIENTS} clients, each with one read of 1..40 holding registers outstanding, spread over ${METERS} meters that answer ` +
    "t3.5 after the request; the next request of a client leaves when its answer arrives. Busy share counts the bus time " +
    "every transaction (TCP and poll) needs at best; 'bus time lost' is the rest of the elapsed virtual time per bus " +
    "transaction (with an ESP32 UART the master's own hand-over delay, see docs/master.md, not the gateway's); the CPU column is real time inside the gateway's calls on this machine (hrtime, its own overhead of ~50 ns " +
    "per call included). With the poller, the scheduler stand-in keeps a 40-register read queued at all times: the master " +
    "alternates one poll and one TCP request.");
  return rows.join("\n");
}
