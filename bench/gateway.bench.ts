// The Modbus TCP gateway: the engine's own cost per request on XS and Node (one request in, one submit, one relayed
// reply out, against an in-memory bus and link), and a Node-only report of 16 clients on the simulated bus: the bus busy
// share while requests are queued and the time the gateway adds per request (bench/gateway-load.ts).
import type { Bench, Report } from "./harness";
import { Gateway, type GatewayLink } from "../modules/gateway";
import { writeMbapHeader } from "../modules/mbap";
import { MasterResult } from "../modules/master-result";
import { STATUS_OK, SUBMIT_OK } from "../modules/master-status";

/** One client, a bus that accepts everything, a link that drops what it is sent: the engine alone. */
export function makeGatewayRound(registers: number): () => void {
  let tag = -1;
  let sent = 0;
  const link: GatewayLink = { send: () => { sent++; }, close: () => {}, resume: () => {} };
  const gw = new Gateway({}, { submit: (_u, _p, _o, _l, t) => { tag = t; return SUBMIT_OK; } });
  gw.attach(link);
  const client = gw.accept("127.0.0.1", 0);
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
];

// A specifier the bundler cannot follow: the simulator is Node-side code and must stay out of the XS bundle.
const loadModule = "./gateway-load.ts";

export const reports: Report[] = [
  {
    title: "gateway: 16 clients on the simulated bus (bus busy share, time added per request, fairness)",
    run: async () => ((await import(/* @vite-ignore */ new URL(loadModule, import.meta.url).href)) as { gatewayLoadReport(): string }).gatewayLoadReport(),
  },
];
