// `rc485 read` against a real slave: pymodbus 3.0.0 serving unit 1 on one end of a socat pseudo-terminal pair, rc485 (the
// serial host over the npm serialport package and the master engine) on the other. One process per read, so there are
// real pauses between frames (a pty has no baud rate; design.md §7).
import test from "ava";
import { spawnSync } from "node:child_process";
import { killAll, ptyPair, pymodbusSlave, rc485, type PtyPair } from "./harness/node-peers";

let pty: PtyPair;
let slave: { stop(): void; output(): string };

test.before(async () => {
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a);
});
test.after.always(() => {
  slave?.stop();
  pty?.stop();
  killAll();
});

// Generous timeout and one retry: on a loaded 2-core CI the Python slave can be slow to answer (later options win).
const read = (...args: string[]) => rc485(["read", "--port", pty.b, "--baud", "9600", "--timeout", "3000", "--retries", "1", ...args], 30000);

test.serial("float32, high word first (ABCD), from holding registers", async (t) => {
  const r = await read("--address", "0", "--type", "f32");
  t.is(r.code, 0, r.stdout + r.stderr + slave.output());
  t.is(r.stdout.trim(), "[0]: 230.5");
});

test.serial("float32, low word first (CDAB), from input registers, as JSON", async (t) => {
  const r = await read("--function", "4", "--address", "2", "--type", "f32", "--order", "CDAB", "--json");
  t.is(r.code, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  t.true(j.ok);
  t.deepEqual(j.values, [{ address: 2, value: -12.25 }]);
  t.is(j.registers.length, 2);
});

test.serial("the wrong word order gives a different number (the order is applied, not ignored)", async (t) => {
  const r = await read("--address", "2", "--type", "f32", "--order", "ABCD", "--json");
  t.is(r.code, 0, r.stdout + r.stderr);
  t.not(JSON.parse(r.stdout).values[0].value, -12.25);
});

test.serial("several integer values of different types", async (t) => {
  const s16 = await read("--address", "4", "--count", "2", "--type", "s16");
  t.is(s16.code, 0, s16.stderr);
  t.is(s16.stdout.trim(), "[4]: 1234\n[5]: -5");
  const u32 = await read("--address", "6", "--count", "2", "--type", "u32", "--json");
  t.is(u32.code, 0, u32.stderr);
  const v = JSON.parse(u32.stdout).values;
  t.is(v[0].value, 123456789);
  t.is(v[1].address, 8);
  t.true(Math.abs(new Float32Array(new Uint32Array([v[1].value]).buffer)[0] - 50.02) < 1e-4);
});

test.serial("coils (function 1)", async (t) => {
  const r = await read("--function", "1", "--count", "4", "--json");
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(JSON.parse(r.stdout).values.map((x: { value: number }) => x.value), [1, 0, 1, 1]);
});

test.serial("an exception reply prints its name, exit status 1", async (t) => {
  const r = await read("--address", "20", "--count", "2");
  t.is(r.code, 1);
  t.is(r.stdout.trim(), "exception 02 Illegal Data Address");
  const j = await read("--address", "20", "--json");
  t.is(j.code, 1);
  t.deepEqual(JSON.parse(j.stdout).exception, { code: 2, name: "Illegal Data Address" });
});

test.serial("a unit that does not answer is a timeout, exit status 1", async (t) => {
  const r = await read("--unit", "9", "--timeout", "300");
  t.is(r.code, 1);
  t.is(r.stdout.trim(), "timeout");
});

test.serial("the slave still answers after the timeout (nothing left half-read)", async (t) => {
  const r = await read("--address", "0", "--type", "f32");
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(r.stdout.trim(), "[0]: 230.5");
});

test.serial("--register N is the 1-based number that modpoll -r N and mbpoll -r N take: the same register is read", async (t) => {
  const mbpoll = (ref: string) => spawnSync("mbpoll", ["-m", "rtu", "-a", "1", "-r", ref, "-c", "1", "-t", "4", "-b", "9600", "-P", "none", "-o", "3", pty.b, "-1"], { encoding: "utf8", timeout: 20000 });
  const m = mbpoll("5");
  t.is(m.status, 0, m.stdout + m.stderr);
  t.regex(m.stdout, /^\[5\]:\s+1234$/m);
  const r = await read("--register", "5");
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(r.stdout.trim(), "[5]: 1234", "labelled by register number, as mbpoll does");
  const j = await read("--register", "5", "--json");
  t.deepEqual(JSON.parse(j.stdout).values, [{ address: 4, register: 5, value: 1234 }]);
  t.is((await read("--address", "4")).stdout.trim(), "[4]: 1234", "the same register by its 0-based address");
  // "40001" taken whole is address 40000 for both (the slave has no such register), not holding register 1.
  const m40001 = mbpoll("40001");
  t.not(m40001.status, 0);
  t.regex(m40001.stdout + m40001.stderr, /Illegal data address/i);
  const r40001 = await read("--register", "40001");
  t.is(r40001.code, 1);
  t.is(r40001.stdout.trim(), "exception 02 Illegal Data Address");
});

test("read --help explains 0-based addresses and 1-based register numbers", async (t) => {
  const h = await rc485(["read", "--help"]);
  t.is(h.code, 0);
  t.regex(h.stdout, /--register N/);
  t.regex(h.stdout, /40001 is holding register 1 \(function 3, address 0\)/);
  t.regex(h.stdout, /-r 40001 \(and --register 40001\) reads address 40000/);
  const both = await rc485(["read", "--port", "x", "--address", "0", "--register", "1"]);
  t.is(both.code, 2);
  t.regex(both.stderr, /--address \(0-based\) or --register \(1-based\), not both/);
  const zero = await rc485(["read", "--port", "x", "--register", "0"]);
  t.is(zero.code, 2);
  t.regex(zero.stderr, /--register must be an integer from 1 to 65536/);
});

test("a missing serial device is one line naming it, exit status 2", async (t) => {
  const r = await rc485(["read", "--port", "/dev/ttyRC485-missing"]);
  t.is(r.code, 2);
  t.is(r.stderr.trim().split("\n").length, 1);
  t.regex(r.stderr, /\/dev\/ttyRC485-missing: no such device/);
});

test("bad usage: one line, exit status 2", async (t) => {
  for (const args of [["read"], ["read", "--port", "x", "--type", "f17"], ["read", "--port", "x", "--order", "ABDC"], ["read", "--port", "x", "--unit", "300"]]) {
    const r = await rc485(args);
    t.is(r.code, 2, args.join(" "));
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const h = await rc485(["read", "--help"]);
  t.is(h.code, 0);
  t.regex(h.stdout, /--order O/);
});
