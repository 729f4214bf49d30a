/*
 * The store-and-forward ring's storage on Node: one file of 4096-byte blocks (forwarding.mqtt.ringStore; the format is
 * modules/forwarding/ring-record.ts, the ring modules/forwarding/ring.ts). The file behaves as flash does for the ring: a new file is
 * filled with 0xFF, erase() writes a block of 0xFF, and the ring only appends into erased bytes.
 *
 * Durability (docs/mqtt.md, "Ring file and fsync"): write() is one pwrite(2) into the page cache, so a process crash
 * (SIGKILL, OOM kill, a fault) loses nothing written. fdatasync(2) runs in sync(), which the forwarder calls at most every
 * `ringSyncMs` (and the ring publishes only readings already synced), so a power cut or a kernel crash can lose the
 * readings of the last `ringSyncMs` that were never published — and nothing the broker has seen.
 */
import { closeSync, constants, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { RingStorage } from "../../modules/forwarding/ring-storage";

export const RING_FILE_BLOCK = 4096;

export class RingFileError extends Error {}

export class FileRingStorage implements RingStorage {
  readonly blockSize = RING_FILE_BLOCK;
  readonly blockCount: number;
  readonly deferredSync = true;
  readonly path: string;
  /** fdatasync calls so far. */
  syncs = 0;
  private fd: number;
  private readonly erased = new Uint8Array(RING_FILE_BLOCK).fill(0xff);

  /**
   * Opens (or creates) the ring file with `blocks` blocks. A shorter ring file is extended with erased blocks; a longer
   * one keeps its size (its readings are not thrown away); a file that is not a whole number of blocks is refused.
   */
  constructor(path: string, blocks: number, log: (line: string) => void = () => {}) {
    this.path = path;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (e) {
      throw new RingFileError(`cannot open '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const size = fstatSync(fd).size;
    if (size % RING_FILE_BLOCK !== 0 || (size > 0 && size < 2 * RING_FILE_BLOCK)) {
      closeSync(fd);
      throw new RingFileError(`'${path}' (${size} bytes) is not a ring file of ${RING_FILE_BLOCK}-byte blocks; move it away or name another file`);
    }
    const have = size / RING_FILE_BLOCK;
    if (have > blocks) log(`ring file ${path}: keeps its ${have} blocks (ringBytes asks for ${blocks}); delete it when empty to resize`);
    for (let b = have; b < blocks; b++) writeSync(fd, this.erased, 0, RING_FILE_BLOCK, b * RING_FILE_BLOCK);
    if (have < blocks) fdatasyncSync(fd);
    this.blockCount = Math.max(have, blocks);
    this.fd = fd;
  }

  read(offset: number, into: Uint8Array, length: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, into, done, length - done, offset + done);
      if (n === 0) { into.fill(0xff, done, length); return; }
      done += n;
    }
  }

  write(offset: number, from: Uint8Array, length: number): void {
    let done = 0;
    while (done < length) done += writeSync(this.fd, from, done, length - done, offset + done);
  }

  erase(block: number): void {
    this.write(block * RING_FILE_BLOCK, this.erased, RING_FILE_BLOCK);
  }

  sync(): void {
    fdatasyncSync(this.fd);
    this.syncs++;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
