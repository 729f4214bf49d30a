/*
 * The Modbus RTU wire layer of rc485: one import for engines, emulators and tools. Frames follow MODBUS Application
 * Protocol Specification V1.1b3 (§6 functions, §7 exceptions) inside the serial-line ADU of MODBUS over Serial Line V1.02
 * (§2.5.1: unit + PDU + CRC-16, at most 256 bytes). See docs/rtu.md for the rules tables.
 *
 * API summary (every function writes into or reads from caller-owned buffers and allocates nothing per frame):
 *
 *   Build (RangeError on limit violations; returns the ADU length, CRC appended low byte first):
 *     master → buildReadCoils / buildReadDiscreteInputs / buildReadHoldingRegisters / buildReadInputRegisters
 *              (buf, off, unit, address, quantity), buildReadRequest(buf, off, unit, fc, address, quantity),
 *              buildWriteSingleCoil(…, address, on), buildWriteSingleRegister(…, address, value),
 *              buildReadExceptionStatus / buildGetCommEventCounter / buildReportServerId (buf, off, unit),
 *              buildDiagnostic(…, subFunction, data), buildDiagnosticEcho(…, data, from, length),
 *              buildWriteMultipleCoils(…, address, quantity, bits, from), buildWriteMultipleRegisters(…, address, values, from, quantity),
 *              buildMaskWriteRegister(…, address, andMask, orMask),
 *              buildReadWriteMultipleRegisters(…, readAddress, readQuantity, writeAddress, values, from, writeQuantity),
 *              buildReadDeviceIdentification(…, readCode, objectId)
 *     slave  → buildReadBitsResponse(…, fc, bits, from, quantity), buildReadRegistersResponse(…, fc, values, from, quantity)
 *              and the per-function wrappers, buildWriteSingleCoilResponse, buildWriteSingleRegisterResponse,
 *              buildWriteMultipleCoilsResponse, buildWriteMultipleRegistersResponse, buildMaskWriteRegisterResponse,
 *              buildReadExceptionStatusResponse, buildDiagnosticResponse, buildDiagnosticEchoResponse,
 *              buildCommEventCounterResponse, buildReportServerIdResponse, encodeDeviceIdObject,
 *              buildDeviceIdentificationResponse, buildExceptionResponse(…, fc, exception)
 *     any    → writeFrame(buf, off, view) re-encodes a parsed view; wrapPdu(buf, off, unit, pdu, pduOff, pduLen)
 *   Parse (fill a FrameView, return FAULT_* (0 = ok), never throw on wire data):
 *     parseRequest(buf, off, len, view, flags?), parseResponse(buf, off, len, view, flags?); flags PARSE_IGNORE_CRC
 *   Frame end before silence:
 *     expectedRequestLength(buf, off, available), expectedResponseLength(buf, off, available, sentFunction, sentLength)
 *     → total length, LENGTH_NEED_MORE (0), LENGTH_INVALID (-1) or LENGTH_BY_SILENCE (-2)
 *   Judgement:
 *     judgeRequest(view, map?) → exception code a slave must answer (0 = carry it out); SlaveMap describes a device
 *     answersRequest(request, response) → FAULT_NONE or FAULT_WRONG_UNIT / _FUNCTION / _QUANTITY / _ECHO
 *   Names: functionName(fc), diagnosticName(sub), exceptionName(code), faultName(fault)
 */
export * from "./function-codes";
export * from "./exceptions";
export * from "./faults";
export { FrameView, DIRECTION_NONE, DIRECTION_REQUEST, DIRECTION_RESPONSE } from "./frame-view";
export { wrapPdu } from "./adu";
export * from "./build-request";
export * from "./build-response";
export { writeFrame } from "./write-frame";
export { parseRequest, PARSE_IGNORE_CRC } from "./parse-request";
export { parseResponse } from "./parse-response";
export * from "./expected-length";
export { SlaveMap, type SlaveMapConfig, type AddressRange } from "./slave-map";
export { judgeRequest } from "./judge-request";
export { answersRequest } from "./answers-request";
