// IEEE 754 patterns by arithmetic (modules/concentrator/ieee754.ts), cross-checked against the engine's own DataView on the edge
// patterns (zeros, subnormals, the largest finite, infinities, NaNs) and on seeded random patterns, both directions.
import { float32Bits, float32FromBits, float64FromWords, float64High, float64Low } from "../../../modules/concentrator/ieee754";
import { Prng } from "../../../modules/common/prng";
import type { Cases } from "../../harness/check";

const EDGES32 = [0, 1, 0x7fffff, 0x800000, 0x7f7fffff, 0x7f800000, 0xff800000, 0x80000000, 0x80000001, 0x3f800000, 0x00400000,
  0x7fc00000, 0xffc00001, 0x43668000, 0xbfc00000];
const EDGES64: readonly [number, number][] = [[0, 0], [0, 1], [0x000fffff, 0xffffffff], [0x00100000, 0], [0x7fefffff, 0xffffffff],
  [0x7ff00000, 0], [0xfff00000, 0], [0x80000000, 0], [0x80000000, 1], [0x3ff00000, 0], [0x7ff80000, 0], [0x7ff00000, 1],
  [0x40c81cd6, 0xc8b43958]];

/** Both agree, NaN counting as equal to NaN and -0 as different from 0. */
function same(a: number, b: number): boolean {
  return a !== a ? b !== b : a === b && 1 / a === 1 / b;
}

export const cases: Cases = {
  "binary32 patterns (as int32) decode as DataView reads them, and finite ones encode back to the same pattern"(t) {
    const view = new DataView(new ArrayBuffer(4));
    const r = new Prng(754);
    let wrong = 0;
    for (let i = 0; i < 20000; i++) {
      const bits = i < EDGES32.length ? EDGES32[i] : r.nextUint32();
      view.setUint32(0, bits);
      const want = view.getFloat32(0);
      if (!same(float32FromBits(bits | 0), want)) wrong++;
      if (want === want && float32Bits(want) !== bits) wrong++;
    }
    t.is(wrong, 0);
    t.is(float32Bits(NaN), 0x7fc00000);
  },
  "any double encodes as binary32 with DataView's rounding"(t) {
    const view = new DataView(new ArrayBuffer(8));
    const r = new Prng(755);
    let wrong = 0;
    for (let i = 0; i < 20000; i++) {
      view.setUint32(0, r.nextUint32());
      view.setUint32(4, r.nextUint32());
      const v = view.getFloat64(0);
      if (v !== v) continue;
      view.setFloat32(0, v);
      if (float32Bits(v) !== view.getUint32(0)) wrong++;
    }
    for (const v of [1e-46, 3.4028235677973366e38, 3.4028236e38, 1.401298464324817e-45, 0.1, -230.5]) {
      view.setFloat32(0, v);
      if (float32Bits(v) !== view.getUint32(0)) wrong++;
    }
    t.is(wrong, 0);
  },
  "binary64 patterns decode as DataView reads them, and non-NaN ones encode back to the same words"(t) {
    const view = new DataView(new ArrayBuffer(8));
    const r = new Prng(756);
    let wrong = 0;
    for (let i = 0; i < 20000; i++) {
      const [hi, lo] = i < EDGES64.length ? EDGES64[i] : [r.nextUint32(), r.nextUint32()];
      view.setUint32(0, hi);
      view.setUint32(4, lo);
      const want = view.getFloat64(0);
      if (!same(float64FromWords(hi, lo), want)) wrong++;
      if (want === want && (float64High(want) !== hi || float64Low(want) !== lo)) wrong++;
    }
    t.is(wrong, 0);
    t.is(float64High(NaN), 0x7ff80000);
    t.is(float64Low(NaN), 0);
  },
};
