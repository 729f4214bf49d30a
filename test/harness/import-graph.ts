/*
 * The import graph of the project's TypeScript sources, and the two checks the dependency test makes of it: cycles
 * (Tarjan's strongly connected components: any component of more than one file, or a file importing itself, is a cycle)
 * and a layer rule table (which folder may import which).
 *
 * Theory of operation. Each file's import and re-export specifiers (`import … from "x"`, `import "x"`, `export … from "x"`,
 * `import("x")`, type-only ones included: a type import is a dependency of the source too) are read with a regular
 * expression over the text with comments removed; relative specifiers are resolved to files the way tsx and esbuild do
 * (`x.ts`, `x/index.ts`, or the file itself); bare specifiers (packages, `node:*`, Moddable's `embedded:*`) leave the
 * project and are not edges. The checks work on any graph, so the test also runs them on a synthetic graph with planted
 * violations: a checker that found nothing there would be broken.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** file (project-relative, "modules/rtu/adu.ts") → the project files it imports. */
export type ImportGraph = Map<string, string[]>;

const SPECIFIER = /(?:\bimport\s*(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?|\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*|\bimport\s*\(\s*)["']([^"']+)["']/g;

/** The specifiers a TypeScript source imports or re-exports. */
export function specifiersOf(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'\\])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) out.push(m[1]);
  return out;
}

function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const abs = join(root, dir);
  if (!existsSync(abs)) return out;
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tsFiles(root, rel));
    else if (/\.(ts|mts)$/.test(e.name) && !/\.d\.m?ts$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** Resolves a relative specifier from `from` (project-relative) to a project file, or null. */
export function resolveSpecifier(root: string, from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = resolve(root, dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return null;
}

/** The import graph of every .ts file under `dirs` (project-relative), edges limited to files under `dirs`. */
export function importGraph(root: string, dirs: readonly string[]): { graph: ImportGraph; unresolved: string[] } {
  const graph: ImportGraph = new Map();
  const unresolved: string[] = [];
  const files = dirs.flatMap((d) => tsFiles(root, d));
  const inside = new Set(files);
  for (const f of files) {
    const edges: string[] = [];
    for (const spec of specifiersOf(readFileSync(join(root, f), "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const to = resolveSpecifier(root, f, spec);
      if (to === null) unresolved.push(`${f}: ${spec}`);
      else if (inside.has(to) && edges.indexOf(to) < 0) edges.push(to);
    }
    graph.set(f, edges);
  }
  return { graph, unresolved };
}

/** Every import cycle, as the files of one strongly connected component (sorted), components sorted. */
export function cyclesOf(graph: ImportGraph): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The subsystem folder of a file: "modules/master" for modules/master/engine.ts, "hosts/node" for hosts/node/commands/x.ts. */
export function folderOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * The layer rule: a file may import files of its own folder and of folders on a lower level, nothing else. So a lower
 * layer importing a higher one fails, and two folders on one level may not import each other at all. A folder missing
 * from the table fails too (a new folder gets a level on purpose).
 */
export function layerViolations(graph: ImportGraph, levels: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  const unknown = new Set<string>();
  for (const [from, edges] of graph) {
    const a = folderOf(from);
    if (!(a in levels)) unknown.add(a);
    for (const to of edges) {
      const b = folderOf(to);
      if (a === b || !(a in levels) || !(b in levels)) continue;
      if (levels[b] >= levels[a]) out.push(`${from} imports ${to}: ${a} (level ${levels[a]}) may only import lower levels, ${b} is level ${levels[b]}`);
    }
  }
  for (const f of [...unknown].sort()) out.push(`${f}: folder not in the layer table`);
  return out;
}

/** Pairs of folders that import each other (directly), "a ⇄ b", sorted. */
export function mutualFolders(graph: ImportGraph): string[] {
  const edges = new Set<string>();
  for (const [from, to] of graph) for (const t of to) if (folderOf(from) !== folderOf(t)) edges.add(`${folderOf(from)} ${folderOf(t)}`);
  const out = new Set<string>();
  for (const e of edges) {
    const [a, b] = e.split(" ");
    if (edges.has(`${b} ${a}`)) out.add(a < b ? `${a} ⇄ ${b}` : `${b} ⇄ ${a}`);
  }
  return [...out].sort();
}
