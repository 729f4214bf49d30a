// Site configuration: every problem listed with its JSON path, unknown profiles and points rejected, defaults filled,
// and the plan and scheduler options derived from it.
import { checkSite, planForSite, profileTable, replyTimeoutUs, schedulerOptionsFor } from "../../../modules/site/site";
import type { Cases } from "../../harness/check";
import { DC_METER, FIXTURE_PROFILES, SDM630 } from "../../fixtures/maps";
import small from "../../fixtures/sites/small.json";
import bad from "../../fixtures/sites/bad.json";

const profiles = profileTable(FIXTURE_PROFILES);

export const cases: Cases = {
  "a valid site resolves profiles and points, with defaults filled"(t) {
    const r = checkSite(small, profiles);
    t.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
    if (!r.ok) return;
    const s = r.site;
    t.is(s.meters.length, 4);
    t.is(s.meters[0].profile, SDM630);
    t.deepEqual(s.meters[0].points.map((i) => SDM630.points[i].name), ["voltage_l1", "voltage_l2", "voltage_l3", "power", "energy_import", "energy_export"]);
    t.is(s.meters[1].points.length, s.meters[1].profile.points.length, "no list: every point");
    t.is(s.meters[1].priority, 0);
    t.is(s.bus.turnaroundMs, 5);
    t.deepEqual(s.forwarding, { mqtt: { url: "mqtt://127.0.0.1:1883" } });
    t.is(s.gateway, null);
    const plan = planForSite(s);
    t.is(plan.meters.length, 4);
    t.is(plan.values.length, 6 + s.meters[1].points.length + s.meters[2].points.length + 4);
    const so = schedulerOptionsFor(s, plan);
    t.deepEqual(so.meters.map((m) => m.intervalUs), [10000000, 5000000, 5000000, 2000000]);
    t.is(so.retries, 1);
    // Computed timeout: the largest reply's air time + 200 ms.
    t.is(replyTimeoutUs(s, plan, 3), plan.line.airTimeUs(5 + 2 * 14) + 200000);
  },
  "a meter may name the repeater segment it sits behind (via); the status page shows it"(t) {
    const json = JSON.parse(JSON.stringify(small)) as { meters: Record<string, unknown>[] };
    json.meters[1].via = "barn (R/C)";
    const r = checkSite(json, profiles);
    t.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
    if (!r.ok) return;
    t.is(r.site.meters[1].via, "barn (R/C)");
    t.is(r.site.meters[0].via, undefined);
    json.meters[1].via = "";
    const bad2 = checkSite(json, profiles);
    t.ok(!bad2.ok && bad2.errors.some((e) => e.startsWith("$.meters[1].via: must be the name of the repeater segment")));
  },
  "every problem is listed with its JSON path"(t) {
    const r = checkSite(bad, profiles);
    t.ok(!r.ok);
    if (r.ok) return;
    t.deepEqual(r.errors, [
      "$.bus.baud: must be one of 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600 (got 9601)",
      '$.meters[0].points[1]: unknown point "voltage_l4" in profile fixture-sdm630',
      '$.meters[1].name: repeats $.meters[0].name (got "main")',
      "$.meters[1].unit: repeats $.meters[0].unit: two meters cannot share a unit id on one bus (got 1)",
      '$.meters[1].profile: unknown profile "eastron-sdm999" (known: fixture-dc-meter, fixture-nmid30-2, fixture-sdm120, fixture-sdm630)',
    ]);
  },
  "history section: sizes the status page's ring (default 30 × 120 s: the last hour); bad values are named"(t) {
    const bus = { port: "x", baud: 9600, framing: "8N1" };
    const meters = [{ name: "m", profile: "fixture-sdm120", unit: 1, intervalMs: 1000 }];
    const d = checkSite({ bus, meters }, profiles);
    t.ok(d.ok);
    if (d.ok) t.deepEqual(d.site.history, { buckets: 30, bucketUs: 120_000_000 });
    const c = checkSite({ bus, meters, history: { buckets: 240, bucketSeconds: 15 } }, profiles);
    t.ok(c.ok);
    if (c.ok) t.deepEqual(c.site.history, { buckets: 240, bucketUs: 15_000_000 });
    const bad = checkSite({ bus, meters, history: { buckets: 1, bucketSeconds: 0.5, length: 3 } }, profiles);
    t.ok(!bad.ok);
    if (!bad.ok) t.deepEqual(bad.errors, [
      "$.history.length: unknown field; allowed: buckets, bucketSeconds",
      "$.history.buckets: must be an integer from 2 to 10000 (got 1)",
      "$.history.bucketSeconds: must be an integer from 1 to 86400 (got 0.5)",
    ]);
  },
  "structure errors: missing sections, wrong types, unknown fields"(t) {
    const r = checkSite({ meters: [], extra: 1, gateway: 3 }, profiles);
    t.ok(!r.ok);
    if (r.ok) return;
    t.deepEqual(r.errors, [
      "$.extra: unknown section; allowed: bus, meters, forwarding, gateway, repeater, history",
      "$.bus: must be an object {port, baud, framing, ...} (got nothing)",
      "$.meters: must be a non-empty list of meters (or [] with a gateway section) (got [])",
      "$.gateway: must be an object (got 3)",
    ]);
    const r2 = checkSite({ bus: { port: "x", baud: 9600, framing: "8N1", retries: -1, parity: "E" }, meters: [{ name: "a b", profile: 5, unit: 0, intervalMs: 50, points: [] }] }, profiles);
    t.ok(!r2.ok);
    if (!r2.ok) t.is(r2.errors.length, 7, r2.errors.join("\n"));
    t.ok(!checkSite(null, profiles).ok);
  },
  "a gateway-only site: meters [] is valid with a gateway section, and only then"(t) {
    const bus = { port: "p", baud: 9600, framing: "8N1" };
    const r = checkSite({ bus, meters: [], gateway: { port: 0 } }, profiles);
    t.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
    if (r.ok) t.is(r.site.meters.length, 0);
    const r2 = checkSite({ bus, meters: [] }, profiles);
    t.ok(!r2.ok);
    if (!r2.ok) t.deepEqual(r2.errors, ["$.meters: must be a non-empty list of meters (or [] with a gateway section) (got [])"]);
    const r3 = checkSite({ bus, meters: {}, gateway: {} }, profiles);
    t.ok(!r3.ok);
    if (!r3.ok) t.deepEqual(r3.errors, ["$.meters: must be a list of meters ([] for a gateway alone) (got {})"]);
  },
  "points may be chosen, but not repeated"(t) {
    const site = { bus: { port: "p", baud: 19200, framing: "8E1" }, meters: [{ name: "dc", profile: "fixture-dc-meter", unit: 7, intervalMs: 1000, points: ["voltage", "voltage"] }] };
    const r = checkSite(site, profiles);
    t.ok(!r.ok);
    site.meters[0].points = ["power"];
    const r2 = checkSite(site, profiles);
    t.ok(r2.ok);
    if (r2.ok) t.deepEqual(r2.site.meters[0].points, [DC_METER.points.findIndex((p) => p.name === "power")]);
  },
  "the forwarding section is checked by its own checker and reported with the rest"(t) {
    const r = checkSite({ ...small, forwarding: { http: { port: 70000 } } }, profiles);
    t.ok(!r.ok);
    if (!r.ok) t.deepEqual(r.errors, ["$.forwarding.http.port: 70000 must be an integer 0..65535"]);
  },
  "a profile id loaded twice is an error"(t) {
    t.throws(() => profileTable([SDM630, SDM630]), RangeError);
  },
};
