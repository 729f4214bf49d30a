// `rc485 read --guess` against a real peer (pymodbus slave on a socat pty): the registers holding a float voltage and a
// float frequency are ranked back to f32 in the slave's word order; usage mistakes are one line, exit status 2.
import test from "ava";
import { killAll, ptyPair, pymodbusSlave, rc485, type PtyPair } from "./harness/node-peers";

let pty: PtyPair;
let slave: { stop(): void };
test.before(async () => {
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a);
});
test.after.always(() => {
  slave?.stop();
  pty?.stop();
  killAll();
});

// Generous timeout and one retry: on a loaded 2-core machine the Python slave can be slow to answer.
const slow = ["--timeout", "3000", "--retries", "1"];

test.serial("a float voltage (ABCD) and a float frequency are found first, with a line for the profile", async (t) => {
  const v = await rc485(["read", "--port", pty.b, ...slow, "--address", "0", "--count", "2", "--guess", "voltage", "--json"]);
  t.is(v.code, 0, v.stderr);
  const g = JSON.parse(v.stdout).guesses;
  t.deepEqual([g[0].type, g[0].order, g[0].exponent, g[0].value], ["f32", "ABCD", 0, 230.5]);
  const f = await rc485(["read", "--port", pty.b, ...slow, "--address", "8", "--guess", "frequency"]);
  t.is(f.code, 0, f.stderr);
  t.regex(f.stdout, /^\s+1\s+f32\s+ABCD\s+10\^0\s+50\.02 Hz/m);
  t.regex(f.stdout, /profile point: "type": "f32", "order": "ABCD"/);
});

test("usage: unknown quantity, --type with --guess, bits with --guess", async (t) => {
  for (const [args, re] of [
    [["--guess", "pressure"], /--guess must be one of voltage, frequency, current, power, energy/],
    [["--guess", "voltage", "--type", "f32"], /leave them out/],
    [["--guess", "voltage", "--function", "1"], /use --function 3 or 4/],
    [["--guess", "voltage", "--count", "5"], /--count/],
  ] as [string[], RegExp][]) {
    const r = await rc485(["read", "--port", "/dev/null", ...args]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, re);
  }
});
