// The RTU master engine: cost of one transaction on XS and Node (a pure in-memory loopback), bytes allocated per
// transaction over 100,000 transactions, and bus efficiency over the simulated site (Node only: the report loads the
// simulator lazily, so this file still bundles for XS).
import type { Bench, Report } from "./harness";
import { makeLoopback } from "./master-loopback";

export const benches: Bench[] = [
  {
    group: "master transaction (read 80 registers, 165-byte reply)",
    name: "rc485 Master: build request, CRC + parse reply, hand over 80 values",
    units: 80,
    unitName: "register",
    make: () => {
      const loop = makeLoopback(80);
      return () => loop.transaction();
    },
  },
];

function bytesPer(rebase: boolean, gc: () => void, mem: { memoryUsage(): { heapUsed: number } }, n: number): [number, number] {
  const loop = makeLoopback(80, 19200, 0, rebase);
  for (let i = 0; i < 50000; i++) loop.transaction(); // warm-up: optimised code, feedback, and times past 2^30 µs
  let least = Infinity;
  for (let attempt = 0; attempt < 3; attempt++) {
    gc();
    const before = mem.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) loop.transaction();
    least = Math.min(least, mem.memoryUsage().heapUsed - before);
  }
  return [Math.max(0, least), loop.master.counter(1, 0)];
}

function allocationReport(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return "run with --expose-gc (npm run bench does)";
  const mem = (globalThis as unknown as { process: { memoryUsage(): { heapUsed: number } } }).process;
  const n = 100000;
  const rows = [
    "| clock | transactions measured | heap growth (least of 3 runs, GC held off) | bytes per transaction | completed OK (all runs) |",
    "|---|--:|--:|--:|--:|",
  ];
  for (const rebase of [true, false]) {
    const [bytes, ok] = bytesPer(rebase, gc, mem, n);
    rows.push(`| ${rebase ? "rebased below 2^29 µs (Master.rebaseTime)" : "never rebased (times pass 2^30 µs)"} | ${n.toLocaleString("en-US")} | ${bytes} B | ${(bytes / n).toFixed(3)} | ${ok.toLocaleString("en-US")} |`);
  }
  rows.push("", "Each op is one full transaction through bench/master-loopback.ts (submit, transmit, DE drop, 165-byte reply, " +
    "CRC, 80 values to the listener). Without rebasing, V8 boxes every time above 2^30 µs that crosses a call (the host's " +
    "`now` arguments and nextDeadline()'s result, 12 bytes each); XS keeps numbers inline and has no such cost.");
  return rows.join("\n");
}

// A specifier the bundler cannot follow: the simulator is Node-side code and must stay out of the XS bundle.
const efficiencyModule = "./master-efficiency.ts";

export const reports: Report[] = [
  { title: "master: bytes allocated per transaction (Node, after warm-up)", run: allocationReport },
  {
    title: "master: bus efficiency (10 meters x 80 registers, simulated site)",
    run: async () => ((await import(/* @vite-ignore */ new URL(efficiencyModule, import.meta.url).href)) as { busEfficiency(): string }).busEfficiency(),
  },
  {
    title: "master: bus time of reply windows (late, repeated and slow replies; simulated site)",
    run: async () => ((await import(/* @vite-ignore */ new URL(efficiencyModule, import.meta.url).href)) as { replyWindowCost(): Promise<string> }).replyWindowCost(),
  },
];
