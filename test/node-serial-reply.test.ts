// The Node serial host (hosts/node/serial-port.ts) must deliver a reply that arrives before the kernel reports our request
// drained. First deterministically, with a fake device whose drain callback is held back while the peer's reply is
// emitted; then against the real pymodbus slave on a socat pseudo-terminal pair, a loop of 1,000 reads with no timeout.
import test from "ava";
import { EventEmitter } from "node:events";
import { appendCrc, crcMatches } from "../modules/rtu/crc16";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { STATUS_OK, statusName } from "../modules/master/status";
import { SerialHost, type DeviceOptions, type SerialDevice } from "../hosts/node/serial-port";
import { killAll, ptyPair, pymodbusSlave, type PtyPair } from "./harness/node-peers";

/** Answers every read of holding registers at once with registers 0x1234, 0x5678, …; reports the drain much later. */
class FastPeer extends EventEmitter implements SerialDevice {
  isOpen = false;
  readonly heldDrains: ((err: Error | null) => void)[] = [];
  readonly echo: boolean;
  requests = 0;
  constructor(readonly options: DeviceOptions, echo = false) {
    super();
    this.echo = echo;
  }
  open(cb: (err: Error | null) => void): void { this.isOpen = true; setImmediate(() => cb(null)); }
  set(_o: { rts: boolean }, cb: (err: Error | null) => void): void { setImmediate(() => cb(null)); }
  close(cb: (err: Error | null) => void): void { this.isOpen = false; setImmediate(() => cb(null)); }
  drain(cb: (err: Error | null) => void): void {
    this.heldDrains.push(cb);
    // The drain is reported well after the reply (with echo the host needs it to tell its echo from the reply); without
    // echo it usually comes during the next transaction, which must not take it for its own.
    setTimeout(() => { const i = this.heldDrains.indexOf(cb); if (i >= 0) { this.heldDrains.splice(i, 1); cb(null); } }, this.echo ? 20 : 100);
  }
  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean {
    const req = new Uint8Array(data);
    setImmediate(() => cb(null));
    if (req.length !== 8 || req[1] !== 3 || !crcMatches(req, 0, 8)) return true;
    this.requests++;
    const n = (req[4] << 8) | req[5];
    const reply = new Uint8Array(5 + 2 * n);
    reply[0] = req[0]; reply[1] = 3; reply[2] = 2 * n;
    for (let i = 0; i < n; i++) { reply[3 + 2 * i] = 0x12 + 0x44 * i; reply[4 + 2 * i] = 0x34 + 0x44 * i; }
    appendCrc(reply, 0, 3 + 2 * n);
    // The echo (when the adapter hears itself) and the peer's reply come before the drain callback.
    setImmediate(() => {
      if (this.echo) this.emit("data", Buffer.from(req));
      this.emit("data", Buffer.from(reply));
    });
    return true;
  }
}

/** A master on `host` whose reads resolve with their results. */
function masterOn(host: SerialHost, options: { baud: number; responseTimeoutUs: number; echo?: boolean }): (unit: number, count: number) => Promise<{ status: number; registers: number[] }> {
  let pending: (r: MasterResult) => void = () => {};
  const master = new Master({ ...options, framing: "8N1", retries: 0, offlineAfter: 0 }, host, { completed: (r) => pending(r) });
  host.attach(master, master);
  return (unit, count) => new Promise((resolve) => {
    pending = (r) => resolve({ status: r.status, registers: Array.from(r.registers.subarray(0, r.registerCount)) });
    master.submitRead(unit, 3, 0, count, 0);
    host.poke();
  });
}

for (const echo of [false, true]) {
  test(`a reply that comes before the drain callback is delivered${echo ? " (adapter with echo)" : ""}`, async (t) => {
    let device: FastPeer | null = null;
    const host = new SerialHost({ path: "/dev/fake", baud: 9600, framing: "8N1", echo, createDevice: (o) => (device = new FastPeer(o, echo)) });
    await host.open();
    const read = masterOn(host, { baud: 9600, responseTimeoutUs: 300_000, echo });
    try {
      for (let i = 0; i < 5; i++) {
        const r = await read(1, 2);
        t.is(statusName(r.status), statusName(STATUS_OK), `read ${i}`);
        t.deepEqual(r.registers, [0x1234, 0x5678]);
        // The drain callbacks were held back for the whole transaction; a late one must not disturb the next.
        if (!echo) t.true(device!.heldDrains.length >= 1, "the reply came while the drain was still pending");
      }
      t.is(device!.requests, 5);
    } finally {
      await host.close();
    }
  });
}

let pty: PtyPair | undefined;
let slave: { stop(): void; output(): string } | undefined;
test.after.always(() => {
  slave?.stop();
  pty?.stop();
  killAll();
});

test("1,000 reads from the pymodbus slave over a pseudo-terminal: no false timeout", async (t) => {
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a, 115200);
  const host = new SerialHost({ path: pty.b, baud: 115200, framing: "8N1" });
  // A generous response timeout: on a loaded CI machine the Python slave can take a while, but it always answers.
  await host.open();
  const read = masterOn(host, { baud: 115200, responseTimeoutUs: 2_000_000 });
  const failures: Record<string, number> = {};
  let good = 0;
  try {
    for (let i = 0; i < 1000; i++) {
      const r = await read(1, 2);
      if (r.status === STATUS_OK && r.registers[0] === 0x4366 && r.registers[1] === 0x8000) good++;
      else failures[statusName(r.status)] = (failures[statusName(r.status)] ?? 0) + 1;
    }
  } finally {
    await host.close();
  }
  t.deepEqual(failures, {}, slave.output());
  t.is(good, 1000);
});
