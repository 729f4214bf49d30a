/*
 * What the ESP32's HTTP server answers, independent of the server module (so it runs on Node in tests): the same status
 * page and JSON documents as the Node host (modules/forwarding/status-page.ts, modules/forwarding/status-json.ts), role statistics, and the
 * authenticated site-replacement endpoint. The page's files are flash resources (manifest.json "resources", built from
 * web/status-page/), answered as the resource itself: no copy of a file is made in RAM.
 *
 * PUT /api/site with `Authorization: Bearer <token>` (the build's `adminToken` config) and a JSON body: the body is
 * validated by the role's checker before anything changes; a bad one is refused with 400 and the list of problems, and
 * the running configuration stays. A good one is stored (preference) and the device restarts into it (the caller
 * decides). A store that fails answers 413 (too large for NVS) or 507 (NVS refused the write) with the reason.
 *
 * POST /api/scan?first=A&last=B&timeoutMs=T&budgetS=S&bauds=B1,B2&framings=F1,F2 (the same bearer token; no body)
 * starts a bus scan job (modules/commissioning/scan-job.ts) at every baud × framing asked for (default the common ones): 202 when it
 * starts, 409 while one runs, 400 for a bad parameter (budgetS bounds each line setting).
 * Its progress and result are GET /api/scan (and the `scan` field of /api/health).
 *
 * Authentication (authorize(), called by the HTTP server once the headers are in, before any body byte is read):
 *  - an empty `adminToken` means the endpoint never starts: every PUT gets 403 saying how to set one at build time;
 *  - tokens are compared in constant time: the loop always runs over the whole expected token and the length
 *    difference is folded into the result, so the time depends only on the configured token's length;
 *  - failures are rate-limited for the whole device: FREE_FAILURES wrong tokens in a row are answered 401, each one
 *    after that starts a lock-out of 1 s doubling up to LOCKOUT_MAX_US (5 min) during which every PUT, even with the
 *    right token, gets 429 with Retry-After seconds. A success resets the count. (A device-wide lock-out lets an attacker
 *    delay the administrator, but never lets a guesser try more than about one token per 5 minutes.)
 */
import { scanSettings, type ScanTuning } from "../../modules/commissioning/scan-job";
import { STATUS_PAGE_ROUTES } from "../../modules/forwarding/status-page";
import type { JsonPieces } from "../../modules/forwarding/status-stream";

export interface HttpAnswer {
  status: number;
  type: string;
  /** Text, sent as UTF-8. */
  body: string;
  /** Bytes sent as they are instead of `body` (a status page file; on the device a flash resource). */
  bytes?: ArrayBuffer;
  /** A JSON document to write in pieces (modules/forwarding/status-stream.ts) instead of `body` (then ""). */
  pieces?: JsonPieces;
}

export interface RoutesOptions {
  /**
   * GET routes: path → body producer, JSON text or a document in pieces (modules/forwarding/status-stream.ts: written into the
   * server's one buffer as the socket takes it, no text per request).
   */
  readonly documents: Readonly<Record<string, () => string | JsonPieces>>;
  /** Admin bearer token; "" disables the site endpoint. */
  readonly adminToken: string;
  /** Monotonic clock, integer µs (Time.microseconds on the device), for the failed-token lock-out. */
  readonly now: () => number;
  /** Checks a proposed site (parsed JSON); returns the problems ([] = acceptable). */
  readonly checkSite: (json: unknown) => readonly string[];
  /** What an acceptable site asks for that the device will not do (returned with the 200 answer; optional). */
  readonly siteWarnings?: (json: unknown) => readonly string[];
  /** Stores an accepted site (its JSON text). */
  readonly accept: (text: string) => void;
  /** The bus scan job (absent: POST /api/scan is 404). */
  readonly scan?: ScanControl;
  /** A built status page file by name (modules/forwarding/status-page.ts; on the device `new Resource(file)`). Absent: no page. */
  readonly statusFile?: (file: string) => ArrayBuffer;
}

/** What the routes need of the scan job. */
export interface ScanControl {
  /** Starts a scan; null when started, else why not. */
  start(tuning: ScanTuning): string | null;
  readonly running: boolean;
  status(): unknown;
}

