// `npm ci` on the Node versions package.json's `engines` admits prints no EBADENGINE warning: every package in the lock
// file accepts the Node running the tests (CI runs the oldest one the README promises, Node 20). npm decides with the
// `semver` package's satisfies(); the same function decides here (semver comes with the toolchain, through ava).
import test from "ava";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const semver = createRequire(import.meta.url)("semver") as { satisfies(version: string, range: string): boolean };
const root = new URL("../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

test("the project admits this Node", (t) => {
  t.true(semver.satisfies(process.version, pkg.engines.node), `${process.version} vs engines.node ${pkg.engines.node}`);
});

test("every locked package accepts this Node (npm ci prints no EBADENGINE)", (t) => {
  const refused: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
    if (typeof range !== "string") continue;
    checked++;
    if (!semver.satisfies(process.version, range)) refused.push(`${path.replace(/^.*node_modules\//, "")} wants node ${range}`);
  }
  t.true(checked > 50, `${checked} packages state a Node range`);
  t.deepEqual(refused, [], `on ${process.version}`);
});
