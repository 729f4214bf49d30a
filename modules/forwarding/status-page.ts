/*
 * The status page's routes: which built file each URL path of the page is, and its content type. Both hosts serve the
 * page from this table, so they answer the same paths with the same files.
 *
 * The page itself is real source in web/status-page/ (index.html, app.css, icon.svg and app.ts, type-checked against
 * the DOM); scripts/build-status-page.mjs bundles it into build/status-page/ under the `file` names below. The Node host
 * reads those files (hosts/node/status-page-files.ts); the ESP32 build takes them as flash resources (manifest.json
 * "resources") and serves them straight from flash (hosts/esp32/http-routes.ts). The script's built name ends in .txt
 * because mcconfig takes no .js file as a resource. The page holds no data: it polls the JSON documents of
 * modules/forwarding/status-json.ts with relative URLs.
 */

export interface StatusPageRoute {
  /** URL path, e.g. "/app.js". */
  readonly path: string;
  /** The built file (in build/status-page/, and the ESP32 resource name). */
  readonly file: string;
  readonly type: string;
}

const HTML = "text/html; charset=utf-8";
const SVG = "image/svg+xml";

export const STATUS_PAGE_ROUTES: readonly StatusPageRoute[] = Object.freeze([
  Object.freeze({ path: "/", file: "index.html", type: HTML }),
  Object.freeze({ path: "/index.html", file: "index.html", type: HTML }),
  Object.freeze({ path: "/app.css", file: "app.css", type: "text/css; charset=utf-8" }),
  Object.freeze({ path: "/app.js", file: "app.js.txt", type: "text/javascript; charset=utf-8" }),
  Object.freeze({ path: "/icon.svg", file: "icon.svg", type: SVG }),
  Object.freeze({ path: "/favicon.ico", file: "icon.svg", type: SVG }),
]);

/** The built files of the page, each once. */
export function statusPageFiles(): string[] {
  const files: string[] = [];
  for (const r of STATUS_PAGE_ROUTES) if (files.indexOf(r.file) < 0) files.push(r.file);
  return files;
}
