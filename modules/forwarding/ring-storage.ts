/*
 * Where the store-and-forward ring keeps its bytes (modules/forwarding/ring.ts): a row of equal blocks with flash's rules —
 * a block is erased to 0xFF as a whole, and written only where it is erased. Three implementations: RAM (below), a file
 * on Node (hosts/node/ring-file.ts) and a flash partition on the ESP32 (hosts/esp32/ring-flash.ts). Offsets are absolute
 * (block × blockSize + offset in the block); the ring never writes across a block's end.
 */

export interface RingStorage {
  readonly blockSize: number;
  readonly blockCount: number;
  /**
   * true: a write is durable only after sync() (a file in the page cache); false: a write is durable when write()
   * returns (flash, or RAM that is lost with the process anyway).
   */
  readonly deferredSync: boolean;
  /** Copies `length` bytes at `offset` into `into` from index 0. */
  read(offset: number, into: Uint8Array, length: number): void;
  /** Writes the first `length` bytes of `from` at `offset` (into erased bytes). */
  write(offset: number, from: Uint8Array, length: number): void;
  /** Sets every byte of block `block` to 0xFF. */
  erase(block: number): void;
  /** Makes every write so far durable. */
  sync(): void;
}

/** The ring in RAM: lost with the process, which is what the ESP32 without a flash partition has. */
export class MemoryRingStorage implements RingStorage {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly deferredSync = false;
  readonly bytes: Uint8Array;

  constructor(blockSize: number, blockCount: number) {
    if (!Number.isInteger(blockSize) || blockSize < 64 || blockSize > 65536) throw new RangeError("ring storage: blockSize must be an integer 64..65536");
    if (!Number.isInteger(blockCount) || blockCount < 2 || blockCount > 65536) throw new RangeError("ring storage: blockCount must be an integer 2..65536");
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.bytes = new Uint8Array(blockSize * blockCount).fill(0xff);
  }

  read(offset: number, into: Uint8Array, length: number): void {
    const b = this.bytes;
    for (let i = 0; i < length; i++) into[i] = b[offset + i];
  }

  write(offset: number, from: Uint8Array, length: number): void {
    const b = this.bytes;
    // Flash can only clear bits: an unerased byte keeps the bits it has (a ring bug shows up as a CRC failure).
    for (let i = 0; i < length; i++) b[offset + i] &= from[i];
  }

  erase(block: number): void {
    this.bytes.fill(0xff, block * this.blockSize, (block + 1) * this.blockSize);
  }

  sync(): void {}
}
