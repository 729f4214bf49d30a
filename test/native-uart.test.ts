// The native ESP32 UART class (hosts/esp32/native) checked without a board: its C compiles with -Wall -Wextra -Werror
// (32- and 64-bit) against the XS headers shipped in the npm package @agoric/xsnap and rc485's own declarations of the
// ESP-IDF v6.0 UART driver and FreeRTOS calls (test/c/esp32-decls, README there); every host function the JS side names
// is defined by the C; and the project manifest includes the module's manifest for esp32. gcc missing fails the test.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}hosts/esp32/native/uart-rs485.c`;
const xsIncludes = `${root}node_modules/@agoric/xsnap/moddable/xs/includes`;

function compile(bits: 32 | 64): string {
  mkdirSync(`${root}build`, { recursive: true });
  const object = `${root}build/uart-rs485-${bits}.o`;
  execFileSync("gcc", [`-m${bits}`, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-c", "-o", object, "-I", `${root}test/c/esp32-decls`, "-I", xsIncludes, source], { stdio: ["ignore", "pipe", "pipe"] });
  return object;
}

function definedSymbols(object: string): Set<string> {
  const out = execFileSync("nm", ["--defined-only", object], { encoding: "utf8" });
  return new Set(out.split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 3 && p[1] === "T").map((p) => p[2]));
}

// 32-bit like the ESP32 (gcc-multilib, which .ci/run installs on amd64) and the machine's own 64-bit; elsewhere 64 only.
for (const bits of process.arch === "x64" ? [32, 64] as const : [64] as const) {
  test(`uart-rs485.c compiles with -Wall -Wextra -Werror (${bits}-bit) and defines every host function of uart-rs485.js`, (t) => {
    let object = "";
    try {
      object = compile(bits);
    } catch (e) {
      const err = e as { stderr?: Buffer };
      t.fail(`gcc failed:\n${err.stderr ? err.stderr.toString() : String(e)}`);
      return;
    }
    const js = readFileSync(`${root}hosts/esp32/native/uart-rs485.js`, "utf8");
    const named = [...js.matchAll(/@ "([A-Za-z0-9_]+)"/g)].map((m) => m[1]);
    t.true(named.length >= 7, `host functions named in the JS: ${named.join(", ")}`);
    const defined = definedSymbols(object);
    for (const name of named) t.true(defined.has(name), `${name} is named in uart-rs485.js but not defined in uart-rs485.c`);
  });
}

test("the project manifest includes the native UART module for esp32, and its manifest maps and preloads it", (t) => {
  const manifest = JSON.parse(readFileSync(`${root}manifest.json`, "utf8")) as { platforms: { esp32: { include: string[] } } };
  t.true(manifest.platforms.esp32.include.includes("./hosts/esp32/native/manifest.json"));
  const own = JSON.parse(readFileSync(`${root}hosts/esp32/native/manifest.json`, "utf8")) as { modules: Record<string, unknown>; preload: string[] };
  t.is(own.modules["rc485/uart-rs485"], "./uart-rs485");
  t.deepEqual(own.preload, ["rc485/uart-rs485"]);
});
