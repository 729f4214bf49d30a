// Interop with a real master: libmodbus 3.1.6 (Debian libmodbus-dev) drives a pseudo-terminal made by socat; on the other
// end a small slave built from rc485's wire layer finds each request's end with expectedRequestLength, parses it, judges it
// with a SlaveMap and answers with the response builders. The test checks what libmodbus read back and what it wrote.
import test from "ava";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import * as rtu from "../modules/rtu/index";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The slave: a register/coil model plus rc485's parse → judge → build path. */
class Slave {
  readonly holding = new Uint16Array(0x10000);
  readonly input = new Uint16Array(0x10000);
  readonly coils = new Uint8Array(0x10000);
  readonly discrete = new Uint8Array(0x10000);
  readonly map = new rtu.SlaveMap({ holdingRegisters: [[0, 1000]] });
  readonly view = new rtu.FrameView();
  readonly out = new Uint8Array(256);
  readonly bits = new Uint8Array(256);
  requests = 0;

  constructor() {
    this.holding.set([0x022b, 0x0000, 0x0064], 0x6b); // §6.3 example
    this.holding.set([0xfe, 0x12, 1, 3, 0x0d, 0xff], 3); // read by the 17 call; register 4 is mask-written first
    this.input[8] = 10; // §6.4 example
    const unpack = (target: Uint8Array, at: number, bytes: number[]) => bytes.forEach((x, i) => { for (let k = 0; k < 8; k++) target[at + 8 * i + k] = (x >> k) & 1; });
    unpack(this.coils, 0x13, [0xcd, 0x6b, 0x05]); // §6.1 example
    unpack(this.discrete, 0xc4, [0xac, 0xdb, 0x35]); // §6.2 example
  }

  private pack(source: Uint8Array, address: number, quantity: number): void {
    this.bits.fill(0);
    for (let i = 0; i < quantity; i++) this.bits[i >> 3] |= source[address + i] << (i & 7);
  }

  /** Answers one whole request frame; returns the response length (0: no answer). */
  answer(frame: Uint8Array, length: number): number {
    const v = this.view;
    const o = this.out;
    this.requests++;
    if (rtu.parseRequest(frame, 0, length, v) !== rtu.FAULT_NONE || v.unit !== 17) return 0;
    const ex = rtu.judgeRequest(v, this.map);
    if (ex !== 0) return rtu.buildExceptionResponse(o, 0, v.unit, v.function, ex);
    switch (v.function) {
      case 0x01: case 0x02:
        this.pack(v.function === 1 ? this.coils : this.discrete, v.address, v.quantity);
        return rtu.buildReadBitsResponse(o, 0, v.unit, v.function, this.bits, 0, v.quantity);
      case 0x03: case 0x04:
        return rtu.buildReadRegistersResponse(o, 0, v.unit, v.function, v.function === 3 ? this.holding : this.input, v.address, v.quantity);
      case 0x05:
        this.coils[v.address] = v.value === rtu.COIL_ON ? 1 : 0;
        return rtu.buildWriteSingleCoilResponse(o, 0, v.unit, v.address, v.value === rtu.COIL_ON);
      case 0x06:
        this.holding[v.address] = v.value;
        return rtu.buildWriteSingleRegisterResponse(o, 0, v.unit, v.address, v.value);
      case 0x0f:
        for (let i = 0; i < v.quantity; i++) this.coils[v.address + i] = (v.dataByte(i >> 3) >> (i & 7)) & 1;
        return rtu.buildWriteMultipleCoilsResponse(o, 0, v.unit, v.address, v.quantity);
      case 0x10:
        for (let i = 0; i < v.quantity; i++) this.holding[v.address + i] = v.register(i);
        return rtu.buildWriteMultipleRegistersResponse(o, 0, v.unit, v.address, v.quantity);
      case 0x16: {
        const a = v.address;
        this.holding[a] = (this.holding[a] & v.andMask) | (v.orMask & ~v.andMask & 0xffff); // §6.16
        return rtu.buildMaskWriteRegisterResponse(o, 0, v.unit, a, v.andMask, v.orMask);
      }
      case 0x17:
        for (let i = 0; i < v.writeQuantity; i++) this.holding[v.writeAddress + i] = v.register(i); // write first (§6.17)
        return rtu.buildReadWriteMultipleRegistersResponse(o, 0, v.unit, this.holding, v.address, v.quantity);
      case 0x11:
        return rtu.buildReportServerIdResponse(o, 0, v.unit, new Uint8Array([0x72, 0x63, 0x34, 0x38, 0x35, 0xff]), 0, 6);
      default:
        return rtu.buildExceptionResponse(o, 0, v.unit, v.function, rtu.EX_ILLEGAL_FUNCTION);
    }
  }
}

