// The dependency rules of the source tree (test/harness/import-graph.ts): no import cycle anywhere in modules/ and
// hosts/ (type-only imports included), and every relative import resolves. The checker itself is shown to fail on
// planted violations: a synthetic graph, and real files with a type-only cycle in a temporary tree.
import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cyclesOf, importGraph, specifiersOf, type ImportGraph } from "./harness/import-graph";

const root = new URL("..", import.meta.url).pathname;

test("no import cycle in modules/ and hosts/, and every relative import resolves", (t) => {
  const { graph, unresolved } = importGraph(root, ["modules", "hosts"]);
  t.true(graph.size > 100, `${graph.size} files`);
  t.deepEqual(unresolved, []);
  t.deepEqual(cyclesOf(graph), [], "files that import each other, directly or around a loop");
});

test("the cycle check finds planted cycles in a synthetic graph, and only them", (t) => {
  const graph: ImportGraph = new Map([
    ["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts", "d.ts"]], // a → b → c → a
    ["d.ts", []], ["e.ts", ["d.ts"]],
    ["self.ts", ["self.ts"]],
    ["x.ts", ["y.ts"]], ["y.ts", ["x.ts"]],
  ]);
  t.deepEqual(cyclesOf(graph), [["a.ts", "b.ts", "c.ts"], ["self.ts"], ["x.ts", "y.ts"]]);
  t.deepEqual(cyclesOf(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])), []);
});

test("a planted type-only cycle between real files is found (the shape noise.ts and segment.ts had)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rc485-deps-"));
  try {
    const write = (file: string, text: string) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    write("hosts/sim/segment.ts", 'import { NoiseModel } from "./noise";\nimport { Dice } from "../../modules/lib/dice";\nexport class Segment {}\n');
    write("hosts/sim/noise.ts", '/* import { X } from "./commented-out"; */\nimport type { Segment } from "./segment";\nexport class NoiseModel {}\n');
    write("modules/lib/dice.ts", "export class Dice {}\n");
    write("modules/wire/index.ts", 'export * from "../lib/dice";\nexport { Dice as D } from "../lib/dice.ts";\n');
    write("modules/lib/lazy.ts", 'const m = import("../wire");\n');
    const { graph, unresolved } = importGraph(dir, ["modules", "hosts"]);
    t.deepEqual(unresolved, []);
    t.deepEqual(graph.get("modules/wire/index.ts"), ["modules/lib/dice.ts"]);
    t.deepEqual(graph.get("modules/lib/lazy.ts"), ["modules/wire/index.ts"]);
    t.deepEqual(cyclesOf(graph), [["hosts/sim/noise.ts", "hosts/sim/segment.ts"]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("import specifiers: every form, comments ignored", (t) => {
  t.deepEqual(specifiersOf([
    'import a from "./a";',
    'import type { B } from "./b";',
    'import { c, type C } from "./c";',
    'import * as d from "./d";',
    'import "./e";',
    'export * from "./f";',
    'export { g } from "./g";',
    'export type { H } from "./h";',
    'const i = await import("./i");',
    '// import j from "./j";',
    '/* import k from "./k"; */',
    'const url = "http://example"; import l from "./l";',
  ].join("\n")), ["./a", "./b", "./c", "./d", "./e", "./f", "./g", "./h", "./i", "./l"]);
});
