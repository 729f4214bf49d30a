// Register value codecs: vectors for every type in all four orders, sentinels, scaling, decimal-point exponents, bits.
import {
  bitField, isDefaultSentinel, ORDER_NAMES, orderCode, packedBit, readRaw, readRawInto, scalePow10, setPackedBit, TYPE_NAMES, typeCode,
  ValueCodec, writeRaw, type OrderName, type ValueTypeName,
} from "../../../modules/concentrator/values";
import type { Cases } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

// One vector: the type, the raw value, and its bytes in ABCD order (high word first, big-endian bytes).
const VECTORS: readonly [ValueTypeName, number, string][] = [
  ["u16", 0x1234, "12 34"],
  ["u16", 0, "00 00"],
  ["s16", -2, "FF FE"],
  ["s16", -32768, "80 00"],
  ["u32", 0x12345678, "12 34 56 78"],
  ["u32", 4294967294, "FF FF FF FE"],
  ["s32", -100000, "FF FE 79 60"],
  ["u64", 0x0001020304050607, "00 01 02 03 04 05 06 07"],
  ["s64", -2, "FF FF FF FF FF FF FF FE"],
  ["s64", -1108152157446, "FF FF FE FD FC FB FA FA"],
  ["f32", 230.5, "43 66 80 00"],
  ["f32", -1.5, "BF C0 00 00"],
  ["f64", 1.5, "3F F8 00 00 00 00 00 00"],
  ["f64", 12345.678, "40 C8 1C D6 C8 B4 39 58"],
];

// Rearranges ABCD bytes into another order: word order reversed (bit 0) and/or bytes swapped in each word (bit 1).
function arrange(abcd: Uint8Array, order: number): Uint8Array {
  const n = abcd.length / 2;
  const out = new Uint8Array(abcd.length);
  for (let k = 0; k < n; k++) {
    const src = 2 * k;
    const dst = 2 * (order & 1 ? n - 1 - k : k);
    out[dst] = abcd[src + (order & 2 ? 1 : 0)];
    out[dst + 1] = abcd[src + (order & 2 ? 0 : 1)];
  }
  return out;
}

