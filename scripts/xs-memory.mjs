// The XS memory host (scripts/xs-memory/xs-memory-host.c): built from the XS C sources inside the npm package
// @agoric/xsnap at first use (about a minute; objects cached in build/xs-memory), 32-bit with gcc -m32 where the
// compiler can (the ESP32's 16-byte slots), else 64-bit and said so in every result. Runs a bundled script with the
// manifest's `creation` sizes: the script's body is the preload step, its global `xsmemMain` the boot (see the C file).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = `${root}node_modules/@agoric/xsnap`;
const xs = `${pkg}/moddable/xs`;
const platformDir = `${pkg}/xsnap-native/xsnap/sources`;
const hostSource = `${root}scripts/xs-memory/xs-memory-host.c`;
const out = `${root}build/xs-memory`;

const DEFINES = ["-DINCLUDE_XSPLATFORM", '-DXSPLATFORM="xsnapPlatform.h"', "-DmxLockdown=1", "-DmxMetering=1", "-DmxParse=1",
  "-DmxRun=1", "-DmxSloppy=1", "-DmxInstrument=1", "-DmxRegExpUnicodePropertyEscapes=1", "-DmxStringNormalize=1",
  "-DmxMinusZero=1", "-DmxBoundsCheck=1", "-DmxReserveChunkSize=67108864"];

