// Preload safety: no preloaded module writes module-level state that XS freezes into flash at preload (typed arrays,
// ArrayBuffers, DataViews, Maps, Sets, static fields...). The modules scanned are the manifest's own preload list; a planted
// fixture proves the scan catches each kind of write with its module and line. See test/harness/preload-scan.ts.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatFinding, manifestPreloads, scanPreloaded } from "./harness/preload-scan";

const root = new URL("..", import.meta.url).pathname;

test("no preloaded module writes frozen module-level state at run time", (t) => {
  const preloads = manifestPreloads(root);
  t.true(preloads.length > 40, `${preloads.length} preloaded modules`);
  const findings = scanPreloaded(root, preloads);
  for (const f of findings.filter((f) => f.severity === "warning")) t.log(formatFinding(f));
  const errors = findings.filter((f) => f.severity === "error").map(formatFinding);
  t.deepEqual(errors, [], errors.join("\n"));
});

test("the scan reports every planted violation with its module and line, and nothing else", (t) => {
  const fixture = "test/fixtures/preload/violations";
  const expected = readFileSync(join(root, `${fixture}.ts`), "utf8").split("\n").flatMap((text, i) => {
    const m = /\/\/ expect: (error|warning)$/.exec(text);
    return m ? [`${fixture}:${i + 1}: ${m[1]}`] : [];
  });
  t.true(expected.length >= 12);
  const findings = scanPreloaded(root, [fixture, "test/fixtures/preload/tables"]);
  t.deepEqual(findings.map((f) => `${f.module}:${f.line}: ${f.severity}`), expected);
  // The message names the binding and the reason.
  t.true(findings.map(formatFinding).some((line) => /^test\/fixtures\/preload\/violations:\d+: error: .*static state of `Counter`/.test(line)));
  t.true(findings.some((f) => /module-level Map `CACHE`/.test(f.message)));
  t.true(findings.some((f) => /module-level Uint16Array `SHARED_TABLE`/.test(f.message)));
});
