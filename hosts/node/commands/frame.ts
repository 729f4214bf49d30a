/*
 * `rc485 frame decode [--as request|response] [--json] HEX…`: the frame inspector. Decodes one Modbus RTU ADU given as hex
 * bytes (spaces optional) with the wire layer in modules/rtu and prints unit, function, CRC verdict and fields, or with
 * --json one JSON object. Without --as the direction is inferred from what parses; frames valid both ways (the echoes of
 * 05, 06, 08 and 16) are reported as ambiguous. Exit status: 0 decoded (the CRC verdict is part of the output),
 * 2 bad usage or bad input (not hex, odd digit count, under 4 or over 256 bytes, not a valid frame of the direction(s)
 * tried).
 */
import { crc16 } from "../../../modules/rtu/crc16";
import * as rtu from "../../../modules/rtu/index";
import { UsageError, type Command } from "./command";

const HELP = `usage: rc485 frame decode [--as request|response] [--json] HEX...

Decodes one Modbus RTU frame (unit + PDU + CRC, 4 to 256 bytes) given as hex bytes; spaces between bytes are optional.
Prints the unit, function, CRC verdict and the fields (addresses, quantities, register values, exception name).

  --as request|response   decode in this direction (default: inferred; frames valid both ways are shown as ambiguous)
  --json                  print one JSON object: unit, function, crcOk, direction, and the fields, e.g. address and
                          quantity for requests, registers for register reads, exception for exception responses

exit status: 0 decoded (even with a bad CRC: see the crc line / crcOk), 2 bad usage or input that is not a frame

example: rc485 frame decode 11 03 06 02 2B 00 00 00 64 C8 BA`;

type Fields = Record<string, unknown>;

/**
 * Functions that ask the device for data: sent to unit 0 they make a broadcast read, which the standard rules out
 * (Modbus over Serial Line V1.02 §2.1: broadcast requests are writes and get no reply).
 */
const READ_FUNCTIONS = new Set([0x01, 0x02, 0x03, 0x04, 0x07, 0x0b, 0x0c, 0x11, 0x14, 0x17, 0x18, 0x2b]);
const BROADCAST_READ_NOTE = "unit 0 is a broadcast: by the standard no device answers it (Modbus over Serial Line V1.02 §2.1, " +
  "broadcasts are writes only), so this read gets no reply; some meters answer it anyway, and two that do on one bus collide";

/** A note on a request to unit 0 that asks for data, or undefined. */
function broadcastNote(v: rtu.FrameView): string | undefined {
  return v.unit === 0 && !v.isException && READ_FUNCTIONS.has(v.function) ? BROADCAST_READ_NOTE : undefined;
}

function parseHex(words: string[]): Uint8Array {
  const s = words.join("").replace(/\s+/g, "");
  if (s.length === 0) throw new UsageError("no hex bytes given");
  if (/[^0-9a-fA-F]/.test(s)) throw new UsageError(`not hex: '${s.match(/[^0-9a-fA-F]/)![0]}' in the input`);
  if (s.length % 2 !== 0) throw new UsageError(`odd number of hex digits (${s.length})`);
  const n = s.length / 2;
  if (n < rtu.MIN_ADU_LENGTH) throw new UsageError(`too short: ${n} bytes, an RTU frame has at least ${rtu.MIN_ADU_LENGTH}`);
  if (n > rtu.MAX_ADU_LENGTH) throw new UsageError(`too long: ${n} bytes, an RTU frame has at most ${rtu.MAX_ADU_LENGTH}`);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}

const hex = (b: Uint8Array, from: number, length: number) =>
  Array.from(b.subarray(from, from + length), (x) => x.toString(16).toUpperCase().padStart(2, "0")).join(" ");
const h16 = (v: number) => `0x${v.toString(16).toUpperCase().padStart(4, "0")}`;

function registers(v: rtu.FrameView): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.dataLength >> 1; i++) out.push(v.register(i));
  return out;
}

function bits(v: rtu.FrameView, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(v.bit(i));
  return out;
}

