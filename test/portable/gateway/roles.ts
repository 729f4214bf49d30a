// Roles of the Modbus/TCP Security gateway in the engine (modules/gateway/engine.ts with modules/gateway/roles.ts) and the
// `gateway.tls` section's validation (modules/gateway/tls-config.ts, modules/gateway/config.ts): a connection accepted
// with a role may use only its functions and units (01 otherwise, nothing submitted); a read-only role follows the
// read-only allowlist (2B only as 2B/0E); connections without a role (plain TCP) are not limited by roles; every bad
// setting is a one-line error naming its field. Portable: runs on Node and on XS.
import { Gateway, GW_DENIED_ROLE, GW_EX_FUNCTION, type GatewayLink } from "../../../modules/gateway/engine";
import { GatewayConfig } from "../../../modules/gateway/config";
import { MODBUS_SECURITY_PORT } from "../../../modules/gateway/tls-config";
import { writeMbapHeader } from "../../../modules/gateway/mbap";
import { SUBMIT_OK } from "../../../modules/master/status";
import type { Cases, Check } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

const TLS = {
  certificate: "gw.crt", key: "gw.key", ca: "ca.crt",
  roles: {
    operator: { functions: [3, 4, 6, 16], units: [1, "10-12"] },
    monitor: { readOnly: true },
    everything: {},
  },
  roleBySubject: { "scada-7": "monitor" },
};

class Rig implements GatewayLink {
  submitted: string[] = [];
  sent: string[][] = [[], [], [], []];
  gw: Gateway;
  constructor(options: object) {
    this.gw = new Gateway(options, { submit: (unit, pdu, offset, length) => { this.submitted.push(`${unit}: ${toHex(pdu, offset, length)}`); return SUBMIT_OK; } });
    this.gw.attach(this);
  }
  send(client: number, buffer: Uint8Array, offset: number, length: number): void {
    this.sent[client].push(toHex(buffer, offset, length));
  }
  close(): void {}
  resume(): void {}
  /** Sends one request; returns the exception code answered at once, 0 when it went to the bus or waits for it. */
  ask(client: number, unit: number, pduHex: string): number {
    const pdu = fromHex(pduHex);
    const b = new Uint8Array(7 + pdu.length);
    writeMbapHeader(b, 0, 1, unit, pdu.length);
    b.set(pdu, 7);
    const before = this.sent[client].length;
    this.gw.received(client, b, 0, b.length, 0);
    if (this.sent[client].length === before) return 0;
    const answer = fromHex(this.sent[client][before]);
    return answer[7] & 0x80 ? answer[8] : -1;
  }
}

