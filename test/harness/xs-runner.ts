/*
 * Runs portable test cases on XS and prints one line per failure plus a summary line that scripts/xs-test.mjs checks:
 * `XS-SUMMARY passed=N failed=M`. xsnap exits 0 even when a module throws, so the summary line is the only verdict.
 */
import { deepEqual, type Cases, type Check } from "./check";

declare function print(...args: unknown[]): void;

class Failure extends Error {}

function show(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `[${Array.prototype.join.call(v as unknown as ArrayLike<number>, ",")}]`;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

const check: Check = {
  is(actual, expected, message) {
    if (!Object.is(actual, expected)) throw new Failure(`${message ?? "is"}: got ${show(actual)}, expected ${show(expected)}`);
  },
  ok(value, message) {
    if (!value) throw new Failure(`${message ?? "ok"}: got ${show(value)}`);
  },
  deepEqual(actual, expected, message) {
    if (!deepEqual(actual, expected)) throw new Failure(`${message ?? "deepEqual"}: got ${show(actual)}, expected ${show(expected)}`);
  },
  throws(fn, errorClass, message) {
    try { fn(); } catch (e) {
      if (errorClass && !(e instanceof errorClass)) throw new Failure(`${message ?? "throws"}: threw ${String(e)}, expected ${errorClass.name}`);
      return;
    }
    throw new Failure(`${message ?? "throws"}: did not throw`);
  },
};

export function runSuites(suites: { readonly [file: string]: Cases }): void {
  let passed = 0;
  let failed = 0;
  for (const file of Object.keys(suites)) {
    const cases = suites[file];
    for (const name of Object.keys(cases)) {
      try {
        cases[name](check);
        passed++;
      } catch (e) {
        failed++;
        print(`XS-FAIL ${file} › ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  print(`XS-SUMMARY passed=${passed} failed=${failed}`);
}
