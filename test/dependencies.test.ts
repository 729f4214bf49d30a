// The dependency rules of the source tree (test/harness/import-graph.ts): every module lives in a subsystem folder, a
// folder imports only its own files and lower layers (LAYERS: so no lower layer imports a higher one and no two
// subsystems import each other), no import cycle anywhere in modules/ and hosts/ (type-only imports included), and every
// relative import resolves. The checker itself is shown to fail on planted violations: synthetic graphs, and real
// files with a type-only cycle in a temporary tree.
import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cyclesOf, importGraph, layerViolations, mutualFolders, specifiersOf, type ImportGraph } from "./harness/import-graph";

const root = new URL("..", import.meta.url).pathname;

/**
 * The layers, lowest first (docs/architecture.md draws them). A folder may import its own files and folders of a lower
 * level; folders on one level are independent of each other.
 */
const LAYERS: Readonly<Record<string, number>> = {
  "modules/common": 0, // JSON text and config-check helpers, seeded PRNG
  "modules/rtu": 1, // the Modbus RTU wire layer and CRC
  "modules/port": 2, // the host contract, DE timing, clock origin
  "modules/master": 3, // the RTU master engine
  "modules/fec": 3, // GF(256), Reed–Solomon, the parity-burst link
  "modules/concentrator": 4, // profiles, values, planner, scheduler, sanity, poll loop, readings store
  "modules/gateway": 4, // Modbus TCP gateway on the master
  "modules/forwarding": 5, // MQTT, the store-and-forward ring, HTTP JSON and page routes (read the readings store)
  "modules/repeater": 6, // the R/C repeater engine (publishes its link statistics in the forwarding's shape)
  "modules/site": 6, // the site file: bus, meters, forwarding and gateway sections
  "modules/commissioning": 7, // scan, scan job, decode guessing, learned limits applied to a site
  "hosts/esp32": 10,
  "hosts/sim": 11, // its ESP32 fakes stand in for the device's I/O
  "hosts/node": 12, // runs sites in the simulator
};

test("every module lives in a subsystem folder, and every import follows the layer table", (t) => {
  const { graph } = importGraph(root, ["modules", "hosts"]);
  t.deepEqual([...graph.keys()].filter((f) => /^modules\/[^/]+$/.test(f)), [], "files directly in modules/");
  t.deepEqual(layerViolations(graph, LAYERS), []);
  t.deepEqual(mutualFolders(graph), [], "subsystems that import each other");
});

test("the layer check fails on planted violations: a lower layer importing a higher one, siblings importing each other, an unknown folder", (t) => {
  const graph: ImportGraph = new Map([
    ["modules/rtu/adu.ts", ["modules/rtu/crc16.ts", "modules/master/engine.ts"]], // lower imports higher
    ["modules/rtu/crc16.ts", []],
    ["modules/master/engine.ts", ["modules/rtu/adu.ts", "modules/fec/link.ts"]], // sibling (same level)
    ["modules/fec/link.ts", ["modules/master/engine.ts"]], // … and back
    ["modules/stray.ts", ["modules/rtu/crc16.ts"]], // not in a folder
    ["hosts/node/cli.ts", ["modules/master/engine.ts", "hosts/sim/host.ts"]], // allowed
    ["hosts/sim/host.ts", ["hosts/node/cli.ts"]], // a host importing a higher host
  ]);
  t.deepEqual(layerViolations(graph, LAYERS), [
    "modules/rtu/adu.ts imports modules/master/engine.ts: modules/rtu (level 1) may only import lower levels, modules/master is level 3",
    "modules/master/engine.ts imports modules/fec/link.ts: modules/master (level 3) may only import lower levels, modules/fec is level 3",
    "modules/fec/link.ts imports modules/master/engine.ts: modules/fec (level 3) may only import lower levels, modules/master is level 3",
    "hosts/sim/host.ts imports hosts/node/cli.ts: hosts/sim (level 11) may only import lower levels, hosts/node is level 12",
    "modules: folder not in the layer table",
  ]);
  t.deepEqual(mutualFolders(graph), ["hosts/node ⇄ hosts/sim", "modules/fec ⇄ modules/master", "modules/master ⇄ modules/rtu"]);
  t.deepEqual(layerViolations(new Map([["modules/master/engine.ts", ["modules/rtu/adu.ts"]], ["modules/rtu/adu.ts", []]]), LAYERS), []);
});

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
