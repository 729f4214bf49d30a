// Quality per point on the running concentrator (hosts/node/concentrator.ts over the simulated demo site): /api/meters
// (metersDocument with the concentrator's PointQuality) says "fresh" for polled points, and "invalid" for every point of
// a meter that went offline, whose old numbers the status page then no longer shows as current.
import test from "ava";
import { SimSite } from "../hosts/node/sim-site";
import { DEMO_SITE, readSiteFile } from "../hosts/node/site-file";
import { metersDocument } from "../modules/forwarding/status-json";

test("fresh while polled, invalid once the meter is offline", async (t) => {
  const l = readSiteFile(DEMO_SITE);
  if (!l.site) throw new Error(l.errors.join("\n"));
  const s = await SimSite.create(l.site, l.simulation, { seed: 1, epochMs: Date.UTC(2026, 11, 3), http: { enabled: false } });
  try {
    s.runUntil(30_000_000);
    const doc = () => metersDocument(s.conc.store, s.now, Date.UTC(2026, 11, 3) + s.now / 1000, s.conc.quality) as { meters: { name: string; points: { name: string; quality: string }[] }[] };
    const before = doc();
    for (const m of before.meters) {
      const q = m.points.map((p) => p.quality);
      t.true(q.filter((x) => x === "fresh").length >= q.length - 2, `${m.name}: ${q.join(",")}`);
    }
    s.meters[1].emulator.dead = true;
    s.runUntil(90_000_000);
    const after = doc();
    t.true(after.meters[1].points.every((p) => p.quality === "invalid"), after.meters[1].points.map((p) => p.quality).join(","));
    t.true(after.meters[0].points.some((p) => p.quality === "fresh"));
  } finally {
    await s.conc.stop(0);
  }
});
