// `npm run bench:commissioning` (Node only, the simulator's virtual clock): the two commissioning targets of issue 14.
//  1. Scan of the simulated bench bus (sites/scan-demo.json: 8 meters of 4 models at 2 bauds × 2 framings): found,
//     identified, bus time per line setting and in all.
//  2. Learned limits (hosts/sim/learning-run.ts): meters whose real caps and turnarounds differ from their profiles;
//     per polling cycle, the plan's bus time against the plan made with the true caps, failed reads, wrong values.
// Bus times are virtual (deterministic for the seed), not wall-clock.
import { SCAN_DEMO_SITE } from "../hosts/node/commands/scan";
import { scanSimulated } from "../hosts/node/scan-sim";
import { readSiteFile } from "../hosts/node/site-file";
import { learningRun } from "../hosts/sim/learning-run";

const sf = readSiteFile(SCAN_DEMO_SITE);
if (!sf.site) throw new Error(sf.errors.join("\n"));
const settings = [{ baud: 9600, framing: "8N1" as const }, { baud: 9600, framing: "8E1" as const }, { baud: 19200, framing: "8N1" as const }, { baud: 19200, framing: "8E1" as const }];
const scans = scanSimulated(sf.site, sf.simulation, settings, sf.profiles, { timeoutUs: 50000 });
const sim = sf.simulation.meters as Record<string, { baud: number; framing: string }>;
let identified = 0;
let found = 0;
let total = 0;
console.log("| scan: line setting | meters there | found | identified | requests | bus time |");
console.log("|---|---|---|---|---|---|");
for (const s of scans) {
  const here = sf.site.meters.filter((m) => sim[m.name].baud === s.setting.baud && sim[m.name].framing === s.setting.framing);
  const f = here.filter((m) => s.scanner.found[m.unit] !== 0).length;
  const id = here.filter((m) => s.scanner.profileFor(m.unit)?.id === m.profileId).length;
  found += f;
  identified += id;
  total += s.busUs;
  console.log(`| ${s.setting.baud} ${s.setting.framing} | ${here.length} | ${f} | ${id} | ${s.scanner.requests} | ${(s.busUs / 1e6).toFixed(1)} s |`);
}
console.log(`| all | ${sf.site.meters.length} | ${found} | ${identified} | | ${(total / 1e6).toFixed(1)} s |`);

const ps = new Map(sf.profiles.map((p) => [p.id, p]));
const run = learningRun([
  { profile: ps.get("eastron-sdm630")!, unit: 1, cap: 20, limitSilent: true, turnaroundUs: [40000, 60000], values: { voltage_l1_n: 231, frequency: 50 } },
  { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 10, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229, energy_active_import_total: 1234.5 } },
  { profile: ps.get("carlo-gavazzi-em340")!, unit: 3, cap: 16, limitSilent: true, turnaroundUs: [80000, 120000], values: { voltage_l1_n: 230 } },
  { profile: ps.get("schneider-iem3000")!, unit: 4, cap: 30, turnaroundUs: [5000, 8000], values: { voltage_l1_n: 230 } },
], 6);
console.log("");
console.log(`| learning: cycle | plan bus time | true plan ÷ this plan | reads ok | failed reads | wrong values | caps learned after it | latency budgets learned (ms) | master's learned timeout at the end, read at the cap (ms) |`);
console.log("|---|---|---|---|---|---|---|---|---|");
const applied = (m: number) => {
  const c = run.master.config;
  const u = run.site.meters[m].unit;
  const t = c.learnedTimeout(u, 5 + 2 * (run.learned.cap[m] || 80));
  return t > 0 ? (t / 1000).toFixed(0) : "-";
};
run.cycles.forEach((c, k) => {
  console.log(`| ${k + 1} | ${(c.busTimeUs / 1000).toFixed(1)} ms | ${(100 * c.ratio).toFixed(1)}% | ${c.reads} | ${c.failures} | ${c.wrongValues} | ${c.caps.join(", ")} | ${c.timeoutsMs.map((x) => x.toFixed(0)).join(", ")} | ${k === run.cycles.length - 1 ? run.site.meters.map((_, m) => applied(m)).join(", ") : ""} |`);
});
console.log(`true caps 20, 10, 16, 30; true plan ${(run.trueBusTimeUs / 1000).toFixed(1)} ms per cycle; the profiles' plan ${(run.profileBusTimeUs / 1000).toFixed(1)} ms (its large reads fail); one loop, learned values applied live`);

const quirky = learningRun([
  { profile: ps.get("eastron-sdm120")!, unit: 2, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 }, rebootBelowUs: 30000 },
  { profile: ps.get("eastron-sdm630")!, unit: 3, cap: 80, turnaroundUs: [3000, 6000], values: { voltage_l1_n: 229 } },
], 8);
console.log("");
console.log("| too fast: cycle | reboots (sdm120 polled too fast, sdm630) | failed reads | gaps learned (ms) | gap in force (ms) |");
console.log("|---|---|---|---|---|");
quirky.cycles.forEach((c, k) => {
  console.log(`| ${k + 1} | ${c.reboots.join(", ")} | ${c.failures} | ${c.gapsMs.join(", ")} | ${k === quirky.cycles.length - 1 ? quirky.site.meters.map((m) => ((quirky.master.config.gapBefore(m.unit, m.unit) - quirky.master.config.t35Us) / 1000).toFixed(0)).join(", ") : ""} |`);
});
