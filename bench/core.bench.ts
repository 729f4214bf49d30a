// Concentrator core: XS computrons (and Node ns, bytes) per decoded value, and the bus efficiency of the planner on a
// 30-meter mixed site against a naive poller that reads one value per request.
import { checkProfile, pointIndex, type Profile } from "../modules/profile";
import { planSite, readBusTimeUs, type MeterSpec } from "../modules/planner";
import { paddedSpan } from "../modules/profile";
import { Readings } from "../modules/plan-readings";
import { ValueCodec, readRaw, TYPE_S16 } from "../modules/values";
import type { Bench, Report } from "./harness";
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
    group: "decode a whole read", name: "Readings.update: SDM630-like FC04 0 +68 (29 f32 values)", units: 29, unitName: "value",
    make: () => {
      const plan = planSite([{ name: "m", unit: 1, profile: SDM630, points: SDM630.points.map((_, i) => i) }], { baud: 9600, framing: "8N1" });
      const readings = new Readings(plan);
      const data = new Uint8Array(2 * plan.reads[0].count);
      for (let i = 0; i < data.length; i += 4) data.set([0x43, 0x66, 0x80, 0x00], i);
      return () => readings.update(0, data, 0, data.length, 1000);
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
    "reactive_energy_export", "energy_total", "energy_import_l1", "energy_import_l2", "energy_import_l3"];
  const meters: MeterSpec[] = [];
  let unit = 1;
  const add = (p: Profile, count: number, wanted: readonly string[] | null) => {
    for (let i = 0; i < count; i++) meters.push({ name: `${p.id}-${unit}`, unit: unit++, profile: p, points: all || !wanted ? p.points.map((_, k) => k) : names(p, wanted) });
  };
  add(sdm630, 10, typical630);
  add(sdm120, 10, null);
  add(nmid, 5, null);
  add(dc, 5, ["voltage", "current", "power", "energy_forward"]);
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
      rows.push(`Maps: ${shipped ? "shipped profiles where present (profiles/*.json), test fixtures otherwise" : "test fixtures shaped like SDM630 / SDM120 / NMID30-2 / DJZ1226 (test/fixtures/profiles)"}. Typical selection: 22 points of each three-phase meter (phase V/I/P, totals, frequency, energies), every point of the single-phase and NMID30-2 meters, 4 of each DC meter (with their decimal-point registers). Bus time per request = request + response air time + 2 × t3.5 + turnaround (the meter's reply latency, an assumption: 5 ms is fast, many meters take 20 ms or more) + meter minimum delay (modules/planner.ts readBusTimeUs). Targets: ≥ 5× fewer requests, ≥ 3× less bus time.`);
      return rows.join("\n");
    },
  },
];
