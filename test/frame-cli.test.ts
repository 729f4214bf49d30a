// `rc485 frame decode`, run as a real process through bin/rc485.mjs (the frame inspector, issue 2 item 7).
import test from "ava";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import frame from "../hosts/node/commands/frame";
import { vectors } from "./portable/rtu/vectors";

const bin = fileURLToPath(new URL("../bin/rc485.mjs", import.meta.url));

function rc485(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test("decodes a register read response as text: unit, function, CRC verdict, register values", async (t) => {
  const r = await rc485("frame", "decode", "11 03 06 02 2B 00 00 00 64 C8 BA");
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /unit\s+17/);
  t.regex(r.stdout, /0x03 Read Holding Registers/);
  t.regex(r.stdout, /direction\s+response/);
  t.regex(r.stdout, /crc\s+ok/);
  t.regex(r.stdout, /\[0\]\s+555\s+0x022B/);
  t.regex(r.stdout, /\[2\]\s+100\s+0x0064/);
});

// The same command in-process for the whole fixture (one process per frame would cost seconds on a 2-core CI).
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await frame.run(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test.serial("--json for every fixture frame gives unit, function, crcOk and the fixture's fields (in-process)", async (t) => {
  for (const v of vectors) {
    const r = await inProcess("decode", "--json", "--as", v.direction, v.hex.replace(/ /g, ""));
    t.is(r.code, 0, `${v.name}: ${r.stderr}`);
    const o = JSON.parse(r.stdout);
    t.is(o.unit, 0x11, v.name);
    t.is(o.crcOk, true, v.name);
    t.is(o.direction, v.direction, v.name);
    for (const k of ["function", "address", "quantity", "exception", "value", "subFunction", "writeAddress", "writeQuantity"]) {
      if (k in v.fields) t.is(o[k], v.fields[k], `${v.name}: ${k}`);
    }
    if (v.registers && (v.fields.function !== 0x10 || v.direction === "request")) t.deepEqual(o.registers, v.registers, `${v.name}: registers`);
  }
});

test("infers the direction and says when the bytes are ambiguous", async (t) => {
  const [req, echo, exc] = await Promise.all([
    rc485("frame", "decode", "--json", "1103006B00037687"),
    rc485("frame", "decode", "--json", "11 06 00 01 00 03 9A 9B"),
    rc485("frame", "decode", "--json", "11 81 02 C0 54"),
  ]);
  t.like(JSON.parse(req.stdout), { direction: "request", address: 0x6b, quantity: 3 });
  t.like(JSON.parse(echo.stdout), { direction: "ambiguous", address: 1, value: 3, response: { direction: "response", address: 1, value: 3 } });
  t.like(JSON.parse(exc.stdout), { direction: "response", function: 1, exception: 2, exceptionName: "Illegal Data Address" });
});

test("a bad CRC is decoded and reported, not rejected", async (t) => {
  const r = await rc485("frame", "decode", "11 03 00 6B 00 03 76 88");
  t.is(r.code, 0);
  t.regex(r.stdout, /crc\s+BAD: frame has 76 88, computed 76 87/);
  const j = await rc485("frame", "decode", "--json", "11 03 00 6B 00 03 76 88");
  t.like(JSON.parse(j.stdout), { crcOk: false, address: 0x6b, quantity: 3 });
});

test.serial("bad input: one line on stderr and exit status 2", async (t) => {
  const cases = [
    ["11 03 0"], // odd
    ["11 03 ZZ 00"], // not hex
    ["11 03 00"], // too short
    ["11".repeat(257)], // too long
    ["11 03 00 6B 00 03 76"], // not a frame either way
    ["--as", "sideways", "11 03 00 6B 00 03 76 87"],
    [], // no bytes
  ];
  // The first case runs as a real process; the rest in-process.
  const results = [await rc485("frame", "decode", ...cases[0])];
  for (const c of cases.slice(1)) results.push(await inProcess("decode", ...c));
  results.forEach((r, i) => {
    t.is(r.code, 2, `case ${i}`);
    t.is(r.stdout, "", `case ${i}`);
    t.is(r.stderr.trim().split("\n").length, 1, `case ${i}: ${r.stderr}`);
    t.regex(r.stderr, /^rc485 frame: /, `case ${i}`);
  });
});

test("rc485 frame --help and the command table", async (t) => {
  const [help, top] = await Promise.all([rc485("frame", "--help"), rc485("--help")]);
  t.is(help.code, 0);
  t.regex(help.stdout, /rc485 frame decode \[--as request\|response\] \[--json\] HEX/);
  t.is(top.code, 0);
  t.regex(top.stdout, /frame\s+decode a Modbus RTU frame/);
});

test("a read request to unit 0 notes that a broadcast read gets no reply by the standard (some meters answer anyway)", async (t) => {
  const r = await rc485("frame", "decode", "00 03 00 00 00 02 C5 DA");
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^unit {8}0 \(broadcast\)$/m);
  t.regex(r.stdout, /^note {8}unit 0 is a broadcast: by the standard no device answers it .*so this read gets no reply; some meters answer it anyway/m);
  const j = JSON.parse((await rc485("frame", "decode", "--json", "00 03 00 00 00 02 C5 DA")).stdout);
  t.regex(j.note, /no device answers it/);
  // A broadcast write is what the standard allows: no note; nor for a read to a device address.
  const w = await rc485("frame", "decode", "--json", "00 06 00 01 00 03 99 DA");
  t.is(JSON.parse(w.stdout).note, undefined, w.stdout + w.stderr);
  t.is(JSON.parse((await rc485("frame", "decode", "--json", "1103006B00037687")).stdout).note, undefined);
});
