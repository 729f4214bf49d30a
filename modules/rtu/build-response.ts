/*
 * Response builders (a slave's view): each writes a whole ADU — unit, PDU, CRC low byte first — into (buffer, offset) and
 * returns its length. Layouts and limits of MODBUS Application Protocol V1.1b3 §6 (normal responses) and §7 (exception
 * responses); a response's unit is 1–247 (no device answers a broadcast, Modbus over Serial Line V1.02 §2.2). Violations
 * throw RangeError. Allocates nothing.
 */
import { checkRange, checkResponseUnit, checkSource, checkSpace, finish, putU16, writeDiagnosticEcho, writeMaskWrite } from "./adu";
import {
  EXCEPTION_FLAG, FC_DIAGNOSTICS, FC_ENCAPSULATED_INTERFACE, FC_GET_COMM_EVENT_COUNTER,
  FC_READ_COILS, FC_READ_DISCRETE_INPUTS, FC_READ_EXCEPTION_STATUS, FC_READ_HOLDING_REGISTERS,
  FC_READ_INPUT_REGISTERS, FC_READ_WRITE_MULTIPLE_REGISTERS, FC_REPORT_SERVER_ID, FC_WRITE_MULTIPLE_COILS,
  FC_WRITE_MULTIPLE_REGISTERS, FC_WRITE_SINGLE_COIL, FC_WRITE_SINGLE_REGISTER, MAX_ADU_LENGTH, MEI_READ_DEVICE_IDENTIFICATION,
  QUANTITY_MAX,
} from "./function-codes";

/**
 * 01/02 response (§6.1, §6.2): `quantity` bits (1–2000) packed 8 per byte from `bits[from…]`, first bit in bit 0; the
 * unused high bits of the last byte are sent as 0.
 */
export function buildReadBitsResponse(buffer: Uint8Array, offset: number, unit: number, fc: number, bits: Uint8Array, from: number, quantity: number): number {
  if (fc !== FC_READ_COILS && fc !== FC_READ_DISCRETE_INPUTS) throw new RangeError(`fc must be 1 or 2 for a bit read response, got ${fc}`);
  checkResponseUnit(unit);
  checkRange("quantity", quantity, 1, QUANTITY_MAX[fc]);
  const count = (quantity + 7) >> 3;
  checkSource("bits", bits, from, count);
  checkSpace(buffer, offset, 5 + count);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  buffer[offset + 2] = count;
  for (let i = 0; i < count; i++) buffer[offset + 3 + i] = bits[from + i];
  const spare = quantity & 7;
  if (spare !== 0) buffer[offset + 2 + count] &= (1 << spare) - 1;
  return finish(buffer, offset, offset + 3 + count);
}

/**
 * 03/04/17 response (§6.3, §6.4, §6.17): `quantity` registers (1–125) from `values[from…]`, each 0–65535, big-endian.
 */
export function buildReadRegistersResponse(buffer: Uint8Array, offset: number, unit: number, fc: number, values: ArrayLike<number>, from: number, quantity: number): number {
  if (fc !== FC_READ_HOLDING_REGISTERS && fc !== FC_READ_INPUT_REGISTERS && fc !== FC_READ_WRITE_MULTIPLE_REGISTERS) {
    throw new RangeError(`fc must be 3, 4 or 23 for a register read response, got ${fc}`);
  }
  checkResponseUnit(unit);
  checkRange("quantity", quantity, 1, QUANTITY_MAX[fc]);
  checkSource("values", values, from, quantity);
  checkSpace(buffer, offset, 5 + 2 * quantity);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  buffer[offset + 2] = 2 * quantity;
  for (let i = 0; i < quantity; i++) {
    const v = values[from + i];
    if ((v & 0xffff) !== v) throw new RangeError(`values[${from + i}] must be an integer from 0 to 65535, got ${v}`);
    buffer[offset + 3 + 2 * i] = v >>> 8;
    buffer[offset + 4 + 2 * i] = v & 0xff;
  }
  return finish(buffer, offset, offset + 3 + 2 * quantity);
}

