// The ESP32 listener adapter (hosts/esp32/gateway-listener.ts) driven by real clients, over fakes of the Moddable SDK's
// lwIP socket classes (test/harness/moddable-socket-fakes.ts: read(view) must not ask for more than is buffered, write()
// refuses what does not fit the send buffer, callbacks arrive on a later turn), in front of emulated meters on the
// simulated bus in real time. The adapter itself runs unchanged on the device; only the socket classes are fakes.
import test from "ava";
import { connect } from "node:net";
import { join } from "node:path";
import { GW_CLOSED_MALFORMED, GW_STALLS } from "../modules/gateway/engine";
import { GatewaySite } from "./harness/gateway-site";
import { killClients, mbpoll, mbpollValues, pymodbus, ROOT, run } from "./harness/gateway-peers";

let site: GatewaySite;
test.before(async () => {
  site = new GatewaySite({
    baud: 115200, host: "esp32", speed: 2,
    meters: [{ unit: 5, turnaroundUs: [500, 1500] }, { unit: 6, turnaroundUs: [500, 1500] }],
    gateway: { aliases: { "105": 5 }, localUnit: 0, maxClients: 20, maxPerClient: 2, maxPerAddress: 20 },
    local: { readRegisters(_fc, a, n, into) { for (let i = 0; i < n; i++) into[i] = 0xa000 + a + i; return 0; }, writeRegisters: () => 1 },
  });
  await site.start();
});
test.after.always(async () => {
  killClients();
  await site?.stop();
});
const port = () => site.address!.port;

test.serial("mbpoll and pymodbus read and write through the ESP32 listener", async (t) => {
  const m = await mbpoll(port(), ["-a", "5", "-0", "-r", "3", "-c", "3", "-t", "4"]);
  t.is(m.code, 0, m.stdout + m.stderr);
  t.deepEqual(mbpollValues(m.stdout), [5003, 5004, 5005]);
  const r = await pymodbus(port(), [["ri", 105, 7, 2], ["wr", 6, 185, 99], ["rh", 6, 185, 1], ["rh", 0, 1, 2], ["rh", 250, 0, 1]]);
  t.deepEqual(r, [{ registers: [5007, 5008] }, { ok: true }, { registers: [99] }, { registers: [0xa001, 0xa002] }, { exception: 0x0a }]);
});

test.serial("ten pipelined requests in one segment with maxPerClient 2: flow control, all answered in order", async (t) => {
  const stallsBefore = site.gateway.counters[GW_STALLS];
  const frames: Buffer[] = [];
  for (let i = 0; i < 10; i++) frames.push(Buffer.from([0, i, 0, 0, 0, 6, 5, 3, 0, 20 + i, 0, 2]));
  const answers = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ port: port(), host: "127.0.0.1" }, () => s.write(Buffer.concat(frames)));
    let rx = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      rx = Buffer.concat([rx, d]);
      if (rx.length >= 10 * 13) { s.destroy(); resolve(rx); }
    });
    s.on("error", reject);
    setTimeout(() => { s.destroy(); reject(new Error(`only ${rx.length} bytes`)); }, 10000);
  });
  for (let i = 0; i < 10; i++) {
    const f = answers.subarray(13 * i, 13 * i + 13);
    t.is(f.readUInt16BE(0), i, "transaction id in order");
    t.deepEqual([f.readUInt16BE(9), f.readUInt16BE(11)], [5020 + i, 5021 + i]);
  }
  t.true(site.gateway.counters[GW_STALLS] > stallsBefore, "the adapter stopped reading while the client was at its limit");
});

test.serial("16 clients × 100 mixed requests with saboteurs through the ESP32 listener: all match", async (t) => {
  const malformed = site.gateway.counters[GW_CLOSED_MALFORMED];
  const bad = setInterval(() => {
    const s = connect({ port: port(), host: "127.0.0.1" }, () => s.write(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])));
    s.on("error", () => {});
    setTimeout(() => s.destroy(), 1000);
  }, 200);
  const r = await run(process.execPath, ["--import", "tsx", join(ROOT, "test/peers/gateway-load-clients.ts"), String(port()), "16", "100", "3"], 60000);
  clearInterval(bad);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  t.deepEqual(out.mismatchText, []);
  t.is(out.answered, 1600);
  t.is(out.lost, 0);
  t.true(site.gateway.counters[GW_CLOSED_MALFORMED] > malformed);
  t.log(`ESP32 adapter: 1600 requests in ${(out.wallUs / 1e6).toFixed(2)} s wall at 2x, p50 ${(out.p50Us / 1000).toFixed(1)} ms, p99 ${(out.p99Us / 1000).toFixed(1)} ms`);
});
