// The gateway engine allocates nothing per request in steady state (design.md §3.2): one MBAP request in, a submit, the
// reply relayed out, over 200,000 rounds with GC held off, must leave the heap at the measurement's noise floor (well
// under one byte per request; one allocated object would be at least 16).
import test from "ava";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { makeGatewayRound } from "../bench/gateway.bench";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function bytesPerOp(op: () => unknown): number {
  const n = 200000;
  let least = Infinity;
  for (let attempt = 0; attempt < 3; attempt++) {
    for (let i = 0; i < 20000; i++) op();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) op();
    least = Math.min(least, (process.memoryUsage().heapUsed - before) / n);
  }
  return least;
}

test("a request round (reassemble, route, submit, relay) allocates nothing", (t) => {
  for (const registers of [1, 10, 80]) {
    const b = bytesPerOp(makeGatewayRound(registers));
    t.true(b < 1, `${registers} registers: ${b.toFixed(3)} bytes per request`);
  }
});
