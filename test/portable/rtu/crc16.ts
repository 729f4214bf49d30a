import { appendCrc, crc16, crcMatches } from "../../../modules/rtu/crc16";
import type { Cases } from "../../harness/check";
import { fromHex } from "../../harness/hex";

// Bit-at-a-time reference (the definition in Modbus over Serial Line V1.02 §6.2.2), to check the sliced tables against.
function reference(b: Uint8Array, off: number, len: number, c = 0xffff): number {
  for (let i = off; i < off + len; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  }
  return c;
}

export const cases: Cases = {
  "check value of 123456789 is 0x4B37"(t) {
    const b = new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
    t.is(crc16(b, 0, 9), 0x4b37);
  },
  "empty input leaves the seed"(t) {
    t.is(crc16(new Uint8Array(0), 0, 0), 0xffff);
    t.is(crc16(new Uint8Array(4), 2, 0, 0x1234), 0x1234);
  },
  "spec example frames end with their CRC, low byte first"(t) {
    // Read holding registers 40108..40110 of unit 17 (MODBUS Application Protocol V1.1b3 §6.3), RTU framing.
    for (const hex of ["11 03 00 6B 00 03 76 87", "01 03 00 00 00 0A C5 CD", "01 06 00 01 00 03 98 0B", "01 04 02 FF FF B8 80"]) {
      const f = fromHex(hex);
      t.ok(crcMatches(f, 0, f.length), hex);
    }
  },
  "every length 0..300 and offset agree with the bitwise definition"(t) {
    const b = new Uint8Array(310);
    let x = 0x2545f491;
    for (let i = 0; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
    for (let len = 0; len <= 300; len++) t.is(crc16(b, len % 7, len), reference(b, len % 7, len), `length ${len}`);
  },
  "incremental over pieces equals one pass"(t) {
    const b = new Uint8Array(100);
    for (let i = 0; i < 100; i++) b[i] = (i * 151 + 7) & 0xff;
    const whole = crc16(b, 0, 100);
    for (const cut of [0, 1, 7, 8, 9, 50, 99, 100]) t.is(crc16(b, cut, 100 - cut, crc16(b, 0, cut)), whole, `cut ${cut}`);
  },
  "appendCrc then crcMatches; a flipped bit fails"(t) {
    const b = new Uint8Array(12);
    b.set([0x05, 0x04, 0x00, 0x00, 0x00, 0x02], 2);
    t.is(appendCrc(b, 2, 6), 8);
    t.ok(crcMatches(b, 2, 8));
    b[4] ^= 0x10;
    t.ok(!crcMatches(b, 2, 8));
    t.ok(!crcMatches(b, 0, 2), "too short");
  },
};
