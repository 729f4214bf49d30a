// The ESP32 scan job on the booted concentrator, on the XS engine: `setup/rc485` (role concentrator) bundled with the
// device modules replaced by fakes (test/harness/device-world.ts), a fake board whose UART is wired to the site's line
// (9600 8N1) and to a second one (19200 8E1, a meter not in the site). POST /api/scan reopens the port at every setting
// and back; both meters are found and identified, polling resumes, nothing restarts (test/harness/boot-scenario.ts
// `bootScan`). Judged by the `XS-SCAN {json}` line (never by the exit status alone). Virtual time only.
import test from "ava";
import { readFileSync } from "node:fs";
import { bundleForXsMemory, runXsMemory } from "../scripts/xs-memory.mjs";
import { deviceModulesPlugin } from "./harness/device-modules.mjs";

const root = new URL("..", import.meta.url);
const ROOMY = { slots: 2000000, chunkBytes: 48 << 20, keys: 4000, stack: 4096 };

test("POST /api/scan on the booted concentrator on XS: the port reopened at 9600/19200 × 8N1/8E1 and back, both meters found and identified, polling resumes", async (t) => {
  t.timeout(600_000);
  const ids = ["eastron-sdm120", "carlo-gavazzi-em340"];
  const texts = Object.fromEntries(ids.map((id) => [id, readFileSync(new URL(`profiles/${id}.json`, root), "utf8")]));
  const entry = `import { bootScan } from "./test/harness/boot-scenario";\n` +
    `import setupRc485 from "hosts/esp32/setup-rc485";\n` +
    `const PROFILES: Record<string, string> = ${JSON.stringify(texts)};\n` +
    `declare function print(s: string): void;\n` +
    `(globalThis as unknown as { xsmemMain: () => void }).xsmemMain = () => { try { bootScan(setupRc485, PROFILES); } catch (e) { print("XS-SCAN-ERROR " + String(e) + " " + String((e as Error).stack)); } };\n`;
  const file = await bundleForXsMemory(entry, new URL("build/xs-memory/boot-scan.js", root).pathname, [deviceModulesPlugin]);
  const r = runXsMemory(file, ROOMY);
  const line = r.stdout.split("\n").find((l) => l.startsWith("XS-SCAN {"));
  t.truthy(line, `no XS-SCAN line (status ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  if (line === undefined) return;
  const result = JSON.parse(line.slice(8)) as Record<string, unknown>;
  t.log(JSON.stringify(result));
  t.deepEqual(result.found, ["9600/8N1/1/eastron-sdm120", "19200/8E1/12/carlo-gavazzi-em340"]);
  t.deepEqual(result.settings, ["done", "done", "done", "done"]);
  t.true(result.ok, JSON.stringify(result));
});
