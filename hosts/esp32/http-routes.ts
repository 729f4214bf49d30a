/*
 * What the ESP32's HTTP server answers, independent of the server module (so it runs on Node in tests): the same status
 * page and JSON documents as the Node host (modules/status-page.ts, modules/status-json.ts), role statistics, and the
 * authenticated site-replacement endpoint.
 *
 * PUT /api/site with `Authorization: Bearer <token>` (the build's `adminToken` config) and a JSON body: the body is
 * validated by the role's checker before anything changes; a bad one is refused with 400 and the list of problems, and
 * the running configuration stays. A good one is stored (preference) and the device restarts into it (the caller
 * decides; `accept` returns true). Tokens are compared in constant time for equal lengths.
 */
import { STATUS_CSS, STATUS_HTML, STATUS_ICON, STATUS_JS } from "../../modules/status-page";

export interface HttpAnswer {
  status: number;
  type: string;
  body: string;
}

export interface RoutesOptions {
  /** GET routes: path → [content type, body producer]. */
  readonly documents: Readonly<Record<string, () => string>>;
  /** Admin bearer token; "" disables the site endpoint. */
  readonly adminToken: string;
  /** Checks a proposed site (parsed JSON); returns the problems ([] = acceptable). */
  readonly checkSite: (json: unknown) => readonly string[];
  /** Stores an accepted site (its JSON text). */
  readonly accept: (text: string) => void;
}

const JSON_TYPE = "application/json";

function answer(status: number, type: string, body: string): HttpAnswer {
  return { status, type, body };
}

export function tokenMatches(given: string, expected: string): boolean {
  if (expected.length === 0 || given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

export class HttpRoutes {
  private readonly options: RoutesOptions;
  private readonly pages: Record<string, [string, () => string]>;

  constructor(options: RoutesOptions) {
    this.options = options;
    const html = "text/html; charset=utf-8";
    this.pages = {
      "/": [html, () => STATUS_HTML],
      "/index.html": [html, () => STATUS_HTML],
      "/app.css": ["text/css; charset=utf-8", () => STATUS_CSS],
      "/app.js": ["text/javascript; charset=utf-8", () => STATUS_JS],
      "/icon.svg": ["image/svg+xml", () => STATUS_ICON],
      "/favicon.ico": ["image/svg+xml", () => STATUS_ICON],
    };
    for (const path of Object.keys(options.documents)) this.pages[path] = [JSON_TYPE, options.documents[path]];
  }

  /** Answers one request. `authorization` is the Authorization header ("" if none). */
  handle(method: string, rawPath: string, authorization: string, body: string): HttpAnswer {
    const q = rawPath.indexOf("?");
    const path = q >= 0 ? rawPath.slice(0, q) : rawPath;
    if (path === "/api/site") {
      if (method !== "PUT" && method !== "POST") return answer(405, JSON_TYPE, JSON.stringify({ error: "use PUT with a site JSON body" }));
      const bearer = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
      if (!tokenMatches(bearer, this.options.adminToken)) return answer(401, JSON_TYPE, JSON.stringify({ error: "missing or wrong bearer token" }));
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return answer(400, JSON_TYPE, JSON.stringify({ error: "body is not JSON", problems: ["$: not JSON"] }));
      }
      const problems = this.options.checkSite(json);
      if (problems.length > 0) return answer(400, JSON_TYPE, JSON.stringify({ error: "site refused; the running configuration is kept", problems }));
      this.options.accept(body);
      return answer(200, JSON_TYPE, JSON.stringify({ ok: true, note: "stored; restarting into the new site" }));
    }
    if (method !== "GET") return answer(405, JSON_TYPE, JSON.stringify({ error: "method not allowed" }));
    const page = this.pages[path];
    if (page === undefined) return answer(404, JSON_TYPE, JSON.stringify({ error: "not found", endpoints: Object.keys(this.pages).filter((p) => p.startsWith("/api/")) }));
    return answer(200, page[0], page[1]());
  }
}
