// Runs every portable test case (test/portable/**/*.ts, folders mirroring modules/) on the XS engine, bundled with esbuild, and checks XS's summary line.
import { mkdirSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleForXs, ensureXsnap, runXs } from "./xsnap.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = readdirSync(`${root}test/portable`, { recursive: true }).filter((f) => f.endsWith(".ts")).sort();
if (files.length === 0) throw new Error("no portable tests found");
const imports = files.map((f, i) => `import { cases as s${i} } from "./test/portable/${f.replace(/\.ts$/, "")}";`).join("\n");
const table = files.map((f, i) => `${JSON.stringify(f.replace(/\.ts$/, ""))}: s${i}`).join(", ");
const entry = `${imports}\nimport { runSuites } from "./test/harness/xs-runner";\nrunSuites({ ${table} });\n`;

ensureXsnap();
mkdirSync(`${root}build/xs`, { recursive: true });
const out = await bundleForXs(entry, `${root}build/xs/portable-tests.mjs`);
const text = runXs(out);
for (const line of text.split("\n")) if (line.startsWith("XS-FAIL")) console.log(line);
const m = /XS-SUMMARY passed=(\d+) failed=(\d+)/.exec(text);
if (!m) {
  console.log(text.slice(-2000));
  console.log("xs: the run printed no summary line (a module threw or an import is missing)");
  process.exit(1);
}
const passed = Number(m[1]);
const failed = Number(m[2]);
console.log(`xs (${files.length} portable files on XS): ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
