/*
 * A synthetic but realistic readings store for tests and the status-page screenshot (portable: no Node APIs): four meters
 * on one bus polled every 10 s for an hour of virtual time — a three-phase house meter, a heat pump, a PV inverter meter
 * and a barn meter behind an R/C repeater pair on a noisy segment that drops out for the last few minutes. Seeded, so
 * every run yields the same store.
 */
import type { MeterMeta, PointMeta } from "../../modules/concentrator/readings";
import { FAULT_CRC, FAULT_TIMEOUT, ReadingsStore } from "../../modules/concentrator/readings";
import type { LinkSource, LinkStats, PlanSource } from "../../modules/forwarding/status-json";
import { POINT_KEYS, pointKeyIndex } from "../../modules/concentrator/point-keys";

/** A point of a shipped profile: its standard key's label, unit and classes (modules/concentrator/point-keys.ts). */
const std = (name: string): PointMeta => {
  const k = POINT_KEYS[pointKeyIndex(name)];
  return { name, label: k.label, ...(k.unit ? { unit: k.unit } : {}), deviceClass: k.deviceClass, stateClass: k.stateClass, type: "f32" };
};
const HZ = std("frequency");
const PF = std("power_factor_total");

export const SYNTHETIC_METERS: MeterMeta[] = [
  {
    name: "house", profile: "eastron-sdm630", manufacturer: "Eastron", model: "SDM630-Modbus V2", unit: 1, intervalMs: 10_000,
    points: [std("voltage_l1_n"), std("voltage_l2_n"), std("voltage_l3_n"), std("current_l1"),
      std("power_active_total"), HZ, PF, std("energy_active_import_total")],
  },
  {
    name: "heatpump", profile: "eastron-sdm120", manufacturer: "Eastron", model: "SDM120-Modbus", unit: 2, intervalMs: 10_000,
    points: [std("voltage_l1_n"), std("current_l1"), std("power_active_total"), std("energy_active_import_total")],
  },
  {
    name: "pv", profile: "eastron-sdm72", manufacturer: "Eastron", model: "SDM72D-M", unit: 3, intervalMs: 10_000,
    points: [std("power_active_total"), std("energy_active_export_total"), HZ],
  },
  {
    name: "barn", profile: "eastron-sdm120", manufacturer: "Eastron", model: "SDM120-Modbus", unit: 7, intervalMs: 10_000, via: "barn segment (R/C)",
    points: [std("voltage_l1_n"), std("current_l1"), std("power_active_total"), std("energy_active_import_total")],
  },
];

/** Wall clock of the end of the synthetic hour (2026-11-21T06:00:00Z). */
export const SYNTHETIC_END_MS = Date.UTC(2026, 10, 21, 6, 0, 0);
/** Monotonic clock (µs) at that instant: the store starts at 1 s and runs one hour. */
export const SYNTHETIC_END_US = 3_601_000_000;

export interface SyntheticSite {
  store: ReadingsStore;
  links: LinkSource;
  plan: PlanSource;
  nowUs: number;
  nowMs: number;
}

export function syntheticSite(seed = 0x5eed): SyntheticSite {
  const store = new ReadingsStore({ meters: SYNTHETIC_METERS, historyBuckets: 120, bucketUs: 30_000_000 });
  let x = seed | 0 || 1;
  const rnd = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) % 1_000_000) / 1_000_000; };
  const energy = [18_234.5, 6_120.25, 9_876.0, 1_402.75];
  const bus = { frames: 0, errors: 0, timeouts: 0 };
  const fec = { frames: 0, errors: 0, corrected: 0 };
  const vals = new Float64Array(8);
  const startUs = 1_000_000;
  for (let k = 0; k < 360; k++) {
    const tUs = startUs + k * 10_000_000;
    const tMs = SYNTHETIC_END_MS - (SYNTHETIC_END_US - tUs) / 1000;
    const phase = k / 360;
    // house: base load with a kettle around minute 20 and an oven from minute 40
    const house = 420 + 180 * Math.sin(phase * 9) + (k >= 118 && k < 124 ? 2200 : 0) + (k >= 240 && k < 300 ? 2900 : 0) + 60 * rnd();
    energy[0] += house / 360_000;
    vals[0] = 229.5 + 2 * rnd(); vals[1] = 231.2 + 2 * rnd(); vals[2] = 230.4 + 2 * rnd();
    vals[3] = house / 3 / 230; vals[4] = house; vals[5] = 49.98 + 0.04 * rnd(); vals[6] = 0.93 + 0.05 * rnd(); vals[7] = energy[0];
    store.record(0, vals, tUs + 40_000, tMs + 40);
    // heat pump: compressor cycles of 12 min on / 8 min off
    const on = (k % 120) < 72;
    const hp = on ? 1650 + 120 * Math.sin(k / 5) + 40 * rnd() : 8 + 2 * rnd();
    energy[1] += hp / 360_000;
    vals[0] = 230.1 + 2 * rnd(); vals[1] = hp / 230; vals[2] = hp; vals[3] = energy[1];
    store.record(1, vals, tUs + 120_000, tMs + 120);
    // pv: a cloudy-morning ramp
    const pv = Math.max(0, 900 + 1400 * phase + 500 * Math.sin(k / 7) - 300 * rnd());
    energy[2] += pv / 360_000;
    vals[0] = pv; vals[1] = energy[2]; vals[2] = 50.0 + 0.03 * rnd();
    store.record(2, vals, tUs + 190_000, tMs + 190);
    bus.frames += 3;
    // barn behind the R/C pair: noisy, a burst of trouble at minute 30, then offline for the last 4 minutes
    const barnUs = tUs + 260_000;
    const fail = k >= 336 || rnd() < (k >= 170 && k < 200 ? 0.3 : 0.03);
    fec.frames += 2;
    if (rnd() < 0.2) { fec.errors++; fec.corrected++; }
    if (fail) {
      fec.errors++;
      bus.errors++;
      store.failure(3, k >= 336 ? FAULT_TIMEOUT : rnd() < 0.5 ? FAULT_CRC : FAULT_TIMEOUT, barnUs);
      if (k >= 336) bus.timeouts++;
    } else {
      const barn = 310 + 250 * Math.sin(k / 11) + 30 * rnd();
      energy[3] += barn / 360_000;
      vals[0] = 226.8 + 3 * rnd(); vals[1] = barn / 227; vals[2] = barn; vals[3] = energy[3];
      store.record(3, vals, barnUs, tMs + 260);
    }
    bus.frames += 1;
  }
  const links: LinkStats[] = [
    { name: "bus /dev/ttyUSB0", kind: "bus", frames: bus.frames, errors: bus.errors, corrected: 0, uncorrectable: bus.errors, timeouts: bus.timeouts },
    { name: "barn segment (R/C)", kind: "fec", frames: fec.frames, errors: fec.errors, corrected: fec.corrected, uncorrectable: fec.errors - fec.corrected, timeouts: 0 },
  ];
  const plan = {
    bus: { baud: 9600, framing: "8N1" },
    meters: SYNTHETIC_METERS.map((m) => ({ name: m.name, unit: m.unit, intervalMs: m.intervalMs, requests: m.points.length > 4 ? 2 : 1 })),
  };
  return {
    store,
    links: { links: () => links },
    plan: { plan: () => plan },
    nowUs: SYNTHETIC_END_US,
    nowMs: SYNTHETIC_END_MS,
  };
}
