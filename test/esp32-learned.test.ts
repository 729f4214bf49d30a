// The ESP32's learned limits (hosts/esp32/learned-store.ts, site-poller.ts): kept in one preference, written only when
// they changed, refused (and said so) when too long for an NVS value, unreadable values never stop the boot; the poller
// plans with the learned caps.
import test from "ava";
import { loadLearnedPreference, saveLearnedPreference, PREF_LEARNED } from "../hosts/esp32/learned-store";
import { sitePoller } from "../hosts/esp32/site-poller";
import { PREF_DOMAIN, type PreferenceStore } from "../hosts/esp32/site-store";
import { LearnedLimits } from "../modules/commissioning/learned-limits";
import { STATUS_EXCEPTION, STATUS_OK } from "../modules/master/status";
import { checkSite, profileTable } from "../modules/site/site";
import { allProfiles } from "./harness/profiles";

function prefs(): PreferenceStore & { map: Map<string, unknown>; sets: number } {
  const map = new Map<string, unknown>();
  const p = {
    map, sets: 0,
    get: (d: string, k: string) => map.get(`${d}/${k}`) as string | undefined,
    set: (d: string, k: string, v: unknown) => { p.sets++; map.set(`${d}/${k}`, v); },
    delete: (d: string, k: string) => { map.delete(`${d}/${k}`); },
  };
  return p;
}

test("stored when changed, restored at boot, unreadable or foreign values never stop it", (t) => {
  const store = prefs();
  const log: string[] = [];
  const a = new LearnedLimits(2);
  a.observe(0, 4, 6, STATUS_OK, 0, 5000);
  a.observe(0, 4, 40, STATUS_EXCEPTION, 3, -1);
  let text = saveLearnedPreference(store, a, ["x", "y"], "", (l) => log.push(l));
  t.is(store.sets, 1);
  t.is(saveLearnedPreference(store, a, ["x", "y"], text, (l) => log.push(l)), text);
  t.is(store.sets, 1, "unchanged: no write");
  const b = new LearnedLimits(2);
  t.is(loadLearnedPreference(store, b, ["x", "y"]), "learned: restored 2 meters");
  t.is(b.cap[0], 23);
  store.map.set(`${PREF_DOMAIN}/${PREF_LEARNED}`, "{not json");
  t.regex(loadLearnedPreference(store, new LearnedLimits(2), ["x", "y"]) ?? "", /unreadable/);
  store.map.set(`${PREF_DOMAIN}/${PREF_LEARNED}`, JSON.stringify({ version: 9 }));
  t.regex(loadLearnedPreference(store, new LearnedLimits(2), ["x", "y"]) ?? "", /another format/);
  t.is(loadLearnedPreference(prefs(), new LearnedLimits(2), ["x", "y"]), null);
  const many = new LearnedLimits(200);
  text = saveLearnedPreference(prefs(), many, Array.from({ length: 200 }, (_, i) => `meter-with-a-long-name-${i}`), "", (l) => log.push(l));
  t.is(text, "");
  t.regex(log.join("\n"), /more than one NVS value holds/);
});

test("the poller plans with the learned caps", (t) => {
  const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: [{ name: "house", profile: "eastron-sdm630", unit: 1, intervalMs: 5000 }] }, profileTable(allProfiles()));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const port = { transmit() {} };
  const plain = sitePoller(r.site, port, 4000, 1000, null);
  const learned = new LearnedLimits(1);
  learned.cap[0] = 20;
  const capped = sitePoller(r.site, port, 4000, 1000, null, null, learned);
  t.true(Math.max(...plain.plan.reads.map((x) => x.count)) > 20);
  t.true(Math.max(...capped.plan.reads.map((x) => x.count)) <= 20);
  t.true(capped.plan.reads.length > plain.plan.reads.length);
});

test("the poller's master has the learned timing restored from the preference before the first poll", (t) => {
  const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: [{ name: "house", profile: "eastron-sdm630", unit: 1, intervalMs: 5000 }] }, profileTable(allProfiles()));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const learned = new LearnedLimits(1);
  t.is(learned.load({ house: { cap: 0, timeoutMs: 120, gapMs: 40, latencyMs: 30 } }, ["house"]), 1);
  const p = sitePoller(r.site, { transmit() {} }, 4000, 1000, null, null, learned);
  const c = p.loop.master.config;
  t.is(c.rowLearnedUs[c.unitRow[1]], 120000);
  t.is(c.gapBefore(1, 1), 40000 + c.t35Us);
  t.true(c.learnedTimeout(1, 9) > 120000);
});
