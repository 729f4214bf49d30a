// The concentrator's poll data answering TCP reads (gateway cacheTtlMs, docs/gateway.md "Cached answers and staleness"):
// the runtime of `rc485 sim` (hosts/node/sim-site.ts → hosts/node/concentrator.ts) records every successful poll; a
// pymodbus read of a polled range within the TTL is answered from it without a bus transaction, one outside the polled
// ranges still goes to the meter.
import test from "ava";
import { GW_FROM_BUS, GW_FROM_CACHE } from "../modules/gateway/engine";
import { readSiteFile } from "../hosts/node/site-file";
import { SimSite } from "../hosts/node/sim-site";
import { ROOT, killClients, pymodbus } from "./harness/gateway-peers";

test.after.always(() => killClients());

test("reads of freshly polled registers come from the poll data; others cross the bus", async (t) => {
  const loaded = readSiteFile(`${ROOT}test/fixtures/sites/gateway-sim.json`);
  t.truthy(loaded.site, loaded.errors.join("; "));
  const site = { ...loaded.site!, gateway: { ...loaded.site!.gateway, cacheTtlMs: 5000 } };
  const s = await SimSite.create(site, loaded.simulation, { epochMs: Date.now(), http: { enabled: false }, gateway: { port: 0 } });
  const running = s.conc.gateway!;
  const t0 = Date.now();
  s.runUntil(3_000_000); // three seconds of polls first
  const pace = setInterval(() => s.runUntil(3_000_000 + (Date.now() - t0) * 1000), 2);
  try {
    const counters = running.gateway.counters;
    const bus0 = counters[GW_FROM_BUS];
    const r = await pymodbus(running.address.port, [["ri", 2, 0, 2], ["ri", 12, 0, 2], ["rh", 2, 0x14, 2]]);
    const [direct, alias, other] = r as { registers?: number[]; exception?: number }[];
    const f32 = (w: number[]) => new DataView(new Uint16Array([w[1], w[0]]).buffer).getFloat32(0, true);
    t.true(f32(direct.registers!) > 200 && f32(direct.registers!) < 260, JSON.stringify(r));
    t.true(f32(alias.registers!) > 200 && f32(alias.registers!) < 260, JSON.stringify(r));
    t.is(counters[GW_FROM_CACHE], 2, "both voltage reads answered from poll data");
    t.is(counters[GW_FROM_BUS] - bus0, 1, "the holding-register read, which no poll covers, crossed the bus");
    t.truthy(other.registers ?? other.exception, JSON.stringify(other));
  } finally {
    clearInterval(pace);
    await s.conc.stop(0);
  }
});
