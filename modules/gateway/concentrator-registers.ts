/*
 * The concentrator's own registers, served by the Modbus TCP gateway on its local unit id (gateway option `localUnit`):
 * a small read-only status map so SCADA can watch the concentrator and every meter's health without a bus transaction.
 * Holding (03) and input (04) registers hold the same map (Application Protocol V1.1b3 §6.3/§6.4); writes are refused
 * with exception 01, reads outside the map with 02 (§7).
 *
 *   address          value
 *   0                map version (1)
 *   1                number of meters
 *   2                meters online (answered their last poll)
 *   3                meters offline (backed off after repeated timeouts)
 *   4, 5             seconds since the concentrator started (u32, high word first)
 *   16 + 4m          meter m: RTU unit id
 *   17 + 4m          meter m: state (0 unknown, 1 online, 2 offline: modules/concentrator/scheduler.ts STATE_*)
 *   18 + 4m          meter m: consecutive failed polls (capped at 65535)
 *   19 + 4m          meter m: seconds since its last good reply (capped at 65534; 65535 = never answered)
 *
 * Allocation-free: values are computed on each read from the scheduler's health arrays.
 */
import type { LocalRegisters } from "./engine";
import { EX_ILLEGAL_DATA_ADDRESS, EX_ILLEGAL_FUNCTION } from "../rtu/exceptions";

export const CONCENTRATOR_MAP_VERSION = 1;
export const METER_BLOCK_START = 16;
export const METER_BLOCK_SIZE = 4;

/** The scheduler's health arrays (modules/concentrator/scheduler.ts has these fields), one entry per meter. */
export interface MeterHealth {
  readonly state: Uint8Array;
  readonly consecutiveFailures: Uint32Array;
  /** µs of the last good reply, negative when none yet. */
  readonly lastGoodAt: Float64Array;
}

export class ConcentratorRegisters implements LocalRegisters {
  readonly size: number;
  private readonly units: Uint8Array;

  /** `units[m]` is meter m's RTU address; `startedAt` the engine time (µs) the concentrator started. */
  constructor(units: readonly number[], private readonly health: MeterHealth, private startedAt: number) {
    if (health.state.length !== units.length) throw new RangeError(`health must have one entry per meter (${units.length})`);
    this.units = Uint8Array.from(units);
    this.size = METER_BLOCK_START + METER_BLOCK_SIZE * units.length;
  }

  /** Lowers the start time by `deltaUs`, as the host lowers its clock (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    this.startedAt -= deltaUs;
  }

  readRegisters(_fc: number, address: number, count: number, into: Uint16Array, now: number): number {
    if (address + count > this.size) return EX_ILLEGAL_DATA_ADDRESS;
    for (let i = 0; i < count; i++) into[i] = this.value(address + i, now);
    return 0;
  }

  writeRegisters(): number {
    return EX_ILLEGAL_FUNCTION;
  }

  private value(a: number, now: number): number {
    const h = this.health;
    const n = this.units.length;
    if (a < METER_BLOCK_START) {
      const up = Math.floor((now - this.startedAt) / 1e6);
      switch (a) {
        case 0: return CONCENTRATOR_MAP_VERSION;
        case 1: return n;
        case 2: case 3: {
          let k = 0;
          for (let m = 0; m < n; m++) if (h.state[m] === a - 1) k++;
          return k;
        }
        case 4: return up > 0 ? Math.floor(up / 65536) & 0xffff : 0;
        case 5: return up > 0 ? up & 0xffff : 0;
        default: return 0;
      }
    }
    const m = (a - METER_BLOCK_START) >> 2;
    switch ((a - METER_BLOCK_START) & 3) {
      case 0: return this.units[m];
      case 1: return h.state[m];
      case 2: return h.consecutiveFailures[m] > 0xffff ? 0xffff : h.consecutiveFailures[m];
      default: {
        const t = h.lastGoodAt[m];
        if (t < 0) return 0xffff;
        const s = Math.floor((now - t) / 1e6);
        return s > 0xfffe ? 0xfffe : s < 0 ? 0 : s;
      }
    }
  }
}
