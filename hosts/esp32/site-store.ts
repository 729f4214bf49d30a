/*
 * The device's site configuration: the build-time default (manifest `config.site`, a JSON string) unless a replacement
 * was stored at run time (HTTP PUT /api/site, hosts/esp32/http-routes.ts) in the `preference` store (ESP32 NVS). A stored
 * site is validated again at boot; if it no longer passes (e.g. a firmware update dropped a profile) the build default is
 * used and the reason logged, so a device always boots into a configuration that passed its checker.
 */
export interface PreferenceStore {
  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
  delete(domain: string, key: string): void;
}

/** NVS names are at most 15 characters. */
export const PREF_DOMAIN = "rc485";
export const PREF_SITE = "site";

export interface LoadedSite {
  readonly json: unknown;
  readonly source: "stored" | "build";
  /** Why a stored site was not used, if one existed. */
  readonly note: string;
}

/** Picks the site to run: the stored one if it parses and passes `check`, else the build default (which must pass). */
export function loadSite(prefs: PreferenceStore, buildDefault: string, check: (json: unknown) => readonly string[]): LoadedSite {
  const stored = prefs.get(PREF_DOMAIN, PREF_SITE);
  let note = "";
  if (typeof stored === "string" && stored.length > 0) {
    try {
      const json: unknown = JSON.parse(stored);
      const problems = check(json);
      if (problems.length === 0) return { json, source: "stored", note };
      note = `stored site refused: ${problems.join("; ")}`;
    } catch {
      note = "stored site is not JSON";
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(buildDefault);
  } catch {
    throw new TypeError("config.site (manifest config or mcconfig site=…) must be a JSON string");
  }
  const problems = check(json);
  if (problems.length > 0) throw new RangeError(`config.site is invalid: ${problems.join("; ")}`);
  return { json, source: "build", note };
}

export function storeSite(prefs: PreferenceStore, text: string): void {
  prefs.set(PREF_DOMAIN, PREF_SITE, text);
}
