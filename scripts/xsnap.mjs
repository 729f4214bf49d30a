// Builds the `xsnap` command (a real XS engine) from the C sources inside the npm package @agoric/xsnap, once; later calls
// reuse the binary. Used by the XS test run and the benches. A failed build is an error: nothing is skipped silently.
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = `${root}node_modules/@agoric/xsnap`;
export const xsnapPath = `${pkg}/moddable/build/bin/lin/release/xsnap`;

export function ensureXsnap() {
  if (existsSync(xsnapPath)) return xsnapPath;
  if (!existsSync(pkg)) throw new Error("@agoric/xsnap is not installed: run npm ci");
  process.stderr.write("building xsnap from @agoric/xsnap's XS sources (about 20 s, once)\n");
  execFileSync("make", ["-C", `${pkg}/xsnap-native/xsnap/makefiles/lin`, "-f", "xsnap.mk",
    `MODDABLE=${realpathSync(`${pkg}/moddable`)}`, "GOAL=release"], { stdio: ["ignore", "ignore", "inherit"] });
  if (!existsSync(xsnapPath)) throw new Error(`xsnap build finished but ${xsnapPath} is missing`);
  return xsnapPath;
}

/** Bundles a TypeScript entry (given as source text, resolved from the project root) into one .mjs for XS. */
export async function bundleForXs(entrySource, outfile) {
  const { build } = await import("esbuild");
  await build({
    stdin: { contents: entrySource, resolveDir: root, loader: "ts", sourcefile: "xs-entry.ts" },
    bundle: true, format: "esm", platform: "neutral", target: "es2022", outfile, logLevel: "error",
    mainFields: ["module", "main"], define: { "process.env.NODE_ENV": '"production"' },
  });
  return outfile;
}

/** Runs a bundled module on XS and returns its standard output. */
export function runXs(file) {
  return execFileSync(ensureXsnap(), [file], { encoding: "utf8", maxBuffer: 64 << 20 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureXsnap());
