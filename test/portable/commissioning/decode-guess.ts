// The word-order and scale wizard (modules/commissioning/decode-guess.ts): registers written in a known type, order and scale are
// ranked back to that decoding first for the quantity they hold. Portable: runs on Node and on XS.
import { QUANTITIES, quantityNamed, rankDecodings } from "../../../modules/commissioning/decode-guess";
import { ValueCodec } from "../../../modules/concentrator/values";
import type { Cases, Check } from "../../harness/check";

/** Registers holding `value` encoded as type/order with 10^exponent (what a meter would send). */
function regs(value: number, type: string, order: string, exponent = 0): number[] {
  const b = new Uint8Array(8);
  ValueCodec.of(type as never, order as never, -1, 1, exponent).encode(value, b, 0);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push((b[2 * i] << 8) | b[2 * i + 1]);
  return out;
}

function top(t: Check, registers: number[], count: number, quantity: string) {
  const q = quantityNamed(quantity);
  t.ok(q !== undefined, quantity);
  const g = rankDecodings(registers, count, q!);
  t.ok(g.length > 0, "some decoding is plausible");
  return g[0];
}

export const cases: Cases = {
  "a float voltage low word first is found as f32 CDAB"(t: Check) {
    const g = top(t, regs(231.5, "f32", "CDAB"), 2, "voltage");
    t.deepEqual([g.type, g.order, g.exponent, g.value], ["f32", "CDAB", 0, 231.5]);
  },
  "a float frequency high word first is f32 ABCD"(t: Check) {
    const g = top(t, regs(50.02, "f32", "ABCD"), 2, "frequency");
    t.deepEqual([g.type, g.order, g.exponent], ["f32", "ABCD", 0]);
  },
  "a voltage in tenths of a volt in one register is u16 × 10^-1"(t: Check) {
    const g = top(t, [2301, 0], 1, "voltage");
    t.deepEqual([g.type, g.order, g.exponent, g.value], ["u16", "ABCD", -1, 230.1]);
  },
  "a frequency in hundredths with its bytes swapped is u16 BADC × 10^-2"(t: Check) {
    const v = 5002;
    const g = top(t, [((v & 0xff) << 8) | (v >> 8)], 1, "frequency");
    t.deepEqual([g.type, g.order, g.exponent, g.value], ["u16", "BADC", -2, 50.02]);
  },
  "an energy counter in Wh as u32 low word first is u32 CDAB × 10^-3 (kWh)"(t: Check) {
    const g = top(t, regs(12345678, "u32", "CDAB"), 2, "energy");
    t.deepEqual([g.type, g.order, g.exponent, g.value], ["u32", "CDAB", -3, 12345.68]);
  },
  "nothing plausible: an empty ranking; every quantity has a sane range"(t: Check) {
    t.deepEqual(rankDecodings([0xffff, 0xffff], 2, quantityNamed("frequency")!), []);
    for (const q of QUANTITIES) t.ok(q.min < q.max && q.typical.every((x) => x >= q.min && x <= q.max), q.name);
    t.is(quantityNamed("pressure"), undefined);
  },
};
