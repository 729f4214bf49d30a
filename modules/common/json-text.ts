/*
 * Text pieces of the JSON documents rc485 publishes, written without Date or JSON.stringify of temporary objects so the
 * MQTT state payload is built by string concatenation at send time on both hosts.
 *
 * - isoUtc(ms): RFC 3339 / ISO 8601 extended format in UTC with milliseconds ("2026-11-21T05:55:03.123Z"). The civil date
 *   comes from the day count by the proleptic Gregorian calendar (400-year eras of 146097 days).
 * - formatNumber(v, digits): a JSON number (RFC 8259 §6) rounded to `digits` significant digits, shortest form; NaN and
 *   ±Infinity (not representable in JSON) become null. f32 registers carry about 7 significant digits, so publishing more
 *   would only show conversion noise (230.1 read as f32 is 230.100006…).
 * - jsonString(s): a JSON string literal (RFC 8259 §7), escaping quote, backslash and control characters, and also '<',
 *   '>', '&' and U+2028/2029 so the text is safe inside HTML and JavaScript too.
 */

function pad(n: number, width: number): string {
  let s = String(n);
  while (s.length < width) s = "0" + s;
  return s;
}

/**
 * The proleptic Gregorian date of a day count since 1970-01-01, packed as year × 512 + month × 32 + day (no allocation).
 * The epoch is shifted to 0000-03-01 so that leap days fall at the end of each computed year.
 */
export function civilDate(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 512 + month * 32 + day;
}

/** Wall-clock epoch milliseconds → "YYYY-MM-DDTHH:MM:SS.mmmZ" (years 0000..9999). */
export function isoUtc(epochMs: number): string {
  const ms = Math.floor(epochMs);
  const days = Math.floor(ms / 86_400_000);
  const msOfDay = ms - days * 86_400_000;
  const date = civilDate(days);
  const year = Math.floor(date / 512);
  const month = Math.floor(date / 32) % 16;
  const day = date % 32;
  const h = Math.floor(msOfDay / 3_600_000);
  const mi = Math.floor((msOfDay % 3_600_000) / 60_000);
  const s = Math.floor((msOfDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(msOfDay % 1000, 3)}Z`;
}

/** Significant digits published for a point of register type `type` (f32: 7; integers and f64: 15). */
export function digitsFor(type: string | undefined): number {
  return type === "f32" ? 7 : 15;
}

/** A JSON number with at most `digits` (1..17) significant digits; non-finite → "null". */
export function formatNumber(v: number, digits: number): string {
  if (typeof v !== "number" || v !== v || v === Infinity || v === -Infinity) return "null";
  if (v === 0) return "0";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(digits)));
}

const HEX = "0123456789abcdef";

/** A JSON string literal for `s`, safe to embed in HTML/JS as well. */
export function jsonString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc = "";
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (c === 0x0a) esc = "\\n";
    else if (c === 0x0d) esc = "\\r";
    else if (c === 0x09) esc = "\\t";
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      esc = "\\u" + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
    } else continue;
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return out + s.slice(from) + '"';
}
