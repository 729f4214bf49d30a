/*
 * answersRequest: whether a well-formed response (parseResponse returned 0) answers the request the master sent (parsed
 * into another FrameView). MODBUS Application Protocol V1.1b3 §6: the response comes from the addressed unit with the
 * same function code (or that code | 0x80 for an exception, §7); reads return exactly the data asked for
 * (ceil(N/8) bytes for N bits, 2N bytes for N registers); write responses echo the request's address and quantity or
 * value; Diagnostics answers echo the sub-function (and for 00 the whole request). Returns FAULT_NONE or the
 * FAULT_WRONG_* code of the first mismatch. An exception response with the right unit and function answers the request.
 * Allocates nothing.
 */
import { FAULT_NONE, FAULT_WRONG_ECHO, FAULT_WRONG_FUNCTION, FAULT_WRONG_QUANTITY, FAULT_WRONG_UNIT } from "./faults";
import type { FrameView } from "./frame-view";

function sameData(a: FrameView, b: FrameView): boolean {
  if (a.dataLength !== b.dataLength) return false;
  for (let i = 0; i < a.dataLength; i++) if (a.buffer[a.dataOffset + i] !== b.buffer[b.dataOffset + i]) return false;
  return true;
}

export function answersRequest(request: FrameView, response: FrameView): number {
  if (response.unit !== request.unit) return FAULT_WRONG_UNIT;
  if (response.function !== request.function) return FAULT_WRONG_FUNCTION;
  if (response.isException) return FAULT_NONE;
  switch (request.function) {
    case 0x01: case 0x02:
      return response.byteCount === (request.quantity + 7) >> 3 ? FAULT_NONE : FAULT_WRONG_QUANTITY;
    case 0x03: case 0x04: case 0x17:
      return response.quantity === request.quantity ? FAULT_NONE : FAULT_WRONG_QUANTITY;
    case 0x05: case 0x06:
      return response.address === request.address && response.value === request.value ? FAULT_NONE : FAULT_WRONG_ECHO;
    case 0x0f: case 0x10:
      return response.address === request.address && response.quantity === request.quantity ? FAULT_NONE : FAULT_WRONG_ECHO;
    case 0x16:
      return response.address === request.address && response.andMask === request.andMask && response.orMask === request.orMask ? FAULT_NONE : FAULT_WRONG_ECHO;
    case 0x08:
      if (response.subFunction !== request.subFunction) return FAULT_WRONG_ECHO;
      return request.subFunction !== 0 || sameData(request, response) ? FAULT_NONE : FAULT_WRONG_ECHO;
    case 0x2b:
      return response.readCode === request.readCode ? FAULT_NONE : FAULT_WRONG_ECHO;
    default:
      return FAULT_NONE;
  }
}
