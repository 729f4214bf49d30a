/*
 * The device's site configuration: the build-time default (manifest `config.site`, a JSON string) unless a replacement
 * was stored at run time (HTTP PUT /api/site, hosts/esp32/http-routes.ts) in the `preference` store (ESP32 NVS). A stored
 * site is validated again at boot; if it no longer passes (e.g. a firmware update dropped a profile) the build default is
 * used and the reason logged, so a device always boots into a configuration that passed its checker.
 *
 * Storage format (version 1). ESP-IDF's NVS, behind the SDK's Preference class, limits key names to 15 characters and a
 * value to 4,000 bytes (Moddable SDK documentation/files/files.md line 653; a string value is stored with its NUL, so
 * 3,999 UTF-8 bytes of text; modules/files/preference/esp32/modPreference.c line 109 throws "nvs set fail" past it).
 * A site is therefore split into at most SITE_PIECES string values `site1`..`site3`, each at most PIECE_BYTES UTF-8
 * bytes, cut on character boundaries, and described by a header in `site`: "rc485-site/1 <pieces> <bytes> <crc>",
 * where <bytes> is the text's UTF-8 length and <crc> its CRC-16/MODBUS in hex. A site larger than SITE_MAX_BYTES is
 * refused before anything is written (storeSite throws a RangeError saying so; PUT answers 413).
 *
 * Write order: the header is deleted first, then the pieces are written and stale ones deleted, then the header. A power
 * cut or an NVS failure midway leaves no header (or one whose length/CRC does not match the pieces): the next boot uses
 * the build default and logs why. The previous stored site is lost in that case, never half-applied.
 * A value in `site` that is itself JSON (firmware before this format) is still read.
 */
import { crc16 } from "../../modules/rtu/crc16";
import { utf8 } from "./utf8";

export interface PreferenceStore {
  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
  delete(domain: string, key: string): void;
}

/** NVS names are at most 15 characters. */
export const PREF_DOMAIN = "rc485";
export const PREF_SITE = "site";
/** NVS value limit (4,000 bytes) minus the string's NUL. */
export const PIECE_BYTES = 3999;
export const SITE_PIECES = 3;
/** The largest site text stored, in UTF-8 bytes (3 pieces, less up to 3 bytes per piece lost to a character boundary). */
export const SITE_MAX_BYTES = 11900;
const HEADER = "rc485-site/1";

export interface LoadedSite {
  readonly json: unknown;
  readonly source: "stored" | "build";
  /** Why a stored site was not used, if one existed. */
  readonly note: string;
}

function pieceKey(i: number): string {
  return `${PREF_SITE}${i + 1}`;
}

function textCrc(bytes: Uint8Array): string {
  return crc16(bytes, 0, bytes.length).toString(16);
}

/** The stored site text, or a note saying why there is none usable ("" and "" when nothing is stored). */
export function readStoredSite(prefs: PreferenceStore): { text: string; note: string } {
  const header = prefs.get(PREF_DOMAIN, PREF_SITE);
  if (typeof header !== "string" || header.length === 0) return { text: "", note: "" };
  if (header.charCodeAt(0) === 0x7b) return { text: header, note: "" }; // "{": the single-value format
  const f = header.split(" ");
  const pieces = Number(f[1]);
  const bytes = Number(f[2]);
  if (f.length !== 4 || f[0] !== HEADER || !Number.isInteger(pieces) || pieces < 1 || pieces > SITE_PIECES || !Number.isInteger(bytes)) {
    return { text: "", note: `stored site header not understood: "${header.slice(0, 40)}"` };
  }
  let text = "";
  for (let i = 0; i < pieces; i++) {
    const p = prefs.get(PREF_DOMAIN, pieceKey(i));
    if (typeof p !== "string") return { text: "", note: `stored site is incomplete (${pieceKey(i)} missing): a write was cut` };
    text += p;
  }
  const raw = new Uint8Array(utf8(text));
  if (raw.length !== bytes || textCrc(raw) !== f[3]) return { text: "", note: "stored site fails its length/CRC check: a write was cut" };
  return { text, note: "" };
}

/** Picks the site to run: the stored one if it parses and passes `check`, else the build default (which must pass). */
export function loadSite(prefs: PreferenceStore, buildDefault: string, check: (json: unknown) => readonly string[]): LoadedSite {
  const stored = readStoredSite(prefs);
  let note = stored.note;
  if (stored.text.length > 0) {
    try {
      const json: unknown = JSON.parse(stored.text);
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

/** Splits `text` into pieces of at most PIECE_BYTES UTF-8 bytes, never inside a character (or a surrogate pair). */
function split(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < text.length;
    const n = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes + n > PIECE_BYTES) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += n;
    if (pair) i++;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * Stores a site text. Throws RangeError (nothing written) when it is over SITE_MAX_BYTES, and Error when NVS refuses a
 * write (then no valid stored site remains: the next boot runs the build default).
 */
export function storeSite(prefs: PreferenceStore, text: string): void {
  const raw = new Uint8Array(utf8(text));
  if (raw.length > SITE_MAX_BYTES) throw new RangeError(`site is ${raw.length} bytes; the device stores at most ${SITE_MAX_BYTES} (NVS: ${SITE_PIECES} values of 4,000 bytes)`);
  const pieces = split(text);
  if (pieces.length > SITE_PIECES) throw new RangeError(`site needs ${pieces.length} NVS values; the device stores at most ${SITE_PIECES}`);
  try {
    prefs.delete(PREF_DOMAIN, PREF_SITE);
    for (let i = 0; i < pieces.length; i++) prefs.set(PREF_DOMAIN, pieceKey(i), pieces[i]);
    for (let i = pieces.length; i < SITE_PIECES; i++) prefs.delete(PREF_DOMAIN, pieceKey(i));
    prefs.set(PREF_DOMAIN, PREF_SITE, `${HEADER} ${pieces.length} ${raw.length} ${textCrc(raw)}`);
  } catch (e) {
    throw new Error(`could not store the site in NVS (${e instanceof Error ? e.message : String(e)}); the next boot runs the build default`);
  }
}