const SCAN_PARAMETERS: Readonly<Record<string, [string, number, number, number]>> = {
  first: ["firstUnit", 1, 247, 1],
  last: ["lastUnit", 1, 247, 1],
  timeoutMs: ["timeoutUs", 1, 10000, 1000],
  budgetS: ["budgetUs", 1, 3600, 1000000],
};
const SCAN_LISTS = ["bauds", "framings"];

/** The scan tuning from a query string (`a=1&b=2`, `bauds=9600,19200&framings=8N1,8E1`), or the first problem. */
export function scanTuning(query: string): { tuning: ScanTuning } | { error: string } {
  const tuning: Record<string, unknown> = {};
  if (query === "") return { tuning };
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq >= 0 ? pair.slice(0, eq) : pair;
    const value = eq >= 0 ? pair.slice(eq + 1) : "";
    if (SCAN_LISTS.indexOf(key) >= 0) {
      const items = value === "" ? [] : value.split(",");
      if (key === "bauds") {
        const bad = items.find((b) => !/^\d{1,7}$/.test(b));
        if (bad !== undefined) return { error: `bauds: ${JSON.stringify(bad)} is not a number` };
      }
      tuning[key] = key === "bauds" ? items.map(Number) : items;
      continue;
    }
    const spec = Object.prototype.hasOwnProperty.call(SCAN_PARAMETERS, key) ? SCAN_PARAMETERS[key] : undefined;
    if (spec === undefined) return { error: `unknown parameter ${JSON.stringify(key)}; allowed: ${Object.keys(SCAN_PARAMETERS).concat(SCAN_LISTS).join(", ")}` };
    const n = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
    if (!(n >= spec[1] && n <= spec[2])) return { error: `${key} must be an integer from ${spec[1]} to ${spec[2]} (got ${JSON.stringify(value)})` };
    tuning[spec[0]] = n * spec[3];
  }
  const t = tuning as ScanTuning;
  if (t.bauds !== undefined || t.framings !== undefined) {
    const settings = scanSettings(t.bauds, t.framings);
    if (typeof settings === "string") return { error: settings };
  }
  return { tuning: t };
}

const JSON_TYPE = "application/json";

function pathOf(rawPath: string): string {
  const q = rawPath.indexOf("?");
  return q >= 0 ? rawPath.slice(0, q) : rawPath;
}

function answer(status: number, type: string, body: string): HttpAnswer {
  return { status, type, body };
}

/** Wrong tokens answered 401 before the lock-out starts. */
export const FREE_FAILURES = 3;
export const LOCKOUT_MIN_US = 1000000;
export const LOCKOUT_MAX_US = 300000000;

/** Constant time in the given token: always walks the expected token; an empty expected token matches nothing. */
export function tokenMatches(given: string, expected: string): boolean {
  let diff = (given.length ^ expected.length) | (expected.length === 0 ? 1 : 0);
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) | 0) ^ expected.charCodeAt(i);
  return diff === 0;
}

export class HttpRoutes {
  private readonly options: RoutesOptions;
  private readonly pages: Record<string, [string, () => string | JsonPieces]>;
  private readonly files: Record<string, [string, string]> = {};
  /** Wrong tokens in a row, and the end of the current lock-out (µs). */
  failures = 0;
  private lockedUntil = 0;

  constructor(options: RoutesOptions) {
    this.options = options;
    this.pages = {};
    if (options.statusFile !== undefined) for (const r of STATUS_PAGE_ROUTES) this.files[r.path] = [r.type, r.file];
    for (const path of Object.keys(options.documents)) this.pages[path] = [JSON_TYPE, options.documents[path]];
  }

  /** True for a request that may carry a body to the site endpoint (the server reads bodies for these only). */
  static isSiteWrite(method: string, rawPath: string): boolean {
    return (method === "PUT" || method === "POST") && pathOf(rawPath) === "/api/site";
  }

