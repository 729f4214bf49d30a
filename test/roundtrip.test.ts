// Every profile (shipped profiles/*.json and the test fixtures), every point: values encoded into a register image with the
// profile's own codecs (what a meter emulator does), read back through the plan's block reads and LatestValues, equal the
// originals within the type's precision. Seeded, so a failure is reproducible.
import test from "ava";
import fc from "fast-check";
import { planSite } from "../modules/concentrator/planner";
import { LatestValues, VALUE_OK } from "../modules/concentrator/latest-values";
import { TYPE_S16, TYPE_U16, writeRaw } from "../modules/concentrator/values";
import { allProfiles } from "./harness/profiles";

const profiles = allProfiles();

const RANGE: Record<string, [number, number]> = {
  u16: [0, 65534], s16: [-32768, 32766], u32: [0, 4294967294], s32: [-2147483648, 2147483646],
  u64: [0, 2 ** 53 - 1], s64: [-(2 ** 53 - 1), 2 ** 53 - 1], bool: [0, 1],
};

for (const profile of profiles) {
  test(`${profile.id}: every point round-trips through plan, reads and LatestValues`, (t) => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      let x = seed;
      const rand = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
      const regs: Record<number, Uint8Array> = { 3: new Uint8Array(131072), 4: new Uint8Array(131072) };
      const bits: Record<number, Uint8Array> = { 1: new Uint8Array(65536), 2: new Uint8Array(65536) };
      // Decimal-point registers first (values 0..3 as the meter's "number of decimals").
      const dp = new Map<string, number>();
      for (const p of profile.points) {
        if (!p.exponentFrom) continue;
        const key = `${p.exponentFrom.function}:${p.exponentFrom.address}`;
        if (!dp.has(key)) {
          const v = Math.floor(rand() * 4);
          dp.set(key, v);
          writeRaw(p.exponentFrom.type === "u16" ? TYPE_U16 : TYPE_S16, 0, v, regs[p.exponentFrom.function], 2 * p.exponentFrom.address);
        }
      }
      const points = profile.points.map((_, i) => i).filter((i) => {
        const p = profile.points[i];
        // A value sharing a register with a decimal-point register cannot take an arbitrary value: leave it out.
        for (let w = 0; w < p.words; w++) if (p.function >= 3 && dp.has(`${p.function}:${p.address + w}`)) return false;
        return true;
      });
      const plan = planSite([{ name: "m", unit: 1, profile, points }], { baud: 9600, framing: "8N1" });
      const want = new Float64Array(plan.values.length);
      plan.values.forEach((v, i) => {
        const p = profile.points[v.point];
        const extra = p.exponentFrom ? p.exponentFrom.sign * dp.get(`${p.exponentFrom.function}:${p.exponentFrom.address}`)! : 0;
        let value: number;
        if (p.type === "bool") value = rand() < 0.5 ? 0 : 1;
        else {
          // A raw value of the type, and the engineering value the profile maps it to (scale, exponents). A raw the
          // profile lists as invalid is replaced by 0.
          let raw: number;
          if (p.type === "f32") raw = Math.fround((rand() - 0.5) * 1e6);
          else if (p.type === "f64") raw = (rand() - 0.5) * 1e12;
          else { const [lo, hi] = RANGE[p.type]; raw = lo + Math.floor(rand() * (hi - lo + 1)); }
          value = v.codec.decode(rawImage(p.type, raw), 0, extra);
          if (Number.isNaN(value)) value = v.codec.decode(rawImage(p.type, 0), 0, extra);
        }
        want[i] = value;
        if (p.function <= 2) bits[p.function][p.address] = value;
        else v.codec.encode(value, regs[p.function], 2 * p.address, extra);
      });
      const readings = new LatestValues(plan, { confirmations: 1 });
      plan.reads.forEach((rd, r) => {
        let data: Uint8Array;
        if (rd.function <= 2) {
          data = new Uint8Array((rd.count + 7) >> 3);
          for (let k = 0; k < rd.count; k++) if (bits[rd.function][rd.start + k]) data[k >> 3] |= 1 << (k & 7);
        } else data = regs[rd.function].slice(2 * rd.start, 2 * (rd.start + rd.count));
        readings.update(r, data, 0, data.length, 1000 + r);
      });
      for (let i = 0; i < plan.values.length; i++) {
        const got = readings.values[i];
        // Scaled floats may land one float32 step away after value → raw → value; integers and plain floats are exact.
        const tol = profile.points[plan.values[i].point].type === "f32" ? 1e-6 : 1e-9;
        const ok = readings.status[i] === VALUE_OK && (got === want[i] || Math.abs(got - want[i]) <= tol * Math.abs(want[i]));
        if (!ok) throw new Error(`${plan.values[i].name}: wrote ${want[i]}, read ${got} (status ${readings.status[i]})`);
      }
      return true;
    }), { numRuns: 25, seed: 485 });
    t.pass();
  });
}

/** Big-endian register bytes of a raw value (for computing the engineering value a raw maps to). */
function rawImage(type: string, raw: number): Uint8Array {
  const b = new Uint8Array(8);
  const code = ["u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64"].indexOf(type);
  writeRaw(code, 0, raw, b, 0);
  return b;
}

test("profiles were found", (t) => {
  t.true(profiles.length >= 4);
});
