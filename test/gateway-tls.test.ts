// Modbus/TCP Security on the Node gateway (hosts/node/gateway-tls.ts): a real TLS client (pymodbus 3.0.0's
// ModbusTlsClient, test/peers/pymodbus-tls-client.py) against the TLS listener, certificates made with openssl in the
// test (test/harness/test-pki.ts), emulated meters on a simulated RS-485 bus run in real time
// (test/harness/gateway-site.ts). Every bad-certificate case is refused with zero characters on the bus; allowed
// requests are all answered; roles limit functions and units with exception 01; startGateway keeps plain Modbus TCP off
// when TLS is on unless the site asks for it.
import test from "ava";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { GW_DENIED_ROLE, GW_FROM_BUS, type GatewayBus, type LocalRegisters } from "../modules/gateway/engine";
import type { GatewayOptions } from "../modules/gateway/config";
import { GatewayTlsConfig } from "../modules/gateway/tls-config";
import { startGateway } from "../hosts/node/gateway-server";
import { GatewayTlsListener } from "../hosts/node/gateway-tls";
import { GatewaySite } from "./harness/gateway-site";
import { killClients, ROOT, run } from "./harness/gateway-peers";
import { makeTestPki, type TestPki } from "./harness/test-pki";

type PyOp = ["rh" | "ri", number, number, number] | ["wr", number, number, number] | ["wm", number, number, number[]];
interface PyTls {
  connect: boolean;
  tls: string | null;
  results: { registers?: number[]; ok?: boolean; exception?: number; error?: string }[];
}

let pki: TestPki;
let site: GatewaySite;
let listener: GatewayTlsListener;
const log: string[] = [];

function tlsSection(p: TestPki, extra: Record<string, unknown> = {}): GatewayOptions["tls"] {
  return {
    port: 0, certificate: p.server.cert, key: p.server.key, ca: p.ca,
    roles: {
      operator: { functions: [3, 4, 6, 16] },
      monitor: { readOnly: true },
      meter1: { functions: [3], units: [1] },
    },
    roleBySubject: { "scada-7": "monitor" },
    ...extra,
  } as GatewayOptions["tls"];
}

