// The ESP32 host's site handling without a board: the authenticated site endpoint (hosts/esp32/http-routes.ts) refuses
// bad sites and keeps the running one, and the preference-backed store (hosts/esp32/site-store.ts) boots into the stored
// site only when it still passes its checker; the Wi-Fi keeper joins, backs off and recovers.
import test from "ava";
import { HttpRoutes, tokenMatches } from "../hosts/esp32/http-routes";
import { loadSite, readStoredSite, PREF_DOMAIN, PREF_SITE, storeSite, type PreferenceStore } from "../hosts/esp32/site-store";
import { checkSite, profileTable } from "../modules/site/site";
import { FIXTURE_PROFILES } from "./fixtures/maps";
import { WifiKeeper } from "../hosts/esp32/wifi-keeper";
import { FakeEsp32, FakePreference } from "../hosts/sim/esp32-fakes";
import { statusPageBytes } from "../hosts/node/status-page-files";
import { Simulation } from "../hosts/sim/index";

/** The SDK's preference on NVS (names ≤ 15 characters, values ≤ 4,000 bytes). */
class MemoryPrefs extends FakePreference implements PreferenceStore {}

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
    now: () => 0,
    checkSite: check,
    accept: (text) => { storeSite(prefs, text); accepted.push(text); },
    documents: { "/api/meters": () => JSON.stringify({ meters: [] }) },
    statusFile: statusPageBytes,
  });
  return { r, accepted };
}

test("GET serves the shared status page and the JSON documents; unknown paths list the endpoints", (t) => {
  const { r } = routes(new MemoryPrefs());
  const page = r.handle("GET", "/", "", "");
  t.is(page.status, 200);
  t.regex(page.type, /text\/html/);
  t.regex(Buffer.from(page.bytes!).toString("utf8"), /<!doctype html>/i);
  const script = r.handle("GET", "/app.js", "", "");
  t.is(script.status, 200);
  t.regex(script.type, /^text\/javascript/);
  t.deepEqual(Buffer.from(script.bytes!), Buffer.from(statusPageBytes("app.js.txt")), "the built bundle, as it is");
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
  t.is(readStoredSite(prefs).text, JSON.stringify(other));
});

test("an empty admin token disables the site endpoint", (t) => {
  const r = new HttpRoutes({ adminToken: "", now: () => 0, checkSite: check, accept: () => t.fail(), documents: {} });
  const off = r.handle("PUT", "/api/site", "Bearer ", JSON.stringify(good));
  t.is(off.status, 403);
  t.regex(JSON.parse(off.body).error, /built without adminToken \(mcconfig … adminToken=/);
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

// ---- Wi-Fi keeper (hosts/esp32/wifi-keeper.ts) with a fake of the SDK's `wifi` class on the fake board's timers ----

class FakeWiFi {
  static made: FakeWiFi[] = [];
  closed = false;
  constructor(readonly options: { ssid: string; password?: string } | undefined, readonly notify: (m: string) => void) {
    FakeWiFi.made.push(this);
  }
  close(): void { this.closed = true; }
}

function keeper(ssid: string, firstDelayMs = 20000) {
  FakeWiFi.made = [];
  const sim = new Simulation({ seed: 1 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [] });
  const events: string[] = [];
  const k = new WifiKeeper(board.io, FakeWiFi, ssid, "pw", () => events.push("up"), () => events.push("down"), () => {}, firstDelayMs);
  return { sim, k, events };
}

test("wifi: no ssid, no join; the bus runs alone", (t) => {
  const { sim, k } = keeper("");
  sim.runFor(120e6);
  t.is(FakeWiFi.made.length, 0);
  t.is(k.joins, 0);
});

test("wifi: the SDK's own join gets an address first: the keeper only listens and reports up", (t) => {
  const { sim, k, events } = keeper("home");
  t.is(FakeWiFi.made.length, 1);
  t.is(FakeWiFi.made[0].options, undefined, "monitor only, no connect");
  sim.runFor(5e6);
  FakeWiFi.made[0].notify("gotIP");
  sim.runFor(60e6);
  t.deepEqual(events, ["up"]);
  t.is(k.joins, 0);
});

test("wifi: access point down at boot: the keeper joins after its delay, retries with a doubling delay, and recovers", (t) => {
  const { sim, k, events } = keeper("home");
  sim.runFor(19.9e6);
  t.is(k.joins, 0);
  sim.runFor(0.2e6);
  t.is(k.joins, 1);
  t.deepEqual(FakeWiFi.made[1].options, { ssid: "home", password: "pw" });
  t.true(FakeWiFi.made[0].closed, "the monitor is closed before joining");
  // The attempt fails twice (the driver may repeat the event): 2 s, then 4 s.
  FakeWiFi.made[1].notify("disconnect");
  FakeWiFi.made[1].notify("disconnect");
  sim.runFor(2.1e6);
  t.is(k.joins, 2);
  FakeWiFi.made[2].notify("disconnect");
  sim.runFor(3.9e6);
  t.is(k.joins, 2);
  sim.runFor(0.2e6);
  t.is(k.joins, 3);
  FakeWiFi.made[3].notify("gotIP");
  t.deepEqual(events, ["up"]);
  // Lost later: down, and a join 2 s later (the delay was reset by the success).
  FakeWiFi.made[3].notify("lostIP");
  t.deepEqual(events, ["up", "down"]);
  sim.runFor(2.1e6);
  t.is(k.joins, 4);
  FakeWiFi.made[4].notify("gotIP");
  t.deepEqual(events, ["up", "down", "up"]);
  t.true(k.up);
});
