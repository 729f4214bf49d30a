// JsonWriter writes the same JSON text as modules/common/json-text.ts, as UTF-8 bytes into its own buffer (on Node and XS).
import { formatNumber, isoUtc, jsonString } from "../../../modules/common/json-text";
import { JsonWriter } from "../../../modules/forwarding/json-writer";
import type { Cases } from "../../harness/check";

function written(f: (w: JsonWriter) => void): string {
  const w = new JsonWriter(256);
  f(w);
  return w.text();
}

/** A seeded sequence in [0, 1) (no Math.random in tests). */
function sequence(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

export const cases: Cases = {
  "number(): formatNumber's text for f32 values at 7 digits, scaled integers and doubles at 15, over seeded samples"(t) {
    const next = sequence(7);
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    let differ = 0;
    const first: string[] = [];
    const check = (v: number, digits: number) => {
      // From 10^15 on, XS's own number-to-string (which formatNumber relies on) spells numbers beyond 2^53 with more
      // digits than V8's shortest form: not compared there.
      if (Math.abs(v) >= 1e15) return;
      const a = written((w) => w.number(v, digits));
      const b = formatNumber(v, digits);
      if (a !== b) { differ++; if (first.length < 3) first.push(`${v}@${digits}: ${a} vs ${b}`); }
    };
    for (let i = 0; i < 4000; i++) {
      bits[0] = Math.floor(next() * 4_294_967_296);
      check(f32[0], 7);
      check(Math.floor(next() * 1e9) / [1, 10, 100, 1000, 1e4][i % 5], 15);
      // Arbitrary doubles where the writer's scale is exact (modules/forwarding/json-writer.ts: above 10^-8 at 15 digits, 10^-16 at 7).
      const sign = next() < 0.5 ? -1 : 1;
      check(sign * (0.1 + 0.9 * next()) * Math.pow(10, Math.floor(next() * 21 - 6)), 15);
      check(sign * (0.1 + 0.9 * next()) * Math.pow(10, Math.floor(next() * 36 - 14)), 7);
    }
    t.is(differ, 0, first.join("; "));
  },
  "number(): ties round away from zero as toPrecision does, exponent forms, null for non-finite"(t) {
    for (const [v, d] of [[9.9999995, 7], [0.125, 2], [2.5, 1], [-2.5, 1], [1234567.5, 7], [1e21, 7], [1.5e21, 7], [1e-7, 7], [1.25e-7, 7],
      [0.000001, 7], [123.456, 2], [-0.001234567, 3], [Math.fround(230.1), 7], [18234.567891, 15], [4.5, 15]] as const) {
      t.is(written((w) => w.number(v, d)), formatNumber(v, d), `${v} at ${d} digits`);
    }
    t.is(written((w) => w.number(NaN, 7)), "null");
    t.is(written((w) => w.number(-Infinity, 7)), "null");
    t.is(written((w) => w.number(-0, 7)), "0");
    t.is(written((w) => w.number(-42, 7)), "-42");
  },
  "isoUtc() and string() match json-text"(t) {
    for (const ms of [0, 1_000.9, 86_399_999, 951_782_400_000, 1_795_240_503_123, 253_402_300_799_999]) t.is(written((w) => w.isoUtc(ms)), isoUtc(ms));
    for (const s of ['a"b\\c', "line\nbreak\ttab\r", "<b>&amp;</b>", "\u2028\u2029\u0001", "°C m³ ✓", "emoji 😀", ""]) t.is(written((w) => w.string(s)), jsonString(s));
  },
  "bytes are UTF-8; a document that does not fit sets overflow and stays within the buffer"(t) {
    const w = new JsonWriter(8);
    w.raw("m³");
    t.deepEqual(Array.from(w.bytes.subarray(0, w.length)), [0x6d, 0xc2, 0xb3]);
    t.is(w.overflow, false);
    w.raw("0123456789");
    t.is(w.overflow, true);
    t.is(w.length, 8);
    w.reset();
    t.is(w.length, 0);
    t.is(w.overflow, false);
    t.throws(() => new JsonWriter(0), RangeError);
  },
};
