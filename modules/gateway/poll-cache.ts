/*
 * Recent poll data for the Modbus TCP gateway: the register blocks the concentrator's own polls read, with the time each
 * was read, so that a TCP read of registers the scheduler has just polled can be answered without another bus
 * transaction (gateway option `cacheTtlMs`, off by default).
 *
 * Staleness is the price: an answer from here is up to the TTL older than the device's current value, and it says nothing
 * of the device being reachable now. Only reads of holding/input registers (03, 04: Application Protocol V1.1b3 §6.3,
 * §6.4) are served, and only when one recorded block covers the whole requested range and was read at or after `since`.
 *
 * Fixed memory: `capacity` blocks of up to 125 registers, allocated in the constructor; a new block replaces the record of
 * the same read, else the oldest record. record() and lookup() allocate nothing.
 */
import { rebaseTimes } from "../port/time-rebase";

/** What the gateway asks of poll data. */
export interface PollCache {
  /**
   * Copies `count` registers of table `fc` (3 holding, 4 input) of RTU address `unit`, from `address`, into
   * `into[0..count)` when one block read at or after `since` (µs) covers them all; returns whether it did.
   */
  lookup(unit: number, fc: number, address: number, count: number, since: number, into: Uint16Array): boolean;
}

const BLOCK = 125;

export class RegisterCache implements PollCache {
  readonly capacity: number;
  private readonly unit: Uint8Array;
  private readonly fc: Uint8Array;
  private readonly address: Int32Array;
  private readonly count: Uint8Array;
  private readonly at: Float64Array;
  private readonly values: Uint16Array;
  hits = 0;
  misses = 0;

  constructor(capacity = 32) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1024) throw new RangeError(`capacity must be an integer from 1 to 1024 (got ${capacity})`);
    this.capacity = capacity;
    this.unit = new Uint8Array(capacity);
    this.fc = new Uint8Array(capacity);
    this.address = new Int32Array(capacity);
    this.count = new Uint8Array(capacity);
    this.at = new Float64Array(capacity).fill(-Infinity);
    this.values = new Uint16Array(capacity * BLOCK);
  }

  /** Lowers every time held by `deltaUs` (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.at, deltaUs);
  }

  /** Records a successful read of `count` (1..125) registers, e.g. from a MasterResult of the scheduler's poll. */
  record(unit: number, fc: number, address: number, values: Uint16Array, count: number, at: number): void {
    if ((fc !== 3 && fc !== 4) || count < 1 || count > BLOCK) return;
    let slot = -1;
    let oldest = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.count[i] === count && this.unit[i] === unit && this.fc[i] === fc && this.address[i] === address) { slot = i; break; }
      if (this.at[i] < this.at[oldest]) oldest = i;
    }
    if (slot < 0) slot = oldest;
    this.unit[slot] = unit;
    this.fc[slot] = fc;
    this.address[slot] = address;
    this.count[slot] = count;
    this.at[slot] = at;
    const base = slot * BLOCK;
    for (let i = 0; i < count; i++) this.values[base + i] = values[i];
  }

  lookup(unit: number, fc: number, address: number, count: number, since: number, into: Uint16Array): boolean {
    for (let i = 0; i < this.capacity; i++) {
      const a = this.address[i];
      if (this.unit[i] !== unit || this.fc[i] !== fc || this.at[i] < since || address < a || address + count > a + this.count[i]) continue;
      const base = i * BLOCK + (address - a);
      for (let k = 0; k < count; k++) into[k] = this.values[base + k];
      this.hits++;
      return true;
    }
    this.misses++;
    return false;
  }

  clear(): void {
    this.at.fill(-Infinity);
    this.count.fill(0);
  }
}
