#!/usr/bin/env node
/*
 * npm run build:status-page — the status page from its source (web/status-page/) into what both hosts serve
 * (build/status-page/).
 *
 * Theory of operation. index.html, app.css and icon.svg are copied as they are; app.ts is bundled by esbuild into one
 * classic script (an IIFE: the page loads it with <script src="app.js">, no module loader), not minified, so the served
 * script stays readable in a browser's developer tools. The built file names are the `file` column of
 * modules/forwarding/status-page.ts: the script is written as `app.js.txt` because mcconfig takes no .js or .json file as a
 * resource (the Moddable SDK's tools/mcmanifest.js skips its `moduleExtensions` in the resources rule), and the ESP32
 * build takes build/status-page/* as flash resources (manifest.json "resources"). The Node host serves the same files
 * (hosts/node/status-page-files.ts), rebuilding them first when a source is newer than the build.
 *
 * Each file is written to a temporary name and renamed, so a host or test reading the folder while another process
 * builds it never sees half a file. One summary line; a TypeScript syntax error fails with esbuild's message and exit 1.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const statusPageSource = join(root, "web", "status-page");
export const statusPageBuild = join(root, "build", "status-page");
/** Copied as they are. */
const STATIC = ["index.html", "app.css", "icon.svg"];
/** The bundled script's built name (see the header). */
export const SCRIPT_FILE = "app.js.txt";

function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Builds web/status-page/ into `out` (default build/status-page/); returns the built file names. */
export function buildStatusPage(out = statusPageBuild) {
  // Required here, not at the top: the Node host imports this module and only needs esbuild when it rebuilds.
  const esbuild = requireEsbuild();
  mkdirSync(out, { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [join(statusPageSource, "app.ts")],
    bundle: true, format: "iife", platform: "browser", target: "es2020", write: false, logLevel: "silent",
    legalComments: "none", charset: "ascii",
  });
  writeAtomically(join(out, SCRIPT_FILE), result.outputFiles[0].contents);
  for (const name of STATIC) {
    const tmp = join(out, `${name}.${process.pid}.tmp`);
    copyFileSync(join(statusPageSource, name), tmp);
    renameSync(tmp, join(out, name));
  }
  return [...STATIC, SCRIPT_FILE];
}

/** True when every built file exists and is newer than every source file. */
export function statusPageIsCurrent(out = statusPageBuild) {
  const built = [...STATIC, SCRIPT_FILE].map((f) => join(out, f));
  if (!built.every((f) => existsSync(f))) return false;
  const oldest = Math.min(...built.map((f) => statSync(f).mtimeMs));
  return readdirSync(statusPageSource).every((f) => statSync(join(statusPageSource, f)).mtimeMs <= oldest);
}

let esbuildModule;
function requireEsbuild() {
  if (esbuildModule === undefined) esbuildModule = createRequire(import.meta.url)("esbuild");
  return esbuildModule;
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const files = buildStatusPage();
    console.log(`status page: ${files.map((f) => `${f} ${statSync(join(statusPageBuild, f)).size} B`).join(", ")} in ${statusPageBuild}`);
  } catch (e) {
    console.error(`build:status-page: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
