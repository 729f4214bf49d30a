import { STATUS_CSS, STATUS_HTML, STATUS_ICON, STATUS_JS } from "../../modules/status-page";
import type { Cases } from "../harness/check";

export const cases: Cases = {
  "the page works offline: no external scripts, styles, fonts or images"(t) {
    for (const [name, text] of [["html", STATUS_HTML], ["css", STATUS_CSS], ["js", STATUS_JS]]) {
      const urls = text.match(/(?:https?:)?\/\/[A-Za-z0-9.-]+/g) ?? [];
      t.deepEqual(urls.filter((u) => u !== "http://www.w3.org"), [], `${name} loads nothing from the network`);
      t.ok(!/@import|url\(/.test(text), `${name} pulls in no further resources`);
    }
    t.ok(STATUS_HTML.indexOf('<script src="app.js"></script>') > 0);
    t.ok(STATUS_HTML.indexOf('href="app.css"') > 0);
    t.ok(STATUS_ICON.indexOf("<svg") === 0);
  },
  "the script never parses data as markup"(t) {
    t.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/.test(STATUS_JS));
    t.ok(!/setAttribute\("style"/.test(STATUS_JS), "inline style attributes would be blocked by the CSP");
    t.ok(!/<script>/.test(STATUS_HTML) && !/ style="/.test(STATUS_HTML) && !/ on[a-z]+="/.test(STATUS_HTML), "no inline script, style or handler");
  },
  "the page polls the JSON endpoints with relative URLs (works behind a path prefix)"(t) {
    for (const ep of ["api/meters", "api/history", "api/links", "api/health"]) t.ok(STATUS_JS.indexOf(`get("${ep}")`) >= 0, ep);
    t.ok(STATUS_JS.indexOf('"/api') < 0);
  },
};
