// RTU wire layer: build and parse cost per frame (CRC included), into preallocated buffers and views.
import * as rtu from "../modules/rtu/index";
import type { Bench } from "./harness";

const group = "rtu frame (build/parse, CRC included)";
const registers80 = new Uint16Array(80).map((_, i) => (i * 2654435761) & 0xffff);
const registers10 = new Uint16Array(10).map((_, i) => i * 1000 + 7);

function frameOf(write: (b: Uint8Array) => number): { b: Uint8Array; n: number } {
  const b = new Uint8Array(260);
  const n = write(b);
  return { b, n };
}

export const benches: Bench[] = [
  {
    group, name: "build 03 read-holding request (8 B)", make: () => {
      const b = new Uint8Array(260);
      return () => rtu.buildReadHoldingRegisters(b, 0, 17, 0x6b, 3);
    },
  },
  {
    group, name: "parse 03 read-holding request (8 B)", make: () => {
      const { b, n } = frameOf((x) => rtu.buildReadHoldingRegisters(x, 0, 17, 0x6b, 3));
      const v = new rtu.FrameView();
      return () => rtu.parseRequest(b, 0, n, v);
    },
  },
  {
    group, name: "judge 03 request (slave map with 2 ranges)", make: () => {
      const { b, n } = frameOf((x) => rtu.buildReadHoldingRegisters(x, 0, 17, 0x6b, 3));
      const v = new rtu.FrameView();
      rtu.parseRequest(b, 0, n, v);
      const map = new rtu.SlaveMap({ holdingRegisters: [[0, 100], [100, 200]] });
      return () => rtu.judgeRequest(v, map);
    },
  },
  {
    group, name: "build 03 response, 80 registers (165 B)", make: () => {
      const b = new Uint8Array(260);
      return () => rtu.buildReadHoldingRegistersResponse(b, 0, 17, registers80, 0, 80);
    },
  },
  {
    group, name: "parse 03 response, 80 registers (165 B)", make: () => {
      const { b, n } = frameOf((x) => rtu.buildReadHoldingRegistersResponse(x, 0, 17, registers80, 0, 80));
      const v = new rtu.FrameView();
      return () => rtu.parseResponse(b, 0, n, v);
    },
  },
  {
    group, name: "expected length of a 03 response from 3 bytes", make: () => {
      const { b } = frameOf((x) => rtu.buildReadHoldingRegistersResponse(x, 0, 17, registers80, 0, 80));
      return () => rtu.expectedResponseLength(b, 0, 3, 3, 8);
    },
  },
  {
    group, name: "build 10 write-multiple request, 10 registers (29 B)", make: () => {
      const b = new Uint8Array(260);
      return () => rtu.buildWriteMultipleRegisters(b, 0, 17, 100, registers10, 0, 10);
    },
  },
  {
    group, name: "parse exception response (5 B)", make: () => {
      const { b, n } = frameOf((x) => rtu.buildExceptionResponse(x, 0, 17, 3, 2));
      const v = new rtu.FrameView();
      return () => rtu.parseResponse(b, 0, n, v);
    },
  },
  {
    group, name: "writeFrame: re-encode a parsed 80-register response", make: () => {
      const { b, n } = frameOf((x) => rtu.buildReadHoldingRegistersResponse(x, 0, 17, registers80, 0, 80));
      const v = new rtu.FrameView();
      rtu.parseResponse(b, 0, n, v);
      const out = new Uint8Array(260);
      return () => rtu.writeFrame(out, 0, v);
    },
  },
];
