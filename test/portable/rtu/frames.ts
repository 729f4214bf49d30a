// The RTU wire layer against the fixture (rtu-vectors.ts): parse, build, round-trip, expected length; then limits,
// faults, the slave judge and answersRequest. Runs on Node and XS.
import { crc16 } from "../../../modules/rtu/crc16";
import * as rtu from "../../../modules/rtu/index";
import type { Cases } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";
import { vectors } from "./vectors";

const parse = (v: { direction: string }) => (v.direction === "request" ? rtu.parseRequest : rtu.parseResponse);

function frame(hex: string, at = 3): { b: Uint8Array; n: number } {
  const f = fromHex(hex);
  const b = new Uint8Array(f.length + at + 5).fill(0xee);
  b.set(f, at);
  return { b, n: f.length };
}

/** hex of a PDU wrapped as unit + PDU + good CRC. */
function adu(unit: number, pduHex: string): Uint8Array {
  const p = fromHex(pduHex);
  const b = new Uint8Array(p.length + 3);
  return b.subarray(0, rtu.wrapPdu(b, 0, unit, p, 0, p.length));
}

export const cases: Cases = {
  "parses every fixture frame at an offset into the expected fields"(t) {
    const view = new rtu.FrameView();
    for (const v of vectors) {
      const { b, n } = frame(v.hex);
      t.is(parse(v)(b, 3, n, view), rtu.FAULT_NONE, v.name);
      t.is(view.length, n, `${v.name}: length`);
      t.is(view.crcOk, true, `${v.name}: crcOk`);
      for (const k of Object.keys(v.fields)) t.is((view as any)[k], v.fields[k], `${v.name}: ${k}`);
      if (v.registers) for (let i = 0; i < v.registers.length; i++) t.is(view.register(i), v.registers[i], `${v.name}: register ${i}`);
    }
  },
  "builds every fixture frame byte for byte at an offset"(t) {
    for (const v of vectors) {
      const want = fromHex(v.hex);
      const b = new Uint8Array(300).fill(0xee);
      const n = v.build(b, 7);
      t.is(n, want.length, `${v.name}: length`);
      t.is(toHex(b, 7, n), v.hex, v.name);
      t.is(b[6], 0xee, `${v.name}: byte before untouched`);
      t.is(b[7 + n], 0xee, `${v.name}: byte after untouched`);
    }
  },
  "parse then writeFrame reproduces every fixture frame"(t) {
    const view = new rtu.FrameView();
    for (const v of vectors) {
      const { b, n } = frame(v.hex);
      parse(v)(b, 3, n, view);
      const out = new Uint8Array(260);
      const m = rtu.writeFrame(out, 1, view);
      t.is(toHex(out, 1, m), v.hex, v.name);
    }
  },
  "expected length is known from the header and never reads past the bytes received"(t) {
    for (const v of vectors) {
      const f = fromHex(v.hex);
      const sent = v.direction === "response" ? vectors.find((r) => r.direction === "request" && r.fields.function === v.fields.function)! : undefined;
      let known = -99;
      for (let avail = 0; avail <= f.length; avail++) {
        // Bytes past `avail` are poisoned: a correct rule never looks at them.
        const b = new Uint8Array(f.length).fill(0xff);
        b.set(f.subarray(0, avail));
        const got = v.direction === "request"
          ? rtu.expectedRequestLength(b, 0, avail)
          : rtu.expectedResponseLength(b, 0, avail, v.fields.function as number, fromHex(sent!.hex).length);
        if (v.direction === "request" && v.fields.function === 8 && v.fields.subFunction === 0) {
          if (avail >= 4) t.is(got, rtu.LENGTH_BY_SILENCE, `${v.name} at ${avail}`);
          continue;
        }
        if (got > 0) {
          t.is(got, f.length, `${v.name} at ${avail}`);
          if (known < 0) known = avail;
        } else {
          t.is(got, rtu.LENGTH_NEED_MORE, `${v.name} at ${avail}`);
          t.ok(known < 0, `${v.name}: once known, stays known`);
        }
      }
      if (!(v.direction === "request" && v.fields.function === 8 && v.fields.subFunction === 0)) t.ok(known >= 2 && (known <= 11 || v.fields.function === 0x2b), `${v.name}: known from the header (${known})`);
    }
  },
  "expected length: exceptions, wrong function, unknown codes"(t) {
    const b = fromHex("11 83 02 00 00");
    t.is(rtu.expectedResponseLength(b, 0, 2, 3, 8), 5);
    t.is(rtu.expectedResponseLength(b, 0, 2, 4, 8), rtu.LENGTH_INVALID);
    t.is(rtu.expectedResponseLength(b, 0, 1, 4, 8), rtu.LENGTH_NEED_MORE);
    t.is(rtu.expectedRequestLength(fromHex("11 41"), 0, 2), rtu.LENGTH_BY_SILENCE);
    t.is(rtu.expectedRequestLength(fromHex("11 81"), 0, 2), rtu.LENGTH_INVALID);
    t.is(rtu.expectedRequestLength(fromHex("11 00"), 0, 2), rtu.LENGTH_INVALID);
    t.is(rtu.expectedRequestLength(fromHex("11 10 00 00 00 7D FA"), 0, 7), rtu.LENGTH_INVALID, "byte count past 256");
    t.is(rtu.expectedResponseLength(fromHex("11 2B 0D 01"), 0, 4, 0x2b, 7), rtu.LENGTH_NEED_MORE);
    t.is(rtu.expectedResponseLength(fromHex("11 2B 0D 01 00 00 00 00"), 0, 8, 0x2b, 7), rtu.LENGTH_INVALID, "MEI other than 0E");
  },
  "builders enforce the quantity limits of §6 as RangeError"(t) {
    const b = new Uint8Array(300);
    t.is(rtu.buildReadHoldingRegisters(b, 0, 1, 0, 125), 8);
    t.throws(() => rtu.buildReadHoldingRegisters(b, 0, 1, 0, 126), RangeError);
    t.throws(() => rtu.buildReadInputRegisters(b, 0, 1, 0, 0), RangeError);
    t.is(rtu.buildReadCoils(b, 0, 1, 0, 2000), 8);
    t.throws(() => rtu.buildReadCoils(b, 0, 1, 0, 2001), RangeError);
    t.throws(() => rtu.buildReadDiscreteInputs(b, 0, 1, 0, 2001), RangeError);
    t.is(rtu.buildReadHoldingRegisters(b, 0, 1, 65535, 1), 8, "last register");
    t.throws(() => rtu.buildReadHoldingRegisters(b, 0, 1, 65535, 2), RangeError, "address + quantity > 65536");
    t.throws(() => rtu.buildReadHoldingRegisters(b, 0, 248, 0, 1), RangeError, "reserved unit");
    t.throws(() => rtu.buildReadHoldingRegisters(b, 0, 1, 0x10000, 1), RangeError);
    const regs = new Uint16Array(125);
    t.is(rtu.buildWriteMultipleRegisters(b, 0, 1, 0, regs, 0, 123), 9 + 246);
    t.throws(() => rtu.buildWriteMultipleRegisters(b, 0, 1, 0, regs, 0, 124), RangeError);
    t.throws(() => rtu.buildWriteMultipleRegisters(b, 0, 1, 0, regs, 120, 10), RangeError, "source too short");
    t.throws(() => rtu.buildWriteMultipleRegisters(b, 0, 1, 0, [70000], 0, 1), RangeError, "value above 65535");
    const bits = new Uint8Array(250);
    t.is(rtu.buildWriteMultipleCoils(b, 0, 1, 0, 1968, bits, 0), 9 + 246);
    t.throws(() => rtu.buildWriteMultipleCoils(b, 0, 1, 0, 1969, bits, 0), RangeError);
    t.is(rtu.buildReadWriteMultipleRegisters(b, 0, 1, 0, 125, 0, regs, 0, 121), 13 + 242);
    t.throws(() => rtu.buildReadWriteMultipleRegisters(b, 0, 1, 0, 126, 0, regs, 0, 1), RangeError);
    t.throws(() => rtu.buildReadWriteMultipleRegisters(b, 0, 1, 0, 1, 0, regs, 0, 122), RangeError);
    t.throws(() => rtu.buildReadRegistersResponse(b, 0, 1, 3, regs, 0, 126), RangeError);
    t.throws(() => rtu.buildReadHoldingRegistersResponse(b, 0, 0, regs, 0, 1), RangeError, "responses never to unit 0");
    t.throws(() => rtu.buildExceptionResponse(b, 0, 1, 3, 0x0c), RangeError);
    t.throws(() => rtu.buildReadHoldingRegisters(new Uint8Array(7), 0, 1, 0, 1), RangeError, "buffer too small");
    t.throws(() => rtu.buildReadDeviceIdentification(b, 0, 1, 5, 0), RangeError);
  },
  "05 builds only 0xFF00 and 0x0000; 0F clears the unused bits of its last byte"(t) {
    const b = new Uint8Array(16);
    rtu.buildWriteSingleCoil(b, 0, 1, 5, false);
    t.is(toHex(b, 4, 2), "00 00");
    rtu.buildWriteSingleCoil(b, 0, 1, 5, true);
    t.is(toHex(b, 4, 2), "FF 00");
    t.throws(() => rtu.buildWriteSingleCoil(b, 0, 1, 5, 1 as unknown as boolean), TypeError);
    const n = rtu.buildWriteMultipleCoils(b, 0, 1, 0, 3, new Uint8Array([0xff]), 0);
    t.is(b[7], 0x07);
    t.is(crc16(b, 0, n), 0, "CRC over the frame with its CRC is 0");
  },
  "parse faults: size, CRC, length, function, byte count, MEI"(t) {
    const v = new rtu.FrameView();
    const req = (pdu: string) => { const f = adu(0x11, pdu); return rtu.parseRequest(f, 0, f.length, v); };
    const res = (pdu: string) => { const f = adu(0x11, pdu); return rtu.parseResponse(f, 0, f.length, v); };
    t.is(rtu.parseRequest(fromHex("11 03 00"), 0, 3, v), rtu.FAULT_TOO_SHORT);
    t.is(rtu.parseRequest(new Uint8Array(257), 0, 257, v), rtu.FAULT_TOO_LONG);
    t.is(rtu.parseRequest(fromHex("11 03 00 6B 00 03 76 88"), 0, 8, v), rtu.FAULT_CRC);
    t.is(v.crcOk, false);
    t.is(rtu.parseRequest(fromHex("11 03 00 6B 00 03 76 88"), 0, 8, v, rtu.PARSE_IGNORE_CRC), rtu.FAULT_NONE, "fields despite a bad CRC");
    t.is(v.crcOk, false);
    t.is(v.quantity, 3);
    t.is(req("03 00 6B 00 03 00"), rtu.FAULT_BAD_LENGTH);
    t.is(req("03 00 6B 00"), rtu.FAULT_TOO_SHORT);
    t.is(req("41 00 00"), rtu.FAULT_UNKNOWN_FUNCTION);
    t.is(req("83 02"), rtu.FAULT_UNKNOWN_FUNCTION, "requests never carry bit 7");
    t.is(req("10 00 00 00 01 02 00"), rtu.FAULT_TOO_SHORT, "byte count promises more");
    t.is(req("2B 0D 01 00"), rtu.FAULT_UNSUPPORTED_MEI);
    t.is(req("08 00 01 00"), rtu.FAULT_TOO_SHORT, "08 sub-functions other than 00 carry 2 bytes");
    t.is(res("03 03 00 01 02"), rtu.FAULT_BAD_BYTE_COUNT, "odd register byte count");
    t.is(res("03 00"), rtu.FAULT_BAD_BYTE_COUNT, "no registers");
    t.is(res("01 00"), rtu.FAULT_BAD_BYTE_COUNT, "no coils");
    t.is(res("83 02 00"), rtu.FAULT_BAD_LENGTH, "exception with a tail");
    t.is(res("2B 0E 01 01 00 00 02 00 01 41"), rtu.FAULT_BAD_LENGTH, "object list shorter than its count");
    t.is(res("2B 0E 01 01 00 00 01 00 01 41 42"), rtu.FAULT_BAD_LENGTH, "bytes after the last object");
    t.is(rtu.faultName(rtu.FAULT_CRC), "CRC mismatch");
    t.throws(() => rtu.parseRequest(new Uint8Array(4), 2, 4, v), RangeError, "a window outside the buffer is a programmer error");
  },
  "exception names come from the §7 table"(t) {
    t.is(rtu.exceptionName(1), "Illegal Function");
    t.is(rtu.exceptionName(2), "Illegal Data Address");
    t.is(rtu.exceptionName(3), "Illegal Data Value");
    t.is(rtu.exceptionName(4), "Server Device Failure");
    t.is(rtu.exceptionName(6), "Server Device Busy");
    t.is(rtu.exceptionName(0x0b), "Gateway Target Device Failed to Respond");
    t.is(rtu.exceptionName(9), "");
    t.is(rtu.exceptionName(0x0c), "");
    t.is(rtu.functionName(3), "Read Holding Registers");
    t.is(rtu.functionName(0x0c), "");
    t.is(rtu.diagnosticName(0x12), "Return Bus Character Overrun Count");
  },
  "judge: exception 01, then 03, then 02, in the order of the §6 state diagrams"(t) {
    const v = new rtu.FrameView();
    const judge = (pdu: string, map?: rtu.SlaveMap) => {
      const f = adu(0x11, pdu);
      const fault = rtu.parseRequest(f, 0, f.length, v);
      if (fault !== 0) return -fault;
      return rtu.judgeRequest(v, map);
    };
    t.is(judge("03 00 00 00 7D"), 0);
    t.is(judge("03 00 00 00 7E"), rtu.EX_ILLEGAL_DATA_VALUE, "126 registers");
    t.is(judge("03 00 00 00 00"), rtu.EX_ILLEGAL_DATA_VALUE, "0 registers");
    t.is(judge("03 FF FF 00 02"), rtu.EX_ILLEGAL_DATA_ADDRESS, "past 65535");
    t.is(judge("03 FF FF 00 01"), 0);
    t.is(judge("03 FF FF 00 7E"), rtu.EX_ILLEGAL_DATA_VALUE, "quantity is judged before address");
    t.is(judge("01 00 00 07 D0"), 0);
    t.is(judge("02 00 00 07 D1"), rtu.EX_ILLEGAL_DATA_VALUE);
    t.is(judge("05 00 01 FF 00"), 0);
    t.is(judge("05 00 01 00 01"), rtu.EX_ILLEGAL_DATA_VALUE, "coil value other than 0/FF00");
    t.is(judge("0F 00 00 00 0A 02 FF 03"), 0);
    t.is(judge("0F 00 00 00 0A 01 FF"), rtu.EX_ILLEGAL_DATA_VALUE, "byte count does not match the quantity");
    t.is(judge("0F 00 00 07 B1 F7" + " 00".repeat(0xf7)), rtu.EX_ILLEGAL_DATA_VALUE, "1969 coils");
    t.is(judge("10 00 00 00 02 04 00 01 00 02"), 0);
    t.is(judge("10 00 00 00 02 02 00 01"), rtu.EX_ILLEGAL_DATA_VALUE);
    t.is(judge("10 FF FF 00 02 04 00 01 00 02"), rtu.EX_ILLEGAL_DATA_ADDRESS);
    t.is(judge("17 00 00 00 7D 00 00 00 01 02 00 00"), 0);
    t.is(judge("17 00 00 00 7E 00 00 00 01 02 00 00"), rtu.EX_ILLEGAL_DATA_VALUE);
    t.is(judge("17 00 00 00 01 FF FF 00 02 04 00 00 00 00"), rtu.EX_ILLEGAL_DATA_ADDRESS);
    t.is(judge("08 00 0B 00 00"), 0);
    t.is(judge("08 00 0B 00 01"), rtu.EX_ILLEGAL_DATA_VALUE, "counter sub-functions take 0000");
    t.is(judge("08 00 13 00 00"), rtu.EX_ILLEGAL_FUNCTION, "sub-function 0x13 is not defined");
    t.is(judge("08 00 00 01 02 03"), 0, "echo of any data");
    t.is(judge("2B 0E 05 00"), rtu.EX_ILLEGAL_DATA_VALUE, "read code 5");
    t.is(judge("2B 0E 04 07"), rtu.EX_ILLEGAL_DATA_ADDRESS, "object 7 asked for individually");
    t.is(judge("2B 0E 01 07"), 0, "stream access restarts at 0");
    const map = new rtu.SlaveMap({ functions: [3, 4, 6, 0x10], holdingRegisters: [[0, 100], [1000, 20]], inputRegisters: [[0, 10]] });
    t.is(judge("03 00 00 00 64", map), 0);
    t.is(judge("03 00 00 00 65", map), rtu.EX_ILLEGAL_DATA_ADDRESS);
    t.is(judge("03 03 E8 00 14", map), 0);
    t.is(judge("03 00 63 00 02", map), rtu.EX_ILLEGAL_DATA_ADDRESS, "a block spanning a gap");
    t.is(judge("04 00 0A 00 01", map), rtu.EX_ILLEGAL_DATA_ADDRESS);
    t.is(judge("06 03 FB 12 34", map), 0);
    t.is(judge("06 03 FC 12 34", map), rtu.EX_ILLEGAL_DATA_ADDRESS);
    t.is(judge("01 00 00 00 01", map), rtu.EX_ILLEGAL_FUNCTION, "function not in the map");
    t.is(judge("03 00 00 00 7E", map), rtu.EX_ILLEGAL_DATA_VALUE);
    t.throws(() => new rtu.SlaveMap({ holdingRegisters: [[65535, 2]] }), RangeError);
    t.throws(() => new rtu.SlaveMap({ functions: [0x41] }), RangeError);
  },
  "answersRequest: unit, function, quantity and echo"(t) {
    const req = new rtu.FrameView();
    const res = new rtu.FrameView();
    const pair = (reqPdu: string, resPdu: string, resUnit = 0x11) => {
      const a = adu(0x11, reqPdu);
      const b = adu(resUnit, resPdu);
      rtu.parseRequest(a, 0, a.length, req);
      const fault = rtu.parseResponse(b, 0, b.length, res);
      return fault !== 0 ? -fault : rtu.answersRequest(req, res);
    };
    t.is(pair("03 00 00 00 02", "03 04 00 01 00 02"), rtu.FAULT_NONE);
    t.is(pair("03 00 00 00 02", "03 04 00 01 00 02", 0x12), rtu.FAULT_WRONG_UNIT);
    t.is(pair("03 00 00 00 02", "04 04 00 01 00 02"), rtu.FAULT_WRONG_FUNCTION);
    t.is(pair("03 00 00 00 02", "03 02 00 01"), rtu.FAULT_WRONG_QUANTITY);
    t.is(pair("03 00 00 00 02", "83 02"), rtu.FAULT_NONE);
    t.is(pair("01 00 00 00 09", "01 02 FF 01"), rtu.FAULT_NONE);
    t.is(pair("01 00 00 00 09", "01 01 FF"), rtu.FAULT_WRONG_QUANTITY);
    t.is(pair("06 00 01 00 03", "06 00 01 00 04"), rtu.FAULT_WRONG_ECHO);
    t.is(pair("10 00 01 00 02 04 00 00 00 00", "10 00 01 00 02"), rtu.FAULT_NONE);
    t.is(pair("08 00 00 A5 37", "08 00 00 A5 38"), rtu.FAULT_WRONG_ECHO);
  },
  "wrapPdu frames a PDU from Modbus TCP"(t) {
    const b = new Uint8Array(10);
    t.is(rtu.wrapPdu(b, 1, 0x11, fromHex("03 00 6B 00 03"), 0, 5), 8);
    t.is(toHex(b, 1, 8), "11 03 00 6B 00 03 76 87");
  },
};
