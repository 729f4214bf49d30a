import { STATUS_PAGE_ROUTES, statusPageFiles } from "../../../modules/forwarding/status-page";
import type { Cases } from "../../harness/check";

// The page's route table (the page's own checks, on its source and bundle, are in test/status-page.test.ts).
export const cases: Cases = {
  "every path of the page is served once, from one of the built files"(t) {
    const paths = STATUS_PAGE_ROUTES.map((r) => r.path);
    t.deepEqual(paths.filter((p, i) => paths.indexOf(p) !== i), [], "no path twice");
    for (const p of ["/", "/index.html", "/app.css", "/app.js", "/icon.svg", "/favicon.ico"]) t.ok(paths.indexOf(p) >= 0, p);
    t.deepEqual(statusPageFiles(), ["index.html", "app.css", "app.js.txt", "icon.svg"]);
    for (const r of STATUS_PAGE_ROUTES) t.ok(!/\.(js|json)$/.test(r.file), `${r.file}: mcconfig takes no .js or .json file as a resource`);
  },
  "the page and its script are served as what the browser needs"(t) {
    const typeOf = (path: string) => STATUS_PAGE_ROUTES.filter((r) => r.path === path)[0].type;
    t.is(typeOf("/"), "text/html; charset=utf-8");
    t.is(typeOf("/app.js"), "text/javascript; charset=utf-8", "nosniff refuses a script of any other type");
    t.is(typeOf("/app.css"), "text/css; charset=utf-8", "nosniff refuses a stylesheet of any other type");
    t.is(typeOf("/favicon.ico"), "image/svg+xml");
  },
};
