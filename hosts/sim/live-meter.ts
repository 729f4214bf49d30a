/*
 * A live meter emulator built from a meter profile (profiles/<id>.json), for `rc485 sim`: a MeterEmulator
 * (hosts/sim/meter.ts; the static register image for tests is hosts/sim/profile-meter.ts) with the profile's
 * limits (largest read, even counts, function codes) whose registers hold plausible, slowly varying values encoded with
 * the profile's own codecs (type, word order, scale, exponent; modules/concentrator/values.ts). Every register from the lowest to the
 * highest address a profile point uses is present (zero-filled), so reads that bridge gaps between points succeed.
 *
 * The load model: active power per phase follows a seeded slow wander (a few percent of rated power, a daily-looking
 * swing plus noise) and the energy totals integrate it, so they increase monotonically; voltage, current, frequency,
 * power factor, apparent and reactive power follow from it. update(nowUs) re-encodes every point; call it every few
 * seconds of virtual time.
 */
import type { Profile, Point } from "../../modules/concentrator/profile";
import { Prng } from "../../modules/common/prng";
import { ValueCodec, orderCode, typeCode, type OrderName } from "../../modules/concentrator/values";
import type { Simulation } from "./simulation";
import type { Segment } from "./segment";
import type { MeterEmulator, MeterOptions } from "./meter";

export interface LiveMeterOptions {
  readonly unit: number;
  readonly name?: string;
  /** Meter answer delay range, µs (default [3000, 8000]). */
  readonly turnaroundUs?: number | [number, number];
  /** Mean load as a share of rated power (default 0.05). */
  readonly loadShare?: number;
  /** Starting import energy, kWh (default from the seed). */
  readonly energyKwh?: number;
  readonly seed: number;
  /** Emulator options beyond the profile's (quirks: a lower register cap, answerBroadcast, rebootBelowUs, ...). */
  readonly quirks?: Partial<MeterOptions>;
  /** Writes multi-register values in this word order instead of the profile's (a meter that differs from its manual). */
  readonly wordOrder?: OrderName;
}

const PHASES = /_l([123])(?:_|$)/;

export class LiveMeter {
  readonly profile: Profile;
  readonly emulator: MeterEmulator;
  /** Latest model values (for tests): power W, import energy kWh. */
  powerW = 0;
  energyImportKwh: number;
  energyExportKwh = 0;
  private readonly rng: Prng;
  private readonly codecs: ValueCodec[];
  private readonly scratch = new Uint8Array(16);
  private readonly loadW: number;
  private lastUs = -1;
  private wander = 0;

  constructor(sim: Simulation, segment: Segment, profile: Profile, o: LiveMeterOptions) {
    this.profile = profile;
    this.rng = new Prng(o.seed >>> 0 || 1);
    const l = profile.limits;
    const holding: Record<number, number> = {};
    const input: Record<number, number> = {};
    const coils: Record<number, number> = {};
    const discrete: Record<number, number> = {};
    const tables: Record<number, Record<number, number>> = { 1: coils, 2: discrete, 3: holding, 4: input };
    const lo: Record<number, number> = {};
    const hi: Record<number, number> = {};
    const cover = (fn: number, address: number, words: number) => {
      lo[fn] = Math.min(lo[fn] ?? address, address);
      hi[fn] = Math.max(hi[fn] ?? 0, address + words - 1);
    };
    for (const p of profile.points) {
      cover(p.function, p.address, p.function <= 2 ? 1 : p.words);
      if (p.exponentFrom) cover(p.exponentFrom.function, p.exponentFrom.address, 1);
    }
    for (const fn of Object.keys(lo).map(Number)) for (let a = lo[fn]; a <= hi[fn]; a++) tables[fn][a] = 0;
    this.codecs = profile.points.map((p) => new ValueCodec(typeCode(p.type), orderCode(p.words > 1 && o.wordOrder ? o.wordOrder : p.order), p.function <= 2 ? -2 : p.bit, p.scale, p.exponent));
    this.emulator = sim.meter(segment, {
      unit: o.unit, name: o.name, holding, input, coils, discrete,
      turnaroundUs: o.turnaroundUs ?? [3000, 8000],
      maxRegisters: Math.min(125, l.maxRegisters || 125),
      evenRegisterCount: l.evenCountsOnly,
      functions: l.functions.slice(),
      ...o.quirks,
    });
    this.loadW = Math.max(50, (o.loadShare ?? 0.05) * (l.ratedPowerW || 10000));
    this.energyImportKwh = o.energyKwh ?? Math.round(1000 + this.rng.nextFloat() * 20000) / 10;
    this.update(0);
  }

