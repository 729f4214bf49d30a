// Runs every portable test case (test/portable/**/*.ts, folders mirroring modules/) under ava on Node;
// scripts/xs-test.mjs runs the same cases on XS.
import test from "ava";
import { readdirSync } from "node:fs";
import type { Cases, Check } from "./harness/check";

const dir = new URL("./portable/", import.meta.url);
const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).sort();

// Every module is loaded before the first test is declared: ava wants all declarations in one synchronous run.
const suites = await Promise.all(files.map(async (file) => ({ file, cases: ((await import(new URL(file, dir).href)) as { cases: Cases }).cases })));

for (const { file, cases } of suites) {
  for (const name of Object.keys(cases)) {
    test(`${file.replace(/\.ts$/, "")} › ${name}`, (t) => {
      const check: Check = {
        is: (a, b, m) => void t.is(a, b, m),
        ok: (v, m) => void t.truthy(v, m),
        deepEqual: (a, b, m) => void t.deepEqual(a, b, m),
        throws: (fn, cls, m) => void t.throws(fn, cls ? { instanceOf: cls } : undefined, m),
      };
      cases[name](check);
    });
  }
}
