#!/usr/bin/env node
/*
 * npm run check:device — the firmware through the Moddable SDK's own build, as far as it goes without ESP-IDF.
 *
 * Theory of operation. For each role (concentrator, repeater) it runs
 *   mcconfig -d -p esp32/nodemcu -o BUILD ./manifest.json role=ROLE
 * which writes the make file of the ESP32 build, and then builds only the XS side of that make file: the targets
 * mc.xs.c (TypeScript compiled per module exactly as mcconfig drives it, `xsc` for every module, and the `xsl` link, which
 * runs the manifest's `preload` list at build time and freezes the result) and mc.resources.c (`mcrez` over the data). The
 * C compile and the ESP-IDF link are not done. The esp32 make file only needs IDF_PATH to name a git work tree while it is
 * parsed (it reads the IDF version with `git describe`), so a tiny empty repository in a temporary directory stands in;
 * the sdkconfig.h prerequisite (which runs ESP-IDF's `idf.py reconfigure`) is emptied on the make command line. The status
 * page is built first (scripts/build-status-page.mjs): its files are the manifest's resources, which mcrez packs.
 *
 * The TypeScript compiler is the project's own (node_modules/.bin first on PATH), the SDK tools come from
 * $MODDABLE/build/bin/lin/release (docs/esp32.md says how to build them). One summary line per role: modules compiled,
 * modules preloaded, errors. Exit status 1 when any role has an error.
 *
 * Without MODDABLE (CI has no SDK) it prints that it did NOT run and exits 0 — unless --require is given, then 1.
 *
 * Both roles build in one directory, as mcconfig does for one app: the role only changes mc/config, so the second role
 * recompiles just that module and relinks. make runs with .DELETE_ON_ERROR, so a module that failed to compile leaves no
 * output behind and fails again on the next run instead of passing as up to date.
 *
 * Options: --role concentrator|repeater (one role only), --clean (start from an empty build directory),
 * --require (a missing SDK is a failure). Build directory: $RC485_DEVICE_BUILD, else <tmp>/rc485-check-device.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";
import { buildStatusPage } from "./build-status-page.mjs";

const ROLES = ["concentrator", "repeater"];
const PLATFORM = "esp32/nodemcu";
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const args = process.argv.slice(2);
const require_ = args.includes("--require");
const clean = args.includes("--clean");
const roleArg = args.indexOf("--role");
const roles = roleArg >= 0 ? [args[roleArg + 1]] : ROLES;
for (const r of roles) if (!ROLES.includes(r)) fail(`--role must be one of ${ROLES.join(", ")}, got ${r}`);

function fail(message) {
  console.error(`check:device: ${message}`);
  process.exit(1);
}

const MODDABLE = process.env.MODDABLE ? resolve(process.env.MODDABLE) : undefined;
if (!MODDABLE) {
  console.log("check:device: NOT RUN — MODDABLE is not set, so the firmware was not built through mcconfig/xsc/xsl. " +
    "Set MODDABLE to a Moddable SDK checkout with its Linux host tools built (docs/esp32.md, \"Checking the device build\").");
  process.exit(require_ ? 1 : 0);
}
const toolDir = join(MODDABLE, "build", "bin", "lin", "release");
for (const tool of ["mcconfig", "xsc", "xsl", "mcrez"]) {
  if (!existsSync(join(toolDir, tool))) fail(`${join(toolDir, tool)} is missing: build the SDK's Linux host tools first (docs/esp32.md)`);
}
const tsc = join(root, "node_modules", ".bin", "tsc");
if (!existsSync(tsc)) fail(`${tsc} is missing: run npm ci first`);

const buildRoot = process.env.RC485_DEVICE_BUILD ?? join(tmpdir(), "rc485-check-device");

// A git work tree with one commit: all the esp32 make file asks of IDF_PATH while it is parsed.
const idf = mkdtempSync(join(tmpdir(), "rc485-idf-"));
const git = (...a) => spawnSync("git", ["-C", idf, "-c", "user.name=rc485", "-c", "user.email=rc485@localhost", ...a], { encoding: "utf8" });
if (git("init", "-q").status !== 0 || git("commit", "-q", "--allow-empty", "-m", "stand-in for IDF_PATH").status !== 0) {
  fail("could not make the stand-in IDF_PATH git repository (is git installed?)");
}

const env = {
  ...process.env,
  MODDABLE,
  IDF_PATH: idf,
  PATH: [join(root, "node_modules", ".bin"), toolDir, process.env.PATH].join(delimiter),
};

/** The names listed in a make variable block `NAME =\` … (one per line, ending with `\`). */
function makeList(makefile, name) {
  const lines = makefile.split("\n");
  const start = lines.findIndex((l) => l.trimEnd() === `${name} =\\`);
  if (start < 0) return [];
  const out = [];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i].trim().replace(/\\$/, "").trim();
    if (l) out.push(l);
    if (!lines[i].trimEnd().endsWith("\\")) break;
  }
  return out;
}

