// Loading profiles (profiles/*.json) from disk for the Node host and the command line (site files: site-file.ts). Every
// problem is returned as one line; nothing is thrown for bad files.
//
// `--profiles DIR` means the same for every command (profileFolders()): the shipped profiles first, then each folder given,
// in order; a profile whose id is already loaded from an earlier folder replaces it (so a folder can override a shipped
// profile by name), while two files with the same id in one folder are an error. The shipped folder is checked with the
// standard point keys enforced (modules/concentrator/point-keys.ts); a user's own folder may also name points outside the table.
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkProfile, type Profile } from "../../modules/concentrator/profile";
import { FileReadError, readJsonFile } from "./read-bounded";

/** The profiles shipped with rc485. */
export const PROFILES_DIR = fileURLToPath(new URL("../../profiles/", import.meta.url));

/** The folders `--profiles` stands for: the shipped profiles, then each given folder (later ones override by id). */
export function profileFolders(given: readonly string[]): string[] {
  return [PROFILES_DIR, ...given];
}

function listFolder(dir: string, errors: string[]): string[] | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    errors.push(`--profiles ${dir}: ${code === "ENOENT" ? "no such folder" : `cannot read (${code ?? (e as Error).message})`}`);
    return undefined;
  }
  if (!isDir) { errors.push(`--profiles ${dir}: not a folder (give the folder that holds the profile .json files)`); return undefined; }
  try {
    return readdirSync(dir).filter((x) => x.endsWith(".json")).sort();
  } catch (e) {
    errors.push(`--profiles ${dir}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return undefined;
  }
}

function isShipped(dir: string): boolean {
  return join(dir, "/") === join(PROFILES_DIR, "/");
}

/** Loads every *.json of the given folders, in order, as checked profiles; a later folder's profile replaces an earlier one of the same id. */
export function loadProfiles(dirs: readonly string[]): { profiles: Profile[]; errors: string[] } {
  const errors: string[] = [];
  const byId = new Map<string, { profile: Profile; file: string; folder: number }>();
  dirs.forEach((dir, folder) => {
    const files = listFolder(dir, errors);
    if (!files) return;
    for (const f of files) {
      const file = join(dir, f);
      let json: unknown;
      try { json = readJsonFile(file); } catch (e) {
        if (e instanceof FileReadError) { errors.push(e.message); continue; }
        throw e;
      }
      const r = checkProfile(json, basename(f, ".json"), { standardKeys: isShipped(dir) });
      if (!r.ok) { for (const e of r.errors) errors.push(`${file}: ${e}`); continue; }
      const other = byId.get(r.profile.id);
      if (other && other.folder === folder) { errors.push(`${file}: profile id ${r.profile.id} is also defined by ${other.file}`); continue; }
      byId.set(r.profile.id, { profile: r.profile, file, folder });
    }
  });
  return { profiles: Array.from(byId.values(), (x) => x.profile), errors };
}
