// The learned-limits state file of the Node host (hosts/node/learned-state.ts): `rc485 run --state FILE` against a
// pymodbus slave on a socat pty learns the slave's reply latency and timeout and writes them; `rc485 plan --learned`
// plans with learned caps and shows them; a broken state file is one line, exit status 2.
import test from "ava";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, ptyPair, pymodbusSlave, rc485, rc485RunUntil } from "./harness/node-peers";

const ROOT = new URL("../", import.meta.url).pathname;
const PROFILES = join(ROOT, "test/fixtures/node/profiles");
let dir: string;
test.before(() => { dir = mkdtempSync(join(tmpdir(), "rc485-state-")); });
test.after.always(() => { killAll(); if (dir) rmSync(dir, { recursive: true, force: true }); });

test.serial("rc485 run --state learns the slave's latency and timeout and writes them; a second run starts from them", async (t) => {
  const pty = await ptyPair();
  // The slave answers 25 ms late: a pty carries bytes at once, so without a delay the measured latency (after the
  // reply's air time and t3.5 are taken off) can be 0 on a quick machine.
  const slave = await pymodbusSlave(pty.a, 9600, 25);
  try {
    const site = join(dir, "site.json");
    writeFileSync(site, JSON.stringify({ bus: { port: pty.b, baud: 9600, framing: "8N1", retries: 1 }, meters: [{ name: "m1", profile: "pymodbus-test", unit: 1, intervalMs: 300 }] }));
    const state = join(dir, "state.json");
    // Polled until m1 has six readings (a timeout is learned from four replies), however long a loaded machine takes;
    // then stopped with SIGTERM, which writes the state file.
    const r = await rc485RunUntil(["run", "--site", site, "--profiles", PROFILES, "--state", state, "--json"], (ms) => ms[0].readings >= 6);
    t.true(r.reached, r.stderr);
    t.is(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(state, "utf8"));
    t.is(saved.version, 1);
    t.true(saved.meters.m1.latencyMs > 0, JSON.stringify(saved));
    t.true(saved.meters.m1.timeoutMs >= 30, JSON.stringify(saved));
    t.deepEqual(JSON.parse(r.stdout).learned.m1.timeoutMs > 0, true);
    const again = await rc485RunUntil(["run", "--site", site, "--profiles", PROFILES, "--state", state, "--json"], (ms) => ms[0].readings >= 1);
    t.true(again.reached, again.stderr);
    t.is(again.code, 0, again.stderr);
    t.true(JSON.parse(again.stdout).meters[0].readings > 0);
  } finally {
    slave.stop();
    pty.stop();
  }
});

test("rc485 plan --learned plans with the learned cap and shows what was learned; bad state files are refused", async (t) => {
  const site = join(dir, "plan-site.json");
  writeFileSync(site, JSON.stringify({ bus: { port: "/dev/ttyUSB0", baud: 9600, framing: "8N1" }, meters: [{ name: "house", profile: "eastron-sdm630", unit: 1, intervalMs: 5000 }] }));
  const state = join(dir, "plan-state.json");
  writeFileSync(state, JSON.stringify({ version: 1, meters: { house: { cap: 20, timeoutMs: 190, gapMs: 40, latencyMs: 60 } } }));
  const plain = await rc485(["plan", "--site", site, "--json"]);
  const learned = await rc485(["plan", "--site", site, "--learned", state, "--json"]);
  t.is(learned.code, 0, learned.stderr);
  const a = JSON.parse(plain.stdout);
  const b = JSON.parse(learned.stdout);
  const counts = (p: { meters: { reads: { count: number }[] }[] }) => p.meters.flatMap((m) => m.reads.map((r) => r.count));
  t.true(Math.max(...counts(a)) > 20);
  t.true(Math.max(...counts(b)) <= 20);
  t.deepEqual(b.learned.house, { cap: 20, timeoutMs: 190, gapMs: 40, latencyMs: 0 });
  const text = await rc485(["plan", "--site", site, "--learned", state]);
  t.regex(text.stdout, /house: cap 20 registers \(profile 80\), timeout 190 ms, gap 40 ms/);
  writeFileSync(state, "{\"meters\": {}}");
  const bad = await rc485(["plan", "--site", site, "--learned", state]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not an rc485 state file/);
  const missing = await rc485(["plan", "--site", site, "--learned", join(dir, "nope.json")]);
  t.is(missing.code, 2);
  t.is(missing.stderr.trim().split("\n").length, 1);
});
