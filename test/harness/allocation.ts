// Heap bytes allocated per call of `op` in steady state, for allocation tests (design.md §3.2): heap growth over `n` calls
// with the young generation large enough that no GC runs in between, the least of up to eight tries after warm-up (it
// stops at the first try under one byte). One allocated object per call shows as at least 16 bytes on every try, so more
// tries cannot hide it; they absorb what the process allocates beside the op (a late optimising compile, the test
// runner's messages), which on a loaded two-core CI machine once pushed three tries in a row over one byte per call.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export function bytesPerOp(op: () => unknown, n = 200000): number {
  let least = Infinity;
  for (let attempt = 0; attempt < 8 && least >= 1; attempt++) {
    for (let i = 0; i < 20000; i++) op();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) op();
    least = Math.min(least, (process.memoryUsage().heapUsed - before) / n);
  }
  return least;
}

/**
 * Bytes allocated per call of `op` over `n` calls, and the collections V8 ran meanwhile (PerformanceObserver "gc"
 * entries). With no collection in between, the heap's growth is exactly what was allocated, whatever the young
 * generation's size; a collection means the bytes figure is a lower bound, and that something was allocated.
 */
export async function allocationOf(op: () => unknown, n: number): Promise<{ bytesPerOp: number; collections: number }> {
  const { PerformanceObserver } = await import("node:perf_hooks");
  for (let i = 0; i < 20000; i++) op();
  gc();
  await new Promise((r) => setImmediate(r));
  let collections = 0;
  const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
  observer.observe({ entryTypes: ["gc"] });
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) op();
  const bytes = process.memoryUsage().heapUsed - before;
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return { bytesPerOp: bytes / n, collections };
}
