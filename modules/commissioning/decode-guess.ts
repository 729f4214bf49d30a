/*
 * The word-order and scale wizard behind `rc485 read --guess`: given the registers read from an unknown meter at the
 * address where a stated quantity should be (mains voltage, frequency, current, power, an energy counter), every
 * decoding — value type × word order × power-of-ten scale — is ranked by how plausible its value is for that quantity.
 *
 * Theory of operation. Each decoding of the first registers of the block (modules/concentrator/values.ts readRaw: 16-bit types in
 * byte orders ABCD and BADC, 32- and 64-bit types in all four word/byte orders) is scaled by 10^e for e in -3..3. A value
 * outside the quantity's physical range is dropped. The rest score by closeness to the quantity's typical values (the
 * distance in decades to the nearest), less a penalty per decade of scale (meters use few), more for scaling a float
 * (floats are nearly always in engineering units), for 64-bit types (rare in meters), and for a type narrower than the
 * block read (the user reads as many registers as the value spans). A zero is a weak candidate
 * (every type reads zero the same way). The ranking is a guide: one reading cannot always tell a scale of 10 from the
 * next, so the wizard shows the top candidates with their values for the user to judge.
 * Command-time code: allocates its result list.
 */
import { ORDER_NAMES, TYPE_NAMES, TYPE_WORDS, readRaw, typeCode, orderCode } from "../concentrator/values";

export interface Quantity {
  readonly name: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** Typical values, in the unit. */
  readonly typical: readonly number[];
}

/** The quantities the wizard knows, with the physical range a meter reports and their usual values. */
export const QUANTITIES: readonly Quantity[] = Object.freeze([
  // Mains: IEC 60038 nominal voltages 230/400 V and 120/208/240 V; phase-to-neutral or phase-to-phase.
  Object.freeze({ name: "voltage", unit: "V", min: 80, max: 500, typical: Object.freeze([230, 120, 400, 240, 208]) }),
  Object.freeze({ name: "frequency", unit: "Hz", min: 45, max: 65, typical: Object.freeze([50, 60]) }),
  Object.freeze({ name: "current", unit: "A", min: 0, max: 2000, typical: Object.freeze([1, 10, 50]) }),
  Object.freeze({ name: "power", unit: "W", min: -2000000, max: 2000000, typical: Object.freeze([100, 1000, 10000]) }),
  Object.freeze({ name: "energy", unit: "kWh", min: 0, max: 1000000000, typical: Object.freeze([100, 10000]) }),
]);

export interface Guess {
  readonly type: string;
  readonly order: string;
  /** Power of ten applied to the raw value. */
  readonly exponent: number;
  readonly value: number;
  readonly score: number;
}

/** Score lost by a decoding that leaves registers of the block unused (the block is read to hold one value). */
const WIDTH_PENALTY = 15;

const TYPES = Object.freeze(["u16", "s16", "u32", "s32", "f32", "u64", "s64", "f64"]);

export function quantityNamed(name: string): Quantity | undefined {
  for (const q of QUANTITIES) if (q.name === name) return q;
  return undefined;
}

/** Ranks every decoding of registers[0..count) for `q`, most plausible first (at most `limit`). */
export function rankDecodings(registers: ArrayLike<number>, count: number, q: Quantity, limit = 10): Guess[] {
  const bytes = new Uint8Array(8);
  for (let i = 0; i < count && i < 4; i++) {
    bytes[2 * i] = (registers[i] >> 8) & 0xff;
    bytes[2 * i + 1] = registers[i] & 0xff;
  }
  const out: Guess[] = [];
  for (const type of TYPES) {
    const tc = typeCode(type);
    const words = TYPE_WORDS[tc];
    if (words > count) continue;
    const orders = words === 1 ? ["ABCD", "BADC"] : ORDER_NAMES;
    for (const order of orders) {
      const raw = readRaw(tc, orderCode(order), bytes, 0);
      if (!Number.isFinite(raw)) continue;
      for (let e = -3; e <= 3; e++) {
        const value = raw * 10 ** e;
        if (value < q.min || value > q.max) continue;
        out.push({ type, order, exponent: e, value: Number(value.toPrecision(7)), score: score(value, type, e, q) - (words < count ? WIDTH_PENALTY : 0) });
      }
    }
  }
  out.sort((a, b) => b.score - a.score || TYPE_NAMES.indexOf(a.type as never) - TYPE_NAMES.indexOf(b.type as never));
  return out.slice(0, limit);
}

function score(value: number, type: string, e: number, q: Quantity): number {
  if (value === 0) return 10 - Math.abs(e);
  const a = Math.abs(value);
  let best = Infinity;
  for (const t of q.typical) {
    const d = Math.abs(Math.log10(a / t));
    if (d < best) best = d;
  }
  let s = 100 - 30 * best - 4 * Math.abs(e);
  if (type === "f32" || type === "f64") {
    if (e !== 0) s -= 20;
    // A float that decodes to a tiny denormal-looking or huge magnitude is noise of a wrong order, already out of range.
  }
  if (type.endsWith("64")) s -= 5;
  return Math.round(s * 10) / 10;
}