/** The pymodbus TLS client with client certificate `who` ("-" for none). */
async function client(port: number, who: string, ops: readonly PyOp[], maxTls: "1.2" | "any" = "any"): Promise<PyTls> {
  const c = who === "-" ? { cert: "-", key: "-" } : pki.clients[who];
  const r = await run("/usr/bin/python3", [join(ROOT, "test/peers/pymodbus-tls-client.py"), String(port), pki.ca, c.cert, c.key, maxTls, JSON.stringify(ops)], 30000);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as PyTls;
  } catch {
    throw new Error(`pymodbus TLS client printed no result (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

test.before(async () => {
  pki = makeTestPki();
  site = new GatewaySite({
    baud: 19200,
    meters: [{ unit: 1, turnaroundUs: 2000 }, { unit: 2, turnaroundUs: 3000 }],
    master: { retries: 1, responseTimeoutUs: 100000 },
    gateway: { tls: tlsSection(pki) },
  });
  await site.start();
  listener = new GatewayTlsListener(site.server!, site.gateway.config.tls!, "127.0.0.1", (l) => log.push(l));
  await listener.listen();
});
test.after.always(async () => {
  killClients();
  await listener?.stop();
  await site?.stop();
  pki?.remove();
});

const tlsPort = () => listener.address!.port;
const busCharacters = () => site.site.segment.counters.characters;

test.serial("operator certificate (role extension): reads and writes of the meters cross the bus, over TLS 1.3 and 1.2", async (t) => {
  const before = site.gateway.counters[GW_FROM_BUS];
  const r = await client(tlsPort(), "operator", [["rh", 1, 0, 3], ["ri", 2, 10, 2], ["wr", 1, 5, 4242], ["rh", 1, 5, 1], ["wm", 2, 30, [7, 8]], ["rh", 2, 30, 2]]);
  t.true(r.connect);
  t.is(r.tls, "TLSv1.3");
  t.deepEqual(r.results, [
    { registers: [1000, 1001, 1002] }, { registers: [2010, 2011] }, { ok: true }, { registers: [4242] }, { ok: true }, { registers: [7, 8] },
  ]);
  t.is(site.gateway.counters[GW_FROM_BUS] - before, 6, "every allowed request was answered by a meter");
  const r12 = await client(tlsPort(), "operator", [["rh", 2, 0, 2]], "1.2");
  t.is(r12.tls, "TLSv1.2");
  t.deepEqual(r12.results, [{ registers: [2000, 2001] }]);
  t.is(listener.roleReader.withRole >= 2, true);
});

test.serial("a role refuses functions and units outside it with exception 01, before the bus", async (t) => {
  const chars = busCharacters();
  const denied = site.gateway.counters[GW_DENIED_ROLE];
  // meter1 may send function 3 to unit 1 only: 03 to unit 2, 04 and 06 to unit 1 are answered 01.
  const r = await client(tlsPort(), "meter1", [["rh", 1, 0, 2], ["rh", 2, 0, 2], ["ri", 1, 0, 2], ["wr", 1, 0, 1]]);
  t.deepEqual(r.results, [{ registers: [1000, 1001] }, { exception: 1 }, { exception: 1 }, { exception: 1 }]);
  t.is(site.gateway.counters[GW_DENIED_ROLE] - denied, 3);
  t.true(busCharacters() > chars, "the allowed read crossed the bus");
});

test.serial("read-only role (from the certificate, and through roleBySubject) refuses writes with exception 01; reads pass", async (t) => {
  const monitor = await client(tlsPort(), "monitor", [["rh", 1, 0, 1], ["wr", 1, 0, 1], ["wm", 2, 0, [1, 2]], ["ri", 2, 3, 1]]);
  t.deepEqual(monitor.results, [{ registers: [1000] }, { exception: 1 }, { exception: 1 }, { registers: [2003] }]);
  const chars = busCharacters();
  const mapped = await client(tlsPort(), "mapped", [["wr", 2, 0, 1], ["wm", 1, 0, [1]]]);
  t.deepEqual(mapped.results, [{ exception: 1 }, { exception: 1 }], "CN scada-7 is mapped to the read-only role monitor");
  t.is(busCharacters(), chars, "no refused write reached the bus");
  const read = await client(tlsPort(), "mapped", [["rh", 2, 1, 1]]);
  t.deepEqual(read.results, [{ registers: [2001] }]);
});

const refusals = () => listener.handshakeFailures + listener.refusedNoRole + listener.refusedUnknownRole + listener.refusedMalformed + listener.refusedAddress;

const BAD: [who: string, counter: () => number, why: string, reason: RegExp][] = [
  ["wrongCa", () => listener.handshakeFailures, "a certificate from a CA the gateway does not trust", /TLS handshake refused from 127\.0\.0\.1: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ["expired", () => listener.handshakeFailures, "an expired certificate (valid in January 2020)", /TLS handshake refused from 127\.0\.0\.1: CERT_HAS_EXPIRED/],
  ["-", () => listener.handshakeFailures, "no client certificate", /TLS handshake refused from 127\.0\.0\.1: peer did not return a certificate/],
  ["norole", () => listener.refusedNoRole, "no role extension and a subject no mapping names", /TLS refused 127\.0\.0\.1 \(no role\)/],
  ["unknownRole", () => listener.refusedUnknownRole, "a role the site does not define", /its role is not one of gateway\.tls\.roles/],
  ["rawRole", () => listener.refusedMalformed, "a role extension that is not a UTF8String", /malformed role extension/],
];

for (const [who, counter, why, reason] of BAD) {
  test.serial(`refused before any Modbus byte reaches the bus: ${why}`, async (t) => {
    log.length = 0;
    const chars = busCharacters();
    const requests = site.site.meters.reduce((n, m) => n + m.counters.frames, 0);
    const accepted = site.gateway.counters[0];
    const before = counter();
    const all = refusals();
    // pymodbus connects again for each request after a failure: one refused connection per request.
    const r = await client(tlsPort(), who, [["rh", 1, 0, 1], ["wr", 1, 0, 1]]);
    t.false(r.results.some((x) => x.registers !== undefined || x.ok === true || x.exception !== undefined), JSON.stringify(r));
    t.true(counter() - before >= 1, "counted under its cause");
    t.is(refusals() - all, counter() - before, "and under no other");
    t.regex(log.join("\n"), reason, log.join("\n"));
    t.is(busCharacters(), chars, "zero characters on the bus");
    t.is(site.site.meters.reduce((n, m) => n + m.counters.frames, 0), requests, "no meter saw a frame");
    t.is(site.gateway.counters[0], accepted, "the gateway engine never saw the connection");
  });
}

test.serial("a plain TCP client speaking Modbus to the TLS port is dropped in the handshake", async (t) => {
  const before = listener.handshakeFailures;
  const chars = busCharacters();
  await new Promise<void>((resolve) => {
    const s = connect(tlsPort(), "127.0.0.1", () => s.write(Buffer.from("000100000006010300000001", "hex")));
    s.on("error", () => {});
    s.on("close", () => resolve());
    s.setTimeout(5000, () => s.destroy());
  });
  t.is(listener.handshakeFailures - before, 1);
  t.is(busCharacters(), chars);
});

test.serial("TLS 1.1 is refused in the handshake (openssl s_client -tls1_1 at security level 0)", async (t) => {
  log.length = 0;
  const before = listener.handshakeFailures;
  const chars = busCharacters();
  const c = pki.clients.operator;
  const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${tlsPort()}`, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-cert", c.cert, "-key", c.key, "-CAfile", pki.ca], 10000);
  t.regex(r.stdout + r.stderr, /alert protocol version/);
  t.is(listener.handshakeFailures - before, 1);
  t.regex(log.join("\n"), /TLS handshake refused from 127\.0\.0\.1: unsupported protocol/);
  t.is(busCharacters(), chars);
});