  /** Advances the load model to `nowUs` and re-encodes every point. */
  update(nowUs: number): void {
    const dtH = this.lastUs < 0 ? 0 : (nowUs - this.lastUs) / 3.6e9;
    this.lastUs = nowUs;
    // A slow random walk (bounded) plus an hour-scale swing.
    this.wander = Math.max(-0.5, Math.min(0.5, this.wander + (this.rng.nextFloat() - 0.5) * 0.05));
    const swing = 0.35 * Math.sin((2 * Math.PI * nowUs) / 3.6e9);
    const p = this.loadW * (1 + swing + this.wander) * (0.97 + 0.06 * this.rng.nextFloat());
    this.powerW = Math.max(0, p);
    this.energyImportKwh += (this.powerW * dtH) / 1000;
    const threePhase = this.profile.points.some((x) => x.name.includes("_l3"));
    const phases = threePhase ? 3 : 1;
    for (let i = 0; i < this.profile.points.length; i++) {
      const pt = this.profile.points[i];
      this.write(pt, this.codecs[i], this.valueOf(pt, phases));
    }
  }

  private valueOf(pt: Point, phases: number): number {
    const name = pt.name;
    const phase = PHASES.exec(name);
    const share = phase ? 1 / phases : 1;
    const u = 230 + (phase ? Number(phase[1]) - 2 : 0) * 0.8 + (this.rng.nextFloat() - 0.5) * 0.6;
    const pf = 0.93;
    const p = this.powerW * share;
    const unitK = pt.unit.startsWith("k") ? 1e-3 : pt.unit.startsWith("M") ? 1e-6 : 1;
    switch (pt.deviceClass) {
      case "voltage": return (/_l\d_l\d/.test(name) ? u * Math.sqrt(3) : u) * (pt.unit === "kV" ? 1e-3 : 1);
      case "current": return (name.endsWith("_n") ? 0.1 : p / (u * pf)) * (pt.unit === "mA" ? 1000 : 1);
      case "power": return (name.includes("export") ? 0 : p) * unitK;
      case "apparent_power": return (p / pf) * unitK;
      case "reactive_power": return p * Math.tan(Math.acos(pf)) * unitK;
      case "power_factor": return pt.unit === "%" ? pf * 100 : pf;
      case "frequency": return 50 + (this.rng.nextFloat() - 0.5) * 0.04;
      case "energy": {
        const kwh = name.includes("export") ? this.energyExportKwh : this.energyImportKwh * (phase ? 1 / phases : 1);
        return kwh * (pt.unit === "Wh" ? 1000 : pt.unit === "MWh" ? 1e-3 : 1);
      }
      case "reactive_energy": return this.energyImportKwh * (name.includes("export") ? 0.02 : 0.3) * (pt.unit === "varh" ? 1000 : 1);
      case "temperature": return 31;
      default: return pt.type === "bool" ? 0 : 1;
    }
  }

  private write(pt: Point, codec: ValueCodec, value: number): void {
    const e = this.emulator;
    if (pt.function <= 2) {
      (pt.function === 1 ? e.coils : e.discrete).set(pt.address, value ? 1 : 0);
      return;
    }
    const table = pt.function === 3 ? e.holding : e.input;
    if (pt.bit >= 0) return; // flag bits stay 0
    const b = this.scratch;
    b.fill(0);
    codec.encode(value, b, 0);
    for (let w = 0; w < pt.words; w++) table.set(pt.address + w, (b[2 * w] << 8) | b[2 * w + 1]);
  }
}
