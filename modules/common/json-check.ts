/*
 * Small predicates and formatting shared by the configuration checkers (profile.ts, site.ts, forwarding/config.ts):
 * they run once, at configuration time, over parsed JSON, and name what they got in their error messages.
 */

/** Longest text show() returns: an error message stays one readable line. */
export const SHOW_LIMIT = 120;

/**
 * A value as an error message shows it: JSON where possible, "nothing" for a missing field, cut at SHOW_LIMIT
 * characters. Never throws and never recurses itself: a value JSON.stringify cannot write (too deeply nested, cyclic)
 * is shown by its shape alone ("[…3 items]", "{…}").
 */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  let text: string | undefined;
  try { text = JSON.stringify(v); } catch { text = undefined; }
  if (text === undefined) {
    if (Array.isArray(v)) text = `[…${v.length} items]`;
    else if (typeof v === "object" && v !== null) text = "{…}";
    else text = typeof v === "symbol" || typeof v === "function" ? typeof v : String(v);
  }
  return text.length > SHOW_LIMIT ? `${text.slice(0, SHOW_LIMIT - 1)}…` : text;
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An integer number from `min` to `max`. */
export function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}
