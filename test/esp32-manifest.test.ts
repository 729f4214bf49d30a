// manifest.json (the mcconfig build of the ESP32 firmware): valid JSON, every module it maps exists, it preloads only
// pure modules/ files, and its config defaults build a valid device configuration and site.
import test from "ava";
import { libraryProfile } from "../modules/concentrator/profile-library";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deviceConfig } from "../hosts/esp32/device-config";
import { parseProfile } from "../modules/concentrator/profile";
import { resolveRepeaterConfig } from "../modules/repeater/config";
import { checkSite, profileTable } from "../modules/site/site";
import { statusPageFiles } from "../modules/forwarding/status-page";

const root = new URL("..", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
const esp32 = manifest.platforms.esp32;

/** The files a module mapping names: "dir/*" → every .ts/.js/.d.ts in dir; "path" → path.ts or path.js. */
function filesOf(path: string): string[] {
  if (path.startsWith("$(")) return [];
  const p = join(root, path);
  if (path.endsWith("/*")) {
    const dir = p.slice(0, -2);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).map((f) => join(dir, f));
  }
  return [".ts", ".js", ".d.ts"].map((e) => p + e).filter((f) => existsSync(f));
}

/** Every module under modules/, in any folder, as its specifier ("modules/rtu/adu"). */
function pureModules(dir = "modules"): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...pureModules(`${dir}/${e.name}`));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(`${dir}/${e.name.slice(0, -3)}`);
  }
  return out;
}

test("manifest.json is JSON with the includes, creation, config and platforms the build needs", (t) => {
  t.true(manifest.include.includes("$(MODDABLE)/modules/io/manifest.json"));
  t.is(manifest.creation.main, "hosts/esp32/main");
  // Fixed memory: no static pool, no growth.
  t.is(manifest.creation.static, 0);
  t.is(manifest.creation.chunk.incremental, 0);
  t.is(manifest.creation.heap.incremental, 0);
  t.is(manifest.creation.keys.incremental, 0);
  t.true(Number.isInteger(manifest.creation.stack));
  t.regex(manifest.platforms["..."].error, /esp32/);
  t.truthy(manifest.typescript.tsconfig.compilerOptions.strict);
  for (const inc of esp32.include) {
    // SDK manifests, or the project's own (the native UART class, hosts/esp32/native).
    t.regex(inc, /^(\$\((MODDABLE|MODULES)\)\/|\.\/hosts\/esp32\/)/);
    if (inc.startsWith("./")) t.true(existsSync(join(root, inc)), `${inc} does not exist`);
  }
});

test("every module file the manifest maps exists", (t) => {
  for (const [specifier, path] of Object.entries(esp32.modules as Record<string, string>)) {
    const files = filesOf(path);
    t.true(files.length > 0, `${specifier} → ${path}: no such file`);
  }
  t.true(filesOf("./hosts/esp32/main").length === 1, "the creation.main module exists");
  // Every .ts under modules/ (any folder) and hosts/esp32/ is reachable through a wildcard mapping of its folder.
  const modules = pureModules();
  t.true(modules.length >= 30);
  for (const m of modules) {
    const dir = m.slice(0, m.lastIndexOf("/"));
    t.is(esp32.modules[`${dir}/*`], `./${dir}/*`, `${m}.ts: no "${dir}/*" mapping`);
  }
  t.true(filesOf("./hosts/esp32/*").some((f) => f.endsWith("serial-port.ts")));
});

test("the status page's built files are the ESP32 build's resources", (t) => {
  const resources = (esp32.resources["*"] as string[]).map((r) => r.slice(r.lastIndexOf("/") + 1));
  t.deepEqual(resources.sort(), statusPageFiles().sort());
  for (const r of esp32.resources["*"] as string[]) t.true(r.startsWith("./build/status-page/"), r);
});

test("a specific module key comes before any wildcard that also matches its file (mcconfig maps a file once, first key wins)", (t) => {
  const entries = Object.entries(esp32.modules as Record<string, string>);
  let specific = 0;
  entries.forEach(([specifier, path], i) => {
    if (specifier.endsWith("/*")) return;
    const dir = path.slice(0, path.lastIndexOf("/"));
    entries.forEach(([other, otherPath], j) => {
      if (other.endsWith("/*") && otherPath.slice(0, -2) === dir) {
        specific++;
        t.true(i < j, `"${specifier}" (${path}) must be listed before "${other}", or mcconfig builds it only as ${other.slice(0, -1)}…`);
      }
    });
  });
  t.true(specific >= 1, "setup/rc485 sits in hosts/esp32/, which a wildcard maps");
});

test("tsconfig.esp32.json type-checks with the target, lib and module mcconfig writes, and the manifest's TypeScript options", (t) => {
  const esp32Config = JSON.parse(readFileSync(join(root, "tsconfig.esp32.json"), "utf8"));
  const base = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8"));
  const options = { ...base.compilerOptions, ...esp32Config.compilerOptions };
  // What Moddable SDK 8.x's mcconfig writes into the generated tsconfig-base.json (tools/mcmanifest.js).
  t.is(options.target, "es2025");
  t.deepEqual(options.lib, ["es2025"]);
  t.is(options.module, "preserve");
  for (const [key, value] of Object.entries(manifest.typescript.tsconfig.compilerOptions as Record<string, unknown>)) {
    t.deepEqual(options[key], value, `tsconfig.esp32.json ${key} differs from the manifest's typescript options`);
  }
  // The local typing of embedded:io/socket/tcp/tls is mapped for both.
  t.deepEqual(esp32Config.compilerOptions.paths["embedded:io/socket/tcp/tls"], ["./hosts/esp32/types/tcp-tls"]);
  t.is(esp32.modules["embedded:io/socket/tcp/tls"], "./hosts/esp32/types/tcp-tls");
});

