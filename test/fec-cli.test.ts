// The `rc485 fec` command, run as a user would: node bin/rc485.mjs fec ...
import test from "ava";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/rc485.mjs", import.meta.url));

function rc485(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const request = ["11", "03", "00", "6B", "00", "03", "76", "87"];
const burst = "FA 48 07 B3 06 58 8D 80 DE 0C 2D";

test("fec parity prints the burst; --raw the parity of each codeword", async (t) => {
  const [a, b] = await Promise.all([rc485("fec", "parity", ...request), rc485("fec", "parity", "--raw", "--nroots", "2", "--depth", "2", "110300", "6B00037687")]);
  t.is(a.code, 0);
  t.is(a.stdout.trim(), burst);
  t.is(b.code, 0);
  t.is(b.stdout.trim().split("\n").length, 2, "two codewords");
  t.regex(b.stdout, /^[0-9A-F]{2} [0-9A-F]{2}\n[0-9A-F]{2} [0-9A-F]{2}\n$/);
});

test("fec correct repairs two bad bytes and reports bytes and bits; too many errors is a failure (exit 1)", async (t) => {
  const [ok, bad] = await Promise.all([
    rc485("fec", "correct", "11 03 01 6B 00 03 76 86", "--parity", burst),
    rc485("fec", "correct", "10 03 01 6B 00 03 76 86", "--parity", burst),
  ]);
  t.is(ok.code, 0);
  t.is(ok.stdout, "11 03 00 6B 00 03 76 87\ncorrected 2 bytes, 2 bits; Modbus CRC ok\n");
  t.is(bad.code, 1);
  t.regex(bad.stdout, /^failed: /);
});

test("bad input: one-line error on stderr, exit status 2; --help exits 0", async (t) => {
  const runs = await Promise.all([
    rc485("fec", "parity", "zz"),
    rc485("fec", "parity", "--nroots", "5", "01"),
    rc485("fec", "correct", ...request),
    rc485("fec", "correct", ...request, "--parity", "FA 48"),
    rc485("fec", "frobnicate"),
  ]);
  for (const r of runs) {
    t.is(r.code, 2, r.stderr);
    t.is(r.stderr.trim().split("\n").length, 1);
    t.regex(r.stderr, /^rc485 fec: /);
  }
  const help = await rc485("fec", "--help");
  t.is(help.code, 0);
  t.regex(help.stdout, /rc485 fec parity/);
});