export function buildReadCoilsResponse(buffer: Uint8Array, offset: number, unit: number, bits: Uint8Array, from: number, quantity: number): number {
  return buildReadBitsResponse(buffer, offset, unit, FC_READ_COILS, bits, from, quantity);
}
export function buildReadDiscreteInputsResponse(buffer: Uint8Array, offset: number, unit: number, bits: Uint8Array, from: number, quantity: number): number {
  return buildReadBitsResponse(buffer, offset, unit, FC_READ_DISCRETE_INPUTS, bits, from, quantity);
}
export function buildReadHoldingRegistersResponse(buffer: Uint8Array, offset: number, unit: number, values: ArrayLike<number>, from: number, quantity: number): number {
  return buildReadRegistersResponse(buffer, offset, unit, FC_READ_HOLDING_REGISTERS, values, from, quantity);
}
export function buildReadInputRegistersResponse(buffer: Uint8Array, offset: number, unit: number, values: ArrayLike<number>, from: number, quantity: number): number {
  return buildReadRegistersResponse(buffer, offset, unit, FC_READ_INPUT_REGISTERS, values, from, quantity);
}
export function buildReadWriteMultipleRegistersResponse(buffer: Uint8Array, offset: number, unit: number, values: ArrayLike<number>, from: number, quantity: number): number {
  return buildReadRegistersResponse(buffer, offset, unit, FC_READ_WRITE_MULTIPLE_REGISTERS, values, from, quantity);
}

function twoWords(buffer: Uint8Array, offset: number, unit: number, fc: number, first: number, second: number): number {
  checkResponseUnit(unit);
  checkSpace(buffer, offset, 8);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  putU16(buffer, offset + 2, first);
  putU16(buffer, offset + 4, second);
  return finish(buffer, offset, offset + 6);
}

/** 05 response (§6.5): the echo of the request. */
export function buildWriteSingleCoilResponse(buffer: Uint8Array, offset: number, unit: number, address: number, on: boolean): number {
  checkRange("address", address, 0, 0xffff);
  if (typeof on !== "boolean") throw new TypeError(`on must be true or false, got ${on}`);
  return twoWords(buffer, offset, unit, FC_WRITE_SINGLE_COIL, address, on ? 0xff00 : 0);
}
/** 06 response (§6.6): the echo of the request. */
export function buildWriteSingleRegisterResponse(buffer: Uint8Array, offset: number, unit: number, address: number, value: number): number {
  checkRange("address", address, 0, 0xffff);
  checkRange("value", value, 0, 0xffff);
  return twoWords(buffer, offset, unit, FC_WRITE_SINGLE_REGISTER, address, value);
}
/** 0F response (§6.11): starting address and quantity of coils written (1–1968). */
export function buildWriteMultipleCoilsResponse(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  checkRange("address", address, 0, 0xffff);
  checkRange("quantity", quantity, 1, QUANTITY_MAX[FC_WRITE_MULTIPLE_COILS]);
  return twoWords(buffer, offset, unit, FC_WRITE_MULTIPLE_COILS, address, quantity);
}
/** 10 response (§6.12): starting address and quantity of registers written (1–123). */
export function buildWriteMultipleRegistersResponse(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  checkRange("address", address, 0, 0xffff);
  checkRange("quantity", quantity, 1, QUANTITY_MAX[FC_WRITE_MULTIPLE_REGISTERS]);
  return twoWords(buffer, offset, unit, FC_WRITE_MULTIPLE_REGISTERS, address, quantity);
}
/** 08 response with a 2-byte data word (§6.8): the counters 0B–12 return the count here, 0A echoes 0x0000. */
export function buildDiagnosticResponse(buffer: Uint8Array, offset: number, unit: number, subFunction: number, data: number): number {
  checkRange("subFunction", subFunction, 1, 0xffff);
  checkRange("data", data, 0, 0xffff);
  return twoWords(buffer, offset, unit, FC_DIAGNOSTICS, subFunction, data);
}
/** 0B response (§6.9): status word (0x0000, or 0xFFFF while busy) and event count. */
export function buildCommEventCounterResponse(buffer: Uint8Array, offset: number, unit: number, status: number, eventCount: number): number {
  checkRange("status", status, 0, 0xffff);
  checkRange("eventCount", eventCount, 0, 0xffff);
  return twoWords(buffer, offset, unit, FC_GET_COMM_EVENT_COUNTER, status, eventCount);
}

/** 08 sub-function 00 response (§6.8.1): identical to the request, `length` data bytes from `data[from…]`. */
export function buildDiagnosticEchoResponse(buffer: Uint8Array, offset: number, unit: number, data: Uint8Array, from: number, length: number): number {
  checkResponseUnit(unit);
  return writeDiagnosticEcho(buffer, offset, unit, data, from, length);
}

/** 07 response (§6.7): the eight exception status outputs as one byte. */
export function buildReadExceptionStatusResponse(buffer: Uint8Array, offset: number, unit: number, status: number): number {
  checkResponseUnit(unit);
  checkRange("status", status, 0, 0xff);
  checkSpace(buffer, offset, 5);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_READ_EXCEPTION_STATUS;
  buffer[offset + 2] = status;
  return finish(buffer, offset, offset + 3);
}

