// A small option parser for the rc485 subcommands: `--name value` / `--name=value` options and boolean flags, from a
// table; anything else is a UsageError (exit status 2) naming the option.
import { UsageError } from "./commands/command";

export interface OptionSpec {
  /** Options that take a value. */
  readonly values: readonly string[];
  /** Boolean flags. */
  readonly flags: readonly string[];
}

export interface ParsedOptions {
  /** The last value of each option. */
  readonly values: Record<string, string>;
  /** Every value of each option, in order (for repeatable options such as --profiles). */
  readonly lists: Record<string, string[]>;
  readonly flags: Record<string, boolean>;
  readonly help: boolean;
}

export function parseOptions(command: string, args: readonly string[], spec: OptionSpec): ParsedOptions {
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const flags: Record<string, boolean> = {};
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") { help = true; continue; }
    const eq = a.indexOf("=");
    const name = a.startsWith("--") ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : "";
    if (name && spec.flags.includes(name) && eq < 0) { flags[name] = true; continue; }
    if (name && spec.values.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || (eq < 0 && v.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
      values[name] = v;
      (lists[name] ??= []).push(v);
      continue;
    }
    throw new UsageError(`unknown option ${a} (try rc485 ${command} --help)`);
  }
  return { values, lists, flags, help };
}

/** An integer option in [min, max], or `fallback` when absent. */
export function intOption(o: ParsedOptions, name: string, min: number, max: number, fallback: number): number {
  const s = o.values[name];
  if (s === undefined) return fallback;
  const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got '${s}')`);
  return n;
}

/** A number option in [min, max]. */
export function numberOption(o: ParsedOptions, name: string, min: number, max: number, fallback: number): number {
  const s = o.values[name];
  if (s === undefined) return fallback;
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max} (got '${s}')`);
  return n;
}

/** One of a list of words. */
export function choiceOption<T extends string>(o: ParsedOptions, name: string, allowed: readonly T[], fallback: T): T {
  const s = o.values[name];
  if (s === undefined) return fallback;
  const hit = allowed.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!hit) throw new UsageError(`--${name} must be one of ${allowed.join(", ")} (got '${s}')`);
  return hit;
}

/** Runs a command body, turning UsageError into a one-line message and exit status 2. */
export async function withUsage(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) { console.error(`rc485 ${command}: ${e.message}`); return 2; }
    throw e;
  }
}
