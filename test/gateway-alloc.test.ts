// The gateway engine allocates nothing per request in steady state (design.md §3.2): one MBAP request in, a submit, the
// reply relayed out, over 200,000 rounds with GC held off, must leave the heap at the measurement's noise floor (well
// under one byte per request; one allocated object would be at least 16).
import test from "ava";
import { makeGatewayRound } from "../bench/gateway.bench";
import { bytesPerOp } from "./harness/allocation";

test("a request round (reassemble, route, submit, relay) allocates nothing", (t) => {
  for (const registers of [1, 10, 80]) {
    const b = bytesPerOp(makeGatewayRound(registers));
    t.true(b < 1, `${registers} registers: ${b.toFixed(3)} bytes per request`);
  }
});