// The status page's built files are the manifest's resources (scripts/build-status-page.mjs).
buildStatusPage();

let failed = false;
const summaries = [];
const out = buildRoot;
if (clean) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const role of roles) {
  const log = join(out, `check-device-${role}.log`);
  const mc = spawnSync("mcconfig", ["-d", "-p", PLATFORM, "-o", out, "./manifest.json", `role=${role}`], { cwd: root, env, encoding: "utf8" });
  let text = `$ mcconfig -d -p ${PLATFORM} -o ${out} ./manifest.json role=${role}\n${mc.stdout}${mc.stderr}`;
  const debugDir = join(out, "tmp", "esp32", "nodemcu", "debug");
  // mcconfig names the app's directory after the project's folder; other checkouts may have built beside it in `out`.
  const own = join(debugDir, basename(root));
  const appDir = existsSync(join(own, "makefile")) ? own
    : existsSync(debugDir) ? readdirSync(debugDir).map((d) => join(debugDir, d)).find((d) => existsSync(join(d, "makefile"))) : undefined;
  if (mc.status !== 0 || appDir === undefined) {
    writeFileSync(log, text);
    summaries.push(`check:device ${role}: mcconfig failed (exit ${mc.status}), 1 error — ${(mc.stderr || mc.stdout).trim().split("\n").pop()} (log: ${log})`);
    failed = true;
    continue;
  }
  const makefilePath = join(appDir, "makefile");
  const makefile = readFileSync(makefilePath, "utf8");
  const modules = makeList(makefile, "MODULES").filter((m) => m.endsWith(".xsb"));
  const preloads = makeList(makefile, "PRELOADS").filter((p) => p.startsWith("-p "));
  const tsModules = (makefile.match(/^\t\S*tsc -p /gm) ?? []).length;
  const targets = [join(appDir, "mc.xs.c"), join(appDir, "mc.resources.c")];
  const make = spawnSync("make", ["-k", "--eval=.DELETE_ON_ERROR:", "-f", makefilePath, "SDKCONFIG_H=", ...targets], { cwd: appDir, env, encoding: "utf8", maxBuffer: 64 << 20 });
  text += `$ make -k --eval=.DELETE_ON_ERROR: -f ${makefilePath} SDKCONFIG_H= mc.xs.c mc.resources.c\n${make.stdout}${make.stderr}`;
  writeFileSync(log, text);
  const lines = `${make.stdout}\n${make.stderr}`.split("\n");
  // make echoes each step as "# tool file" (e.g. "# xsc ssl/error.xsb"): progress, not diagnostics. xsl prints its
  // statistics as "### N instances, …" and its warnings as "### warning: …"; TypeScript "error TS…", xsc "file:line: error:",
  // xsl a preload exception as "### ReferenceError: …!".
  const progress = (l) => l.startsWith("# ") || l.trim() === "";
  const warningLines = lines.filter((l) => !progress(l) && /\bwarning\b/i.test(l));
  const errorLines = lines.filter((l) => !progress(l) && !/\bwarning\b/i.test(l) && (/\berror\b|[A-Za-z]Error\b/i.test(l) || /^make: \*\*\*/.test(l))
    && !/^make: (Target .* not remade|\*\*\* Deleting file)/.test(l));
  const diagnostics = [...new Set(errorLines.filter((l) => !/^make: \*\*\*/.test(l)).map((l) => l.replace(/^### /, "").replace(/!$/, "")))];
  // Warnings about this project's modules (not the SDK's own, e.g. its lwIP listener or TLS session cache).
  const ours = warningLines.filter((l) => !l.includes(MODDABLE) && /\b(modules|hosts)\/[a-z0-9-]+|\bsetup\/rc485\b/.test(l));
  const compiled = modules.filter((m) => existsSync(m.replace("$(MODULES_DIR)", join(appDir, "modules")))).length;
  const linked = make.status === 0 && targets.every((f) => existsSync(f));
  let errors = diagnostics.length;
  if (make.status !== 0 && errors === 0) errors = 1;
  if (!linked && errors === 0) errors = 1;
  if (errors > 0) failed = true;
  for (const l of diagnostics.slice(0, 20)) console.log(`  ${role}: ${l}`);
  for (const l of ours.slice(0, 20)) console.log(`  ${role}: ${l}`);
  summaries.push(`check:device ${role}: ${compiled}/${modules.length} modules compiled (${tsModules} from TypeScript), ` +
    `${preloads.length} preloaded, xsl link ${linked ? "ok" : "FAILED"} (mc.xs.c, mc.resources.c), ${errors} error${errors === 1 ? "" : "s"}, ` +
    `${ours.length} warning${ours.length === 1 ? "" : "s"} in rc485 modules (${warningLines.length - ours.length} in the SDK's) (log: ${log})`);
}
rmSync(idf, { recursive: true, force: true });
for (const s of summaries) console.log(s);
process.exit(failed ? 1 : 0);
