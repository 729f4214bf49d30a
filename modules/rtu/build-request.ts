/*
 * Request builders (a master's view): each writes a whole ADU — unit, PDU, CRC low byte first — into (buffer, offset)
 * and returns its length. Limits of MODBUS Application Protocol V1.1b3 §6 are enforced here as RangeError, since a master
 * that sends them would only earn exception 03 or 02: quantities (function-codes.ts), address + quantity <= 65536, coil
 * values, units 0–247 (0 = broadcast, Modbus over Serial Line V1.02 §2.2). Allocates nothing.
 */
import { checkRange, checkRequestUnit, checkSource, checkSpace, finish, putU16, writeDiagnosticEcho, writeMaskWrite } from "./adu";
import {
  ADDRESS_SPACE, FC_DIAGNOSTICS, FC_ENCAPSULATED_INTERFACE, FC_GET_COMM_EVENT_COUNTER,
  FC_READ_COILS, FC_READ_DISCRETE_INPUTS, FC_READ_EXCEPTION_STATUS, FC_READ_HOLDING_REGISTERS,
  FC_READ_INPUT_REGISTERS, FC_READ_WRITE_MULTIPLE_REGISTERS, FC_REPORT_SERVER_ID, FC_WRITE_MULTIPLE_COILS,
  FC_WRITE_MULTIPLE_REGISTERS, FC_WRITE_SINGLE_COIL, FC_WRITE_SINGLE_REGISTER, MEI_READ_DEVICE_IDENTIFICATION,
  QUANTITY_MAX, QUANTITY_MIN, RW_WRITE_QUANTITY_MAX,
} from "./function-codes";

// Field names are passed as constants so that the check allocates nothing unless it throws.
function checkBlock(addressField: string, quantityField: string, fc: number, address: number, quantity: number, max: number): void {
  checkRange(addressField, address, 0, 0xffff);
  checkRange(quantityField, quantity, QUANTITY_MIN[fc], max);
  if (address + quantity > ADDRESS_SPACE) {
    throw new RangeError(`${addressField} + ${quantityField} must be at most 65536, got ${address} + ${quantity}`);
  }
}

/** Read request with address + quantity (01, 02, 03, 04): 8 bytes. */
export function buildReadRequest(buffer: Uint8Array, offset: number, unit: number, fc: number, address: number, quantity: number): number {
  if (fc !== FC_READ_COILS && fc !== FC_READ_DISCRETE_INPUTS && fc !== FC_READ_HOLDING_REGISTERS && fc !== FC_READ_INPUT_REGISTERS) {
    throw new RangeError(`fc must be 1, 2, 3 or 4 for a read request, got ${fc}`);
  }
  checkRequestUnit(unit);
  checkBlock("address", "quantity", fc, address, quantity, QUANTITY_MAX[fc]);
  checkSpace(buffer, offset, 8);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  putU16(buffer, offset + 2, address);
  putU16(buffer, offset + 4, quantity);
  return finish(buffer, offset, offset + 6);
}

/** 01 Read Coils (§6.1): quantity 1–2000. */
export function buildReadCoils(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  return buildReadRequest(buffer, offset, unit, FC_READ_COILS, address, quantity);
}
/** 02 Read Discrete Inputs (§6.2): quantity 1–2000. */
export function buildReadDiscreteInputs(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  return buildReadRequest(buffer, offset, unit, FC_READ_DISCRETE_INPUTS, address, quantity);
}
/** 03 Read Holding Registers (§6.3): quantity 1–125. */
export function buildReadHoldingRegisters(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  return buildReadRequest(buffer, offset, unit, FC_READ_HOLDING_REGISTERS, address, quantity);
}
/** 04 Read Input Registers (§6.4): quantity 1–125. */
export function buildReadInputRegisters(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number): number {
  return buildReadRequest(buffer, offset, unit, FC_READ_INPUT_REGISTERS, address, quantity);
}

function addressValue(buffer: Uint8Array, offset: number, unit: number, fc: number, address: number, value: number): number {
  checkRequestUnit(unit);
  checkRange("address", address, 0, 0xffff);
  checkSpace(buffer, offset, 8);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  putU16(buffer, offset + 2, address);
  putU16(buffer, offset + 4, value);
  return finish(buffer, offset, offset + 6);
}

