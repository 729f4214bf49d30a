/*
 * Typed-array columns carved from one ArrayBuffer per engine.
 *
 * Theory of operation. On XS a typed array with a buffer of its own costs 7 slots (112 bytes on the 32-bit ESP32) and a
 * chunk header before its first element; a view onto a shared buffer costs 4 slots. An engine that keeps twenty columns
 * (the scheduler, the plan, the master) therefore allocates them as views of one buffer: it sums the columns' byte
 * lengths with columnBytes() (each rounded up to 8 bytes, so every view is aligned whatever the order), builds a
 * ColumnArena of that size, and takes its columns from it in any order. Taking more than the arena holds throws
 * RangeError (a programming error: the sizes given to columnBytes and the columns taken disagree). Construction only.
 */

/** Bytes an arena needs for columns of these byte lengths (each rounded up to 8: every view stays aligned). */
export function columnBytes(...byteLengths: number[]): number {
  let total = 0;
  for (const n of byteLengths) total += (n + 7) & ~7;
  return total;
}

export class ColumnArena {
  private readonly buffer: ArrayBuffer;
  private offset = 0;

  constructor(bytes: number) {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`an arena's size must be a non-negative integer, got ${bytes}`);
    this.buffer = new ArrayBuffer(bytes);
  }

  /** Bytes not yet taken. */
  get free(): number {
    return this.buffer.byteLength - this.offset;
  }

  f64(n: number): Float64Array { return new Float64Array(this.buffer, this.take(n * 8), n); }
  f32(n: number): Float32Array { return new Float32Array(this.buffer, this.take(n * 4), n); }
  u32(n: number): Uint32Array { return new Uint32Array(this.buffer, this.take(n * 4), n); }
  i32(n: number): Int32Array { return new Int32Array(this.buffer, this.take(n * 4), n); }
  u16(n: number): Uint16Array { return new Uint16Array(this.buffer, this.take(n * 2), n); }
  i16(n: number): Int16Array { return new Int16Array(this.buffer, this.take(n * 2), n); }
  u8(n: number): Uint8Array { return new Uint8Array(this.buffer, this.take(n), n); }
  i8(n: number): Int8Array { return new Int8Array(this.buffer, this.take(n), n); }

  private take(bytes: number): number {
    const at = this.offset;
    const next = at + ((bytes + 7) & ~7);
    if (next > this.buffer.byteLength) throw new RangeError(`column arena: ${bytes} bytes wanted, ${this.buffer.byteLength - at} left`);
    this.offset = next;
    return at;
  }
}