function objects(v: rtu.FrameView): { id: number; text: string; hex: string }[] {
  const out = [];
  let p = v.dataOffset;
  for (let k = 0; k < v.objectCount; k++) {
    const len = v.buffer[p + 1];
    const bytes = v.buffer.subarray(p + 2, p + 2 + len);
    out.push({ id: v.buffer[p], text: String.fromCharCode(...bytes), hex: hex(v.buffer, p + 2, len) });
    p += 2 + len;
  }
  return out;
}

/** The fields of a parsed view, by function and direction (names as in modules/rtu/frame-view.ts). */
function fields(v: rtu.FrameView): Fields {
  const f: Fields = {};
  if (v.isException) {
    f.exception = v.exception;
    f.exceptionName = rtu.exceptionName(v.exception) || "(not defined by the spec)";
    return f;
  }
  const request = v.direction === rtu.DIRECTION_REQUEST;
  switch (v.function) {
    case 0x01: case 0x02:
      if (request) Object.assign(f, { address: v.address, quantity: v.quantity });
      else Object.assign(f, { byteCount: v.byteCount, bits: bits(v, 8 * v.byteCount) });
      break;
    case 0x03: case 0x04:
      if (request) Object.assign(f, { address: v.address, quantity: v.quantity });
      else Object.assign(f, { byteCount: v.byteCount, quantity: v.quantity, registers: registers(v) });
      break;
    case 0x05:
      Object.assign(f, { address: v.address, ...(request ? { quantity: 1 } : {}), value: v.value, coil: v.value === rtu.COIL_ON ? "ON" : v.value === rtu.COIL_OFF ? "OFF" : "invalid" });
      break;
    case 0x06:
      Object.assign(f, { address: v.address, ...(request ? { quantity: 1 } : {}), value: v.value });
      break;
    case 0x07:
      if (!request) f.status = v.status;
      break;
    case 0x08:
      Object.assign(f, { subFunction: v.subFunction, subFunctionName: rtu.diagnosticName(v.subFunction) || "(unknown)", data: hex(v.buffer, v.dataOffset, v.dataLength) });
      if (v.dataLength === 2) f.value = v.value;
      break;
    case 0x0b:
      if (!request) Object.assign(f, { status: v.status, eventCount: v.eventCount });
      break;
    case 0x0f:
      Object.assign(f, { address: v.address, quantity: v.quantity });
      if (request) Object.assign(f, { byteCount: v.byteCount, bits: bits(v, Math.min(v.quantity, 8 * v.byteCount)) });
      break;
    case 0x10:
      Object.assign(f, { address: v.address, quantity: v.quantity });
      if (request) Object.assign(f, { byteCount: v.byteCount, registers: registers(v) });
      break;
    case 0x11:
      if (!request) Object.assign(f, { byteCount: v.byteCount, data: hex(v.buffer, v.dataOffset, v.dataLength) });
      break;
    case 0x16:
      Object.assign(f, { address: v.address, andMask: v.andMask, orMask: v.orMask });
      break;
    case 0x17:
      if (request) Object.assign(f, { address: v.address, quantity: v.quantity, writeAddress: v.writeAddress, writeQuantity: v.writeQuantity, byteCount: v.byteCount, registers: registers(v) });
      else Object.assign(f, { byteCount: v.byteCount, quantity: v.quantity, registers: registers(v) });
      break;
    case 0x2b:
      Object.assign(f, { meiType: v.meiType, readCode: v.readCode });
      if (request) f.objectId = v.objectId;
      else Object.assign(f, { conformity: v.conformity, moreFollows: v.moreFollows, nextObjectId: v.nextObjectId, objectCount: v.objectCount, objects: objects(v) });
      break;
  }
  return f;
}

function describe(v: rtu.FrameView, direction: string): Fields {
  const name = rtu.functionName(v.function);
  return { unit: v.unit, function: v.function, functionName: name || "(unknown)", direction, crcOk: v.crcOk, length: v.length, ...fields(v) };
}

