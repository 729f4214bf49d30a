// The Node gateway host's write backpressure over real loopback sockets (hosts/node/gateway-server.ts): answers that
// need no bus are made as fast as requests come, so the host must stop reading a client that does not take them.
//  - a client that pipelines a lot and reads late gets every answer, in full, once it reads (nothing lost on pause/resume);
//  - a client that never reads is no longer read past writeHighWater and is closed after stallTimeoutMs, even with the
//    idle timer off.
import test from "ava";
import { connect, type Socket } from "node:net";
import { Gateway, type LocalRegisters } from "../modules/gateway/engine";
import { GatewayServer } from "../hosts/node/gateway-server";
import { waitFor } from "./harness/node-peers";

const local: LocalRegisters = {
  readRegisters(_fc, address, count, into) { for (let i = 0; i < count; i++) into[i] = (address + i) & 0xffff; return 0; },
  writeRegisters: () => 1,
};
const noBus = { submit: () => -1 };

function start(options: { stallTimeoutMs: number; writeHighWater: number }): Promise<{ server: GatewayServer; port: number }> {
  // No rate budget: these clients must outrun their answers to reach the write bound.
  const gateway = new Gateway({ port: 0, localUnit: 1, idleTimeoutMs: 0, passThrough: false, maxRequestRate: 0 }, noBus, local);
  const t0 = process.hrtime.bigint();
  const server = new GatewayServer(gateway, { now: () => Number((process.hrtime.bigint() - t0) / 1000n), ...options });
  return server.listen().then((a) => ({ server, port: a.port }));
}

/** `count` pipelined reads of 10 registers of the local unit (12 bytes in, 29 out each). */
function requests(count: number): Buffer {
  const b = Buffer.alloc(12 * count);
  for (let i = 0; i < count; i++) {
    const o = 12 * i;
    b.writeUInt16BE(i & 0xffff, o);
    b.writeUInt16BE(6, o + 4);
    b[o + 6] = 1;
    b[o + 7] = 3;
    b.writeUInt16BE(i & 0xfff, o + 8);
    b.writeUInt16BE(10, o + 10);
  }
  return b;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

test.serial("a client that reads late gets every answer once it reads; pausing and resuming loses nothing", async (t) => {
  const { server, port } = await start({ stallTimeoutMs: 10000, writeHighWater: 4096 });
  try {
    const s = await open(port);
    s.pause();
    const count = 200000; // 2.4 MB in, 5.8 MB of answers: more than the kernel's socket buffers hold
    s.write(requests(count));
    await waitFor(() => server.writeStalls > 0, 10000, "the host to stop reading");
    const received: Buffer[] = [];
    let bytes = 0;
    s.on("data", (d: Buffer) => { received.push(d); bytes += d.length; });
    s.resume();
    await waitFor(() => bytes >= 29 * count, 60000, `all answers (${bytes} of ${29 * count} bytes)`);
    const all = Buffer.concat(received);
    t.is(all.length, 29 * count);
    let ok = 0;
    for (let i = 0; i < count; i++) {
      const o = 29 * i;
      if (all.readUInt16BE(o) === (i & 0xffff) && all[o + 7] === 3 && all[o + 8] === 20 && all.readUInt16BE(o + 9) === (i & 0xfff)) ok++;
    }
    t.is(ok, count, "every answer in order and intact");
    t.is(server.closedStalled, 0);
    t.true(server.writeStalls >= 1, `stalls ${server.writeStalls}`);
    s.destroy();
  } finally {
    await server.stop();
  }
});

test.serial("a client that never reads is no longer read, then closed after stallTimeoutMs (idle timer off)", async (t) => {
  const { server, port } = await start({ stallTimeoutMs: 800, writeHighWater: 4096 });
  try {
    const s = await open(port);
    s.pause();
    s.on("error", () => { /* reset when closed */ });
    const block = requests(5000);
    // Bounded loop: offer up to 64 MB; the host stops reading long before.
    let sent = 0;
    while (sent < 64e6 && server.closedStalled === 0) {
      if (!s.write(block)) {
        const drained = await new Promise<boolean>((res) => { const tm = setTimeout(() => res(false), 1000); s.once("drain", () => { clearTimeout(tm); res(true); }); });
        if (!drained) break;
      }
      sent += block.length;
    }
    t.true(sent < 64e6, `the host stopped reading after ${sent} bytes`);
    await waitFor(() => server.closedStalled === 1, 5000, "the stalled client to be closed");
    t.is(server.gateway.clients, 0);
    s.destroy();
  } finally {
    await server.stop();
  }
});
