/*
 * Meter emulators built from meter profiles (docs/profiles.md): the register image a real meter of that model would hold
 * for given engineering values, written with the same ValueCodecs the concentrator decodes with, and the emulator options
 * that mirror the profile's limits (largest read, even counts only, function codes). Used by tests and benches to check
 * the planner, the scheduler and the decoders against the simulator. `wordOrder` writes every multi-register value in
 * another word order than the profile's (a meter whose firmware differs from its manual): `values` then holds what the
 * profile's decoding gives, and `trueValues` what the meter meant.
 */
import type { Profile } from "../../modules/concentrator/profile";
import { codecOf } from "../../modules/concentrator/planner";
import { TYPE_S16, TYPE_U16, ValueCodec, orderCode, typeCode, writeRaw, type OrderName } from "../../modules/concentrator/values";
import type { MeterOptions } from "./meter";

export interface ProfileMeter {
  readonly options: MeterOptions;
  /** Engineering value per point name, as a concentrator should decode it (NaN for a sentinel). */
  readonly values: ReadonlyMap<string, number>;
  /** Engineering value per point name as written (differs from `values` only with a `wordOrder` quirk). */
  readonly trueValues: ReadonlyMap<string, number>;
}

/**
 * Emulator options for a meter of `profile` at `unit` holding `values` (point name → engineering value; points not given
 * hold 0). `decimals` gives the value stored in each decimal-point register (key "function:address", default 0).
 * Registers between the points exist and hold 0, so reads that bridge gaps are answered.
 */
export function profileMeter(profile: Profile, unit: number, values: Readonly<Record<string, number>>, decimals: Readonly<Record<string, number>> = {}, extra: Partial<MeterOptions> = {}, wordOrder?: OrderName): ProfileMeter {
  const image: Record<number, Uint8Array> = { 3: new Uint8Array(131072), 4: new Uint8Array(131072) };
  const used: Record<number, Set<number>> = { 1: new Set(), 2: new Set(), 3: new Set(), 4: new Set() };
  const bits: Record<number, Map<number, number>> = { 1: new Map(), 2: new Map() };
  const out = new Map<string, number>();
  const written = new Map<string, number>();
  for (const p of profile.points) {
    const e = p.exponentFrom;
    if (!e) continue;
    const v = decimals[`${e.function}:${e.address}`] ?? 0;
    writeRaw(e.type === "u16" ? TYPE_U16 : TYPE_S16, 0, v, image[e.function], 2 * e.address);
    used[e.function].add(e.address);
  }
  for (const p of profile.points) {
    const value = values[p.name] ?? 0;
    if (p.function <= 2) {
      bits[p.function].set(p.address, value ? 1 : 0);
      out.set(p.name, value ? 1 : 0);
      continue;
    }
    const extraExp = p.exponentFrom ? p.exponentFrom.sign * (decimals[`${p.exponentFrom.function}:${p.exponentFrom.address}`] ?? 0) : 0;
    const codec = codecOf(p);
    const writer = wordOrder !== undefined && p.words > 1 ? new ValueCodec(typeCode(p.type), orderCode(wordOrder), p.bit, p.scale, p.exponent) : codec;
    writer.encode(value, image[p.function], 2 * p.address, extraExp);
    for (let w = 0; w < p.words; w++) used[p.function].add(p.address + w);
    out.set(p.name, codec.decode(image[p.function], 2 * p.address, extraExp));
    written.set(p.name, writer.decode(image[p.function], 2 * p.address, extraExp));
  }
  // Every register from the lowest to the highest used one exists (so bridged gaps read as 0), per table.
  const regMap = (fn: 3 | 4): Map<number, number> => {
    const m = new Map<number, number>();
    if (used[fn].size === 0) return m;
    const lo = Math.max(0, Math.min(...used[fn]) - 1);
    const hi = Math.min(65535, Math.max(...used[fn]) + 1);
    for (let a = lo; a <= hi; a++) m.set(a, (image[fn][2 * a] << 8) | image[fn][2 * a + 1]);
    return m;
  };
  const bitMap = (fn: 1 | 2): Map<number, number> => {
    const m = new Map<number, number>();
    if (bits[fn].size === 0) return m;
    const keys = [...bits[fn].keys()];
    for (let a = Math.min(...keys); a <= Math.max(...keys); a++) m.set(a, bits[fn].get(a) ?? 0);
    return m;
  };
  const options: MeterOptions = {
    unit, name: `${profile.id}@${unit}`,
    holding: regMap(3), input: regMap(4), coils: bitMap(1), discrete: bitMap(2),
    maxRegisters: profile.limits.maxRegisters, evenRegisterCount: profile.limits.evenCountsOnly,
    functions: profile.limits.functions, ...extra,
  };
  return { options, values: out, trueValues: written };
}