/** 11 response (§6.13): byte count, then server id, run indicator (0x00 OFF, 0xFF ON) and device specific bytes. */
export function buildReportServerIdResponse(buffer: Uint8Array, offset: number, unit: number, data: Uint8Array, from: number, length: number): number {
  checkResponseUnit(unit);
  checkRange("length", length, 1, MAX_ADU_LENGTH - 5);
  checkSource("data", data, from, length);
  checkSpace(buffer, offset, 5 + length);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_REPORT_SERVER_ID;
  buffer[offset + 2] = length;
  for (let i = 0; i < length; i++) buffer[offset + 3 + i] = data[from + i];
  return finish(buffer, offset, offset + 3 + length);
}

/** 16 response (§6.16): the echo of the request. */
export function buildMaskWriteRegisterResponse(buffer: Uint8Array, offset: number, unit: number, address: number, andMask: number, orMask: number): number {
  checkResponseUnit(unit);
  return writeMaskWrite(buffer, offset, unit, address, andMask, orMask);
}

/** Writes one Read Device Identification object (id, length, value bytes) at (buffer, offset); returns 2 + length. */
export function encodeDeviceIdObject(buffer: Uint8Array, offset: number, objectId: number, value: Uint8Array, from: number, length: number): number {
  checkRange("objectId", objectId, 0, 0xff);
  checkRange("length", length, 0, MAX_ADU_LENGTH - 12);
  checkSource("value", value, from, length);
  if (!Number.isInteger(offset) || offset < 0 || offset + 2 + length > buffer.length) throw new RangeError(`buffer must hold ${2 + length} bytes at offset ${offset}`);
  buffer[offset] = objectId;
  buffer[offset + 1] = length;
  for (let i = 0; i < length; i++) buffer[offset + 2 + i] = value[from + i];
  return 2 + length;
}

/**
 * 2B/0E response (§6.21): header fields, then `objectCount` objects already encoded (see encodeDeviceIdObject) in
 * `objects[from, from + length)`. The object list must hold exactly `objectCount` well-formed objects.
 */
export function buildDeviceIdentificationResponse(buffer: Uint8Array, offset: number, unit: number, readCode: number, conformity: number,
  moreFollows: number, nextObjectId: number, objectCount: number, objects: Uint8Array, from: number, length: number): number {
  checkResponseUnit(unit);
  checkRange("readCode", readCode, 1, 4);
  checkRange("conformity", conformity, 0, 0xff);
  if (moreFollows !== 0 && moreFollows !== 0xff) throw new RangeError(`moreFollows must be 0 or 255, got ${moreFollows}`);
  checkRange("nextObjectId", nextObjectId, 0, 0xff);
  checkRange("objectCount", objectCount, 0, 0xff);
  checkRange("length", length, 0, MAX_ADU_LENGTH - 10);
  checkSource("objects", objects, from, length);
  let p = 0;
  for (let k = 0; k < objectCount; k++) {
    if (p + 2 > length) throw new RangeError(`objects must hold ${objectCount} objects, ends inside object ${k}`);
    p += 2 + objects[from + p + 1];
  }
  if (p !== length) throw new RangeError(`objects must be exactly ${objectCount} objects (${p} bytes), got ${length} bytes`);
  checkSpace(buffer, offset, 10 + length);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_ENCAPSULATED_INTERFACE;
  buffer[offset + 2] = MEI_READ_DEVICE_IDENTIFICATION;
  buffer[offset + 3] = readCode;
  buffer[offset + 4] = conformity;
  buffer[offset + 5] = moreFollows;
  buffer[offset + 6] = nextObjectId;
  buffer[offset + 7] = objectCount;
  for (let i = 0; i < length; i++) buffer[offset + 8 + i] = objects[from + i];
  return finish(buffer, offset, offset + 8 + length);
}

/** Exception response (§7): unit, function | 0x80, exception code (01–0B). 5 bytes. */
export function buildExceptionResponse(buffer: Uint8Array, offset: number, unit: number, fc: number, exception: number): number {
  checkResponseUnit(unit);
  checkRange("fc", fc, 1, 0x7f);
  checkRange("exception", exception, 1, 0x0b);
  checkSpace(buffer, offset, 5);
  buffer[offset] = unit;
  buffer[offset + 1] = fc | EXCEPTION_FLAG;
  buffer[offset + 2] = exception;
  return finish(buffer, offset, offset + 3);
}
