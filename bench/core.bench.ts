// Concentrator core: XS computrons (and Node ns, bytes) per decoded value, and the bus efficiency of the planner on a
// 30-meter mixed site against a naive poller that reads one value per request.
import { checkProfile, pointIndex, type Profile } from "../modules/concentrator/profile";
import { planSite, readBusTimeUs, type MeterSpec } from "../modules/concentrator/planner";
import { paddedSpan } from "../modules/concentrator/profile";
import { LatestValues } from "../modules/concentrator/latest-values";
import { ValueCodec, readRaw, TYPE_S16 } from "../modules/concentrator/values";
import type { Bench, Report } from "./harness";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { OUTCOME_OK, Scheduler } from "../modules/concentrator/scheduler";
import { TotalSanity } from "../modules/concentrator/sanity";
import { codecOf } from "../modules/concentrator/planner";
import { writeRaw, typeCode } from "../modules/concentrator/values";
import { Simulation } from "../hosts/sim/index";
import { profileMeter } from "../hosts/sim/profile-meter";
import { DC_METER, NMID30_2, SDM120, SDM630 } from "../test/fixtures/maps";

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.split(" ").map((h) => parseInt(h, 16)));
}

export const benches: Bench[] = [
  {
    group: "decode one value", name: "f32 ABCD (230.5 V)", units: 1, unitName: "value",
    make: () => { const c = ValueCodec.of("f32", "ABCD"); const b = bytes("43 66 80 00"); return () => c.decode(b, 0); },
  },
  {
    group: "decode one value", name: "u32 CDAB × 10^-2 (4567.89 kWh)", units: 1, unitName: "value",
    make: () => { const c = ValueCodec.of("u32", "CDAB", -1, 1, -2); const b = bytes("F8 55 00 06"); return () => c.decode(b, 0); },
  },
  {
    group: "decode one value", name: "s16 with decimal-point register (123.45 V)", units: 1, unitName: "value",
    make: () => {
      const c = ValueCodec.of("s16");
      const b = bytes("30 39 00 02");
      return () => c.decode(b, 0, -readRaw(TYPE_S16, 0, b, 2));
    },
  },
  {
    group: "decode a whole read", name: "LatestValues.update: SDM630-like FC04 0 +68 (29 f32 values)", units: 29, unitName: "value",
    make: () => {
      const plan = planSite([{ name: "m", unit: 1, profile: SDM630, points: SDM630.points.map((_, i) => i) }], { baud: 9600, framing: "8N1" });
      const readings = new LatestValues(plan);
      const data = new Uint8Array(2 * plan.reads[0].count);
      for (let i = 0; i < data.length; i += 4) data.set([0x43, 0x66, 0x80, 0x00], i);
      return () => readings.update(0, data, 0, data.length, 1000);
    },
  },
  {
    group: "poll bookkeeping", name: "Scheduler.next + complete (30-meter site, one read)", units: 1, unitName: "read",
    make: () => {
      const meters: MeterSpec[] = [];
      for (let i = 0; i < 30; i++) meters.push({ name: `m${i}`, unit: i + 1, profile: SDM120, points: SDM120.points.map((_, k) => k) });
      const plan = planSite(meters, { baud: 9600, framing: "8N1" });
      const s = new Scheduler(plan, { meters: meters.map(() => ({ intervalUs: 1000 })) });
      s.start(0);
      let now = 0;
      return () => {
        const r = s.next(now);
        if (r >= 0) s.complete(r, OUTCOME_OK, now);
        now += 10;
        if (now > 500000000) { now = 0; s.start(0); }
        return r;
      };
    },
  },
  {
    group: "poll bookkeeping", name: "TotalSanity.check (accepted reading)", units: 1, unitName: "value",
    make: () => {
      const f = new TotalSanity(1);
      f.configure(0, 23000, "kWh");
      let v = 1000;
      let now = 0;
      return () => { v += 0.001; now += 1000000; if (now > 500000000) { now = 0; f.reset(0); } return f.check(0, v, now); };
    },
  },
];

// This file is also bundled for XS (the benches above), so Node's fs is loaded only when a report runs, by a name esbuild
// does not try to bundle.
type Fs = typeof import("node:fs");
let fs: Fs;
const FS_MODULE = "node:fs";

/** Profiles for the report: the shipped ones when present (profiles/*.json), else the test fixtures of the same shape. */
function pick(shippedId: string, fixture: Profile): Profile {
  const { existsSync, readFileSync } = fs;
  const file = new URL(`../profiles/${shippedId}.json`, import.meta.url);
  if (!existsSync(file)) return fixture;
  const r = checkProfile(JSON.parse(readFileSync(file, "utf8")), shippedId);
  return r.ok ? r.profile : fixture;
}

function names(p: Profile, wanted: readonly string[]): number[] {
  const out = wanted.map((n) => pointIndex(p, n)).filter((i) => i >= 0);
  return out.length > 0 ? out : p.points.map((_, i) => i);
}

