// `rc485 run` against a real slave: pymodbus 3.0.0 (unit 1) on one end of a socat pseudo-terminal pair, the concentrator
// on the other, with a test profile of the slave's registers (float32 in ABCD and CDAB order, scaled integers, a
// total), a meter that does not exist (timeouts, offline) and a point the slave does not have (exception 02). Also: a
// missing device and an unreachable MQTT broker.
// No run lasts a fixed wall-clock time: each polls until its status page shows what the test needs (rc485RunUntil), then
// is stopped with SIGTERM and its summary checked; the time limits are hang guards.
import test from "ava";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getJson, killAll, ptyPair, pymodbusSlave, rc485, rc485Background, rc485RunUntil, ROOT, statusUrl, waitFor, waitForAsync, type MeterStatus, type PtyPair } from "./harness/node-peers";

const PROFILES = join(ROOT, "test/fixtures/node/profiles");
const meter = (ms: MeterStatus[], name: string) => ms.find((m) => m.name === name);
let pty: PtyPair;
let slave: { stop(): void; output(): string };
let dir: string;

function siteFile(name: string, port: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    // One retry, and the profiles' response timeouts: 1.5 s for the slave (on a loaded 2-core CI the Python slave can be
    // slow to answer), 0.2 s for the unit nobody answers.
    bus: { port, baud: 9600, framing: "8N1", retries: 1 },
    meters: [
      { name: "m1", profile: "pymodbus-test", unit: 1, intervalMs: 500 },
      { name: "ghost", profile: "pymodbus-missing", unit: 9, intervalMs: 1000 },
    ],
    ...extra,
  }));
  return file;
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc485-run-"));
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a);
});
test.after.always(() => {
  slave?.stop();
  pty?.stop();
  killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial("polls the slave by profile: float32 in two word orders, scaled integers, a total; a silent unit is counted and goes offline", async (t) => {
  // Until m1 has six readings (the total needs three consistent ones to pass the sanity filter) and the silent unit has
  // failed the three polls in a row that take a meter offline.
  const r = await rc485RunUntil(["run", "--site", siteFile("site.json", pty.b), "--profiles", PROFILES, "--json"],
    (ms) => (meter(ms, "m1")?.readings ?? 0) >= 6 && (meter(ms, "ghost")?.consecutiveFailures ?? 0) >= 3);
  t.true(r.reached, r.stderr);
  t.is(r.code, 0, r.stderr + slave.output());
  const s = JSON.parse(r.stdout);
  const m1 = s.meters.find((m: { name: string }) => m.name === "m1");
  t.true(m1.readings >= 3, `m1 readings ${m1.readings}`);
  t.is(m1.values.voltage, 230.5);
  t.is(m1.values.power, -12.25);
  t.is(m1.values.current, 12.34);
  t.is(m1.values.energy, 123456.789, "the total passed the sanity filter after its confirmations");
  t.is(m1.values.frequency, 50.02, "a float32 as its type holds it (7 significant digits), not 50.02000045776367");
  t.is(m1.values.counter, 123456789, "an integer exactly");
  t.true(m1.failures <= 1, `m1 failed polls: ${JSON.stringify(m1.faults)}`);
  const ghost = s.meters.find((m: { name: string }) => m.name === "ghost");
  t.is(ghost.readings, 0);
  t.true(ghost.faults.timeout >= 1);
  t.is(ghost.state, "offline");
  t.regex(r.stderr, /status page http:\/\/127\.0\.0\.1:\d+\//);
});

test.serial("the text summary prints integers exactly and floats to their type's precision", async (t) => {
  const r = await rc485RunUntil(["run", "--site", siteFile("text.json", pty.b), "--profiles", PROFILES], (ms) => (meter(ms, "m1")?.readings ?? 0) >= 1);
  t.true(r.reached, r.stderr);
  t.is(r.code, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => l.includes("m1 (unit 1)")) ?? "";
  t.regex(line, / counter=123456789( |$)/, r.stdout);
  t.regex(line, / frequency=50\.02( |$)/, r.stdout);
  t.regex(line, / voltage=230\.5( |$)/, r.stdout);
});

test.serial("an exception reply is counted as a fault of that meter, the others keep their readings", async (t) => {
  const file = join(dir, "gap.json");
  writeFileSync(file, JSON.stringify({
    bus: { port: pty.b, baud: 9600, framing: "8N1", retries: 0, timeoutMs: 1500 },
    meters: [{ name: "gap", profile: "pymodbus-missing", unit: 1, intervalMs: 500 }],
  }));
  const r = await rc485RunUntil(["run", "--site", file, "--profiles", PROFILES, "--json"], (ms) => (meter(ms, "gap")?.polls ?? 0) >= 4);
  t.true(r.reached, r.stderr);
  t.is(r.code, 0, r.stderr);
  const gap = JSON.parse(r.stdout).meters[0];
  t.is(gap.readings, 0);
  t.true(gap.faults.exception >= 2, JSON.stringify(gap.faults));
  // The first request may meet bytes a previous test's process left in the slave's buffer (pymodbus drops a whole buffer
  // that fails its CRC, design.md §7): at most that one times out.
  t.true(gap.faults.timeout <= 1, JSON.stringify(gap.faults));
  t.true(gap.faults.exception > gap.faults.timeout);
});

test.serial("an unreachable MQTT broker is a counted, retried runtime fault: polling goes on", async (t) => {
  const file = siteFile("broker.json", pty.b, { forwarding: { mqtt: { url: "mqtt://127.0.0.1:1" } } });
  const r = await rc485RunUntil(["run", "--site", file, "--profiles", PROFILES, "--json"], (ms) => (meter(ms, "m1")?.readings ?? 0) >= 2);
  t.true(r.reached, r.stderr);
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  const m1 = s.meters.find((m: { name: string }) => m.name === "m1");
  t.true(m1.readings >= 2);
  t.false(s.mqtt.connected);
  t.true(s.mqtt.connectFailures >= 1, JSON.stringify(s.mqtt));
  t.true(s.mqtt.queued > 0, "readings wait in the store-and-forward ring");
});

test("a missing serial device is one line naming it, exit status 2", async (t) => {
  const r = await rc485(["run", "--site", siteFile("missing.json", "/dev/ttyRC485-missing"), "--profiles", PROFILES]);
  t.is(r.code, 2);
  t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  t.regex(r.stderr, /\/dev\/ttyRC485-missing: no such device/);
});

test("an unknown profile and a malformed site file: one line each, exit status 2", async (t) => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, "[1, 2");
  const r1 = await rc485(["run", "--site", bad]);
  t.is(r1.code, 2);
  t.regex(r1.stderr.trim(), /^[^\n]*bad\.json: not valid JSON[^\n]*$/);
  const r2 = await rc485(["run", "--site", siteFile("unknown.json", "/dev/null"), "--profiles", join(ROOT, "profiles")]);
  t.is(r2.code, 2);
  t.regex(r2.stderr, /unknown profile "pymodbus-test"/);
});

// Each step waits for what the previous one caused (the disconnect logged, a timed-out poll counted, the reopen logged,
// readings again), not for a fixed time: the reopen backoff doubles while the device is gone, and a loaded machine starts
// the new slave late, so a fixed duration both races the backoff and the slave's start-up.
test.serial("an adapter that disappears is reported and reopened with backoff; polling resumes", async (t) => {
  const run = rc485Background(["run", "--site", siteFile("unplug.json", pty.b), "--profiles", PROFILES, "--http-port", "0", "--json"]);
  const m1 = async (): Promise<MeterStatus | undefined> => {
    const url = statusUrl(run.stderr());
    return url ? meter(((await getJson(`${url}api/meters`)) ?? { meters: [] }).meters, "m1") : undefined;
  };
  let code: number | null = null;
  try {
    await waitForAsync(async () => ((await m1())?.readings ?? 0) >= 2 || run.child.exitCode !== null, 60000, "m1 polled before the unplug");
    if (run.child.exitCode !== null) { t.fail(`rc485 run ended before the unplug: ${run.stderr()} (${pty.status()})`); return; }
    slave.stop();
    pty.unplug();
    await waitFor(() => /disconnected \(adapter unplugged\?\); reopening with backoff/.test(run.stderr()), 30000, "the disconnect to be reported");
    await waitForAsync(async () => ((await m1())?.faults.timeout ?? 0) >= 1, 30000, "a poll of the vanished device to time out");
    const readingsGone = (await m1())!.readings;
    await pty.replug();
    slave = await pymodbusSlave(pty.a);
    await waitForAsync(async () => { const m = await m1(); return m !== undefined && m.online && m.readings > readingsGone; }, 90000,
      `readings again after the replug: ${run.stderr()}`);
  } finally {
    code = await run.stop("SIGTERM");
  }
  t.is(code, 0, run.stderr());
  await new Promise<void>((r) => { if (run.child.stdout!.readableEnded) r(); else run.child.stdout!.once("end", () => r()); });
  t.regex(run.stderr(), /disconnected \(adapter unplugged\?\); reopening with backoff/);
  t.regex(run.stderr(), /reopened/);
  const s = JSON.parse(run.stdout());
  // A reopen can land on the vanishing pty before socat has removed its link and close again at once (as a USB adapter
  // that re-enumerates): each disconnect is followed by a reopen, and the run ends with the port open.
  t.true(s.serial.disconnects >= 1);
  t.is(s.serial.opens, s.serial.disconnects + 1);
  const m = s.meters.find((x: { name: string }) => x.name === "m1");
  t.true(m.faults.timeout >= 1, "polls while the device was gone timed out and were counted");
  t.is(m.state, "online", "polling resumed after the reopen");
  // Learned timing is applied live (modules/commissioning/learned-apply.ts): the slave's learned timeout was in force before the
  // unplug; a meter that goes away is judged on its configured timing (modules/master/engine.ts, "LEARNED TIMING").
  t.true(s.learned.m1.timeoutMs > 0, JSON.stringify(s.learned));
});
