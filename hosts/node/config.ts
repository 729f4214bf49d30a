// Loading profiles (profiles/*.json) from disk for the Node host and the command line (site files: site-file.ts). Every
// problem is returned as one line; nothing is thrown for bad files.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkProfile, type Profile } from "../../modules/profile";

/** The profiles shipped with rc485. */
export const PROFILES_DIR = fileURLToPath(new URL("../../profiles/", import.meta.url));

function readJson(file: string, errors: string[]): unknown {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch (e) { errors.push(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`); return undefined; }
  try { return JSON.parse(text); } catch (e) { errors.push(`${file}: not valid JSON (${(e as Error).message})`); return undefined; }
}

/** Loads every *.json of the given directories (missing directories are skipped) as checked profiles. */
export function loadProfiles(dirs: readonly string[]): { profiles: Profile[]; errors: string[] } {
  const profiles: Profile[] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
      const file = join(dir, f);
      const json = readJson(file, errors);
      if (json === undefined) continue;
      const r = checkProfile(json, basename(f, ".json"));
      if (!r.ok) { for (const e of r.errors) errors.push(`${file}: ${e}`); continue; }
      const other = seen.get(r.profile.id);
      if (other) { errors.push(`${file}: profile id ${r.profile.id} is also defined by ${other}`); continue; }
      seen.set(r.profile.id, file);
      profiles.push(r.profile);
    }
  }
  return { profiles, errors };
}

