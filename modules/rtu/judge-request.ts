/*
 * judgeRequest: the exception a standard slave must answer to a well-formed request (parseRequest returned 0), or 0 when
 * it should carry the request out. Follows the state diagrams of MODBUS Application Protocol V1.1b3 §6, which check in
 * this order:
 *   1. function code supported                              else 01 Illegal Function
 *   2. quantity inside the function's limits, byte count = what the quantity needs, coil value 0x0000/0xFF00,
 *      Diagnostics data valid for its sub-function, Read Device ID code 1–4                  else 03 Illegal Data Value
 *   3. starting address and address + quantity inside the device (and within 65536)       else 02 Illegal Data Address
 * Diagnostics (§6.8): an unsupported sub-function is 01. Read Device Identification (§6.21): an unknown object id asked
 * for individually (code 4) is 02; stream access (codes 1–3) restarts at object 0 instead, so it is not an error.
 * Device specifics come from a SlaveMap; without one every function rc485 knows and every address is accepted.
 * Allocates nothing.
 */
import { EX_ILLEGAL_DATA_ADDRESS, EX_ILLEGAL_DATA_VALUE, EX_ILLEGAL_FUNCTION } from "./exceptions";
import type { FrameView } from "./frame-view";
import {
  ADDRESS_SPACE, COIL_OFF, COIL_ON, DATA_TABLE, DIAG_CHANGE_ASCII_DELIMITER, DIAG_RESTART_COMMUNICATIONS, DIAG_RETURN_QUERY_DATA,
  DIAG_SUBFUNCTION_KNOWN, FUNCTION_KNOWN, QUANTITY_MAX, QUANTITY_MIN, RW_WRITE_QUANTITY_MAX,
} from "./function-codes";
import type { SlaveMap } from "./slave-map";

function inside(map: SlaveMap | undefined, table: number, address: number, quantity: number): boolean {
  if (address + quantity > ADDRESS_SPACE) return false;
  return map === undefined || map.contains(table, address, quantity);
}

function quantityOk(fc: number, quantity: number): boolean {
  return quantity >= QUANTITY_MIN[fc] && quantity <= QUANTITY_MAX[fc];
}

/** §6.8.1: 01 takes 0x0000 or 0xFF00; 03 takes a character and 0x00; every other counted sub-function takes 0x0000. */
function diagnosticDataOk(sub: number, value: number): boolean {
  if (sub === DIAG_RESTART_COMMUNICATIONS) return value === 0 || value === 0xff00;
  if (sub === DIAG_CHANGE_ASCII_DELIMITER) return (value & 0xff) === 0;
  return value === 0;
}

export function judgeRequest(view: FrameView, map?: SlaveMap): number {
  const fc = view.function;
  if (FUNCTION_KNOWN[fc] === 0 || (map !== undefined && !map.supportsFunction(fc))) return EX_ILLEGAL_FUNCTION;
  const table = DATA_TABLE[fc];
  switch (fc) {
    case 0x01: case 0x02: case 0x03: case 0x04:
      if (!quantityOk(fc, view.quantity)) return EX_ILLEGAL_DATA_VALUE;
      return inside(map, table, view.address, view.quantity) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x05:
      if (view.value !== COIL_ON && view.value !== COIL_OFF) return EX_ILLEGAL_DATA_VALUE;
      return inside(map, table, view.address, 1) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x06: case 0x16:
      return inside(map, table, view.address, 1) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x0f:
      if (!quantityOk(fc, view.quantity) || view.byteCount !== (view.quantity + 7) >> 3) return EX_ILLEGAL_DATA_VALUE;
      return inside(map, table, view.address, view.quantity) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x10:
      if (!quantityOk(fc, view.quantity) || view.byteCount !== 2 * view.quantity) return EX_ILLEGAL_DATA_VALUE;
      return inside(map, table, view.address, view.quantity) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x17:
      if (!quantityOk(fc, view.quantity) || view.writeQuantity < 1 || view.writeQuantity > RW_WRITE_QUANTITY_MAX ||
        view.byteCount !== 2 * view.writeQuantity) return EX_ILLEGAL_DATA_VALUE;
      return inside(map, table, view.address, view.quantity) && inside(map, table, view.writeAddress, view.writeQuantity) ? 0 : EX_ILLEGAL_DATA_ADDRESS;
    case 0x08: {
      const sub = view.subFunction;
      const known = sub < 256 && DIAG_SUBFUNCTION_KNOWN[sub] === 1;
      if (!known || (map !== undefined && !map.supportsDiagnostic(sub))) return EX_ILLEGAL_FUNCTION;
      if (sub !== DIAG_RETURN_QUERY_DATA && (view.dataLength !== 2 || !diagnosticDataOk(sub, view.value))) return EX_ILLEGAL_DATA_VALUE;
      return 0;
    }
    case 0x2b:
      if (view.readCode < 1 || view.readCode > 4) return EX_ILLEGAL_DATA_VALUE;
      if (view.readCode === 4) {
        const known = map === undefined ? view.objectId <= 2 : map.hasDeviceIdObject(view.objectId);
        if (!known) return EX_ILLEGAL_DATA_ADDRESS;
      }
      return 0;
    default:
      return 0; // 07, 0B, 11: nothing to judge.
  }
}
