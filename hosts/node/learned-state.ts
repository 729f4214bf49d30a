// The Node host's state file of learned limits (modules/commissioning/learned-limits.ts): `rc485 run --state FILE` loads it at start
// (the plan then uses the learned caps, the master the learned timing), keeps learning while it polls, and writes it
// back every minute and at exit; `rc485 plan --learned FILE` shows the plan it gives. The file is JSON:
// { "version": 1, "meters": { NAME: { cap, timeoutMs, gapMs, latencyMs } } }. A missing file starts from the profiles;
// a broken one is one line naming it (exit status 2), never a silent reset.
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { LearnedLimits } from "../../modules/commissioning/learned-limits";
import { minCapFor, type Site } from "../../modules/site/site";
import { UsageError } from "./commands/command";
import { FileReadError, readJsonFile } from "./read-bounded";

export const STATE_VERSION = 1;

/** Learned limits for `site`, restored from `file` when it exists. */
export function loadLearned(site: Site, file: string | undefined): LearnedLimits {
  const learned = new LearnedLimits(site.meters.length);
  site.meters.forEach((m, i) => { learned.minCap[i] = minCapFor(m); });
  if (file === undefined || !existsSync(file)) return learned;
  let json: unknown;
  try {
    json = readJsonFile(file);
  } catch (e) {
    if (e instanceof FileReadError) throw new UsageError(e.message);
    throw e;
  }
  const o = json as { version?: unknown; meters?: unknown };
  if (o === null || typeof o !== "object" || o.version !== STATE_VERSION || o.meters === null || typeof o.meters !== "object") {
    throw new UsageError(`${file}: not an rc485 state file (expected {"version": ${STATE_VERSION}, "meters": {...}})`);
  }
  learned.load(o.meters, site.meters.map((m) => m.name));
  return learned;
}

/** Writes the state file (through a temporary file and a rename, so a crash never leaves half a file). */
export function saveLearned(site: Site, learned: LearnedLimits, file: string): void {
  const text = `${JSON.stringify({ version: STATE_VERSION, meters: learned.toJSON(site.meters.map((m) => m.name)) }, null, 2)}\n`;
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