function canCompile32() {
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/probe.c`, "#include <stdio.h>\n#include <math.h>\nint main(void) { printf(\"%d\\n\", (int)sizeof(void*)); return (int)sqrt(0.0); }\n");
  const r = spawnSync("gcc", ["-m32", "-o", `${out}/probe`, `${out}/probe.c`, "-lm"], { stdio: "ignore" });
  return r.status === 0 && execFileSync(`${out}/probe`, { encoding: "utf8" }).trim() === "4";
}

/** Builds the host once (and again when its C source changed); returns { path, bits }. */
export function ensureXsMemoryHost() {
  if (!existsSync(pkg)) throw new Error("@agoric/xsnap is not installed: run npm ci");
  mkdirSync(out, { recursive: true });
  const bitsFile = `${out}/bits`;
  const bits = existsSync(bitsFile) ? Number(readFileSync(bitsFile, "utf8")) : (canCompile32() ? 32 : 64);
  writeFileSync(bitsFile, String(bits));
  const width = bits === 32 ? ["-m32"] : [];
  const flags = [...width, "-O2", "-fno-common", "-w", ...DEFINES, `-I${xs}/includes`, `-I${xs}/platforms`, `-I${xs}/sources`, `-I${platformDir}`];
  const obj = `${out}/obj${bits}`;
  mkdirSync(obj, { recursive: true });
  const sources = [`${platformDir}/xsnapPlatform.c`, ...listXsSources(), hostSource];
  const objects = [];
  let built = false;
  for (const src of sources) {
    const o = `${obj}/${src.split("/").pop().replace(/\.c$/, ".o")}`;
    objects.push(o);
    if (existsSync(o) && statSync(o).mtimeMs >= statSync(src).mtimeMs) continue;
    if (!built) process.stderr.write(`building the XS memory host (${bits}-bit) from @agoric/xsnap's XS sources (once)\n`);
    built = true;
    execFileSync("gcc", [...flags, "-c", "-o", o, src], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const path = `${out}/xs-memory-host${bits}`;
  if (built || !existsSync(path)) execFileSync("gcc", [...width, "-o", path, ...objects, "-lm", "-ldl", "-lpthread"], { stdio: ["ignore", "ignore", "inherit"] });
  return { path, bits };
}

function listXsSources() {
  const names = ["xsAll", "xsAPI", "xsArguments", "xsArray", "xsAtomics", "xsBigInt", "xsBoolean", "xsCode", "xsCommon", "xsDataView",
    "xsDate", "xsDebug", "xsDefaults", "xsError", "xsFunction", "xsGenerator", "xsGlobal", "xsJSON", "xsLexical", "xsLockdown",
    "xsMapSet", "xsMarshall", "xsMath", "xsMemory", "xsModule", "xsNumber", "xsObject", "xsPlatforms", "xsProfile", "xsPromise",
    "xsProperty", "xsProxy", "xsRegExp", "xsRun", "xsScope", "xsScript", "xsSnapshot", "xsSourceMap", "xsString", "xsSymbol",
    "xsSyntaxical", "xsTree", "xsType", "xsdtoa", "xsre", "xsmc"];
  return names.map((n) => `${xs}/sources/${n}.c`);
}

/** The manifest's `creation`, as the host's command-line options. */
export function manifestCreation() {
  const m = JSON.parse(readFileSync(`${root}manifest.json`, "utf8"));
  const c = m.creation;
  return {
    chunkBytes: c.chunk.initial, slots: c.heap.initial, stack: c.stack, keys: c.keys.initial,
    names: c.keys.name, symbols: c.keys.symbol,
  };
}

/** Bundles a TypeScript entry (source text, resolved from the project root) into one classic script for the host. */
export async function bundleForXsMemory(entrySource, outfile, plugins = []) {
  const { build } = await import("esbuild");
  await build({
    stdin: { contents: entrySource, resolveDir: root, loader: "ts", sourcefile: "xs-memory-entry.ts" },
    bundle: true, format: "iife", platform: "neutral", target: "es2022", outfile, logLevel: "error",
    mainFields: ["module", "main"], define: { "process.env.NODE_ENV": '"production"' }, plugins,
  });
  return outfile;
}

/**
 * Runs a bundled script on the host with the manifest's creation (or `creation` overrides). Returns
 * { status, stdout, stderr, bits, creation }: status 0 ran, 2 memory full, 3 not enough keys, 1 other.
 */
export function runXsMemory(file, creation = {}) {
  const host = ensureXsMemoryHost();
  const c = { ...manifestCreation(), ...creation };
  const args = ["--chunk", c.chunkBytes, "--slots", c.slots, "--stack", c.stack, "--keys", c.keys, "--names", c.names, "--symbols", c.symbols].map(String);
  const r = spawnSync(host.path, [...args, file], { encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, bits: host.bits, creation: c };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(ensureXsMemoryHost()));

/** The `XS-MEMORY {json}` lines a script printed, in order; `done` when it printed XS-MEMORY-DONE. */
export function xsMemoryRows(stdout) {
  const rows = [];
  for (const line of stdout.split("\n")) if (line.startsWith("XS-MEMORY {")) rows.push(JSON.parse(line.slice(10)));
  return { rows, done: stdout.includes("XS-MEMORY-DONE") };
}

/** The profiles the engine configurations use (bench/xs-memory-engines.ts MEMORY_PROFILES). */
const ENGINE_PROFILES = ["eastron-sdm630", "eastron-sdm120", "nmid30-2", "ubs-djz1226"];
/** bench/xs-memory-engines.ts ENGINE_CONFIGURATIONS. */
const ENGINE_CONFIGURATIONS = 4;

/**
 * The engine configurations of bench/xs-memory-engines.ts on the host. The profiles come from the compiled library
 * (modules/concentrator/profile-library.ts), built in the bundle's body (preloaded: flash on the device) as on the device.
 * Each configuration runs in its own machine. Returns { status, done, rows (empty machine first), bits, creation, runs }.
 */
export async function measureEnginesOnXs(creation = {}) {
  const texts = ENGINE_PROFILES.map((id) => readFileSync(`${root}profiles/${id}.json`, "utf8"));
  const results = [];
  for (let i = 0; i < ENGINE_CONFIGURATIONS; i++) {
    const entry = `import { measureEngines } from "./bench/xs-memory-engines";\nconst TEXTS: string[] = ${JSON.stringify(texts)};\n` +
      `(globalThis as unknown as { xsmemMain: () => void }).xsmemMain = () => measureEngines(TEXTS, ${i});\n`;
    const file = await bundleForXsMemory(entry, `${out}/engines-${i}.js`);
    const r = runXsMemory(file, creation);
    results.push({ ...r, ...xsMemoryRows(r.stdout) });
  }
  // One row for the empty machine (the same in every run), then one per configuration.
  const failed = results.find((r) => r.status !== 0 || !r.done);
  const rows = [results[0].rows[0], ...results.map((r) => r.rows[1]).filter((x) => x !== undefined)];
  return { ...(failed ?? results[0]), status: failed ? failed.status : 0, done: !failed, rows, runs: results };
}

/**
 * The sites of the firmware boot budget (issue 21 item 8): the manifest's default site with MQTT forwarding on, 4 meters
 * with all points, 12 single-phase meters. Each is booted from `setup/rc485` with the device fakes
 * (test/harness/boot-scenario.ts bootFootprint) and polled for `seconds` of simulated time.
 */
export function bootSites() {
  const mqtt = { url: "mqtt://broker.local:1883", site: "home" };
  const bus = { port: "uart2", baud: 9600, framing: "8N1" };
  const manifest = JSON.parse(readFileSync(`${root}manifest.json`, "utf8"));
  const shipped = JSON.parse(manifest.config.site);
  return [
    ["shipped default site (1 SDM120, all points), MQTT on", { ...shipped, forwarding: { mqtt } }],
    ["4 meters (SDM630, SDM120, NMID30-2, DJZ1226), all points, MQTT on", { bus, meters: ENGINE_PROFILES.map((p, i) => ({ name: `m${i + 1}`, profile: p, unit: i + 1, intervalMs: 10000 })), forwarding: { mqtt } }],
    ["12 meters (SDM120), all points, MQTT on", { bus, meters: Array.from({ length: 12 }, (_, i) => ({ name: `meter-${i + 1}`, profile: "eastron-sdm120", unit: i + 1, intervalMs: 10000 })), forwarding: { mqtt } }],
  ];
}

/**
 * Boots each of bootSites() on the host (a machine of its own each) and returns its XS-FOOTPRINT line: the live heap the
 * firmware added at boot and after `seconds` (slots, chunk bytes, keys), measured beside the simulator in one machine
 * with room for both (so the figure after the run includes what the simulator gained: an upper bound).
 */
export async function measureBootsOnXs(seconds = 120) {
  const { deviceModulesPlugin } = await import("../test/harness/device-modules.mjs");
  const ids = [...new Set([...ENGINE_PROFILES, "eastron-sdm120"])];
  const texts = Object.fromEntries(ids.map((id) => [id, readFileSync(`${root}profiles/${id}.json`, "utf8")]));
  const rows = [];
  for (const [label, site] of bootSites()) {
    const entry = `import { bootFootprint } from "./test/harness/boot-scenario";\nimport setupRc485 from "hosts/esp32/setup-rc485";\n` +
      `const PROFILES: Record<string, string> = ${JSON.stringify(texts)};\nconst SITE: string = ${JSON.stringify(JSON.stringify(site))};\n` +
      `(globalThis as unknown as { xsmemMain: () => void }).xsmemMain = () => bootFootprint(setupRc485, PROFILES, SITE, ${seconds}, ${JSON.stringify(label)});\n`;
    const file = await bundleForXsMemory(entry, `${out}/boot-footprint.js`, [deviceModulesPlugin]);
    const r = runXsMemory(file, { slots: 2000000, chunkBytes: 48 << 20, keys: 4000, stack: 4096 });
    const line = r.stdout.split("\n").find((l) => l.startsWith("XS-FOOTPRINT {"));
    rows.push({ label, status: r.status, stderr: r.stderr, bits: r.bits, result: line ? JSON.parse(line.slice(13)) : null });
  }
  return rows;
}

/** The concentrator loopback's meters (bench/concentrator-loopback.ts): one three-phase, one single-phase, all points. */
const STEADY_PROFILES = ["eastron-sdm120", "nmid30-2"];

/**
 * Steady state on XS within the manifest's creation. `what` "adapter": `count` master transactions through the ESP32 serial adapter
 * (bench/xs-memory-engines.ts measureSteadyState); "concentrator": `count` transactions of the whole concentrator path
 * without a bus (bench/concentrator-loopback.ts: polling, readings store, MQTT session and payload bytes, a gateway
 * request every tenth). Returns the XS-STEADY line ({ transactions, slots, chunkBytes,
 * collections }) or null, with the run's status.
 */
export async function measureSteadyOnXs(count = 10000, what = "adapter") {
  const make = what === "concentrator"
    ? `() => makeConcentratorLoopback(TEXTS.map((t, i) => parseProfile(JSON.parse(t), ${JSON.stringify(STEADY_PROFILES)}[i])))`
    : "() => adapterLoop(80)";
  const texts = STEADY_PROFILES.map((id) => readFileSync(`${root}profiles/${id}.json`, "utf8"));
  const entry = `import { measureSteadyState } from "./bench/xs-memory-engines";\nimport { adapterLoop } from "./bench/esp32.bench";\n` +
    `import { makeConcentratorLoopback } from "./bench/concentrator-loopback";\nimport { parseProfile } from "./modules/concentrator/profile";\n` +
    `const TEXTS: string[] = ${JSON.stringify(texts)};\n` +
    `(globalThis as unknown as { xsmemMain: () => void }).xsmemMain = () => measureSteadyState(${count}, ${make});\n`;
  const file = await bundleForXsMemory(entry, `${out}/steady-${what}.js`);
  const r = runXsMemory(file);
  const line = r.stdout.split("\n").find((l) => l.startsWith("XS-STEADY {"));
  return { status: r.status, stderr: r.stderr, bits: r.bits, result: line ? JSON.parse(line.slice(10)) : null };
}
