// `npm run bench`: runs every bench/*.bench.ts on XS (meter counts) and Node (ns/op, bytes allocated/op with GC held
// off), prints one markdown table, then each Node-only report. Meter counts are exact; Node times vary by machine.
import { mkdirSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleForXs, ensureXsnap, runXs } from "../scripts/xsnap.mjs";
import type { Bench, Report } from "./harness";

const root = fileURLToPath(new URL("..", import.meta.url));
const only = process.argv[2];
const files = readdirSync(`${root}bench`).filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only))).sort();
const mods = await Promise.all(files.map(async (f) => (await import(`./${f}`)) as { benches?: Bench[]; reports?: Report[] }));
const benches = mods.flatMap((m) => m.benches ?? []);
const reports = mods.flatMap((m) => m.reports ?? []);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc (npm run bench does)");

function nodeNsPerOp(op: () => unknown): number {
  for (let i = 0; i < 2000; i++) op();
  let n = 1000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) op();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt > 100e6 || n >= 1e7) return dt / n;
    n *= 4;
  }
}

// Heap growth over n operations with the young generation large enough that no GC runs in between; the least of three
// tries, so that one-off work of the engine (optimised code, feedback vectors) is not charged to the operation.
function nodeBytesPerOp(op: () => unknown): number {
  const n = 50000;
  let least = Infinity;
  for (let attempt = 0; attempt < 3; attempt++) {
    for (let i = 0; i < 5000; i++) op();
    gc!();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) op();
    least = Math.min(least, (process.memoryUsage().heapUsed - before) / n);
  }
  return Math.max(0, least);
}

// XS: bundle every bench file into one module and run it once.
const xs = new Map<number, { perOp?: number; error?: string }>();
if (benches.some((b) => !b.nodeOnly)) {
  ensureXsnap();
  mkdirSync(`${root}build/xs`, { recursive: true });
  const imports = files.map((f, i) => `import * as m${i} from "./bench/${f.replace(/\.ts$/, "")}";`).join("\n");
  const list = files.map((_, i) => `...(m${i}.benches ?? [])`).join(", ");
  const entry = `${imports}\nimport { runXsBenches } from "./bench/xs-runner";\nrunXsBenches([${list}]);\n`;
  const text = runXs(await bundleForXs(entry, `${root}build/xs/bench.mjs`));
  if (!text.includes("XS-BENCH-DONE")) throw new Error(`XS bench run did not finish:\n${text.slice(-2000)}`);
  for (const line of text.split("\n")) {
    if (!line.startsWith("XS-BENCH {")) continue;
    const r = JSON.parse(line.slice(9));
    xs.set(r.index, r);
  }
}

const fmt = (x: number, digits = 1) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(digits));
const rows: string[] = [];
rows.push("| group | implementation / operation | XS computrons/op | XS per unit | Node ns/op | Node bytes alloc/op |");
rows.push("|---|---|--:|--:|--:|--:|");
benches.forEach((b, i) => {
  const op = b.make();
  const ns = nodeNsPerOp(op);
  const bytes = nodeBytesPerOp(op);
  const r = xs.get(i);
  const xsOp = b.nodeOnly ? `n/a (${b.nodeOnly})` : r?.error ? `error: ${r.error}` : fmt(r!.perOp!);
  const xsUnit = !b.nodeOnly && r?.perOp !== undefined && b.units ? `${fmt(r.perOp / b.units, 2)}/${b.unitName ?? "unit"}` : "";
  rows.push(`| ${b.group} | ${b.name} | ${xsOp} | ${xsUnit} | ${fmt(ns)} | ${bytes.toFixed(1)} |`);
});
console.log(rows.join("\n"));
for (const r of reports) {
  console.log(`\n### ${r.title}\n`);
  console.log(await r.run());
}
