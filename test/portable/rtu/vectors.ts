/*
 * The RTU fixture: one list of frames drives the parse, build and round-trip tests (rtu-frames.ts) and the CLI test.
 *
 * Sources: the PDUs are the examples of MODBUS Application Protocol Specification V1.1b3 (section given per vector), put on
 * a serial line as unit 0x11 + PDU + CRC-16 (Modbus over Serial Line V1.02 §2.5.1). Every ADU below was also produced by
 * pymodbus 3.0.0's RTU framer (ModbusRtuFramer.buildPacket, /usr/bin/python3) and matched byte for byte, CRC included.
 * Where the spec gives no bytes (Report Server ID, Diagnostics counters) the frame comes from pymodbus alone and says so.
 * This file also exports `cases` checking the fixture itself (every CRC is good), so the portable runners accept it.
 */
import { crcMatches } from "../../../modules/rtu/crc16";
import * as rtu from "../../../modules/rtu/index";
import type { Cases } from "../../harness/check";
import { fromHex } from "../../harness/hex";

export interface Vector {
  readonly name: string;
  /** The line of test/peers/pymodbus-rtu-vectors.py that encodes the same frame with pymodbus. */
  readonly peer: string;
  /** Where the example comes from. */
  readonly source: string;
  readonly direction: "request" | "response";
  /** The whole ADU, unit through CRC. */
  readonly hex: string;
  /** View fields the parser must produce (a subset). */
  readonly fields: { readonly [field: string]: number | boolean };
  /** Register values in the data, for register reads and writes. */
  readonly registers?: readonly number[];
  /** Builds the same ADU with the typed builder; returns the length. */
  build(buffer: Uint8Array, offset: number): number;
}

const U = 0x11;
const ascii = (s: string) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

