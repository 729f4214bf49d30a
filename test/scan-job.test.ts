// The ESP32 scan job (modules/commissioning/scan-job.ts behind hosts/esp32/http-routes.ts): on a polling concentrator in the simulator,
// POST /api/scan (bearer token) pauses polling once the read in flight is done, scans the bus, reports progress and the
// result in GET /api/scan, and polling resumes; no poll fails because of the scan. A second POST while it runs is 409.
import test from "ava";
import { HttpRoutes, scanTuning } from "../hosts/esp32/http-routes";
import { LiveMeter } from "../hosts/sim/live-meter";
import { Simulation } from "../hosts/sim/index";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { OUTCOME_OK } from "../modules/concentrator/scheduler";
import { ScanJob, type ScanJobStatus } from "../modules/commissioning/scan-job";
import { checkSite, loopOptionsForSite, planForSite, profileTable } from "../modules/site/site";
import { allProfiles } from "./harness/profiles";
import { traceOnFailure } from "./harness/sim";

const TOKEN = "0123456789abcdef-scan";

test("POST /api/scan pauses polling, scans, identifies, reports, and polling resumes without a failed read", (t) => {
  const profiles = allProfiles();
  const table = profileTable(profiles);
  const r = checkSite({
    bus: { port: "uart2", baud: 9600, framing: "8N1" },
    meters: [
      { name: "a", profile: "eastron-sdm120", unit: 1, intervalMs: 1000 },
      { name: "b", profile: "eastron-sdm630", unit: 2, intervalMs: 1000 },
    ],
  }, table);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const site = r.site;
  const sim = new Simulation({ seed: 5 });
  traceOnFailure(t, sim);
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  new LiveMeter(sim, bus, table.get("eastron-sdm120")!, { unit: 1, seed: 1 });
  new LiveMeter(sim, bus, table.get("eastron-sdm630")!, { unit: 2, seed: 2 });
  // Not in the site: found by the scan, and it answers address 0.
  new LiveMeter(sim, bus, table.get("carlo-gavazzi-em340")!, { unit: 9, seed: 3, quirks: { answerBroadcast: true } });
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const plan = planForSite(site);
  const options = loopOptionsForSite(site, plan);
  const outcomes: number[] = [];
  const loop = new PollLoop(plan, host.port(0), { ...options, listener: { polled: (_read, outcome) => { outcomes.push(outcome); } } });
  const job = new ScanJob(loop, host.port(0), { baud: 9600, framing: "8N1" }, () => profiles);
  host.attach(job);
  loop.start(sim.now);
  const routes = new HttpRoutes({
    documents: { "/api/scan": () => JSON.stringify(job.status()) }, adminToken: TOKEN, now: () => sim.now, checkSite: () => [], accept: () => {},
    scan: { get running() { return job.running; }, start: (tuning) => { const why = job.start(sim.now, tuning); sim.poke(); return why; }, status: () => job.status() },
  });

  sim.runUntil(10_000_000);
  const before = outcomes.length;
  t.true(before >= 15, `${before} polls before the scan`);
  t.is(JSON.parse(routes.handle("GET", "/api/scan", "", "").body).state, "idle");
  t.is(routes.handle("POST", "/api/scan", "", "").status, 401);
  t.is(routes.handle("POST", "/api/scan?first=0", `Bearer ${TOKEN}`, "").status, 400);
  const started = routes.handle("POST", "/api/scan?first=1&last=20&timeoutMs=40&bauds=9600&framings=8N1", `Bearer ${TOKEN}`, "");
  t.is(started.status, 202, started.body);
  t.is(routes.handle("POST", "/api/scan", `Bearer ${TOKEN}`, "").status, 409);
  // Progress is visible while it runs.
  sim.runUntil(sim.now + 500_000);
  const mid = JSON.parse(routes.handle("GET", "/api/scan", "", "").body) as ScanJobStatus;
  t.is(mid.state, "scanning");
  t.true(mid.progress > 0 && mid.progress < 1, `progress ${mid.progress}`);
  const pollsDuring = outcomes.length;
  t.true(sim.runUntilTrue(() => !job.running, sim.now + 60_000_000), "the scan ends");
  t.is(outcomes.length, pollsDuring, "no poll while the scan has the line");
  const done = JSON.parse(routes.handle("GET", "/api/scan", "", "").body) as ScanJobStatus;
  t.is(done.state, "done");
  t.is(done.progress, 1);
  t.deepEqual(done.found.map((f) => [f.unit, f.profile]), [[1, "eastron-sdm120"], [2, "eastron-sdm630"], [9, "carlo-gavazzi-em340"]]);
  t.is(done.settings[0].zeroAnswer, 9);
  t.true(done.busMs > 0);
  sim.runUntil(sim.now + 10_000_000);
  t.true(outcomes.length >= pollsDuring + 15, `polling resumed: ${outcomes.length - pollsDuring} polls`);
  t.deepEqual(outcomes.filter((o) => o !== OUTCOME_OK), [], "no failed poll");
});

test("scan parameters from the query string: names and ranges checked", (t) => {
  t.deepEqual(scanTuning("first=3&last=9&timeoutMs=80&budgetS=30"), { tuning: { firstUnit: 3, lastUnit: 9, timeoutUs: 80000, budgetUs: 30000000 } });
  t.deepEqual(scanTuning(""), { tuning: {} });
  t.regex((scanTuning("units=3") as { error: string }).error, /unknown parameter "units"/);
  t.regex((scanTuning("last=300") as { error: string }).error, /last must be an integer from 1 to 247/);
  t.regex((scanTuning("timeoutMs=-1") as { error: string }).error, /timeoutMs/);
});