test.serial("a client that never starts the handshake is dropped after handshakeTimeoutMs", async (t) => {
  const quick = new GatewayTlsListener(site.server!, new GatewayTlsConfig({ ...tlsSection(pki), handshakeTimeoutMs: 200 }, "$.gateway.tls"), "127.0.0.1", (l) => log.push(l));
  const address = await quick.listen();
  try {
    log.length = 0;
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(address.port, "127.0.0.1");
      s.on("error", () => {});
      s.on("close", () => resolve(true));
      s.setTimeout(10000, () => { s.destroy(); resolve(false); });
    });
    t.true(closed, "the gateway closed the silent connection (not the test's 10 s guard)");
    t.is(quick.handshakeFailures, 1);
    t.regex(log.join("\n"), /TLS handshake refused from 127\.0\.0\.1: TLS handshake timeout/);
  } finally {
    await quick.stop();
  }
});

test.serial("0 allowed requests refused: 40 mixed requests of the operator and the monitor all answered", async (t) => {
  const ops: PyOp[] = [];
  for (let i = 0; i < 20; i++) ops.push(i % 4 === 3 ? ["wr", 1 + (i % 2), 40 + i, i] : ["rh", 1 + (i % 2), 100 + i, 1 + (i % 5)]);
  const [a, b] = await Promise.all([client(tlsPort(), "operator", ops), client(tlsPort(), "monitor", ops.filter((o) => o[0] === "rh"))]);
  const expected = ops.map((o) => o[0] === "wr" ? { ok: true } : { registers: Array.from({ length: o[3] as number }, (_, k) => (o[1] * 1000 + o[2] + k) & 0xffff) });
  t.deepEqual(a.results, expected);
  t.deepEqual(b.results, expected.filter((_, i) => ops[i][0] === "rh"));
});

test.serial("startGateway: with tls, plain Modbus TCP is off unless `plain: true`; a bad file is a one-line error naming the field", async (t) => {
  const submitted: number[] = [];
  const bus: GatewayBus = { submit: (unit) => { submitted.push(unit); return 0; } };
  const local: LocalRegisters = { readRegisters: (_fc, a, n, into) => { for (let i = 0; i < n; i++) into[i] = 0x5000 + a + i; return 0; }, writeRegisters: () => 1 };
  const lines: string[] = [];
  const gw = await startGateway({ port: 0, localUnit: 0, tls: tlsSection(pki) }, { bus, local, now: () => Math.floor(performance.now() * 1000), log: (l) => lines.push(l) });
  try {
    t.truthy(gw.tls);
    t.is(gw.address.port, gw.tls!.address!.port, "the address reported is the TLS one");
    t.is(gw.server.address, null, "no plain listener");
    t.false(lines.some((l) => /Modbus TCP on/.test(l)), lines.join("\n"));
    const r = await client(gw.address.port, "operator", [["rh", 0, 2, 2]]);
    t.deepEqual(r.results, [{ registers: [0x5002, 0x5003] }]);
    t.deepEqual(submitted, []);
  } finally {
    await gw.close();
  }
  const both = await startGateway({ port: 0, localUnit: 0, plain: true, tls: tlsSection(pki) }, { bus, local, now: () => Math.floor(performance.now() * 1000) });
  try {
    t.not(both.address.port, both.tls!.address!.port);
  } finally {
    await both.close();
  }
  await t.throwsAsync(startGateway({ port: 0, tls: tlsSection(pki, { ca: join(pki.dir, "missing.crt") }) }, { bus, now: () => 0 }), { message: /^\$\.gateway\.tls\.ca: cannot read ".*missing\.crt": ENOENT$/ });
});

test.serial("openssl is the one that made the certificates: the expired one really is expired", async (t) => {
  const out = await new Promise<string>((resolve) => execFile("openssl", ["verify", "-CAfile", pki.ca, pki.clients.expired.cert], (_e, so, se) => resolve(String(so) + String(se))));
  t.regex(out, /certificate has expired/);
});