/** The 30-meter site: 10 three-phase, 10 single-phase, 5 NMID30-2-like, 5 DC meters. */
function site(all: boolean): MeterSpec[] {
  const sdm630 = pick("eastron-sdm630", SDM630);
  const sdm120 = pick("eastron-sdm120", SDM120);
  const nmid = pick("nmid30-2", NMID30_2);
  const dc = pick("ubs-djz1226", DC_METER);
  const typical630 = ["voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3", "power_l1", "power_l2", "power_l3",
    "power", "apparent_power", "reactive_power", "power_factor", "frequency", "energy_import", "energy_export", "reactive_energy_import",
    "reactive_energy_export", "energy_total", "energy_import_l1", "energy_import_l2", "energy_import_l3",
    // the same selection under the shipped profile's names (the standard point keys)
    "voltage_l1_n", "voltage_l2_n", "voltage_l3_n", "energy_active_import_l1", "energy_active_import_l2", "energy_active_import_l3",
    "power_active_l1", "power_active_l2", "power_active_l3", "power_active_total", "power_apparent_total", "power_reactive_total",
    "power_factor_total", "energy_active_import_total", "energy_active_export_total", "energy_reactive_import_total", "energy_reactive_export_total",
    "energy_active_sum_total"];
  const meters: MeterSpec[] = [];
  let unit = 1;
  const add = (p: Profile, count: number, wanted: readonly string[] | null) => {
    for (let i = 0; i < count; i++) meters.push({ name: `${p.id}-${unit}`, unit: unit++, profile: p, points: all || !wanted ? p.points.map((_, k) => k) : names(p, wanted) });
  };
  add(sdm630, 10, typical630);
  add(sdm120, 10, null);
  add(nmid, 5, null);
  add(dc, 5, ["voltage", "current", "power", "energy_forward", "voltage_dc", "current_dc", "power_dc", "energy_active_import_total"]);
  return meters;
}

/** Naive poller: one request per value (padded to the meter's even rules) and one per decimal-point register. */
function naive(meters: readonly MeterSpec[], baud: number, turnaroundUs: number): { requests: number; busUs: number } {
  const plan = planSite(meters.slice(0, 1), { baud, framing: "8N1", turnaroundUs });
  const line = plan.line;
  let requests = 0;
  let busUs = 0;
  for (const m of meters) {
    const lim = m.profile.limits;
    const delay = Math.round(lim.minDelayMs * 1000);
    for (const i of m.points) {
      const p = m.profile.points[i];
      requests++;
      busUs += readBusTimeUs(line, p.function, p.function <= 2 ? 1 : paddedSpan(p.address, p.words, lim), plan.turnaroundUs, delay);
      if (p.exponentFrom) {
        requests++;
        busUs += readBusTimeUs(line, p.exponentFrom.function, paddedSpan(p.exponentFrom.address, 1, lim), plan.turnaroundUs, delay);
      }
    }
  }
  return { requests, busUs };
}

export const reports: Report[] = [
  {
    title: "Poll planner vs naive poller, 30-meter mixed site (10 three-phase, 10 single-phase, 5 NMID30-2, 5 DC), 8N1",
    async run() {
      fs = (await import(FS_MODULE)) as Fs;
      const { existsSync, readdirSync } = fs;
      const shipped = existsSync(new URL("../profiles/", import.meta.url)) && readdirSync(new URL("../profiles/", import.meta.url)).some((f) => f.endsWith(".json"));
      const rows = ["| points | baud | turnaround | values/cycle | rc485 requests | naive requests | fewer requests | rc485 bus ms/cycle | naive bus ms/cycle | less bus time |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"];
      const configs: [boolean, number, number][] = [[false, 9600, 5000], [false, 19200, 5000], [false, 9600, 20000], [true, 9600, 5000], [true, 19200, 5000]];
      for (const [all, baud, turnaroundUs] of configs) {
        {
          const meters = site(all);
          const plan = planSite(meters, { baud, framing: "8N1", turnaroundUs });
          const n = naive(meters, baud, turnaroundUs);
          rows.push(`| ${all ? "all points" : "typical selection"} | ${baud} | ${turnaroundUs / 1000} ms | ${plan.values.length} | ${plan.reads.length} | ${n.requests} | ${(n.requests / plan.reads.length).toFixed(1)}× | ${(plan.busTimePerCycleUs / 1000).toFixed(0)} | ${(n.busUs / 1000).toFixed(0)} | ${(n.busUs / plan.busTimePerCycleUs).toFixed(1)}× |`);
        }
      }
      rows.push("");
      rows.push(`Maps: ${shipped ? "shipped profiles where present (profiles/*.json), test fixtures otherwise" : "test fixtures shaped like SDM630 / SDM120 / NMID30-2 / DJZ1226 (test/fixtures/profiles)"}. Typical selection: 22 points of each three-phase meter (fewer where a shipped profile maps fewer) (phase V/I/P, totals, frequency, energies), every point of the single-phase and NMID30-2 meters, 4 of each DC meter (with their decimal-point registers). Bus time per request = request + response air time + 2 × t3.5 + turnaround (the meter's reply latency, an assumption: 5 ms is fast, many meters take 20 ms or more) + meter minimum delay (modules/concentrator/planner.ts readBusTimeUs). Targets: ≥ 5× fewer requests, ≥ 3× less bus time.`);
      return rows.join("\n");
    },
  },
];

