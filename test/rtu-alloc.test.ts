// Steady-state building and parsing allocate nothing (issue 2 target): heap growth over many operations with GC held off
// must stay at the measurement's noise floor (well under one byte per operation; one allocated object would be >= 16).
import test from "ava";
import * as rtu from "../modules/rtu/index";
import { bytesPerOp } from "./harness/allocation";

test("build, parse, expected length, judge and writeFrame allocate nothing per frame", (t) => {
  const b = new Uint8Array(260);
  const out = new Uint8Array(260);
  const values = new Uint16Array(80).map((_, i) => i * 31);
  const v = new rtu.FrameView();
  const req = new rtu.FrameView();
  const map = new rtu.SlaveMap({ holdingRegisters: [[0, 200]] });
  const n = rtu.buildReadHoldingRegistersResponse(b, 0, 17, values, 0, 80);
  const r = new Uint8Array(8);
  rtu.buildReadHoldingRegisters(r, 0, 17, 0, 80);
  rtu.parseRequest(r, 0, 8, req);
  const ops: [string, () => unknown][] = [
    ["build request", () => rtu.buildReadHoldingRegisters(out, 0, 17, 0x6b, 3)],
    ["build response", () => rtu.buildReadHoldingRegistersResponse(out, 0, 17, values, 0, 80)],
    ["parse response", () => rtu.parseResponse(b, 0, n, v)],
    ["parse request", () => rtu.parseRequest(r, 0, 8, req)],
    ["expected length", () => rtu.expectedResponseLength(b, 0, 3, 3, 8)],
    ["judge", () => rtu.judgeRequest(req, map)],
    ["answersRequest", () => rtu.answersRequest(req, v)],
    ["writeFrame", () => rtu.writeFrame(out, 0, v)],
  ];
  for (const [name, op] of ops) t.true(bytesPerOp(op) < 1, name);
});
