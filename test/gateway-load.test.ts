// Load test on loopback: 16 Modbus TCP clients × 500 mixed requests (test/peers/gateway-load-clients.ts, its own
// process) through the gateway to two emulated meters at 115200 baud, the simulation paced at 4× the wall clock, while
// saboteur connections send garbage or vanish mid-request. Every response must match its request (transaction id, unit,
// function, data), none may be lost, the engine must end with nothing pending, and the server's heap must not grow with
// the number of requests. The figures are printed (ava --verbose) and quoted in docs/gateway.md.
import test from "ava";
import { connect } from "node:net";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { GW_CLOSED_MALFORMED, GW_COUNTER_NAMES, GW_FROM_BUS, GW_RESPONSES, type LocalRegisters } from "../modules/gateway/engine";
import { GatewaySite } from "./harness/gateway-site";
import { killClients, ROOT, run } from "./harness/gateway-peers";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const CLIENTS = 16;
const REQUESTS = 500;
const SPEED = 4;
const SAMPLE_EVERY = 500;

const local: LocalRegisters = {
  readRegisters(_fc, address, count, into) {
    for (let i = 0; i < count; i++) into[i] = 0xa000 + address + i;
    return 0;
  },
  writeRegisters: () => 1,
};

let site: GatewaySite;
test.after.always(async () => {
  killClients();
  await site?.stop();
});

/** Connections that misbehave, one every `everyMs`, until stop() */
function saboteurs(port: number, everyMs: number): { stop(): void; count(): number } {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    const s = connect({ port, host: "127.0.0.1" }, () => {
      if (n % 2 === 0) s.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x06, 0x05, 0x03, 0, 0, 0, 1])); // protocol 0xBEEF
      else {
        s.write(Buffer.from([0, 9, 0, 0, 0, 6, 5, 3, 0, 0, 0, 20, 0, 10, 0, 0, 0, 6, 6])); // one request + half of another
        setTimeout(() => s.destroy(), 2);
      }
    });
    s.on("error", () => {});
    setTimeout(() => s.destroy(), 2000);
  }, everyMs);
  return { stop: () => clearInterval(timer), count: () => n };
}

test("16 clients × 500 mixed requests: every response matches, none lost, memory bounded, saboteurs isolated", async (t) => {
  site = new GatewaySite({
    baud: 115200, speed: SPEED, measureGaps: true,
    meters: [{ unit: 5, turnaroundUs: [500, 1500] }, { unit: 6, turnaroundUs: [500, 1500] }],
    gateway: { aliases: { "105": 5 }, localUnit: 0, maxClients: 24 }, local,
  });
  const address = await site.start();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const virtualStart = site.site.sim.now;
  const bad = saboteurs(address.port, 100);
  // Heap samples (after a full GC) each time another SAMPLE_EVERY responses have been sent: taken by the count of
  // responses, not by wall-clock time, so a slow (loaded) run samples at the same points as a fast one.
  const samples: { responses: number; heap: number }[] = [];
  const sampler = setInterval(() => {
    const responses = site.gateway.counters[GW_RESPONSES];
    if (responses < (samples.length + 1) * SAMPLE_EVERY) return;
    gc();
    samples.push({ responses, heap: process.memoryUsage().heapUsed });
  }, 10);
  const r = await run(process.execPath, ["--import", "tsx", join(ROOT, "test/peers/gateway-load-clients.ts"), String(address.port), String(CLIENTS), String(REQUESTS), "7"], 90000);
  bad.stop();
  clearInterval(sampler);
  const virtualUs = site.site.sim.now - virtualStart;
  await new Promise((resolve) => setTimeout(resolve, 300));
  site.sync();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  t.deepEqual(out.mismatchText, []);
  t.is(out.mismatches, 0);
  t.is(out.lost, 0);
  t.is(out.sent, CLIENTS * REQUESTS);
  t.is(out.answered, CLIENTS * REQUESTS);
  const g = site.gateway;
  t.is(g.pending, 0, "nothing left in the engine");
  t.is(g.clients, 0, "every connection closed");
  t.true(g.counters[GW_CLOSED_MALFORMED] >= 1, "the garbage senders were closed");
  // The engine allocates nothing per request; the Node server's per-chunk buffers are garbage. The heap grows while V8
  // compiles and the server's pools fill (the first thousands of responses), then levels off: over the second half of
  // the responses (the least-squares slope of the samples from half on and the final one, which evens out the ±150 KiB
  // a single GC'd sample wanders), more than 200 bytes kept per response would mean something is kept per request (the
  // test's own record of bus gaps keeps 8; loaded runs measured 23 to 71). Sampled by the count of responses, not by wall-clock time: from the first
  // one-second sample, a loaded machine (5 responses by then) put the warm-up into the figure.
  const heapGrowth = heapAfter - heapBefore;
  const tail = [...samples.filter((x) => x.responses >= (CLIENTS * REQUESTS) / 2), { responses: g.counters[GW_RESPONSES], heap: heapAfter }];
  t.true(tail.length >= 5, `heap samples over the second half: ${JSON.stringify(samples)}`);
  const mx = tail.reduce((a, x) => a + x.responses, 0) / tail.length;
  const my = tail.reduce((a, x) => a + x.heap, 0) / tail.length;
  const perResponse = tail.reduce((a, x) => a + (x.responses - mx) * (x.heap - my), 0) / Math.max(1, tail.reduce((a, x) => a + (x.responses - mx) ** 2, 0));
  t.true(perResponse < 200, `heap kept ${perResponse.toFixed(1)} bytes per response over the second half`);
  // Bus idle time beyond the mandatory t3.5 before each request, from the first request on (the first gap is the
  // clients' process start-up).
  const t35 = site.site.segment.timing.t35Us;
  let idle = 0;
  const gaps = site.site.gaps;
  for (let i = 1; i < gaps.length; i++) if (gaps[i] > t35) idle += gaps[i] - t35;
  const busUs = virtualUs - gaps[0];
  const counters: Record<string, number> = {};
  GW_COUNTER_NAMES.forEach((name, i) => { counters[name] = g.counters[i]; });
  t.log(`load: ${out.answered} of ${out.sent} answered, ${out.mismatches} mismatches, ${out.lost} lost, ${out.exceptions} expected exceptions; ` +
    `wall ${(out.wallUs / 1e6).toFixed(2)} s (${Math.round(out.answered / (out.wallUs / 1e6))} requests/s at ${SPEED}× real time), ` +
    `latency p50 ${(out.p50Us / 1000).toFixed(1)} ms p99 ${(out.p99Us / 1000).toFixed(1)} ms max ${(out.maxUs / 1000).toFixed(1)} ms (wall); ` +
    `bus ${g.counters[GW_FROM_BUS]} transactions in ${(busUs / 1e6).toFixed(2)} s virtual, idle beyond t3.5 ${(idle / 1000).toFixed(1)} ms ` +
    `(${(100 * (1 - idle / busUs)).toFixed(2)}% busy); saboteur connections ${bad.count()}; heap growth ${(heapGrowth / 1024).toFixed(0)} KiB in all, ` +
    `${perResponse.toFixed(1)} bytes per response over the second half`);
  t.log(`heap samples (responses: KiB): ${samples.map((x) => `${x.responses}: ${(x.heap / 1024).toFixed(0)}`).join(", ")}`);
  t.log(`mix: ${JSON.stringify(out.byKind)}`);
  t.log(`gateway counters: ${JSON.stringify(counters)}`);
});
