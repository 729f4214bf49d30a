// Issue 20 item 9: `rc485 sim` never blocks its event loop for more than a bounded slice. The demo site driven by the
// pacer (hosts/node/sim-pacer.ts) with an injected wall clock: a slow step (every simulator event costs fake wall time)
// must leave every slice within its event bound and report the lag; a fast one keeps pace and reports none. Deterministic:
// the bounds are asserted in events and virtual time, the "wall clock" is a counter the test advances.
import test from "ava";
import { SimPacer } from "../hosts/node/sim-pacer";
import { SimSite } from "../hosts/node/sim-site";
import { DEMO_SITE, readSiteFile } from "../hosts/node/site-file";

async function demo(): Promise<SimSite> {
  const l = readSiteFile(DEMO_SITE);
  if (!l.site) throw new Error(l.errors.join("\n"));
  return SimSite.create(l.site, l.simulation, { seed: 1, epochMs: Date.UTC(2026, 10, 21), http: { enabled: false }, gateway: { enabled: false } });
}

/** Makes every simulator event cost `msPerEvent` of the fake wall clock (a CPU too slow for the speed asked). */
function slowSteps(s: SimSite, clock: { ms: number }, msPerEvent: number): void {
  const q = s.sim.queue;
  const step = q.step.bind(q);
  q.step = (limit: number) => {
    const ran = step(limit);
    if (ran) clock.ms += msPerEvent;
    return ran;
  };
}

test("a CPU too slow for 4000x: every slice stays within its bound, the loop gets control back, the lag is reported", async (t) => {
  const s = await demo();
  try {
    const clock = { ms: 0 };
    slowSteps(s, clock, 0.05); // 50 µs per event: about 20,000 events per wall second
    const sliceMs = 50;
    const chunkEvents = 100;
    const pacer = new SimPacer(s, { speed: 4000, wallMs: () => clock.ms, sliceMs, chunkEvents });
    const bound = sliceMs / 0.05 + chunkEvents; // events one slice may run: its wall budget, plus the chunk that crossed it
    let yields = 0;
    for (let i = 0; i < 40; i++) {
      clock.ms += 20; // the event loop's turn (status page, gateway) between slices
      yields++;
      const before = s.now;
      const caughtUp = pacer.slice();
      t.false(caughtUp, `slice ${i} cannot reach the target`);
      t.true(pacer.lastSliceEvents <= bound, `slice ${i} ran ${pacer.lastSliceEvents} events (bound ${bound})`);
      t.true(pacer.lastSliceEvents >= 900, `slice ${i} did work: ${pacer.lastSliceEvents} events`);
      t.true(s.now > before, "virtual time moved on");
    }
    const r = pacer.report();
    t.is(yields, 40);
    t.is(r.slices, 40);
    t.is(r.slicesBehind, 40);
    t.true(r.maxSliceEvents <= bound);
    t.true(r.behindS > 1000, `behind by ${r.behindS} s of site time`);
    t.true(r.maxBehindS >= r.behindS);
    t.true(r.achievedSpeed > 0 && r.achievedSpeed < 4000 / 5, `achieved ${r.achievedSpeed}x`);
    // Done the old way (run to the target in one call), the same lag is a single uninterrupted stretch of many slices.
    const eventsToCatchUp = (() => {
      const q = s.sim.queue;
      const fired = q.fired;
      s.runUntil(pacer.targetUs());
      return q.fired - fired;
    })();
    t.true(eventsToCatchUp > 20 * bound, `catching up at once would run ${eventsToCatchUp} events without yielding`);
  } finally {
    await s.conc.stop(0);
  }
});

test("a CPU fast enough: each slice reaches the target, no lag is reported, the meters' load model keeps its seconds", async (t) => {
  const s = await demo();
  try {
    const clock = { ms: 0 };
    slowSteps(s, clock, 0.0001);
    const pacer = new SimPacer(s, { speed: 100, wallMs: () => clock.ms });
    for (let i = 0; i < 50; i++) {
      const target = pacer.targetUs();
      t.true(pacer.slice(), `slice ${i} reached the target`);
      t.true(s.now >= target, `${s.now} ≥ ${target}`);
      clock.ms += 20;
    }
    const r = pacer.report();
    t.is(r.behindS, 0);
    t.is(r.maxBehindS, 0);
    t.is(r.slicesBehind, 0);
    t.true(s.now >= 98_000_000, `site time ${s.now} µs after 49 × 20 ms of wall time at 100x`);
    t.true(s.transactions > 100, `${s.transactions} transactions`);
    t.true(s.conc.store.meters.every((m) => m.readings > 0), "every meter was read");
  } finally {
    await s.conc.stop(0);
  }
});

test("slice(limit) never runs past the limit (the --duration end)", async (t) => {
  const s = await demo();
  try {
    const clock = { ms: 0 };
    const pacer = new SimPacer(s, { speed: 1000, wallMs: () => clock.ms });
    clock.ms = 10_000;
    t.true(pacer.slice(2_500_000) || s.now < 2_500_000);
    while (!pacer.slice(2_500_000));
    t.is(s.now, 2_500_000);
  } finally {
    await s.conc.stop(0);
  }
});
