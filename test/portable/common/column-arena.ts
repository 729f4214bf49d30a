// Typed-array columns carved from one buffer (modules/common/column-arena.ts): every view aligned whatever the order, sized by
// columnBytes, and taking more than the arena holds is refused. Portable: runs on Node and on XS.
import { ColumnArena, columnBytes } from "../../../modules/common/column-arena";
import type { Cases, Check } from "../../harness/check";

export const cases: Cases = {
  "columns in any order are aligned views of one buffer, independent of each other"(t: Check) {
    const arena = new ColumnArena(columnBytes(3, 8 * 2, 2 * 5, 4 * 3));
    const a = arena.u8(3);
    const b = arena.f64(2);
    const c = arena.i16(5);
    const d = arena.u32(3);
    t.is(arena.free, 0);
    t.is(a.buffer, b.buffer);
    t.is(b.byteOffset % 8, 0);
    t.is(c.byteOffset % 2, 0);
    t.is(d.byteOffset % 4, 0);
    a.fill(255);
    b.fill(NaN);
    c.fill(-1);
    d.fill(7);
    t.deepEqual(Array.from(a), [255, 255, 255]);
    t.ok(Number.isNaN(b[0]) && Number.isNaN(b[1]));
    t.deepEqual(Array.from(c), [-1, -1, -1, -1, -1]);
    t.deepEqual(Array.from(d), [7, 7, 7]);
  },
  "columnBytes rounds each column up to 8 bytes; taking beyond the size is a RangeError"(t: Check) {
    t.is(columnBytes(), 0);
    t.is(columnBytes(1, 8, 9, 0), 8 + 8 + 16);
    const arena = new ColumnArena(columnBytes(4));
    arena.u16(2);
    t.throws(() => arena.u8(1), RangeError);
    t.throws(() => new ColumnArena(-1), RangeError);
  },
};
