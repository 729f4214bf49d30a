/*
 * Small predicates and formatting shared by the configuration checkers (profile.ts, site.ts, forwarding-config.ts):
 * they run once, at configuration time, over parsed JSON, and name what they got in their error messages.
 */

/** A value as an error message shows it: JSON where possible, "nothing" for a missing field. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An integer number from `min` to `max`. */
export function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}
