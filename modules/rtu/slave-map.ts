/*
 * SlaveMap: what one slave device implements — its function codes, Diagnostics sub-functions, the address ranges of its
 * four primary tables (MODBUS Application Protocol V1.1b3 §4.3) and its Read Device Identification objects (§6.21). The
 * request judge (judge-request.ts) reads it to choose exception 01 or 02 as the spec's state diagrams prescribe. Built once
 * from configuration (the ranges become typed arrays); checks allocate nothing.
 */
import { checkRange } from "./adu";
import { DIAG_SUBFUNCTION_KNOWN, FUNCTION_KNOWN, TABLE_COILS, TABLE_DISCRETE_INPUTS, TABLE_HOLDING_REGISTERS, TABLE_INPUT_REGISTERS } from "./function-codes";

/** A block of addresses: first address and count (first + count <= 65536). */
export type AddressRange = readonly [first: number, count: number];

export interface SlaveMapConfig {
  /** Function codes the device answers; default: every function rc485 knows. Others get exception 01. */
  readonly functions?: readonly number[];
  /** Diagnostics (08) sub-functions the device answers; default: all of §6.8.1. Others get exception 01. */
  readonly diagnostics?: readonly number[];
  /** Address ranges per table; a request's whole block must lie inside one range, else exception 02. Default: all. */
  readonly coils?: readonly AddressRange[];
  readonly discreteInputs?: readonly AddressRange[];
  readonly holdingRegisters?: readonly AddressRange[];
  readonly inputRegisters?: readonly AddressRange[];
  /** Object ids of Read Device Identification the device holds; default 0, 1, 2 (the mandatory basic objects). */
  readonly deviceIdObjects?: readonly number[];
}

function ranges(field: string, list: readonly AddressRange[] | undefined): Int32Array | null {
  if (list === undefined) return null;
  if (!Array.isArray(list)) throw new TypeError(`${field} must be an array of [first, count] pairs`);
  const out = new Int32Array(2 * list.length);
  list.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== 2) throw new TypeError(`${field}[${i}] must be a [first, count] pair`);
    checkRange(`${field}[${i}] first`, r[0], 0, 0xffff);
    checkRange(`${field}[${i}] count`, r[1], 1, 0x10000 - r[0]);
    out[2 * i] = r[0];
    out[2 * i + 1] = r[0] + r[1];
  });
  return out;
}

function codeSet(field: string, list: readonly number[] | undefined, fallback: Uint8Array): Uint8Array {
  const out = new Uint8Array(256);
  if (list === undefined) {
    out.set(fallback);
    return out;
  }
  if (!Array.isArray(list)) throw new TypeError(`${field} must be an array of codes`);
  list.forEach((c, i) => {
    checkRange(`${field}[${i}]`, c, 0, 0xff);
    out[c] = 1;
  });
  return out;
}

const BASIC_OBJECTS = new Uint8Array(256);
BASIC_OBJECTS[0] = BASIC_OBJECTS[1] = BASIC_OBJECTS[2] = 1;

export class SlaveMap {
  private readonly functions: Uint8Array;
  private readonly diagnostics: Uint8Array;
  private readonly deviceIdObjects: Uint8Array;
  private readonly tables: (Int32Array | null)[];

  constructor(config: SlaveMapConfig = {}) {
    if (typeof config !== "object" || config === null) throw new TypeError("SlaveMap config must be an object");
    this.functions = codeSet("functions", config.functions, FUNCTION_KNOWN);
    for (let fc = 0; fc < 256; fc++) if (this.functions[fc] === 1 && FUNCTION_KNOWN[fc] === 0) throw new RangeError(`functions: rc485 has no rules for function ${fc}`);
    this.diagnostics = codeSet("diagnostics", config.diagnostics, DIAG_SUBFUNCTION_KNOWN);
    this.deviceIdObjects = codeSet("deviceIdObjects", config.deviceIdObjects, BASIC_OBJECTS);
    const t: (Int32Array | null)[] = [null, null, null, null, null];
    t[TABLE_COILS] = ranges("coils", config.coils);
    t[TABLE_DISCRETE_INPUTS] = ranges("discreteInputs", config.discreteInputs);
    t[TABLE_HOLDING_REGISTERS] = ranges("holdingRegisters", config.holdingRegisters);
    t[TABLE_INPUT_REGISTERS] = ranges("inputRegisters", config.inputRegisters);
    this.tables = t;
  }

  supportsFunction(fc: number): boolean {
    return fc >= 0 && fc < 256 && this.functions[fc] === 1;
  }

  supportsDiagnostic(subFunction: number): boolean {
    return subFunction >= 0 && subFunction < 256 && this.diagnostics[subFunction] === 1;
  }

  hasDeviceIdObject(objectId: number): boolean {
    return objectId >= 0 && objectId < 256 && this.deviceIdObjects[objectId] === 1;
  }

  /** True when addresses [address, address + quantity) of `table` (TABLE_*) lie inside one configured range. */
  contains(table: number, address: number, quantity: number): boolean {
    const end = address + quantity;
    if (address < 0 || end > 0x10000) return false;
    const r = this.tables[table];
    if (r === null || r === undefined) return true;
    for (let i = 0; i < r.length; i += 2) if (address >= r[i] && end <= r[i + 1]) return true;
    return false;
  }
}