function throwsWith(t: Check, section: object, pattern: RegExp): void {
  let message = "";
  try {
    new GatewayConfig(section, "$.gateway");
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  t.ok(pattern.test(message), `${JSON.stringify(section).slice(0, 120)} → "${message}"`);
  t.ok(message.indexOf("\n") < 0, "one line");
}

export const cases: Cases = {
  "tls settings: defaults, plain off with TLS unless asked for"(t) {
    const c = new GatewayConfig({ tls: TLS });
    t.is(c.tls!.port, MODBUS_SECURITY_PORT);
    t.is(c.tls!.port, 802);
    t.is(c.plain, false);
    t.is(c.tls!.handshakeTimeoutMs, 5000);
    t.ok(c.tls!.roleFromCertificate);
    t.is(c.tls!.roleBySubject.get("scada-7"), c.tls!.roles.indexOf("monitor"));
    t.is(new GatewayConfig({ tls: TLS, plain: true }).plain, true);
    t.is(new GatewayConfig({}).plain, true);
    t.is(new GatewayConfig({}).tls, null);
  },
  "roles compile to functions and units tables"(t) {
    const r = new GatewayConfig({ tls: TLS }).tls!.roles;
    const op = r.indexOf("operator");
    t.deepEqual(r.names, ["operator", "monitor", "everything"]);
    t.deepEqual([3, 4, 5, 6, 16].map((fc) => r.functions[op * 256 + fc]), [1, 1, 0, 1, 1]);
    t.deepEqual([0, 1, 2, 9, 10, 11, 12, 13].map((u) => r.units[op * 256 + u]), [0, 1, 0, 0, 1, 1, 1, 0]);
    t.is(r.readOnly[r.indexOf("monitor")], 1);
    t.is(r.indexOf("admin"), -1);
  },
  "bad tls settings are one-line errors naming the field"(t) {
    throwsWith(t, { plain: false }, /^\$\.gateway\.plain is false and there is no \$\.gateway\.tls/);
    throwsWith(t, { tls: "yes" }, /^\$\.gateway\.tls must be an object/);
    throwsWith(t, { tls: { ...TLS, cipher: "x" } }, /^\$\.gateway\.tls\.cipher is not a TLS option; allowed: port, certificate/);
    throwsWith(t, { tls: { ...TLS, port: 70000 } }, /^\$\.gateway\.tls\.port must be an integer from 0 to 65535 \(got 70000\)/);
    throwsWith(t, { tls: { ...TLS, certificate: undefined } }, /^\$\.gateway\.tls\.certificate must be the path of a PEM file: the gateway's certificate \(missing\)/);
    throwsWith(t, { tls: { ...TLS, key: "" } }, /^\$\.gateway\.tls\.key must be the path of a PEM file/);
    throwsWith(t, { tls: { ...TLS, ca: 5 } }, /^\$\.gateway\.tls\.ca must be the path of a PEM file.*\(got 5\)/);
    throwsWith(t, { tls: { ...TLS, roles: undefined } }, /^\$\.gateway\.tls\.roles is required/);
    throwsWith(t, { tls: { ...TLS, roles: {} } }, /^\$\.gateway\.tls\.roles must define 1 to 32 roles \(got 0\)/);
    throwsWith(t, { tls: { ...TLS, roles: { a: [] } } }, /^\$\.gateway\.tls\.roles\.a must be an object/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { write: true } } } }, /^\$\.gateway\.tls\.roles\.a\.write is not a role option; allowed: readOnly, functions, units/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { readOnly: "yes" } } } }, /^\$\.gateway\.tls\.roles\.a\.readOnly must be true or false/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { functions: [3, 128] } } } }, /^\$\.gateway\.tls\.roles\.a\.functions: 128 is not a function code 1-127/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { functions: [] } } } }, /^\$\.gateway\.tls\.roles\.a\.functions must be a non-empty list/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { units: ["5-2"] } } } }, /^\$\.gateway\.tls\.roles\.a\.units: "5-2" is not a TCP unit id 0-255 or a range/);
    throwsWith(t, { tls: { ...TLS, roles: { a: { units: [256] } } } }, /^\$\.gateway\.tls\.roles\.a\.units: 256 is not a TCP unit id/);
    throwsWith(t, { tls: { ...TLS, roleBySubject: { x: "admin" } } }, /^\$\.gateway\.tls\.roleBySubject\.x must name a role of \$\.gateway\.tls\.roles \(operator, monitor, everything\); got "admin"/);
    throwsWith(t, { tls: { ...TLS, roleBySubject: [] } }, /^\$\.gateway\.tls\.roleBySubject must be an object/);
    throwsWith(t, { tls: { ...TLS, roleFromCertificate: false, roleBySubject: {} } }, /^\$\.gateway\.tls: with roleFromCertificate false, roleBySubject must map/);
    throwsWith(t, { tls: { ...TLS, roleFromCertificate: 1 } }, /^\$\.gateway\.tls\.roleFromCertificate must be true or false/);
    throwsWith(t, { tls: { ...TLS, handshakeTimeoutMs: 50 } }, /^\$\.gateway\.tls\.handshakeTimeoutMs must be an integer from 100 to 60000 \(got 50\)/);
  },
  "a role limits functions and units with exception 01; nothing outside it is submitted"(t) {
    const rig = new Rig({ tls: TLS });
    const roles = rig.gw.config.tls!.roles;
    const op = rig.gw.accept("10.0.0.1", 0, roles.indexOf("operator"));
    t.is(rig.ask(op, 1, "03 00 00 00 02"), 0, "03 to unit 1: allowed");
    const plain = rig.gw.accept("10.0.0.2", 0);
    t.is(rig.ask(plain, 2, "05 00 00 FF 00"), 0, "a connection without a role is not limited by roles");
    const submitted = rig.submitted.length;
    t.is(rig.ask(op, 2, "03 00 00 00 02"), 1, "unit 2 is not the operator's");
    t.is(rig.ask(op, 1, "05 00 00 FF 00"), 1, "05 is not the operator's");
    t.is(rig.ask(op, 12, "01 00 00 00 08"), 1, "01 is not the operator's even on its unit");
    t.is(rig.submitted.length, submitted, "nothing refused reached the bus");
    t.is(rig.gw.counters[GW_DENIED_ROLE], 3);
    t.ok(rig.gw.counters[GW_EX_FUNCTION] >= 3);
  },
  "a read-only role follows the read-only allowlist: writes, 08 and 2B/0D refused; reads and 2B/0E pass"(t) {
    const rig = new Rig({ tls: TLS });
    const ro = rig.gw.config.tls!.roles.indexOf("monitor");
    const c = rig.gw.accept("10.0.0.3", 0, ro);
    const refused = ["06 00 01 00 05", "10 00 00 00 01 02 00 07", "05 00 00 FF 00", "08 00 01 00 00", "2B 0D 00", "41 00"];
    for (const pdu of refused) t.is(rig.ask(c, 5, pdu), 1, pdu);
    t.is(rig.submitted.length, 0);
    const rig2 = new Rig({ tls: TLS, maxPerClient: 8 });
    const c2 = rig2.gw.accept("10.0.0.3", 0, ro);
    const allowed = ["03 00 00 00 02", "04 00 00 00 01", "01 00 00 00 08", "02 00 00 00 08", "2B 0E 01 00"];
    for (const pdu of allowed) t.is(rig2.ask(c2, 5, pdu), 0, pdu);
  },
  "accept() refuses a role number the section does not define"(t) {
    const rig = new Rig({ tls: TLS });
    t.throws(() => rig.gw.accept("10.0.0.1", 0, 3), RangeError);
    const plain = new Rig({});
    t.throws(() => plain.gw.accept("10.0.0.1", 0, 0), RangeError);
  },
};
