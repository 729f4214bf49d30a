/*
 * The ESP32's learned limits (modules/commissioning/learned-limits.ts) in a preference: read at boot (the plan then uses the learned
 * register caps, the master the learned timing), written back by the concentrator every 30 minutes when they changed
 * (NVS pages wear: no write per poll). One NVS string, at most PIECE_BYTES: `{"version":1,"meters":{NAME:{cap,...}}}`;
 * a value too long for it (a very large site) is not stored, and said so. No Moddable import: tests run it on Node.
 */
import type { LearnedLimits } from "../../modules/commissioning/learned-limits";
import { PIECE_BYTES, PREF_DOMAIN, type PreferenceStore } from "./site-store";

export const PREF_LEARNED = "learned";

/** Restores learned values from the preference; returns a note for the log (or null when there was nothing). */
export function loadLearnedPreference(prefs: PreferenceStore, learned: LearnedLimits, names: readonly string[]): string | null {
  let text: unknown;
  try {
    text = prefs.get(PREF_DOMAIN, PREF_LEARNED);
  } catch {
    return "learned: preference unreadable; starting from the profiles";
  }
  if (typeof text !== "string") return null;
  try {
    const json = JSON.parse(text) as { version?: unknown; meters?: unknown };
    if (json === null || typeof json !== "object" || json.version !== 1) return "learned: stored values of another format; starting from the profiles";
    return `learned: restored ${learned.load(json.meters, names)} meters`;
  } catch {
    return "learned: stored values unreadable; starting from the profiles";
  }
}

/** Stores the learned values when they differ from `previous` (the text last stored); returns the text now stored. */
export function saveLearnedPreference(prefs: PreferenceStore, learned: LearnedLimits, names: readonly string[], previous: string, log: (line: string) => void): string {
  const text = JSON.stringify({ version: 1, meters: learned.toJSON(names) });
  if (text === previous) return previous;
  if (text.length > PIECE_BYTES) {
    log(`learned: ${text.length} bytes is more than one NVS value holds; not stored`);
    return previous;
  }
  try {
    prefs.set(PREF_DOMAIN, PREF_LEARNED, text);
  } catch (e) {
    log(`learned: could not store (${e instanceof Error ? e.message : String(e)})`);
    return previous;
  }
  return text;
}
