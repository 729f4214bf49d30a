// Heap bytes allocated per call of `op` in steady state, for allocation tests (design.md §3.2): heap growth over `n` calls
// with the young generation large enough that no GC runs in between, the least of three tries after warm-up. One
// allocated object would show as at least 16 bytes; the measurement's noise floor is well under one byte per call.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export function bytesPerOp(op: () => unknown, n = 200000): number {
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