/** 05 Write Single Coil (§6.5): ON is sent as 0xFF00, OFF as 0x0000. */
export function buildWriteSingleCoil(buffer: Uint8Array, offset: number, unit: number, address: number, on: boolean): number {
  if (typeof on !== "boolean") throw new TypeError(`on must be true or false, got ${on}`);
  return addressValue(buffer, offset, unit, FC_WRITE_SINGLE_COIL, address, on ? 0xff00 : 0);
}

/** 06 Write Single Register (§6.6): value 0–65535. */
export function buildWriteSingleRegister(buffer: Uint8Array, offset: number, unit: number, address: number, value: number): number {
  checkRange("value", value, 0, 0xffff);
  return addressValue(buffer, offset, unit, FC_WRITE_SINGLE_REGISTER, address, value);
}

function functionOnly(buffer: Uint8Array, offset: number, unit: number, fc: number): number {
  checkRequestUnit(unit);
  checkSpace(buffer, offset, 4);
  buffer[offset] = unit;
  buffer[offset + 1] = fc;
  return finish(buffer, offset, offset + 2);
}

/** 07 Read Exception Status (§6.7): 4 bytes. */
export function buildReadExceptionStatus(buffer: Uint8Array, offset: number, unit: number): number {
  return functionOnly(buffer, offset, unit, FC_READ_EXCEPTION_STATUS);
}
/** 0B Get Comm Event Counter (§6.9): 4 bytes. */
export function buildGetCommEventCounter(buffer: Uint8Array, offset: number, unit: number): number {
  return functionOnly(buffer, offset, unit, FC_GET_COMM_EVENT_COUNTER);
}
/** 11 Report Server ID (§6.13): 4 bytes. */
export function buildReportServerId(buffer: Uint8Array, offset: number, unit: number): number {
  return functionOnly(buffer, offset, unit, FC_REPORT_SERVER_ID);
}

/**
 * 08 Diagnostics (§6.8) with a 2-byte data word: sub-functions 01–04, 0A–12, 14 (the counters 0B–12 take data 0x0000).
 * For sub-function 00 (echo) use buildDiagnosticEcho.
 */
export function buildDiagnostic(buffer: Uint8Array, offset: number, unit: number, subFunction: number, data: number): number {
  checkRange("subFunction", subFunction, 1, 0xffff);
  checkRange("data", data, 0, 0xffff);
  return addressValue(buffer, offset, unit, FC_DIAGNOSTICS, subFunction, data);
}

/** 08 Diagnostics sub-function 00 Return Query Data (§6.8.1): `length` bytes of `data` from `from`, echoed back. */
export function buildDiagnosticEcho(buffer: Uint8Array, offset: number, unit: number, data: Uint8Array, from: number, length: number): number {
  checkRequestUnit(unit);
  return writeDiagnosticEcho(buffer, offset, unit, data, from, length);
}

/**
 * 0F Write Multiple Coils (§6.11): `quantity` coils (1–1968) packed 8 per byte, first coil in bit 0, taken from
 * `bits[from…]` (ceil(quantity / 8) bytes; unused high bits of the last byte are sent as 0).
 */
export function buildWriteMultipleCoils(buffer: Uint8Array, offset: number, unit: number, address: number, quantity: number, bits: Uint8Array, from: number): number {
  checkRequestUnit(unit);
  checkBlock("address", "quantity", FC_WRITE_MULTIPLE_COILS, address, quantity, QUANTITY_MAX[FC_WRITE_MULTIPLE_COILS]);
  const count = (quantity + 7) >> 3;
  checkSource("bits", bits, from, count);
  checkSpace(buffer, offset, 9 + count);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_WRITE_MULTIPLE_COILS;
  putU16(buffer, offset + 2, address);
  putU16(buffer, offset + 4, quantity);
  buffer[offset + 6] = count;
  for (let i = 0; i < count; i++) buffer[offset + 7 + i] = bits[from + i];
  const spare = quantity & 7;
  if (spare !== 0) buffer[offset + 6 + count] &= (1 << spare) - 1;
  return finish(buffer, offset, offset + 7 + count);
}