test("the manifest preloads only modules/ files, and each exists", (t) => {
  t.true(esp32.preload.length > 10);
  for (const specifier of esp32.preload as string[]) {
    t.regex(specifier, /^modules\//, `${specifier} is not a pure module`);
    t.true(existsSync(join(root, `${specifier}.ts`)), `${specifier}.ts does not exist`);
  }
  // Every module under modules/ (any folder) is preloaded (pure modules and their tables go to flash).
  t.deepEqual([...esp32.preload].sort(), pureModules().sort());
});

test("the manifest's config defaults give a valid device config, site (with the shipped profiles) and repeater section", (t) => {
  const device = deviceConfig(manifest.config);
  t.is(device.role, "concentrator");
  t.deepEqual(device.portA, { uart: 2, txPin: 17, rxPin: 16, dePin: 4, driverEnable: "gpio" });
  t.is(deviceConfig({ ...manifest.config, bDriverEnable: "rts" }).portB.driverEnable, "rts");
  t.throws(() => deviceConfig({ ...manifest.config, aDriverEnable: "uart" }), { message: /config\.aDriverEnable must be "gpio" .* or "rts"/ });
  const site = JSON.parse(device.site);
  const profiles = readdirSync(join(root, "profiles")).filter((f) => f.endsWith(".json"))
    .map((f) => parseProfile(JSON.parse(readFileSync(join(root, "profiles", f), "utf8")), f.slice(0, -5)));
  const r = checkSite(site, profileTable(profiles));
  t.true(r.ok, r.ok ? "" : r.errors.join("\n"));
  t.notThrows(() => resolveRepeaterConfig(site.repeater));
  // The profiles the site names are shipped as preloaded flash data (modules/concentrator/profile-library.ts), not as resources.
  t.true(esp32.preload.includes("modules/concentrator/profile-library"));
  for (const m of site.meters) t.truthy(libraryProfile(m.profile), m.profile);
  // Command-line overrides arrive as strings.
  t.deepEqual(deviceConfig({ ...manifest.config, role: "repeater", bTx: "33" }).portB.txPin, 33);
  t.throws(() => deviceConfig({ ...manifest.config, role: "gateway" }), { message: /config.role/ });
  t.throws(() => deviceConfig({ ...manifest.config, aDe: "x" }), { message: /config.aDe/ });
});

/** Specifiers the SDK provides through the manifest's includes (not files of this repository). */
const SDK_MODULES = new Set(["mc/config", "mc/ffi", "timer", "time", "preference", "flash", "wifi", "sntp", "http", "Resource",
  "embedded:io/serial", "embedded:io/digital", "embedded:io/socket/tcp", "embedded:io/socket/udp", "embedded:io/socket/listener",
  "embedded:io/socket/tcp/tls", "embedded:network/mqtt/client", "embedded:network/dns/resolver/udp"]);

/** Resolves `spec` imported by the module `from` the way XS does: relative to the importer's specifier, not its file. */
function resolveSpecifier(from: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

test("every import of every firmware module resolves to a mapped module or an SDK module, by XS's specifier rules", (t) => {
  // Specifier → file, from the manifest's mappings (wildcards expanded).
  const files = new Map<string, string>();
  for (const [specifier, path] of Object.entries(esp32.modules as Record<string, string>)) {
    if (specifier.endsWith("/*")) {
      for (const f of filesOf(path)) {
        const name = f.slice(f.lastIndexOf("/") + 1).replace(/\.d\.ts$|\.ts$|\.js$/, "");
        files.set(specifier.slice(0, -1) + name, f);
      }
    } else for (const f of filesOf(path)) files.set(specifier, f);
  }
  // The project's own included manifests (the native UART class): their paths are relative to their directory.
  for (const inc of esp32.include as string[]) {
    if (!inc.startsWith("./")) continue;
    const dir = inc.slice(0, inc.lastIndexOf("/") + 1);
    const own = JSON.parse(readFileSync(join(root, inc), "utf8")) as { modules?: Record<string, string | string[]> };
    for (const [specifier, path] of Object.entries(own.modules ?? {})) {
      if (specifier === "*" || typeof path !== "string") continue;
      for (const f of filesOf(dir + path.replace(/^\.\//, ""))) if (!f.endsWith(".d.ts")) files.set(specifier, f);
    }
  }
  // Walk from creation.main and the set-up step.
  const todo = [manifest.creation.main, "setup/rc485"];
  const seen = new Set<string>();
  let checked = 0;
  while (todo.length > 0) {
    const spec = todo.pop()!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    const file = files.get(spec);
    if (file === undefined) { t.fail(`${spec}: not mapped by the manifest`); continue; }
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^"']*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm)) {
      if (m[1]) continue; // type-only imports vanish when compiled
      const target = resolveSpecifier(spec, m[2] ?? m[3]);
      checked++;
      if (SDK_MODULES.has(target)) continue;
      t.true(files.has(target), `${spec} imports "${m[2] ?? m[3]}" → "${target}", which the manifest does not map`);
      todo.push(target);
    }
  }
  t.true(checked > 50, `${checked} imports checked`);
  t.true(seen.has("hosts/esp32/serial-port") && seen.has("modules/concentrator/poll-loop") && seen.has("modules/repeater/engine"));
});
