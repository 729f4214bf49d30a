// `rc485 repeat` on real ports: two repeater processes, each on two pseudo-terminals, between `rc485 read` and the
// pymodbus slave (unit 1, answering after 30 ms):
//
//   rc485 read ── M|RA ── rcA ── N1|X1 ══ noisy relay ══ X2|N2 ── rcB ── SA|S ── pymodbus
//
// The "noisy segment" is a relay in this test that flips one byte of every reply frame on its way from rcB to rcA; the
// parity burst behind it (sent after the frame's t3.5, a separate write) passes untouched, so rcA must repair every reply
// from its burst. Values, exceptions and timeouts cross the pair unchanged.
import test from "ava";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { SerialPort } from "serialport";
import { killAll, ptyPair, pymodbusSlave, rc485, rc485Background, waitFor, type PtyPair } from "./harness/node-peers";

const pairs: PtyPair[] = [];
let slave: { stop(): void; output(): string };
let rcA: ReturnType<typeof rc485Background>;
let rcB: ReturnType<typeof rc485Background>;
const relayPorts: SerialPort[] = [];
let flipped = 0;

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    p.open((e) => (e ? reject(e) : resolve(p)));
  });
}

test.before(async () => {
  const [m, n1, n2, s] = [await ptyPair(), await ptyPair(), await ptyPair(), await ptyPair()];
  pairs.push(m, n1, n2, s);
  // The relay: X1 = n1.b, X2 = n2.a. A pseudo-terminal hands a write over at once, so the relay also plays the wire at
  // 9600 baud 8N1: each write is delivered whole when its last stop bit would have passed (about 1.04 ms per character
  // after the line is free), like a UART that hands bytes over late; the repeaters allow for that with `rxLatencyUs`.
  // Requests (X1 → X2) pass unchanged; reply frames (X2 → X1) get one byte flipped; bursts (first byte 248..255, a
  // reserved address) pass untouched.
  const x1 = await open(n1.b);
  const x2 = await open(n2.a);
  relayPorts.push(x1, x2);
  const CHAR_MS = 10_000 / 9600;
  const wire = (to: SerialPort) => {
    let freeAt = 0;
    return (d: Buffer) => {
      const now = performance.now();
      const at = Math.max(now, freeAt) + d.length * CHAR_MS;
      freeAt = at;
      setTimeout(() => to.write(d), Math.round(at - now));
    };
  };
  const toX2 = wire(x2);
  const toX1 = wire(x1);
  x1.on("data", (d: Buffer) => toX2(d));
  x2.on("data", (d: Buffer) => {
    const out = Buffer.from(d);
    if (out.length >= 5 && out[0] < 248) { out[3] ^= 0x5a; flipped++; }
    toX1(out);
  });
  const dir = m.dir;
  const a = join(dir, "rcA.json");
  const b = join(dir, "rcB.json");
  writeFileSync(a, JSON.stringify({ repeater: { sideA: { port: m.b, baud: 9600, framing: "8N1" }, sideB: { port: n1.a, baud: 9600, framing: "8N1" }, nroots: 4, rxLatencyUs: 10000 } }));
  writeFileSync(b, JSON.stringify({ repeater: { sideA: { port: s.a, baud: 9600, framing: "8N1" }, sideB: { port: n2.b, baud: 9600, framing: "8N1" }, nroots: 4, rxLatencyUs: 10000 } }));
  // The slave answers after 30 ms, as meters do: a reply must not start before the request's parity burst has crossed
  // the noisy segment (design.md §5; modules/repeater/config.ts checkSlaveTurnaround).
  slave = await pymodbusSlave(s.b, 9600, 30);
  rcA = rc485Background(["repeat", "--site", a, "--every", "0", "--json"]);
  rcB = rc485Background(["repeat", "--site", b, "--every", "0", "--json"]);
  // Both repeaters have opened both their ports when they print their "side A …, side B …" line (bounded wait).
  for (const rc of [rcA, rcB]) await waitFor(() => /side A .*, side B /.test(rc.stderr()) || rc.child.exitCode !== null, 30000, `rc485 repeat to open its ports: ${rc.stderr()}`);
});

test.after.always(async () => {
  await rcA?.stop("SIGKILL");
  await rcB?.stop("SIGKILL");
  for (const p of relayPorts) if (p.isOpen) await new Promise((r) => p.close(() => r(null)));
  slave?.stop();
  for (const p of pairs) p.stop();
  killAll();
});

const read = (...args: string[]) => rc485(["read", "--port", pairs[0].a, "--baud", "9600", "--timeout", "2000", ...args], 20000);

test.serial("values cross the R/C pair; every damaged reply is repaired from its parity burst; statistics on exit", async (t) => {
  const abcd = await read("--type", "f32");
  t.is(abcd.code, 0, abcd.stderr + rcA.stderr() + rcB.stderr());
  t.is(abcd.stdout.trim(), "[0]: 230.5");
  const cdab = await read("--address", "2", "--type", "f32", "--order", "CDAB");
  t.is(cdab.code, 0, cdab.stderr);
  t.is(cdab.stdout.trim(), "[2]: -12.25");
  const ex = await read("--address", "20");
  t.is(ex.code, 1);
  t.is(ex.stdout.trim(), "exception 02 Illegal Data Address");
  const silent = await read("--unit", "9", "--timeout", "500");
  t.is(silent.code, 1);
  t.is(silent.stdout.trim(), "timeout");
  t.true(flipped >= 3, `the relay damaged ${flipped} replies`);

  t.is(await rcA.stop("SIGTERM"), 0, rcA.stderr());
  const a = JSON.parse(rcA.stdout());
  t.true(a.stats.BtoA.framesCorrected >= 3, JSON.stringify(a.stats.BtoA));
  t.is(a.stats.BtoA.uncorrectable, 0);
  t.true(a.stats.AtoB.burstsSent >= 4);
});

test("bad repeater sections: one line naming the problem, exit status 2", async (t) => {
  const dir = pairs[0].dir;
  const cases: [unknown, RegExp][] = [
    [{ bus: {} }, /\$\.repeater: must be an object/],
    [{ repeater: { sideA: { port: "/dev/ttyRC485-missing", baud: 9600, framing: "8N1" }, sideB: { port: "/dev/ttyRC485-missing2", baud: 9600, framing: "8N1" } } }, /\/dev\/ttyRC485-missing: no such device/],
    [{ repeater: { sideA: { port: "x", baud: 9600, framing: "8N1" }, sideB: { port: "y", baud: 9600, framing: "8N1" }, nroots: 3 } }, /nroots must be even/],
    [{ repeater: { sideA: { port: "x", baud: 12345, framing: "8N1" }, sideB: { port: "y", baud: 9600, framing: "8N1" } } }, /\$\.repeater\.sideA\.baud must be one of/],
  ];
  let i = 0;
  for (const [json, re] of cases) {
    const f = join(dir, `bad${i++}.json`);
    writeFileSync(f, JSON.stringify(json));
    const r = await rc485(["repeat", "--site", f]);
    t.is(r.code, 2, r.stderr);
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    t.regex(r.stderr, re);
  }
});