function putRegisters(buffer: Uint8Array, at: number, values: ArrayLike<number>, from: number, quantity: number): void {
  for (let i = 0; i < quantity; i++) {
    const v = values[from + i];
    if ((v & 0xffff) !== v) throw new RangeError(`values[${from + i}] must be an integer from 0 to 65535, got ${v}`);
    buffer[at + 2 * i] = v >>> 8;
    buffer[at + 2 * i + 1] = v & 0xff;
  }
}

/** 10 Write Multiple Registers (§6.12): `quantity` (1–123) values from `values[from…]`, each 0–65535. */
export function buildWriteMultipleRegisters(buffer: Uint8Array, offset: number, unit: number, address: number, values: ArrayLike<number>, from: number, quantity: number): number {
  checkRequestUnit(unit);
  checkBlock("address", "quantity", FC_WRITE_MULTIPLE_REGISTERS, address, quantity, QUANTITY_MAX[FC_WRITE_MULTIPLE_REGISTERS]);
  checkSource("values", values, from, quantity);
  checkSpace(buffer, offset, 9 + 2 * quantity);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_WRITE_MULTIPLE_REGISTERS;
  putU16(buffer, offset + 2, address);
  putU16(buffer, offset + 4, quantity);
  buffer[offset + 6] = 2 * quantity;
  putRegisters(buffer, offset + 7, values, from, quantity);
  return finish(buffer, offset, offset + 7 + 2 * quantity);
}

/** 16 Mask Write Register (§6.16): result = (current AND andMask) OR (orMask AND NOT andMask). */
export function buildMaskWriteRegister(buffer: Uint8Array, offset: number, unit: number, address: number, andMask: number, orMask: number): number {
  checkRequestUnit(unit);
  return writeMaskWrite(buffer, offset, unit, address, andMask, orMask);
}

/**
 * 17 Read/Write Multiple Registers (§6.17): reads `readQuantity` (1–125) from `readAddress` after writing `writeQuantity`
 * (1–121) values from `values[from…]` at `writeAddress`.
 */
export function buildReadWriteMultipleRegisters(buffer: Uint8Array, offset: number, unit: number, readAddress: number, readQuantity: number,
  writeAddress: number, values: ArrayLike<number>, from: number, writeQuantity: number): number {
  checkRequestUnit(unit);
  checkBlock("readAddress", "readQuantity", FC_READ_WRITE_MULTIPLE_REGISTERS, readAddress, readQuantity, QUANTITY_MAX[FC_READ_WRITE_MULTIPLE_REGISTERS]);
  checkBlock("writeAddress", "writeQuantity", FC_READ_WRITE_MULTIPLE_REGISTERS, writeAddress, writeQuantity, RW_WRITE_QUANTITY_MAX);
  checkSource("values", values, from, writeQuantity);
  checkSpace(buffer, offset, 13 + 2 * writeQuantity);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_READ_WRITE_MULTIPLE_REGISTERS;
  putU16(buffer, offset + 2, readAddress);
  putU16(buffer, offset + 4, readQuantity);
  putU16(buffer, offset + 6, writeAddress);
  putU16(buffer, offset + 8, writeQuantity);
  buffer[offset + 10] = 2 * writeQuantity;
  putRegisters(buffer, offset + 11, values, from, writeQuantity);
  return finish(buffer, offset, offset + 11 + 2 * writeQuantity);
}

/**
 * 2B/0E Read Device Identification (§6.21): `readCode` 1 basic, 2 regular, 3 extended (stream access from `objectId`),
 * 4 one specific object.
 */
export function buildReadDeviceIdentification(buffer: Uint8Array, offset: number, unit: number, readCode: number, objectId: number): number {
  checkRequestUnit(unit);
  checkRange("readCode", readCode, 1, 4);
  checkRange("objectId", objectId, 0, 0xff);
  checkSpace(buffer, offset, 7);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_ENCAPSULATED_INTERFACE;
  buffer[offset + 2] = MEI_READ_DEVICE_IDENTIFICATION;
  buffer[offset + 3] = readCode;
  buffer[offset + 4] = objectId;
  return finish(buffer, offset, offset + 5);
}
