/*
 * ADU helpers shared by the builders: ADU = unit (1) + PDU + CRC-16 low byte first (Modbus over Serial Line V1.02
 * §2.5.1, §2.5.1.2). Multi-byte fields in a PDU are big-endian (Application Protocol V1.1b3 §4.2). Argument checks here
 * are for programmer errors and throw RangeError naming the field and the allowed values.
 */
import { appendCrc } from "./crc16";
import { DIAG_RETURN_QUERY_DATA, FC_DIAGNOSTICS, FC_MASK_WRITE_REGISTER, MAX_ADU_LENGTH, MAX_UNIT } from "./function-codes";

export function getU16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

export function putU16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Unit of a request: 0 (broadcast) to 247. */
export function checkRequestUnit(unit: number): void {
  checkRange("unit", unit, 0, MAX_UNIT);
}

/** Unit of a response: 1 to 247 (no device answers a broadcast). */
export function checkResponseUnit(unit: number): void {
  checkRange("unit", unit, 1, MAX_UNIT);
}

/** Throws unless an ADU of `length` bytes fits `buffer` at `offset` and is at most 256 bytes. */
export function checkSpace(buffer: Uint8Array, offset: number, length: number): void {
  if (length > MAX_ADU_LENGTH) throw new RangeError(`frame length must be at most ${MAX_ADU_LENGTH} bytes, got ${length}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > buffer.length) {
    throw new RangeError(`buffer must hold ${length} bytes at offset ${offset}, has ${buffer.length}`);
  }
}

/** Throws unless (offset, length) is a window inside `buffer` (a programmer error, not a wire fault). */
export function checkWindow(buffer: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > buffer.length) {
    throw new RangeError(`offset ${offset} and length ${length} must lie inside the buffer of ${buffer.length} bytes`);
  }
}

/** Throws unless `source` holds `count` items from `from`. */
export function checkSource(field: string, source: ArrayLike<number>, from: number, count: number): void {
  if (!Number.isInteger(from) || from < 0 || from + count > source.length) {
    throw new RangeError(`${field} must hold ${count} items from ${from}, has ${source.length}`);
  }
}

/**
 * 08 Diagnostics sub-function 00 Return Query Data (§6.8.1), the same bytes in both directions: `length` bytes of `data`
 * from `from`. The caller checks the unit for its direction.
 */
export function writeDiagnosticEcho(buffer: Uint8Array, offset: number, unit: number, data: Uint8Array, from: number, length: number): number {
  checkRange("length", length, 0, MAX_ADU_LENGTH - 6);
  checkSource("data", data, from, length);
  checkSpace(buffer, offset, 6 + length);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_DIAGNOSTICS;
  putU16(buffer, offset + 2, DIAG_RETURN_QUERY_DATA);
  for (let i = 0; i < length; i++) buffer[offset + 4 + i] = data[from + i];
  return finish(buffer, offset, offset + 4 + length);
}

/**
 * 16 Mask Write Register (§6.16), the same bytes in both directions (the response echoes the request). The caller checks
 * the unit for its direction.
 */
export function writeMaskWrite(buffer: Uint8Array, offset: number, unit: number, address: number, andMask: number, orMask: number): number {
  checkRange("address", address, 0, 0xffff);
  checkRange("andMask", andMask, 0, 0xffff);
  checkRange("orMask", orMask, 0, 0xffff);
  checkSpace(buffer, offset, 10);
  buffer[offset] = unit;
  buffer[offset + 1] = FC_MASK_WRITE_REGISTER;
  putU16(buffer, offset + 2, address);
  putU16(buffer, offset + 4, andMask);
  putU16(buffer, offset + 6, orMask);
  return finish(buffer, offset, offset + 8);
}

/** Copies `length` bytes; safe when source and target are the same buffer. Allocates nothing. */
export function copyBytes(target: Uint8Array, to: number, source: Uint8Array, from: number, length: number): void {
  if (target === source) {
    if (to !== from) target.copyWithin(to, from, from + length);
    return;
  }
  for (let i = 0; i < length; i++) target[to + i] = source[from + i];
}

/** Appends the CRC to the `pduEnd - offset` bytes written so far and returns the ADU length. */
export function finish(buffer: Uint8Array, offset: number, pduEnd: number): number {
  return appendCrc(buffer, offset, pduEnd - offset);
}

/**
 * Wraps a PDU (function code + data, e.g. from a Modbus TCP frame) as an RTU ADU: unit + PDU + CRC, into
 * (buffer, offset). Returns the ADU length. The PDU must be 1–253 bytes.
 */
export function wrapPdu(buffer: Uint8Array, offset: number, unit: number, pdu: Uint8Array, pduOffset: number, pduLength: number): number {
  checkRange("unit", unit, 0, 255);
  checkRange("pduLength", pduLength, 1, MAX_ADU_LENGTH - 3);
  checkWindow(pdu, pduOffset, pduLength);
  checkSpace(buffer, offset, pduLength + 3);
  copyBytes(buffer, offset + 1, pdu, pduOffset, pduLength);
  buffer[offset] = unit;
  return finish(buffer, offset, offset + 1 + pduLength);
}