export const cases: Cases = {
  "order names map to the documented byte layouts for f32 230.5"(t) {
    const abcd = fromHex("43 66 80 00");
    t.is(toHex(arrange(abcd, orderCode("ABCD"))), "43 66 80 00");
    t.is(toHex(arrange(abcd, orderCode("CDAB"))), "80 00 43 66");
    t.is(toHex(arrange(abcd, orderCode("BADC"))), "66 43 00 80");
    t.is(toHex(arrange(abcd, orderCode("DCBA"))), "00 80 66 43");
    for (const [hex, order] of [["80 00 43 66", "CDAB"], ["66 43 00 80", "BADC"], ["00 80 66 43", "DCBA"]] as const) {
      t.is(readRaw(typeCode("f32"), orderCode(order), fromHex(hex), 0), 230.5, order);
    }
  },
  "every vector decodes and encodes in all four orders, at an odd offset"(t) {
    for (const [type, raw, hex] of VECTORS) {
      const tc = typeCode(type);
      for (let order = 0; order < 4; order++) {
        const wire = arrange(fromHex(hex), order);
        const buf = new Uint8Array(wire.length + 5);
        buf.set(wire, 3);
        t.is(readRaw(tc, order, buf, 3), raw, `${type} ${ORDER_NAMES[order]} read`);
        const out = new Uint8Array(wire.length + 5);
        t.is(writeRaw(tc, order, raw, out, 3), wire.length, `${type} length`);
        t.is(toHex(out, 3, wire.length), toHex(wire), `${type} ${ORDER_NAMES[order]} write`);
      }
    }
  },
  "16-bit types: CDAB equals ABCD and DCBA equals BADC"(t) {
    const b = fromHex("12 34");
    t.is(readRaw(typeCode("u16"), orderCode("CDAB"), b, 0), 0x1234);
    t.is(readRaw(typeCode("u16"), orderCode("BADC"), b, 0), 0x3412);
    t.is(readRaw(typeCode("u16"), orderCode("DCBA"), b, 0), 0x3412);
  },
  "default sentinels decode to NaN; near-sentinel values do not"(t) {
    const nan: [ValueTypeName, string][] = [
      ["u16", "FF FF"], ["s16", "7F FF"], ["u32", "FF FF FF FF"], ["s32", "7F FF FF FF"],
      ["u64", "FF FF FF FF FF FF FF FF"], ["s64", "7F FF FF FF FF FF FF FF"], ["f32", "7F C0 00 00"], ["f32", "7F 80 00 00"],
      ["f32", "FF C0 00 00"], ["f64", "7F F8 00 00 00 00 00 00"],
    ];
    for (const [type, hex] of nan) {
      const c = ValueCodec.of(type);
      t.ok(isDefaultSentinel(typeCode(type), 0, fromHex(hex), 0), `${type} ${hex} sentinel`);
      t.ok(Number.isNaN(c.decode(fromHex(hex), 0)), `${type} ${hex} → NaN`);
    }
    t.is(ValueCodec.of("u16").decode(fromHex("FF FE"), 0), 65534);
    t.is(ValueCodec.of("s16").decode(fromHex("FF FF"), 0), -1);
    t.is(ValueCodec.of("s32").decode(fromHex("FF FF FF FF"), 0), -1);
    t.is(ValueCodec.of("u32", "CDAB").decode(fromHex("FF FF 7F FF"), 0), 0x7fffffff);
  },
  "profile sentinels (raw values) decode to NaN"(t) {
    const c = ValueCodec.of("s16", "ABCD", -1, 1, -1, [-32768]);
    t.ok(Number.isNaN(c.decode(fromHex("80 00"), 0)));
    t.is(c.decode(fromHex("80 01"), 0), -3276.7);
  },
  "scale and power of ten, including a decimal-point register"(t) {
    t.is(ValueCodec.of("u16", "ABCD", -1, 1, -1).decode(fromHex("09 01"), 0), 230.5);
    t.is(ValueCodec.of("u32", "ABCD", -1, 1, -3).decode(fromHex("00 01 E2 40"), 0), 123.456);
    t.is(ValueCodec.of("s16", "ABCD", -1, 0.5).decode(fromHex("FF FC"), 0), -2);
    // A DC voltage of 12345 raw with a decimal-point register of 2 (sign -1): 123.45 V.
    const b = fromHex("30 39 00 02");
    const dp = readRaw(typeCode("s16"), 0, b, 2);
    t.is(ValueCodec.of("s16").decode(b, 0, -dp), 123.45);
    t.ok(Number.isNaN(ValueCodec.of("s16").decode(b, 0, NaN)), "unknown exponent");
    t.ok(Number.isNaN(ValueCodec.of("s16").decode(b, 0, 21)), "absurd exponent");
    t.is(scalePow10(2305, -1), 230.5);
    t.is(scalePow10(3, 2), 300);
  },
  "encode inverts decode with scale and exponent"(t) {
    const c = ValueCodec.of("u32", "CDAB", -1, 1, -2);
    const b = new Uint8Array(4);
    t.is(c.encode(4567.89, b, 0), 4);
    t.is(toHex(b), "F8 55 00 06");
    t.is(c.decode(b, 0), 4567.89);
    const f = ValueCodec.of("f32", "DCBA");
    f.encode(49.95, b, 0);
    t.is(f.decode(b, 0), Math.fround(49.95));
    f.encode(NaN, b, 0);
    t.ok(Number.isNaN(f.decode(b, 0)));
  },
  "reads past the buffer are NaN and writes past it write nothing"(t) {
    const b = fromHex("12 34 56");
    t.ok(Number.isNaN(readRaw(typeCode("u32"), 0, b, 0)));
    t.ok(Number.isNaN(readRaw(typeCode("u16"), 0, b, 2)));
    t.ok(Number.isNaN(readRaw(typeCode("u16"), 0, b, -1)));
    t.ok(Number.isNaN(ValueCodec.of("f64").decode(b, 0)));
    t.is(writeRaw(typeCode("u32"), 0, 1, b, 0), 0);
    t.is(toHex(b), "12 34 56");
  },
  "out-of-range raws are RangeErrors when encoding"(t) {
    const b = new Uint8Array(8);
    t.throws(() => writeRaw(typeCode("u16"), 0, 65536, b, 0), RangeError);
    t.throws(() => writeRaw(typeCode("s16"), 0, -32769, b, 0), RangeError);
    t.throws(() => writeRaw(typeCode("u32"), 0, -1, b, 0), RangeError);
    t.throws(() => ValueCodec.of("nope" as ValueTypeName), RangeError);
    t.throws(() => ValueCodec.of("u16", "ABDC" as OrderName), RangeError);
    t.throws(() => ValueCodec.of("u16", "ABCD", 3), RangeError);
  },
  "coils and discrete inputs: packed bits, least significant first"(t) {
    // MODBUS Application Protocol §6.1 example: coils 20..38 status CD 6B 05.
    const b = fromHex("CD 6B 05");
    const bits = [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1];
    for (let i = 0; i < bits.length; i++) t.is(packedBit(b, 0, i), bits[i] === 1, `bit ${i}`);
    t.is(packedBit(b, 0, 24), false, "outside");
    const c = new ValueCodec(typeCode("bool"), 0, -2);
    t.is(c.decode(b, 0, 0, 2), 1);
    t.is(c.decode(b, 0, 0, 1), 0);
    t.ok(Number.isNaN(c.decode(b, 0, 0, 24)));
    const out = new Uint8Array(3);
    for (let i = 0; i < bits.length; i++) setPackedBit(out, 0, i, bits[i] === 1);
    t.is(toHex(out), "CD 6B 05");
  },
  "one bit of a register, and bit fields"(t) {
    const b = fromHex("80 05");
    t.is(ValueCodec.of("bool", "ABCD", 0).decode(b, 0), 1);
    t.is(ValueCodec.of("bool", "ABCD", 1).decode(b, 0), 0);
    t.is(ValueCodec.of("bool", "ABCD", 15).decode(b, 0), 1);
    t.is(ValueCodec.of("bool", "BADC", 7).decode(b, 0), 1);
    const w = new Uint8Array(2);
    ValueCodec.of("bool", "ABCD", 9).encode(1, w, 0);
    t.is(toHex(w), "02 00");
    t.is(bitField(0xabcd, 4, 8), 0xbc);
    t.is(bitField(0xabcd, 0, 4), 0xd);
  },
  "type and order tables agree"(t) {
    t.is(TYPE_NAMES.length, 9);
    t.is(typeCode("f64"), 7);
    t.is(typeCode("f16"), -1);
    t.is(orderCode("DCBA"), 3);
  },
  "readRawInto() writes what readRaw() returns, for every type and order, over seeded bytes and every f32 exponent class"(t) {
    const b = new Uint8Array(12);
    const out = Float64Array.of(-7, -7);
    let s = 11;
    let differ = 0;
    const first: string[] = [];
    for (let i = 0; i < 3000; i++) {
      for (let j = 0; j < b.length; j++) { s = (s * 1_103_515_245 + 12_345) % 2_147_483_648; b[j] = s >> 16; }
      // Every fourth sample forces an f32 exponent of 0 or 255 (zero, subnormal, ±Infinity, NaN) at offset 2.
      if (i % 4 === 1) { b[2] &= 0x80; b[3] &= 0x7f; } else if (i % 4 === 3) { b[2] |= 0x7f; b[3] |= 0x80; }
      for (let type = 0; type < TYPE_NAMES.length; type++) {
        for (let order = 0; order < 4; order++) {
          for (const offset of [2, 6, 11, -1, 2.5]) {
            readRawInto(type, order, b, offset, out, 1);
            const want = readRaw(type, order, b, offset);
            if (!Object.is(out[1], want)) { differ++; if (first.length < 3) first.push(`${TYPE_NAMES[type]} ${ORDER_NAMES[order]} @${offset}: ${out[1]} vs ${want}`); }
          }
        }
      }
    }
    t.is(differ, 0, first.join("; "));
    t.is(out[0], -7, "only the given slot is written");
  },
};
