// The ESP32 role mains boot on the XS engine: `setup/rc485` (hosts/esp32/setup-rc485.ts) with role=concentrator and
// role=repeater, bundled with the device modules replaced by fakes (test/harness/device-modules.mjs →
// test/harness/device-world.ts) and run by the XS memory host (scripts/xs-memory.mjs) for three simulated minutes with
// emulated meters (test/harness/boot-scenario.ts): readings published over MQTT and acknowledged, the Modbus TCP gateway
// answering before and after Wi-Fi dropped and was joined again, the status API answering, no restart. Judged by the
// `XS-BOOT {json}` line the scenario prints (never by the exit status alone). Virtual time only.
import test from "ava";
import { readFileSync } from "node:fs";
import { bundleForXsMemory, runXsMemory } from "../scripts/xs-memory.mjs";
import { deviceModulesPlugin } from "./harness/device-modules.mjs";

const root = new URL("..", import.meta.url);
/** The simulator and its meter images share the machine: sizes far above the device's (the engines' own are checked in test/xs-memory.test.ts). */
const ROOMY = { slots: 2000000, chunkBytes: 48 << 20, keys: 4000, stack: 4096 };

async function bootOnXs(role: "concentrator" | "repeater") {
  const ids = ["eastron-sdm120", "eastron-sdm630"];
  const texts = Object.fromEntries(ids.map((id) => [id, readFileSync(new URL(`profiles/${id}.json`, root), "utf8")]));
  const call = role === "repeater" ? "bootRepeater(setupRc485)" : "bootConcentrator(setupRc485, PROFILES)";
  const entry = `import { bootConcentrator, bootRepeater } from "./test/harness/boot-scenario";\n` +
    `import setupRc485 from "hosts/esp32/setup-rc485";\n` +
    `const PROFILES: Record<string, string> = ${JSON.stringify(texts)};\n` +
    `declare function print(s: string): void;\n` +
    `(globalThis as unknown as { xsmemMain: () => void }).xsmemMain = () => { try { ${call}; } catch (e) { print("XS-BOOT-ERROR " + String(e) + " " + String((e as Error).stack)); } };\n`;
  const file = await bundleForXsMemory(entry, new URL(`build/xs-memory/boot-${role}.js`, root).pathname, [deviceModulesPlugin]);
  const r = runXsMemory(file, ROOMY);
  const line = r.stdout.split("\n").find((l) => l.startsWith("XS-BOOT {"));
  return { r, result: line === undefined ? null : (JSON.parse(line.slice(8)) as Record<string, unknown>) };
}

for (const role of ["concentrator", "repeater"] as const) {
  test(`setup/rc485 boots the ${role} on XS and runs three simulated minutes: bus, MQTT, ${role === "concentrator" ? "gateway, " : ""}HTTP, Wi-Fi dropped and rejoined`, async (t) => {
    t.timeout(600_000);
    const { r, result } = await bootOnXs(role);
    t.truthy(result, `no XS-BOOT line (status ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    if (result === null) return;
    t.log(JSON.stringify(result));
    t.is(result.role, role);
    t.is(result.simulatedSeconds, 180);
    t.is(result.wifiEvents, "gotIP,disconnect,gotIP");
    t.true(result.ok, JSON.stringify(result));
  });
}
