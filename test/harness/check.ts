/*
 * The assertion interface of portable tests: test/portable/*.ts export `cases`, and the same cases run under ava on Node
 * (test/portable.test.ts) and on the XS engine (scripts/xs-test.mjs, runner in test/harness/xs-runner.ts). Keep it small,
 * so the XS side needs no library.
 */
export interface Check {
  /** Object.is equality. */
  is(actual: unknown, expected: unknown, message?: string): void;
  /** Truthiness. */
  ok(value: unknown, message?: string): void;
  /** Structural equality of plain objects, arrays and typed arrays. */
  deepEqual(actual: unknown, expected: unknown, message?: string): void;
  /** `fn` throws, an instance of `errorClass` when given. */
  throws(fn: () => unknown, errorClass?: new (...args: any[]) => Error, message?: string): void;
}

export type Cases = { readonly [name: string]: (t: Check) => void };

/** Structural equality used by the XS runner (ava brings its own on Node). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as any)[k], (b as any)[k])) return false;
  return true;
}
