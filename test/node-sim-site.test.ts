// The simulated demo site in-process (hosts/node/sim-site.ts, no HTTP): readings reach the store for every meter, energy
// totals only rise, the bus-efficiency figure is high with a 1 ms host tick and falls as the tick grows (the measure
// can fail), and the same seed gives the same run.
import test from "ava";
import { SimSite } from "../hosts/node/sim-site";
import { DEMO_SITE, readSiteFile } from "../hosts/node/site-file";

async function demo(simulation: Record<string, unknown> = {}, seed = 1): Promise<SimSite> {
  const l = readSiteFile(DEMO_SITE);
  if (!l.site) throw new Error(l.errors.join("\n"));
  return SimSite.create(l.site, { ...l.simulation, ...simulation }, { seed, epochMs: Date.UTC(2026, 10, 21), http: { enabled: false } });
}

test("every meter is read; energy totals only rise; power stays plausible; efficiency >= 98% with a 1 ms tick", async (t) => {
  const s = await demo();
  try {
    const store = s.conc.store;
    const last = store.meters.map(() => -Infinity);
    for (let k = 1; k <= 30; k++) {
      s.runUntil(k * 10_000_000);
      store.meters.forEach((m, i) => {
        const e = m.meta.points.findIndex((p) => p.deviceClass === "energy" && p.name.includes("import"));
        const v = m.values[e];
        if (Number.isFinite(v)) {
          t.true(v >= last[i], `${m.meta.name} energy ${v} after ${last[i]}`);
          last[i] = v;
        }
        if (m.powerIndex >= 0 && Number.isFinite(m.values[m.powerIndex])) {
          const p = m.values[m.powerIndex];
          t.true(p >= 0 && p < 100_000, `${m.meta.name} power ${p}`);
        }
      });
    }
    for (const m of store.meters) t.true(m.readings >= 25, `${m.meta.name}: ${m.readings} readings in 300 s`);
    t.true(last.every((x) => Number.isFinite(x)), "every meter published an energy total");
    t.true(s.busEfficiency() >= 0.98, `efficiency ${s.busEfficiency()}`);
    t.true(s.efficiency.transactions > 500);
    const fec = s.fecLinks()[0];
    t.true(fec.frames > 0 && fec.errors > 0 && fec.corrected > 0);
  } finally {
    await s.conc.stop(0);
  }
});

test("the efficiency figure measures the host timer: exact 100%, 1 ms tick lower, 2 ms tick lower still", async (t) => {
  const figures: number[] = [];
  for (const tickUs of [0, 1000, 2000]) {
    const s = await demo({ tickUs });
    s.runUntil(120_000_000);
    figures.push(s.busEfficiency());
    await s.conc.stop(0);
  }
  t.true(figures[0] > 0.99999, `exact timer: ${figures[0]}`);
  t.true(figures[1] < figures[0] && figures[2] < figures[1], `efficiency by tick 0/1/2 ms: ${figures.join(", ")}`);
});

test("same seed, same run", async (t) => {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const s = await demo({}, 7);
    s.runUntil(60_000_000);
    runs.push(JSON.stringify({ links: s.conc.links(), values: s.conc.store.meters.map((m) => Array.from(m.values)) }));
    await s.conc.stop(0);
  }
  t.is(runs[0], runs[1]);
});