  /**
   * The site endpoint's gate: null when `authorization` carries the admin token, else the answer (403 endpoint off,
   * 429 locked out, 401 wrong token). Counts failures; call it once per request.
   */
  authorize(authorization: string): HttpAnswer | null {
    if (this.options.adminToken === "") {
      return answer(403, JSON_TYPE, JSON.stringify({ error: "the site endpoint is off: this firmware was built without adminToken (mcconfig … adminToken=<16 or more characters>)" }));
    }
    const now = this.options.now();
    if (now < this.lockedUntil) {
      return answer(429, JSON_TYPE, JSON.stringify({ error: "too many wrong tokens; try again later", retryAfterS: Math.ceil((this.lockedUntil - now) / 1e6) }));
    }
    const bearer = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
    if (tokenMatches(bearer, this.options.adminToken)) {
      this.failures = 0;
      return null;
    }
    this.failures++;
    if (this.failures > FREE_FAILURES) {
      const shift = Math.min(this.failures - FREE_FAILURES - 1, 16);
      this.lockedUntil = now + Math.min(LOCKOUT_MIN_US * 2 ** shift, LOCKOUT_MAX_US);
    }
    return answer(401, JSON_TYPE, JSON.stringify({ error: "missing or wrong bearer token" }));
  }

  /**
   * Answers one request. `authorization` is the Authorization header ("" if none). For the site endpoint the server has
   * already called authorize() before reading the body: pass `authorized` true then (tests may leave it out).
   */
  handle(method: string, rawPath: string, authorization: string, body: string, authorized = false): HttpAnswer {
    const path = pathOf(rawPath);
    if (path === "/api/site") {
      if (method !== "PUT" && method !== "POST") return answer(405, JSON_TYPE, JSON.stringify({ error: "use PUT with a site JSON body" }));
      if (!authorized) {
        const refused = this.authorize(authorization);
        if (refused !== null) return refused;
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return answer(400, JSON_TYPE, JSON.stringify({ error: "body is not JSON", problems: ["$: not JSON"] }));
      }
      const problems = this.options.checkSite(json);
      if (problems.length > 0) return answer(400, JSON_TYPE, JSON.stringify({ error: "site refused; the running configuration is kept", problems }));
      try {
        this.options.accept(body);
      } catch (e) {
        return answer(e instanceof RangeError ? 413 : 507, JSON_TYPE, JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
      }
      const warnings = this.options.siteWarnings !== undefined ? this.options.siteWarnings(json) : [];
      return answer(200, JSON_TYPE, JSON.stringify(warnings.length > 0 ? { ok: true, note: "stored; restarting into the new site", warnings } : { ok: true, note: "stored; restarting into the new site" }));
    }
    if (path === "/api/scan" && method === "POST") {
      const scan = this.options.scan;
      if (scan === undefined) return answer(404, JSON_TYPE, JSON.stringify({ error: "no scan job on this device" }));
      if (!authorized) {
        const refused = this.authorize(authorization);
        if (refused !== null) return refused;
      }
      const q = rawPath.indexOf("?");
      const parsed = scanTuning(q >= 0 ? rawPath.slice(q + 1) : "");
      if ("error" in parsed) return answer(400, JSON_TYPE, JSON.stringify({ error: parsed.error }));
      if (scan.running) return answer(409, JSON_TYPE, JSON.stringify({ error: "a scan is already running", scan: scan.status() }));
      const why = scan.start(parsed.tuning);
      if (why !== null) return answer(400, JSON_TYPE, JSON.stringify({ error: why }));
      return answer(202, JSON_TYPE, JSON.stringify({ ok: true, note: "scan started; polling pauses until it ends; progress at GET /api/scan", scan: scan.status() }));
    }
    if (method !== "GET") return answer(405, JSON_TYPE, JSON.stringify({ error: "method not allowed" }));
    const file = Object.prototype.hasOwnProperty.call(this.files, path) ? this.files[path] : undefined;
    if (file !== undefined && this.options.statusFile !== undefined) return { status: 200, type: file[0], body: "", bytes: this.options.statusFile(file[1]) };
    const page = this.pages[path];
    if (page === undefined) return answer(404, JSON_TYPE, JSON.stringify({ error: "not found", endpoints: Object.keys(this.pages).filter((p) => p.startsWith("/api/")) }));
    const produced = page[1]();
    return typeof produced === "string" ? answer(200, page[0], produced) : { status: 200, type: page[0], body: "", pieces: produced };
  }
}