function text(d: Fields, frame: Uint8Array): string {
  const n = frame.length;
  const c = crc16(frame, 0, n - 2);
  const lines = [
    `unit        ${d.unit}${d.unit === 0 ? " (broadcast)" : (d.unit as number) > rtu.MAX_UNIT ? " (reserved)" : ""}`,
    `function    0x${(d.function as number).toString(16).toUpperCase().padStart(2, "0")} ${d.functionName}${"exception" in d ? " (exception response)" : ""}`,
    `direction   ${d.direction}`,
    `crc         ${d.crcOk ? `ok (${hex(frame, n - 2, 2)})` : `BAD: frame has ${hex(frame, n - 2, 2)}, computed ${hex(new Uint8Array([c & 0xff, c >>> 8]), 0, 2)}`}`,
  ];
  const skip = new Set(["unit", "function", "functionName", "direction", "crcOk", "length", "response", "note"]);
  for (const [k, val] of Object.entries(d)) {
    if (skip.has(k)) continue;
    let shown: string;
    if (k === "registers") shown = (val as number[]).map((r, i) => `\n  [${i}] ${String(r).padStart(5)}  ${h16(r)}`).join("");
    else if (k === "bits") shown = (val as number[]).join("");
    else if (k === "objects") shown = (val as { id: number; text: string }[]).map((o) => `\n  [${o.id}] ${JSON.stringify(o.text)}`).join("");
    else if (typeof val === "number" && /address|value|Mask|status|subFunction/i.test(k)) shown = `${val} (${h16(val)})`;
    else shown = String(val);
    lines.push(`${k.padEnd(11)} ${shown}`);
  }
  if (typeof d.note === "string") lines.push(`note        ${d.note}`);
  return lines.join("\n");
}

async function decode(args: string[]): Promise<number> {
  let as: "request" | "response" | undefined;
  let json = false;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--as") {
      const d = args[++i];
      if (d !== "request" && d !== "response") throw new UsageError(`--as must be request or response, got ${d ?? "nothing"}`);
      as = d;
    } else if (a.startsWith("--as=")) {
      const d = a.slice(5);
      if (d !== "request" && d !== "response") throw new UsageError(`--as must be request or response, got ${d}`);
      as = d;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} (see rc485 frame --help)`);
    else words.push(a);
  }
  const frame = parseHex(words);
  const req = new rtu.FrameView();
  const res = new rtu.FrameView();
  const reqFault = as === "response" ? -1 : rtu.parseRequest(frame, 0, frame.length, req, rtu.PARSE_IGNORE_CRC);
  const resFault = as === "request" ? -1 : rtu.parseResponse(frame, 0, frame.length, res, rtu.PARSE_IGNORE_CRC);
  let out: Fields;
  const note = reqFault === 0 ? broadcastNote(req) : undefined;
  if (reqFault === 0 && resFault === 0) {
    out = { ...describe(req, "ambiguous"), response: describe(res, "response") };
    if (!json) {
      console.log(text(out, frame));
      console.log("note        valid both as a request and as a response (this function echoes its request)");
      return 0;
    }
  } else if (reqFault === 0) out = { ...describe(req, "request"), ...(note ? { note } : {}) };
  else if (resFault === 0) out = describe(res, "response");
  else {
    const why = [as !== "response" ? `as a request: ${rtu.faultName(reqFault)}` : "", as !== "request" ? `as a response: ${rtu.faultName(resFault)}` : ""].filter(Boolean).join("; ");
    throw new UsageError(`not a valid RTU frame (${why})`);
  }
  console.log(json ? JSON.stringify(out) : text(out, frame));
  return 0;
}

const command: Command = {
  summary: "decode a Modbus RTU frame given as hex (rc485 frame decode [--as request|response] [--json] HEX...)",
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    if (!sub) {
      // A missing subcommand is bad usage (exit status 2, like every command); --help asks for the text (0).
      console.error(HELP);
      return 2;
    }
    if (sub === "--help" || sub === "-h" || sub === "help" || (sub === "decode" && (rest.includes("--help") || rest.includes("-h")))) {
      console.log(HELP);
      return 0;
    }
    try {
      if (sub !== "decode") throw new UsageError(`unknown subcommand '${sub}' (try rc485 frame --help)`);
      return await decode(rest);
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(`rc485 frame: ${e.message}`);
        return 2;
      }
      throw e;
    }
  },
};
export default command;
