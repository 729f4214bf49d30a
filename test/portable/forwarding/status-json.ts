import { healthDocument, historyDocument, linksDocument, metersDocument, planDocument } from "../../../modules/forwarding/status-json";
import type { Cases } from "../../harness/check";
import { syntheticSite } from "../../harness/synthetic-site";

export const cases: Cases = {
  "meters document: latest values, health and staleness"(t) {
    const s = syntheticSite();
    const d = metersDocument(s.store, s.nowUs, s.nowMs);
    t.is(d.time, "2026-11-21T06:00:00.000Z");
    t.deepEqual(d.meters.map((m) => m.name), ["house", "heatpump", "pv", "barn"]);
    const house = d.meters[0];
    t.ok(house.online && !house.stale);
    t.is(house.points.length, 8);
    t.is(house.points[4].name, "power_active_total");
    t.ok(typeof house.points[4].value === "number" && (house.points[4].value as number) > 0);
    t.is(house.points[6].unit, null, "power factor has no unit");
    t.is(house.readingTime, "2026-11-21T05:59:50.040Z");
    const barn = d.meters[3];
    t.ok(!barn.online, "barn is offline after its last failures");
    t.ok(barn.stale, "and its reading is stale");
    t.ok((barn.ageS as number) > 200);
    t.is(barn.lastFault, "timeout");
    t.ok(barn.faults.timeout > 0 && barn.faults.crc > 0);
    t.ok((barn.errorRate as number) > 0 && (barn.errorRate as number) < 1);
    t.is(JSON.parse(JSON.stringify(d)).meters.length, 4);
  },
  "meters document: energy today and this month per meter, the repeater path, and site totals"(t) {
    const s = syntheticSite();
    const d = metersDocument(s.store, s.nowUs, s.nowMs);
    const [house, heatpump, pv, barn] = d.meters;
    t.is(house.via, null);
    t.is(barn.via, "barn segment (R/C)");
    t.is(house.powerUnit, "W");
    t.ok(house.energy !== null && house.energy.direction === "import" && house.energy.point === "energy_active_import_total");
    t.is(pv.energy!.direction, "export");
    t.is(house.energy!.todayFrom, "2026-11-21T05:00:00.040Z", "the store began at 05:00: today counts from then");
    t.ok(house.energy!.today! > 1 && house.energy!.today! < 2);
    t.is(house.energy!.month, house.energy!.today);
    t.deepEqual(d.totals.import.meters, ["house", "heatpump", "barn"]);
    t.deepEqual(d.totals.export.meters, ["pv"]);
    t.deepEqual(d.totals.import.missing.powerKw, ["barn"], "a stale meter's power is not summed");
    t.ok(Math.abs(d.totals.import.powerKw! - (house.power! + heatpump.power!) / 1000) < 1e-3, "site power: the fresh import meters");
    const today = house.energy!.today! + heatpump.energy!.today! + barn.energy!.today!;
    t.ok(Math.abs(d.totals.import.todayKwh! - today) < 2e-3);
    t.ok(Math.abs(d.totals.export.powerKw! - pv.power! / 1000) < 1e-3);
  },
  "history document: 120 buckets of 30 s ending at now, power and error rate per meter"(t) {
    const s = syntheticSite();
    const h = historyDocument(s.store, s.nowUs, s.nowMs);
    t.is(h.bucketS, 30);
    t.is(h.meters[0].power.length, 120);
    // now = 3601 s on the store's clock: the last bucket is [3600 s, 3630 s), the first [30 s, 60 s)
    t.is(h.t0Ms, s.nowMs - 3_571_000);
    t.is(h.meters[0].powerPoint, "power_active_total");
    t.is(h.meters[0].powerUnit, "W");
    t.ok(h.meters[0].power.filter((v) => v !== null).length >= 119);
    const barnRates = h.meters[3].errorRate.filter((v) => v !== null) as number[];
    t.ok(Math.max(...barnRates) === 1, "the barn's last buckets are all failures");
    t.ok(h.meters[0].errorRate.every((v) => v === null || v === 0));
  },
  "links, plan and health documents"(t) {
    const s = syntheticSite();
    const l = linksDocument(s.links, s.nowMs);
    t.is(l.links.length, 2);
    t.is(l.links[1].kind, "fec");
    t.ok((l.links[1].errorRate as number) > (l.links[1].residualRate as number));
    t.deepEqual(linksDocument(undefined, s.nowMs).links, []);
    t.is(planDocument(undefined, s.nowMs).plan, null);
    t.is((planDocument(s.plan, s.nowMs).plan as { meters: unknown[] }).meters.length, 4);
    const h = healthDocument(s.store, s.nowMs, { mqtt: { connected: true } });
    t.is(h.status, "degraded");
    t.deepEqual(h.meters, { online: 3, total: 4 });
    t.deepEqual(h.mqtt, { connected: true });
  },
};