export const vectors: readonly Vector[] = [
  {
    peer: "01 req", name: "01 Read Coils request (coils 20-38)", source: "V1.1b3 §6.1 example", direction: "request",
    hex: "11 01 00 13 00 13 8E 92", fields: { unit: U, function: 1, address: 0x13, quantity: 0x13 },
    build: (b, o) => rtu.buildReadCoils(b, o, U, 0x13, 0x13),
  },
  {
    peer: "01 rsp", name: "01 Read Coils response", source: "V1.1b3 §6.1 example", direction: "response",
    hex: "11 01 03 CD 6B 05 40 12", fields: { unit: U, function: 1, byteCount: 3, dataLength: 3 },
    build: (b, o) => rtu.buildReadCoilsResponse(b, o, U, new Uint8Array([0xcd, 0x6b, 0x05]), 0, 19),
  },
  {
    peer: "02 req", name: "02 Read Discrete Inputs request (inputs 197-218)", source: "V1.1b3 §6.2 example", direction: "request",
    hex: "11 02 00 C4 00 16 BA A9", fields: { unit: U, function: 2, address: 0xc4, quantity: 0x16 },
    build: (b, o) => rtu.buildReadDiscreteInputs(b, o, U, 0xc4, 0x16),
  },
  {
    peer: "02 rsp", name: "02 Read Discrete Inputs response", source: "V1.1b3 §6.2 example", direction: "response",
    hex: "11 02 03 AC DB 35 20 18", fields: { unit: U, function: 2, byteCount: 3 },
    build: (b, o) => rtu.buildReadDiscreteInputsResponse(b, o, U, new Uint8Array([0xac, 0xdb, 0x35]), 0, 22),
  },
  {
    peer: "03 req", name: "03 Read Holding Registers request (108-110)", source: "V1.1b3 §6.3 example", direction: "request",
    hex: "11 03 00 6B 00 03 76 87", fields: { unit: U, function: 3, address: 0x6b, quantity: 3 },
    build: (b, o) => rtu.buildReadHoldingRegisters(b, o, U, 0x6b, 3),
  },
  {
    peer: "03 rsp", name: "03 Read Holding Registers response", source: "V1.1b3 §6.3 example", direction: "response",
    hex: "11 03 06 02 2B 00 00 00 64 C8 BA", fields: { unit: U, function: 3, byteCount: 6, quantity: 3 },
    registers: [0x022b, 0x0000, 0x0064],
    build: (b, o) => rtu.buildReadHoldingRegistersResponse(b, o, U, [0x022b, 0, 0x64], 0, 3),
  },
  {
    peer: "04 req", name: "04 Read Input Registers request (register 9)", source: "V1.1b3 §6.4 example", direction: "request",
    hex: "11 04 00 08 00 01 B2 98", fields: { unit: U, function: 4, address: 8, quantity: 1 },
    build: (b, o) => rtu.buildReadInputRegisters(b, o, U, 8, 1),
  },
  {
    peer: "04 rsp", name: "04 Read Input Registers response", source: "V1.1b3 §6.4 example", direction: "response",
    hex: "11 04 02 00 0A F8 F4", fields: { unit: U, function: 4, byteCount: 2, quantity: 1 }, registers: [10],
    build: (b, o) => rtu.buildReadInputRegistersResponse(b, o, U, [10], 0, 1),
  },
  {
    peer: "05 req", name: "05 Write Single Coil request (coil 173 ON)", source: "V1.1b3 §6.5 example", direction: "request",
    hex: "11 05 00 AC FF 00 4E 8B", fields: { unit: U, function: 5, address: 0xac, value: 0xff00 },
    build: (b, o) => rtu.buildWriteSingleCoil(b, o, U, 0xac, true),
  },
  {
    peer: "05 rsp", name: "05 Write Single Coil response", source: "V1.1b3 §6.5 example", direction: "response",
    hex: "11 05 00 AC FF 00 4E 8B", fields: { unit: U, function: 5, address: 0xac, value: 0xff00 },
    build: (b, o) => rtu.buildWriteSingleCoilResponse(b, o, U, 0xac, true),
  },
  {
    peer: "06 req", name: "06 Write Single Register request (register 2 = 3)", source: "V1.1b3 §6.6 example", direction: "request",
    hex: "11 06 00 01 00 03 9A 9B", fields: { unit: U, function: 6, address: 1, value: 3 },
    build: (b, o) => rtu.buildWriteSingleRegister(b, o, U, 1, 3),
  },
  {
    peer: "06 rsp", name: "06 Write Single Register response", source: "V1.1b3 §6.6 example", direction: "response",
    hex: "11 06 00 01 00 03 9A 9B", fields: { unit: U, function: 6, address: 1, value: 3 },
    build: (b, o) => rtu.buildWriteSingleRegisterResponse(b, o, U, 1, 3),
  },
  {
    peer: "07 req", name: "07 Read Exception Status request", source: "V1.1b3 §6.7 example", direction: "request",
    hex: "11 07 4C 22", fields: { unit: U, function: 7 },
    build: (b, o) => rtu.buildReadExceptionStatus(b, o, U),
  },
  {
    peer: "07 rsp", name: "07 Read Exception Status response", source: "V1.1b3 §6.7 example", direction: "response",
    hex: "11 07 6D E2 18", fields: { unit: U, function: 7, status: 0x6d },
    build: (b, o) => rtu.buildReadExceptionStatusResponse(b, o, U, 0x6d),
  },
  {
    peer: "08/00 req", name: "08/00 Return Query Data request", source: "V1.1b3 §6.8 example", direction: "request",
    hex: "11 08 00 00 A5 37 D8 1D", fields: { unit: U, function: 8, subFunction: 0, dataLength: 2, value: 0xa537 },
    build: (b, o) => rtu.buildDiagnosticEcho(b, o, U, new Uint8Array([0xa5, 0x37]), 0, 2),
  },
  {
    peer: "08/00 rsp", name: "08/00 Return Query Data response", source: "V1.1b3 §6.8 example", direction: "response",
    hex: "11 08 00 00 A5 37 D8 1D", fields: { unit: U, function: 8, subFunction: 0, dataLength: 2, value: 0xa537 },
    build: (b, o) => rtu.buildDiagnosticEchoResponse(b, o, U, new Uint8Array([0xa5, 0x37]), 0, 2),
  },
  {
    peer: "08/0A req", name: "08/0A Clear Counters request", source: "V1.1b3 §6.8.1 layout; bytes from pymodbus 3.0.0", direction: "request",
    hex: "11 08 00 0A 00 00 C2 99", fields: { unit: U, function: 8, subFunction: 0x0a, value: 0 },
    build: (b, o) => rtu.buildDiagnostic(b, o, U, 0x0a, 0),
  },
  {
    peer: "08/0A rsp", name: "08/0A Clear Counters response", source: "V1.1b3 §6.8.1 layout; bytes from pymodbus 3.0.0", direction: "response",
    hex: "11 08 00 0A 00 00 C2 99", fields: { unit: U, function: 8, subFunction: 0x0a, value: 0 },
    build: (b, o) => rtu.buildDiagnosticResponse(b, o, U, 0x0a, 0),
  },
  {
    peer: "08/0B req", name: "08/0B Return Bus Message Count request", source: "V1.1b3 §6.8.1 layout; bytes from pymodbus 3.0.0", direction: "request",
    hex: "11 08 00 0B 00 00 93 59", fields: { unit: U, function: 8, subFunction: 0x0b, value: 0 },
    build: (b, o) => rtu.buildDiagnostic(b, o, U, 0x0b, 0),
  },
  {
    peer: "08/0B rsp", name: "08/0B Return Bus Message Count response (291)", source: "V1.1b3 §6.8.1 layout; bytes from pymodbus 3.0.0", direction: "response",
    hex: "11 08 00 0B 01 23 D3 10", fields: { unit: U, function: 8, subFunction: 0x0b, value: 0x0123 },
    build: (b, o) => rtu.buildDiagnosticResponse(b, o, U, 0x0b, 0x0123),
  },
  {
    peer: "08/12 req", name: "08/12 Return Bus Character Overrun Count request", source: "V1.1b3 §6.8.1 layout; bytes from pymodbus 3.0.0", direction: "request",
    hex: "11 08 00 12 00 00 42 9E", fields: { unit: U, function: 8, subFunction: 0x12, value: 0 },
    build: (b, o) => rtu.buildDiagnostic(b, o, U, 0x12, 0),
  },
  {
    peer: "0B req", name: "0B Get Comm Event Counter request", source: "V1.1b3 §6.9 example", direction: "request",
    hex: "11 0B 4C 27", fields: { unit: U, function: 0x0b },
    build: (b, o) => rtu.buildGetCommEventCounter(b, o, U),
  },
  {
    peer: "0B rsp", name: "0B Get Comm Event Counter response (busy, 264 events)", source: "V1.1b3 §6.9 example", direction: "response",
    hex: "11 0B FF FF 01 08 A6 E9", fields: { unit: U, function: 0x0b, status: 0xffff, eventCount: 0x108 },
    build: (b, o) => rtu.buildCommEventCounterResponse(b, o, U, 0xffff, 0x108),
  },
  {
    peer: "0F req", name: "0F Write Multiple Coils request (coils 20-29)", source: "V1.1b3 §6.11 example", direction: "request",
    hex: "11 0F 00 13 00 0A 02 CD 01 BF 0B", fields: { unit: U, function: 0x0f, address: 0x13, quantity: 10, byteCount: 2 },
    build: (b, o) => rtu.buildWriteMultipleCoils(b, o, U, 0x13, 10, new Uint8Array([0xcd, 0x01]), 0),
  },
  {
    peer: "0F rsp", name: "0F Write Multiple Coils response", source: "V1.1b3 §6.11 example", direction: "response",
    hex: "11 0F 00 13 00 0A 26 99", fields: { unit: U, function: 0x0f, address: 0x13, quantity: 10 },
    build: (b, o) => rtu.buildWriteMultipleCoilsResponse(b, o, U, 0x13, 10),
  },
  {
    peer: "10 req", name: "10 Write Multiple Registers request (registers 2-3)", source: "V1.1b3 §6.12 example", direction: "request",
    hex: "11 10 00 01 00 02 04 00 0A 01 02 C6 F0", fields: { unit: U, function: 0x10, address: 1, quantity: 2, byteCount: 4 },
    registers: [0x000a, 0x0102],
    build: (b, o) => rtu.buildWriteMultipleRegisters(b, o, U, 1, [0x000a, 0x0102], 0, 2),
  },
  {
    peer: "10 rsp", name: "10 Write Multiple Registers response", source: "V1.1b3 §6.12 example", direction: "response",
    hex: "11 10 00 01 00 02 12 98", fields: { unit: U, function: 0x10, address: 1, quantity: 2 },
    build: (b, o) => rtu.buildWriteMultipleRegistersResponse(b, o, U, 1, 2),
  },
  {
    peer: "11 req", name: "11 Report Server ID request", source: "V1.1b3 §6.13 layout; bytes from pymodbus 3.0.0", direction: "request",
    hex: "11 11 CD EC", fields: { unit: U, function: 0x11 },
    build: (b, o) => rtu.buildReportServerId(b, o, U),
  },
  {
    peer: "11 rsp", name: "11 Report Server ID response (id \"rc485\", running)", source: "V1.1b3 §6.13 layout (no example bytes); bytes from pymodbus 3.0.0", direction: "response",
    hex: "11 11 06 72 63 34 38 35 FF 7A 57", fields: { unit: U, function: 0x11, byteCount: 6 },
    build: (b, o) => rtu.buildReportServerIdResponse(b, o, U, new Uint8Array([0x72, 0x63, 0x34, 0x38, 0x35, 0xff]), 0, 6),
  },
  {
    peer: "16 req", name: "16 Mask Write Register request", source: "V1.1b3 §6.16 example", direction: "request",
    hex: "11 16 00 04 00 F2 00 25 66 E2", fields: { unit: U, function: 0x16, address: 4, andMask: 0xf2, orMask: 0x25 },
    build: (b, o) => rtu.buildMaskWriteRegister(b, o, U, 4, 0xf2, 0x25),
  },
  {
    peer: "16 rsp", name: "16 Mask Write Register response", source: "V1.1b3 §6.16 example", direction: "response",
    hex: "11 16 00 04 00 F2 00 25 66 E2", fields: { unit: U, function: 0x16, address: 4, andMask: 0xf2, orMask: 0x25 },
    build: (b, o) => rtu.buildMaskWriteRegisterResponse(b, o, U, 4, 0xf2, 0x25),
  },
  {
    peer: "17 req", name: "17 Read/Write Multiple Registers request (read 6 at 4, write 3 at 15)", source: "V1.1b3 §6.17 example", direction: "request",
    hex: "11 17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF 4B 54",
    fields: { unit: U, function: 0x17, address: 3, quantity: 6, writeAddress: 0x0e, writeQuantity: 3, byteCount: 6 },
    registers: [0xff, 0xff, 0xff],
    build: (b, o) => rtu.buildReadWriteMultipleRegisters(b, o, U, 3, 6, 0x0e, [0xff, 0xff, 0xff], 0, 3),
  },
  {
    peer: "17 rsp", name: "17 Read/Write Multiple Registers response", source: "V1.1b3 §6.17 example", direction: "response",
    hex: "11 17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF 0D 75", fields: { unit: U, function: 0x17, byteCount: 12, quantity: 6 },
    registers: [0xfe, 0xacd, 1, 3, 0x0d, 0xff],
    build: (b, o) => rtu.buildReadWriteMultipleRegistersResponse(b, o, U, [0xfe, 0xacd, 1, 3, 0x0d, 0xff], 0, 6),
  },
  {
    peer: "2B req", name: "2B/0E Read Device Identification request (basic, from object 0)", source: "V1.1b3 §6.21 example", direction: "request",
    hex: "11 2B 0E 01 00 B1 B4", fields: { unit: U, function: 0x2b, meiType: 0x0e, readCode: 1, objectId: 0 },
    build: (b, o) => rtu.buildReadDeviceIdentification(b, o, U, 1, 0),
  },
  {
    // The spec's example lists the three basic objects; object lengths here are the strings' true lengths.
    peer: "2B rsp", name: "2B/0E Read Device Identification response (3 basic objects)", source: "V1.1b3 §6.21 example; bytes from pymodbus 3.0.0", direction: "response",
    hex: "11 2B 0E 01 01 00 00 03 00 16 43 6F 6D 70 61 6E 79 20 69 64 65 6E 74 69 66 69 63 61 74 69 6F 6E 01 0F 50 72 6F 64 75 63 74 20 63 6F 64 65 20 58 58 02 05 56 32 2E 31 31 47 9E",
    fields: { unit: U, function: 0x2b, meiType: 0x0e, readCode: 1, conformity: 1, moreFollows: 0, nextObjectId: 0, objectCount: 3, dataLength: 48 },
    build: (b, o) => {
      const objects = new Uint8Array(48);
      let n = 0;
      for (const [id, s] of [[0, "Company identification"], [1, "Product code XX"], [2, "V2.11"]] as const) {
        const v = ascii(s);
        n += rtu.encodeDeviceIdObject(objects, n, id, v, 0, v.length);
      }
      return rtu.buildDeviceIdentificationResponse(b, o, U, 1, 1, 0, 0, 3, objects, 0, n);
    },
  },
  {
    peer: "exc req", name: "01 Read Coils request at 1186 (answered by exception 02)", source: "V1.1b3 §7 example", direction: "request",
    hex: "11 01 04 A1 00 01 AF 88", fields: { unit: U, function: 1, address: 0x04a1, quantity: 1 },
    build: (b, o) => rtu.buildReadCoils(b, o, U, 0x04a1, 1),
  },
  {
    peer: "exc rsp", name: "81 exception response: Illegal Data Address", source: "V1.1b3 §7 example", direction: "response",
    hex: "11 81 02 C0 54", fields: { unit: U, function: 1, isException: true, exception: 2 },
    build: (b, o) => rtu.buildExceptionResponse(b, o, U, 1, 2),
  },
];

export const cases: Cases = {
  "every fixture frame carries a good CRC"(t) {
    for (const v of vectors) {
      const f = fromHex(v.hex);
      t.ok(crcMatches(f, 0, f.length), v.name);
    }
  },
  "the fixture covers every function code of the wire layer in both directions"(t) {
    for (const fc of [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0b, 0x0f, 0x10, 0x11, 0x16, 0x17, 0x2b]) {
      t.ok(vectors.some((v) => v.direction === "request" && v.fields.function === fc), `request ${fc}`);
      t.ok(vectors.some((v) => v.direction === "response" && v.fields.function === fc), `response ${fc}`);
    }
  },
};
