// The Modbus TCP gateway: the engine's own cost per request on XS and Node (one request in, one submit, one relayed
// reply out, against an in-memory bus and link), and a Node-only report of 16 clients on the simulated bus: the bus busy
// share while requests are queued and the time the gateway adds per request (bench/gateway-load.ts).
import type { Bench, Report } from "./harness";
import { CERT_ROLE, CertificateRoleReader } from "../modules/gateway/certificate-role";
import { Gateway, type GatewayLink } from "../modules/gateway/engine";
import { writeMbapHeader } from "../modules/gateway/mbap";
import { MasterResult } from "../modules/master/result";
import { STATUS_OK, SUBMIT_OK } from "../modules/master/status";

/** A Modbus/TCP Security section whose role "operator" may read and write units 1-10 (files are not read here). */
const TLS = { certificate: "gw.crt", key: "gw.key", ca: "ca.crt", roles: { operator: { functions: [3, 4, 6, 16], units: ["1-10"] } } };

/**
 * One client, a bus that accepts everything, a link that drops what it is sent: the engine alone. With `role`, the
 * client is a TLS connection holding the role "operator" (every request checked against it).
 */
export function makeGatewayRound(registers: number, role = false): () => void {
  let tag = -1;
  let sent = 0;
  const link: GatewayLink = { send: () => { sent++; }, close: () => {}, resume: () => {} };
  const gw = new Gateway(role ? { tls: TLS } : {}, { submit: (_u, _p, _o, _l, t) => { tag = t; return SUBMIT_OK; } });
  gw.attach(link);
  const client = gw.accept("127.0.0.1", 0, role ? 0 : -1);
  const request = new Uint8Array(12);
  writeMbapHeader(request, 0, 1, 5, 5);
  request.set([3, 0, 0, 0, registers], 7);
  const result = new MasterResult(new Uint8Array(260));
  result.frame[0] = 5;
  result.frame[1] = 3;
  result.frame[2] = 2 * registers;
  for (let i = 0; i < 2 * registers; i++) result.frame[3 + i] = i;
  result.frameLength = 5 + 2 * registers;
  result.status = STATUS_OK;
  result.unit = 5;
  result.functionCode = 3;
  let now = 0;
  return () => {
    now += 1000;
    request[1] = now & 0xff;
    gw.received(client, request, 0, 12, now);
    result.tag = tag;
    result.completedAt = now + 500;
    gw.completed(result);
    if (sent < 0) throw new Error("unreachable");
  };
}

/** A client certificate made by openssl for the tests (P-256, role extension "operator"; test/harness/test-pki.ts). */
const CERTIFICATE_HEX =
  "308201ac30820152a00302010202021001300a06082a8648ce3d04030230183116301406035504030c0d7263343835207465737420636130" +
  "1e170d3236313230333135353933365a170d3236313230353135353933365a30153113301106035504030c0a6f70657261746f722d313059" +
  "301306072a8648ce3d020106082a8648ce3d03010703420004c91108cf7e61d725882cd49ab5a40ba3e49087a4468a0325f6f14e13d5450c" +
  "016d13546b41dbdc7604323df0b72c8a14a5475c22f3010cb69f029b526f76aa06a3818e30818b30090603551d1304023000300e0603551d" +
  "0f0101ff04040302078030130603551d25040c300a06082b060105050703023019060b2b0601040183890c862201040a0c086f7065726174" +
  "6f72301d0603551d0e04160414226103da7b4656fee0e8c8ad7685c79d48d48ab1301f0603551d230418301680148d7d692f786c65229b74" +
  "9fcd7fb5332b8471c6b9300a06082a8648ce3d04030203480030450220023d299cea14ccd73c257a2b0aa7f8eb42284561e5602cc997de74" +
  "6954a3396302210083ae99079d16ea24642c5e91ca9915b5940df808e3a7eff2faf48fbd8b3ffb22";

export function makeRoleRead(): () => void {
  const der = new Uint8Array(CERTIFICATE_HEX.length / 2);
  for (let i = 0; i < der.length; i++) der[i] = parseInt(CERTIFICATE_HEX.slice(2 * i, 2 * i + 2), 16);
  const reader = new CertificateRoleReader();
  return () => {
    if (reader.readRole(der) !== CERT_ROLE || reader.roleLength !== 8) throw new Error("the role was not found");
  };
}

export const benches: Bench[] = [
  {
    group: "gateway request (12-byte MBAP read of 10 registers in, 29-byte response out)",
    name: "rc485 Gateway: reassemble, route, submit, relay the reply with the transaction id",
    make: () => makeGatewayRound(10),
  },
  {
    group: "gateway request (12-byte MBAP read of 80 registers in, 169-byte response out)",
    name: "rc485 Gateway: reassemble, route, submit, relay the reply with the transaction id",
    units: 80,
    unitName: "register",
    make: () => makeGatewayRound(80),
  },
  {
    group: "gateway request (12-byte MBAP read of 10 registers in, 29-byte response out)",
    name: "rc485 Gateway, a TLS connection's request checked against its role (functions, units)",
    make: () => makeGatewayRound(10, true),
  },
  {
    group: `client certificate (${CERTIFICATE_HEX.length / 2} bytes of DER, openssl-made, P-256) at TLS connect`,
    name: "rc485 CertificateRoleReader: find the Modbus role extension (OID 1.3.6.1.4.1.50316.802.1)",
    make: makeRoleRead,
  },
];

// A specifier the bundler cannot follow: the simulator is Node-side code and must stay out of the XS bundle.
const loadModule = "./gateway-load.ts";

export const reports: Report[] = [
  {
    title: "gateway: 16 clients on the simulated bus (bus busy share, time added per request, fairness)",
    run: async () => ((await import(/* @vite-ignore */ new URL(loadModule, import.meta.url).href)) as { gatewayLoadReport(): string }).gatewayLoadReport(),
  },
];
