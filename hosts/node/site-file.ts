// Reading a site file for `rc485 sim`, `run` and `plan`: the optional `simulation` section (used only by the simulator,
// ignored by the real hosts) is taken out and checked by simulation-section.ts, the rest is checked by modules/site/site.ts
// against the profiles (the shipped ones plus each --profiles folder, later ones overriding by id: config.ts). The file
// is read with a size bound and a nesting bound (read-bounded.ts). Every problem is one line `FILE: $.path: message`;
// nothing throws for a bad file.
import { fileURLToPath } from "node:url";
import type { Profile } from "../../modules/concentrator/profile";
import { checkSite, profileTable, type Site } from "../../modules/site/site";
import { loadProfiles, profileFolders } from "./config";
import { FileReadError, readJsonFile } from "./read-bounded";
import { checkSimulationSection } from "./simulation-section";

export const DEMO_SITE = fileURLToPath(new URL("../../sites/demo.json", import.meta.url));

export interface SiteFile {
  site?: Site;
  simulation: Record<string, unknown>;
  profiles: Profile[];
  errors: string[];
}

/** `profileDirs`: the --profiles folders, in the order given (the shipped profiles always come first). */
export function readSiteFile(file: string, profileDirs: readonly string[] = []): SiteFile {
  const loaded = loadProfiles(profileFolders(profileDirs));
  if (loaded.errors.length > 0) return { simulation: {}, profiles: [], errors: loaded.errors };
  let json: unknown;
  try {
    json = readJsonFile(file);
  } catch (e) {
    if (e instanceof FileReadError) return { simulation: {}, profiles: loaded.profiles, errors: [e.message] };
    throw e;
  }
  let simulation: Record<string, unknown> = {};
  if (json !== null && typeof json === "object" && !Array.isArray(json) && "simulation" in json) {
    const { simulation: s, ...rest } = json as Record<string, unknown>;
    if (s === null || typeof s !== "object" || Array.isArray(s)) return { simulation: {}, profiles: loaded.profiles, errors: [`${file}: $.simulation: must be an object`] };
    simulation = s as Record<string, unknown>;
    json = rest;
  }
  const r = checkSite(json, profileTable(loaded.profiles));
  const simErrors = checkSimulationSection(simulation, r.ok ? r.site.meters.map((m) => m.name) : null);
  if (!r.ok || simErrors.length > 0) return { simulation, profiles: loaded.profiles, errors: [...(r.ok ? [] : r.errors), ...simErrors].map((e) => `${file}: ${e}`) };
  return { site: r.site, simulation, profiles: loaded.profiles, errors: [] };
}
