/*
 * The built status page on Node: the files of build/status-page/ (scripts/build-status-page.mjs bundles them from
 * web/status-page/), rebuilt first when a source is newer than the build or the build is missing, so a checkout run with
 * `npx rc485` or a single test serves the page as its sources are. Files are read once per call and kept by the caller:
 * the HTTP server reads them when it starts, not per request.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STATUS_PAGE_ROUTES } from "../../modules/forwarding/status-page";
import { buildStatusPage, statusPageBuild, statusPageIsCurrent } from "../../scripts/build-status-page.mjs";

/** The built status page folder, rebuilt first if it is missing or older than its sources. */
export function statusPageFolder(): string {
  if (!statusPageIsCurrent()) buildStatusPage();
  return statusPageBuild;
}

/** One built file of the page (a `file` of modules/forwarding/status-page.ts). */
export function statusPageFile(file: string): Buffer {
  return readFileSync(join(statusPageFolder(), file));
}

/** The page's routes for the Node HTTP server: path → [content type, text], read now. */
export function statusPageRoutes(): Record<string, () => [string, string]> {
  const folder = statusPageFolder();
  const routes: Record<string, () => [string, string]> = {};
  for (const r of STATUS_PAGE_ROUTES) {
    const entry: [string, string] = [r.type, readFileSync(join(folder, r.file), "utf8")];
    routes[r.path] = () => entry;
  }
  return routes;
}

/** One built file as an ArrayBuffer of its own (what the ESP32 host's routes take; tests stand it in for a Resource). */
export function statusPageBytes(file: string): ArrayBuffer {
  const b = statusPageFile(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
