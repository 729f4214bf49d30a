// The Node serial host's reconfigure() (ReconfigurablePort, modules/port/contract.ts): the device is closed and opened again with
// the new baud, parity and stop bits; the line timing follows; a transmit() made while the device reopens waits for it
// and then goes out; events of the closed device are ignored; a refused setting changes nothing.
import test from "ava";
import { EventEmitter } from "node:events";
import { SerialHost, type DeviceOptions, type SerialDevice } from "../hosts/node/serial-port";

class FakeDevice extends EventEmitter implements SerialDevice {
  isOpen = false;
  readonly written: number[][] = [];
  closes = 0;
  constructor(readonly options: DeviceOptions) { super(); }
  open(cb: (err: Error | null) => void): void { setImmediate(() => { this.isOpen = true; cb(null); }); }
  set(_o: { rts: boolean }, cb: (err: Error | null) => void): void { setImmediate(() => cb(null)); }
  close(cb: (err: Error | null) => void): void { this.closes++; setImmediate(() => { this.isOpen = false; this.emit("close", null); cb(null); }); }
  drain(cb: (err: Error | null) => void): void { setImmediate(() => cb(null)); }
  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean { this.written.push([...data]); setImmediate(() => cb(null)); return true; }
}

test("reconfigure(): closed and reopened at the new baud and framing, a transmit() during the reopen is held and sent, the old device is ignored", async (t) => {
  const devices: FakeDevice[] = [];
  const logs: string[] = [];
  const host = new SerialHost({ path: "/dev/fake", baud: 9600, framing: "8N1", createDevice: (o) => { const d = new FakeDevice(o); devices.push(d); return d; }, log: (l) => logs.push(l) });
  await host.open();
  const got: number[] = [];
  let transmitted = 0;
  host.attach(null, { received: (b, o, n) => { for (let i = 0; i < n; i++) got.push(b[o + i]); }, transmitted: () => { transmitted++; } });
  t.is(host.reconfigure(19200, "8X1" as never), "serial: framing must be one of 8N1, 8E1, 8O1, 8N2 (got 8X1)");
  t.regex(host.reconfigure(0, "8E1") ?? "", /baud/);
  t.is(host.timing.baud, 9600, "a refused setting changes nothing");
  t.is(devices.length, 1);
  t.is(host.reconfigure(19200, "8E1"), null);
  t.is(host.timing.baud, 19200);
  t.is(host.timing.framing, "8E1");
  // Sent while the device reopens: held.
  host.transmit(Uint8Array.of(1, 3, 0, 0, 0, 2, 0xc4, 0x0b), 0, 8);
  t.is(devices[0].closes, 1);
  await new Promise((r) => setTimeout(r, 50));
  t.is(devices.length, 2);
  t.deepEqual({ baud: devices[1].options.baudRate, parity: devices[1].options.parity, stop: devices[1].options.stopBits }, { baud: 19200, parity: "even", stop: 1 });
  t.true(host.isOpen);
  t.deepEqual(devices[1].written, [[1, 3, 0, 0, 0, 2, 0xc4, 0x0b]], "the held frame went out on the new device");
  t.deepEqual(devices[0].written, []);
  await new Promise((r) => setTimeout(r, 30));
  t.is(transmitted, 1);
  // Bytes and a close from the old device are not this host's business; the new one's are.
  devices[0].emit("data", Buffer.from([9, 9]));
  devices[1].emit("data", Buffer.from([1, 2]));
  t.deepEqual(got, [1, 2]);
  t.is(host.counters.disconnects, 0);
  t.deepEqual(logs, []);
  t.is(host.reconfigure(9600, "8N2"), null);
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual({ baud: devices[2].options.baudRate, parity: devices[2].options.parity, stop: devices[2].options.stopBits }, { baud: 9600, parity: "none", stop: 2 });
  await host.close();
});
