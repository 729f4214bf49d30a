// Property tests of the register value codecs (Node: fast-check): raw round trips in every type and order, against an
// independent reference built on Node's DataView/BigInt, and decode never reads outside its buffer.
import test from "ava";
import fc from "fast-check";
import { readRaw, TYPE_NAMES, TYPE_WORDS, ValueCodec, writeRaw } from "../modules/concentrator/values";

// Reference encoder: big-endian bytes of the value, then the order applied as word reversal / byte swap.
function reference(type: string, raw: number, order: number): Uint8Array {
  const n = TYPE_WORDS[TYPE_NAMES.indexOf(type as never)];
  const dv = new DataView(new ArrayBuffer(2 * n));
  switch (type) {
    case "u16": dv.setUint16(0, raw); break;
    case "s16": dv.setInt16(0, raw); break;
    case "u32": dv.setUint32(0, raw); break;
    case "s32": dv.setInt32(0, raw); break;
    case "u64": dv.setBigUint64(0, BigInt(raw)); break;
    case "s64": dv.setBigInt64(0, BigInt(raw)); break;
    case "f32": dv.setFloat32(0, raw); break;
    case "f64": dv.setFloat64(0, raw); break;
  }
  const be = new Uint8Array(dv.buffer);
  const out = new Uint8Array(2 * n);
  for (let k = 0; k < n; k++) {
    const dst = 2 * (order & 1 ? n - 1 - k : k);
    out[dst] = be[2 * k + (order & 2 ? 1 : 0)];
    out[dst + 1] = be[2 * k + (order & 2 ? 0 : 1)];
  }
  return out;
}

const raws: Record<string, fc.Arbitrary<number>> = {
  u16: fc.integer({ min: 0, max: 0xfffe }),
  s16: fc.integer({ min: -32768, max: 0x7ffe }),
  u32: fc.integer({ min: 0, max: 0xfffffffe }),
  s32: fc.integer({ min: -2147483648, max: 0x7ffffffe }),
  u64: fc.maxSafeNat(),
  s64: fc.maxSafeInteger(),
  f32: fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
  f64: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
};

for (const type of Object.keys(raws)) {
  test(`${type}: write then read is the identity in every order, and matches the DataView/BigInt reference`, (t) => {
    const tc = TYPE_NAMES.indexOf(type as never);
    fc.assert(fc.property(raws[type], fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 }), (raw, order, pad) => {
      const n = 2 * TYPE_WORDS[tc];
      const b = new Uint8Array(n + pad);
      if (writeRaw(tc, order, raw, b, pad) !== n) return false;
      const ref = reference(type, raw, order);
      for (let i = 0; i < n; i++) if (b[pad + i] !== ref[i]) return false;
      return Object.is(readRaw(tc, order, b, pad), raw);
    }), { numRuns: 2000 });
    t.pass();
  });
}

test("engineering values round-trip through scale and exponent within the type's precision", (t) => {
  fc.assert(fc.property(fc.integer({ min: -2000000000, max: 2000000000 }), fc.integer({ min: -4, max: 3 }), fc.integer({ min: 0, max: 3 }), (raw, exp, order) => {
    const c = new ValueCodec(3, order, -1, 1, exp); // s32
    const b = new Uint8Array(4);
    const value = c.decode(new Uint8Array(4), 0); // 0
    if (value !== 0) return false;
    writeRaw(3, order, raw, b, 0);
    const v = c.decode(b, 0);
    const b2 = new Uint8Array(4);
    c.encode(v, b2, 0);
    return readRaw(3, order, b2, 0) === raw;
  }), { numRuns: 3000 });
  t.pass();
});

test("decode never throws and never reads outside its buffer", (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), fc.integer({ min: -3, max: 14 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 3 }), (bytes, offset, type, order) => {
    const c = new ValueCodec(type, order);
    const v = c.decode(bytes, offset);
    const inside = offset >= 0 && offset + 2 * TYPE_WORDS[type] <= bytes.length;
    return inside || Number.isNaN(v);
  }), { numRuns: 5000 });
  t.pass();
});