/**
 * One polling cycle of `meters` on the simulator with the real PollLoop (Scheduler + Master + LatestValues), meters emulated
 * from their profiles with a fixed turnaround: returns the requests sent and the bus time until every meter's cycle is done.
 */
function simulatedCycle(meters: readonly MeterSpec[], emulated: readonly MeterSpec[], baud: number, turnaroundUs: number): { requests: number; busUs: number; values: number } {
  const sim = new Simulation({ seed: 5, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud });
  const b = new Uint8Array(8);
  for (const m of emulated) {
    const values: Record<string, number> = {};
    m.profile.points.forEach((p, i) => {
      if (p.type === "bool") { values[p.name] = i & 1; return; }
      writeRaw(typeCode(p.type), 0, 1000 + i, b, 0);
      values[p.name] = codecOf(p).decode(b, 0);
    });
    sim.meter(bus, profileMeter(m.profile, m.unit, values, {}, { turnaroundUs }).options);
  }
  const plan = planSite(meters, { baud, framing: "8N1", turnaroundUs });
  const host = sim.host({ name: "master", tick: 0, ports: [{ segment: bus }] });
  // Each meter's minimum delay between requests (profile minDelayMs) as the master's per-unit gap, as loopOptionsForSite does.
  const units = emulated.filter((m) => m.profile.limits.minDelayMs > 0).map((m) => ({ unit: m.unit, gapUs: Math.round(m.profile.limits.minDelayMs * 1000) }));
  const loop = new PollLoop(plan, host.port(0), { scheduler: { meters: meters.map(() => ({ intervalUs: 3_600_000_000 })) }, master: { baud, retries: 0, queueCapacity: 2, units } });
  host.attach(loop);
  loop.start(0);
  const done = () => { for (let m = 0; m < plan.meters.length; m++) if (loop.scheduler.cyclesDone[m] === 0) return false; return true; };
  if (!sim.runUntilTrue(done, 600_000_000)) throw new Error("the simulated cycle did not finish");
  let requests = 0;
  for (let m = 0; m < plan.meters.length; m++) requests += loop.scheduler.requests[m];
  let decoded = 0;
  for (let v = 0; v < plan.values.length; v++) if (loop.readings.updates(v) > 0) decoded++;
  return { requests, busUs: sim.now, values: decoded };
}

/** The naive poller as a plan: every point (and decimal-point register) its own one-value read of the same unit. */
function naiveMeters(meters: readonly MeterSpec[]): MeterSpec[] {
  const out: MeterSpec[] = [];
  for (const m of meters) for (const i of m.points) out.push({ name: `${m.name}.${m.profile.points[i].name}`, unit: m.unit, profile: m.profile, points: [i] });
  return out;
}

reports.push({
  title: "The same 30-meter site on the simulator (real PollLoop and Master, meters emulated from their profiles, turnaround 5 ms, typical selection): one polling cycle",
  async run() {
    fs = (await import(FS_MODULE)) as Fs;
    const rows = ["| baud | poller | requests | values decoded | bus time of one cycle (ms) |", "|--:|---|--:|--:|--:|"];
    for (const baud of [9600, 19200]) {
      const meters = site(false);
      const a = simulatedCycle(meters, meters, baud, 5000);
      const n = simulatedCycle(naiveMeters(meters), meters, baud, 5000);
      rows.push(`| ${baud} | rc485 plan | ${a.requests} | ${a.values} | ${(a.busUs / 1000).toFixed(0)} |`);
      rows.push(`| ${baud} | naive (one value per request) | ${n.requests} | ${n.values} | ${(n.busUs / 1000).toFixed(0)} |`);
      rows.push(`| ${baud} | ratio | ${(n.requests / a.requests).toFixed(1)}× fewer | | ${(n.busUs / a.busUs).toFixed(1)}× less |`);
    }
    rows.push("");
    rows.push("Naive here reads each value with its decimal-point register in one request (the table above counts them as two), hence fewer naive requests than there. Bus time is the simulated time until every meter's cycle is done: the master's real gaps (t3.5 before each request, and each meter's minDelayMs), the emulators' 5 ms turnaround, an ideal UART and an exact timer.");
    return rows.join("\n");
  },
});
