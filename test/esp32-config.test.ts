// The ESP32 host's site handling without a board: the authenticated site endpoint (hosts/esp32/http-routes.ts) refuses
// bad sites and keeps the running one, and the preference-backed store (hosts/esp32/site-store.ts) boots into the stored
// site only when it still passes its checker.
import test from "ava";
import { HttpRoutes, tokenMatches } from "../hosts/esp32/http-routes";
import { loadSite, PREF_DOMAIN, PREF_SITE, storeSite, type PreferenceStore } from "../hosts/esp32/site-store";
import { checkSite, profileTable } from "../modules/site";
import { FIXTURE_PROFILES } from "./fixtures/maps";

class MemoryPrefs implements PreferenceStore {
  readonly map = new Map<string, string | boolean | number | ArrayBuffer>();
  get(d: string, k: string) { return this.map.get(`${d}/${k}`); }
  set(d: string, k: string, v: string | boolean | number | ArrayBuffer) {
    if (d.length > 15 || k.length > 15) throw new Error("NVS names are at most 15 characters");
    this.map.set(`${d}/${k}`, v);
  }
  delete(d: string, k: string) { this.map.delete(`${d}/${k}`); }
}

const profiles = profileTable(FIXTURE_PROFILES);
const check = (json: unknown) => {
  const r = checkSite(json, profiles);
  return r.ok ? [] : r.errors;
};
const good = { bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: [{ name: "main", profile: "fixture-sdm120", unit: 1, intervalMs: 5000 }] };
const other = { ...good, meters: [{ name: "pv", profile: "fixture-nmid30-2", unit: 3, intervalMs: 5000 }] };

function routes(prefs: MemoryPrefs) {
  const accepted: string[] = [];
  const r = new HttpRoutes({
    adminToken: "s3cret-token",
    checkSite: check,
    accept: (text) => { storeSite(prefs, text); accepted.push(text); },
    documents: { "/api/meters": () => JSON.stringify({ meters: [] }) },
  });
  return { r, accepted };
}

test("GET serves the shared status page and the JSON documents; unknown paths list the endpoints", (t) => {
  const { r } = routes(new MemoryPrefs());
  const page = r.handle("GET", "/", "", "");
  t.is(page.status, 200);
  t.regex(page.type, /text\/html/);
  t.regex(page.body, /<!doctype html>/i);
  t.is(r.handle("GET", "/app.js", "", "").status, 200);
  t.deepEqual(JSON.parse(r.handle("GET", "/api/meters?x=1", "", "").body), { meters: [] });
  const missing = r.handle("GET", "/nope", "", "");
  t.is(missing.status, 404);
  t.deepEqual(JSON.parse(missing.body).endpoints, ["/api/meters"]);
  t.is(r.handle("DELETE", "/", "", "").status, 405);
});

test("PUT /api/site needs the bearer token; a bad site is refused with every problem and nothing is stored", (t) => {
  const prefs = new MemoryPrefs();
  const { r, accepted } = routes(prefs);
  t.is(r.handle("PUT", "/api/site", "", JSON.stringify(good)).status, 401);
  t.is(r.handle("PUT", "/api/site", "Bearer wrong-token!", JSON.stringify(good)).status, 401);
  t.is(r.handle("PUT", "/api/site", "Basic s3cret-token", JSON.stringify(good)).status, 401);
  t.is(r.handle("GET", "/api/site", "Bearer s3cret-token", "").status, 405);
  const notJson = r.handle("PUT", "/api/site", "Bearer s3cret-token", "{bus:");
  t.is(notJson.status, 400);
  const bad = r.handle("PUT", "/api/site", "Bearer s3cret-token", JSON.stringify({ bus: { port: "uart2", baud: 9601, framing: "8N1" }, meters: [{ name: "x", profile: "nope", unit: 300, intervalMs: 5000 }] }));
  t.is(bad.status, 400);
  const problems = JSON.parse(bad.body).problems as string[];
  t.true(problems.some((p) => p.startsWith("$.bus.baud")));
  t.true(problems.some((p) => p.includes("$.meters[0]")));
  t.is(accepted.length, 0);
  t.is(prefs.get(PREF_DOMAIN, PREF_SITE), undefined);
  const ok = r.handle("PUT", "/api/site", "Bearer s3cret-token", JSON.stringify(other));
  t.is(ok.status, 200, ok.body);
  t.is(accepted.length, 1);
  t.is(prefs.get(PREF_DOMAIN, PREF_SITE), JSON.stringify(other));
});

test("an empty admin token disables the site endpoint", (t) => {
  const r = new HttpRoutes({ adminToken: "", checkSite: check, accept: () => t.fail(), documents: {} });
  t.is(r.handle("PUT", "/api/site", "Bearer ", JSON.stringify(good)).status, 401);
  t.false(tokenMatches("", ""));
  t.true(tokenMatches("abc", "abc"));
  t.false(tokenMatches("abd", "abc"));
});

test("boot: the stored site when it passes, else the build default with the reason; a bad build default throws", (t) => {
  const prefs = new MemoryPrefs();
  const build = JSON.stringify(good);
  t.deepEqual(loadSite(prefs, build, check), { json: good, source: "build", note: "" });
  storeSite(prefs, JSON.stringify(other));
  t.deepEqual(loadSite(prefs, build, check).json, other);
  t.is(loadSite(prefs, build, check).source, "stored");
  // A stored site that no longer passes (its profile is gone from this firmware).
  storeSite(prefs, JSON.stringify({ ...good, meters: [{ name: "x", profile: "gone", unit: 1, intervalMs: 5000 }] }));
  const fallback = loadSite(prefs, build, check);
  t.is(fallback.source, "build");
  t.regex(fallback.note, /stored site refused: .*gone/);
  storeSite(prefs, "{not json");
  t.is(loadSite(prefs, build, check).note, "stored site is not JSON");
  t.throws(() => loadSite(new MemoryPrefs(), "{}", check), { instanceOf: RangeError, message: /config.site is invalid/ });
  t.throws(() => loadSite(new MemoryPrefs(), "nope", check), { instanceOf: TypeError });
});
