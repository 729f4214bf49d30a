// Reading a site file for `rc485 sim`, `run` and `repeat`: the optional `simulation` section (used only by the simulator,
// ignored by the real hosts) is taken out, the rest is checked by modules/site.ts against the profiles. Every problem is
// one line `FILE: $.path: message`; nothing throws for a bad file.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Profile } from "../../modules/profile";
import { checkSite, profileTable, type Site } from "../../modules/site";
import { loadProfiles, PROFILES_DIR } from "./config";

export const DEMO_SITE = fileURLToPath(new URL("../../sites/demo.json", import.meta.url));

export interface SiteFile {
  site?: Site;
  simulation: Record<string, unknown>;
  profiles: Profile[];
  errors: string[];
}

export function readSiteFile(file: string, profileDirs: readonly string[] = []): SiteFile {
  const loaded = loadProfiles(profileDirs.length > 0 ? profileDirs : [PROFILES_DIR]);
  if (loaded.errors.length > 0) return { simulation: {}, profiles: [], errors: loaded.errors };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message})`;
    return { simulation: {}, profiles: loaded.profiles, errors: [`${file}: ${why}`] };
  }
  let simulation: Record<string, unknown> = {};
  if (json !== null && typeof json === "object" && !Array.isArray(json) && "simulation" in json) {
    const { simulation: s, ...rest } = json as Record<string, unknown>;
    if (s === null || typeof s !== "object" || Array.isArray(s)) return { simulation: {}, profiles: loaded.profiles, errors: [`${file}: $.simulation: must be an object`] };
    simulation = s as Record<string, unknown>;
    json = rest;
  }
  const r = checkSite(json, profileTable(loaded.profiles));
  if (!r.ok) return { simulation, profiles: loaded.profiles, errors: r.errors.map((e) => `${file}: ${e}`) };
  return { site: r.site, simulation, profiles: loaded.profiles, errors: [] };
}
