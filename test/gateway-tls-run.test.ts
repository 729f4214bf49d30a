// Modbus/TCP Security end to end: `rc485 run` on a gateway-only site whose `gateway` section has `tls`, in front of the
// pymodbus 3.0.0 RTU slave (unit 1) across a socat pty pair; pymodbus's TLS client (test/peers/pymodbus-tls-client.py)
// with certificates openssl makes in the test (test/harness/test-pki.ts). The site file alone turns TLS on and plain
// Modbus TCP off; an operator reads and writes the slave; a read-only role's write is answered 01 and the slave's
// register keeps its value; an expired certificate is refused with OpenSSL's reason in the log; a bad `tls` section stops
// rc485 with one line naming the field.
import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, ptyPair, pymodbusSlave, rc485, rc485Background, waitFor, type PtyPair } from "./harness/node-peers";
import { killClients, ROOT, run } from "./harness/gateway-peers";
import { makeTestPki, type TestPki } from "./harness/test-pki";

let pty: PtyPair;
let slave: { stop(): void; output(): string };
let pki: TestPki;
const dir = mkdtempSync(join(tmpdir(), "rc485-tls-run-"));

test.before(async () => {
  pki = makeTestPki();
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a, 19200);
});
test.after.always(() => {
  killClients();
  slave?.stop();
  pty?.stop();
  pki?.remove();
  killAll();
});

function siteFile(name: string, tls: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    bus: { port: pty.b, baud: 19200, framing: "8N1", timeoutMs: 300, retries: 1 },
    meters: [],
    gateway: { port: 0, tls: { port: 0, certificate: pki.server.cert, key: pki.server.key, ca: pki.ca, ...tls } },
  }));
  return file;
}

async function tlsClient(port: number, who: string, ops: unknown[]): Promise<{ connect: boolean; results: Record<string, unknown>[] }> {
  const c = pki.clients[who];
  const r = await run("/usr/bin/python3", [join(ROOT, "test/peers/pymodbus-tls-client.py"), String(port), pki.ca, c.cert, c.key, "any", JSON.stringify(ops)], 30000);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
}

test.serial("rc485 run: TLS only from the site file; roles over the real serial bus; an expired certificate refused", async (t) => {
  const site = siteFile("tls", { roles: { operator: { functions: [3, 6], units: [1] }, monitor: { readOnly: true } } });
  const r = rc485Background(["run", "--site", site, "--http-port", "0"]);
  try {
    await waitFor(() => /Modbus\/TCP Security .* on 127\.0\.0\.1:\d+/.test(r.stderr()) || r.child.exitCode !== null, 30000, "rc485 run to listen on TLS");
    const port = Number(/Modbus\/TCP Security .* on 127\.0\.0\.1:(\d+)/.exec(r.stderr())?.[1]);
    t.true(port > 0, r.stderr());
    t.notRegex(r.stderr(), /gateway: Modbus TCP on/, "no plain listener");
    const op = await tlsClient(port, "operator", [["rh", 1, 4, 1], ["wr", 1, 4, 4321], ["rh", 1, 4, 1], ["wr", 1, 4, 1234], ["rh", 2, 4, 1]]);
    t.deepEqual(op.results, [{ registers: [1234] }, { ok: true }, { registers: [4321] }, { ok: true }, { exception: 1 }], slave.output());
    const ro = await tlsClient(port, "monitor", [["wr", 1, 4, 999], ["rh", 1, 4, 1]]);
    t.deepEqual(ro.results, [{ exception: 1 }, { registers: [1234] }], "the refused write never reached the slave");
    const expired = await tlsClient(port, "expired", [["wr", 1, 4, 999]]);
    t.false(expired.results.some((x) => x.ok === true || x.exception !== undefined), JSON.stringify(expired));
    await waitFor(() => /CERT_HAS_EXPIRED/.test(r.stderr()), 30000, "the refusal in the log");
    const after = await tlsClient(port, "operator", [["rh", 1, 4, 1]]);
    t.deepEqual(after.results, [{ registers: [1234] }]);
  } finally {
    await r.stop();
  }
});

test.serial("rc485 run refuses a bad tls section with one line naming the field, before anything listens", async (t) => {
  const site = siteFile("bad", { roles: { operator: { functions: [3, 200] } } });
  const r = await rc485(["run", "--site", site, "--http-port", "0"]);
  t.not(r.code, 0);
  t.regex(r.stderr, /\$\.gateway\.tls\.roles\.operator\.functions: 200 is not a function code 1-127/);
  t.notRegex(r.stderr, /on 127\.0\.0\.1:\d+/);
  const missing = siteFile("missing", { certificate: join(dir, "none.crt"), roles: { operator: {} } });
  const m = await rc485(["run", "--site", missing, "--http-port", "0"]);
  t.not(m.code, 0);
  t.regex(m.stderr, /^rc485 run: \$\.gateway\.tls\.certificate: cannot read ".*none\.crt": ENOENT$/m);
});