test("libmodbus as master against rc485's parse/judge/build path, over a socat pty", async (t) => {
  mkdirSync(`${root}build`, { recursive: true });
  const master = `${root}build/libmodbus-master`;
  // Debian's libmodbus-dev puts modbus.h in /usr/include/modbus (no pkg-config needed).
  execFileSync("gcc", ["-o", master, `${root}test/peers/libmodbus-master.c`, "-I/usr/include/modbus", "-lmodbus"]);

  const dir = mkdtempSync(`${tmpdir()}/rc485-libmodbus-`);
  const pty = `${dir}/bus`;
  // socat joins the pty (libmodbus's serial port) to its own stdin/stdout, which are pipes to this test.
  const socat = spawn("socat", [`pty,raw,echo=0,link=${pty}`, "stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  t.teardown(() => socat.kill());
  for (let i = 0; i < 200 && !existsSync(pty); i++) await new Promise((r) => setTimeout(r, 10));
  t.true(existsSync(pty), "socat made the pty");

  const slave = new Slave();
  const rx = new Uint8Array(512);
  let have = 0;
  socat.stdout.on("data", (chunk: Buffer) => {
    rx.set(chunk.subarray(0, rx.length - have), have);
    have = Math.min(rx.length, have + chunk.length);
    for (;;) {
      const need = rtu.expectedRequestLength(rx, 0, have);
      if (need <= 0 || have < need) {
        if (need === rtu.LENGTH_INVALID) have = 0; // not a request start: drop (libmodbus sends nothing else)
        return;
      }
      const n = slave.answer(rx, need);
      if (n > 0) socat.stdin.write(slave.out.slice(0, n));
      rx.copyWithin(0, need, have);
      have -= need;
    }
  });

  const output = await new Promise<string>((resolve, reject) => {
    const p = spawn(master, [pty], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`libmodbus master exited ${code}: ${err}`))));
  });
  const lines = new Map(output.trim().split("\n").map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]));
  t.is(lines.get("03"), "rc=3 555 0 100");
  t.is(lines.get("04"), "rc=1 10");
  t.is(lines.get("01"), "rc=19 1011001111010110101");
  t.is(lines.get("02"), "rc=22 0011010111011011101011");
  t.is(lines.get("05"), "rc=1");
  t.is(lines.get("06"), "rc=1");
  t.is(lines.get("0F"), "rc=10");
  t.is(lines.get("10"), "rc=2");
  t.is(lines.get("16"), "rc=1");
  t.is(lines.get("17"), "rc=6 254 23 1 3 13 255", "mask write made register 4 0x17 (§6.16 example)");
  t.is(lines.get("11"), "rc=6 72 63 34 38 35 FF");
  t.regex(lines.get("03x") ?? "", /^rc=-1 error=Illegal data address/);
  t.regex(lines.get("03big") ?? "", /^rc=125 /);
  // What libmodbus wrote arrived intact.
  t.is(slave.coils[0xac], 1);
  t.deepEqual(Array.from(slave.holding.subarray(1, 3)), [0x000a, 0x0102]);
  t.deepEqual(Array.from(slave.coils.subarray(0x13, 0x13 + 10)), [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
  t.deepEqual(Array.from(slave.holding.subarray(0x0e, 0x11)), [0xff, 0xff, 0xff]);
  t.is(slave.requests, 13);
});
