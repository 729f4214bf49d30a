/*
 * The store-and-forward ring's storage on the ESP32: a flash data partition through the Moddable SDK's `flash` module
 * (modules/files/flash; Moddable SDK documentation/files/files.md, "class Flash": erase(block), read(offset, byteLength),
 * write(offset, byteLength, buffer), map(), blockSize, byteLength). The partition is named by forwarding.mqtt.ringStore
 * and must exist in the build's partition table (docs/esp32.md, "Persistent ring"). The ring (modules/forwarding/ring.ts)
 * uses the partition's sectors in turn, so wear spreads evenly over every sector of the region.
 *
 * A write is durable when flash.write() returns (ESP-IDF esp_partition_write programs the chip before it returns), so
 * nothing waits for a sync. Reads go through map() (the partition mapped into the address space: no copy, no allocation)
 * when the host supports it, else through read(), which allocates an ArrayBuffer per call.
 */
import type { RingStorage } from "../../modules/forwarding/ring-storage";

/** The part of the SDK's Flash class the ring uses. */
export interface FlashLike {
  readonly blockSize: number;
  readonly byteLength: number;
  erase(block: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void;
  map?(): ArrayBuffer;
}

export class FlashRingStorage implements RingStorage {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly deferredSync = false;
  private readonly flash: FlashLike;
  private readonly mapped: Uint8Array | null;

  /** Uses the first `bytes` of the partition (whole sectors; 0: all of it). Throws RangeError for fewer than 2 sectors. */
  constructor(flash: FlashLike, bytes: number) {
    const bs = flash.blockSize;
    const region = bytes > 0 && bytes < flash.byteLength ? bytes : flash.byteLength;
    const blocks = Math.floor(region / bs);
    if (blocks < 2) throw new RangeError(`forwarding.mqtt.ringStore: the flash region holds ${blocks} sector(s) of ${bs} bytes; the ring needs at least 2`);
    this.flash = flash;
    this.blockSize = bs;
    this.blockCount = blocks;
    let mapped: Uint8Array | null = null;
    if (typeof flash.map === "function") {
      try {
        mapped = new Uint8Array(flash.map());
      } catch {
        mapped = null;
      }
    }
    this.mapped = mapped;
  }

  read(offset: number, into: Uint8Array, length: number): void {
    const m = this.mapped;
    if (m !== null) {
      for (let i = 0; i < length; i++) into[i] = m[offset + i];
      return;
    }
    const copy = new Uint8Array(this.flash.read(offset, length));
    for (let i = 0; i < length; i++) into[i] = copy[i];
  }

  write(offset: number, from: Uint8Array, length: number): void {
    this.flash.write(offset, length, from);
  }

  erase(block: number): void {
    this.flash.erase(block);
  }

  sync(): void {}
}
