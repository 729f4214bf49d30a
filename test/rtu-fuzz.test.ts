// Property tests of the RTU wire layer (fast-check): parsers and length rules on arbitrary bytes never throw, never read
// outside their window, and either reject with a fault code or yield a frame that writeFrame re-encodes byte for byte.
import test from "ava";
import fc from "fast-check";
import { appendCrc } from "../modules/rtu/crc16";
import * as rtu from "../modules/rtu/index";

const FAULTS = new Set([rtu.FAULT_NONE, rtu.FAULT_TOO_SHORT, rtu.FAULT_TOO_LONG, rtu.FAULT_CRC, rtu.FAULT_BAD_LENGTH,
  rtu.FAULT_UNKNOWN_FUNCTION, rtu.FAULT_BAD_BYTE_COUNT, rtu.FAULT_UNSUPPORTED_MEI]);
const KNOWN = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0b, 0x0f, 0x10, 0x11, 0x16, 0x17, 0x2b];
const RUNS = 4000;

type Parser = typeof rtu.parseRequest;
const parsers: [string, Parser][] = [["request", rtu.parseRequest], ["response", rtu.parseResponse]];

/** The buffer behind a Proxy that fails the test on any index read outside [lo, hi). */
function fenced(buffer: Uint8Array, lo: number, hi: number, reads: { bad: number[] }): Uint8Array {
  return new Proxy(buffer, {
    get(target, prop) {
      if (typeof prop === "string" && /^-?\d+$/.test(prop)) {
        const i = Number(prop);
        if (i < lo || i >= hi) reads.bad.push(i);
      }
      const v = (target as any)[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Places `frame` at `at` in a buffer with `pad` guard bytes of value `guard` after it. */
function place(frame: Uint8Array, at: number, pad: number, guard: number): Uint8Array {
  const b = new Uint8Array(at + frame.length + pad).fill(guard);
  b.set(frame, at);
  return b;
}

function snapshot(v: rtu.FrameView): string {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (k !== "buffer") o[k] = (v as any)[k];
  return JSON.stringify(o);
}

/** Parses, checks the outcome, and re-encodes a good frame. */
function check(t: any, parse: Parser, frame: Uint8Array, at: number, pad: number): number {
  const reads = { bad: [] as number[] };
  const b = place(frame, at, pad, 0xa5);
  const view = new rtu.FrameView();
  let fault = -1;
  t.notThrows(() => { fault = parse(fenced(b, at, at + frame.length, reads), at, frame.length, view); });
  if (reads.bad.length > 0) throw new Error(`read outside the window: ${reads.bad.slice(0, 5)}`);
  if (!FAULTS.has(fault)) throw new Error(`unexpected result ${fault}`);
  // Same bytes, other surroundings: the same verdict and fields.
  const other = new rtu.FrameView();
  const b2 = place(frame, at, pad, 0x5a);
  if (parse(b2, at, frame.length, other) !== fault) throw new Error("verdict depends on bytes outside the window");
  if (fault === rtu.FAULT_NONE) {
    const s1 = snapshot(view);
    parse(b, at, frame.length, view);
    if (snapshot(view) !== s1 || snapshot(other) !== s1) throw new Error("fields depend on bytes outside the window");
    const out = new Uint8Array(300).fill(0x33);
    const n = rtu.writeFrame(out, 5, view);
    if (n !== frame.length) throw new Error(`rebuild length ${n} != ${frame.length}`);
    for (let i = 0; i < n; i++) if (out[5 + i] !== frame[i]) throw new Error(`rebuild differs at byte ${i}`);
    if (out[4] !== 0x33 || out[5 + n] !== 0x33) throw new Error("rebuild wrote outside its frame");
  }
  return fault;
}

const anyBytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
/** Plausible frames: a known function code (sometimes with the exception bit), random body, a good CRC. */
const crcFrames = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...KNOWN, ...KNOWN.map((c) => c | 0x80), 0x41),
  fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 252 }))).map(([unit, code, body]) => {
  const f = new Uint8Array(4 + body.length);
  f[0] = unit;
  f[1] = code;
  f.set(body, 2);
  appendCrc(f, 0, 2 + body.length);
  return f;
});
/** Frames shaped by the length rules: a byte count that matches the body, so that parsers accept them more often. */
const shapedFrames = fc.tuple(fc.constantFrom(...KNOWN), fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.uint8Array({ maxLength: 246 }),
  fc.integer({ min: 0, max: 3 })).map(([code, head, data, mode]) => {
  const f = new Uint8Array(256);
  f[0] = 1;
  f[1] = code;
  let n = 2;
  if (mode === 0) { f[2] = data.length & ~1; for (let i = 0; i < f[2]; i++) f[3 + i] = data[i]; n = 3 + f[2]; } // response with byte count
  else if (mode === 1 && (code === 0x0f || code === 0x10)) { f.set(head.subarray(0, 4), 2); f[6] = Math.min(data.length, 200); f.set(data.subarray(0, f[6]), 7); n = 7 + f[6]; }
  else if (mode === 1 && code === 0x17) { f.set(head.subarray(0, 8), 2); f[10] = Math.min(data.length, 200); f.set(data.subarray(0, f[10]), 11); n = 11 + f[10]; }
  else if (mode === 2 && code === 0x2b) { // device identification response with well-formed objects
    f.set([0x0e, 1, 1, 0, 0], 2); let k = 0; n = 8;
    for (let p = 0; p + 2 <= data.length && n + 2 + (data[p] & 15) <= 250; p += 2) { const len = data[p] & 15; f[n] = data[p + 1]; f[n + 1] = len; n += 2 + len; k++; }
    f[7] = k;
  } else { f.set(head.subarray(0, mode * 2 + 2), 2); n = 2 + mode * 2 + 2; if (code === 0x2b) f[2] = 0x0e; }
  appendCrc(f, 0, n);
  return f.slice(0, n + 2);
});
const placement = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }));

for (const [direction, parse] of parsers) {
  test(`parse${direction === "request" ? "Request" : "Response"}: random bytes never throw, stay in their window, fault or rebuild exactly`, (t) => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(anyBytes, crcFrames, shapedFrames), placement, (frame, [at, pad]) => {
      if (check(t, parse, frame, at, pad) === rtu.FAULT_NONE) accepted++;
    }), { numRuns: RUNS, seed: 0x485 });
    // The generators must reach the accepting paths, or the rebuild half of the property is vacuous.
    t.true(accepted > RUNS / 20, `accepted ${accepted} of ${RUNS}`);
  });
}

test("expected length: never throws, reads only the bytes available, and agrees with the parsers", (t) => {
  const view = new rtu.FrameView();
  fc.assert(fc.property(fc.oneof(crcFrames, shapedFrames, anyBytes), fc.integer({ min: 0, max: 30 }), (frame, at) => {
    const b = place(frame, at, 8, 0xc3);
    for (let avail = 0; avail <= frame.length; avail++) {
      const reads = { bad: [] as number[] };
      const f = fenced(b, at, at + avail, reads);
      const q = rtu.expectedRequestLength(f, at, avail);
      const r = rtu.expectedResponseLength(f, at, avail, frame[1] & 0x7f, 0);
      if (reads.bad.length > 0) throw new Error(`read outside the available bytes: ${reads.bad.slice(0, 5)}`);
      for (const x of [q, r]) if (!(Number.isInteger(x) && x >= -2 && x <= 256)) throw new Error(`bad length result ${x}`);
    }
    // A frame the parser accepts has exactly the length the rule announces from its full bytes.
    if (rtu.parseRequest(b, at, frame.length, view) === rtu.FAULT_NONE) {
      const q = rtu.expectedRequestLength(b, at, frame.length);
      if (q !== frame.length && q !== rtu.LENGTH_BY_SILENCE) throw new Error(`request rule says ${q}, frame is ${frame.length}`);
    }
    if (rtu.parseResponse(b, at, frame.length, view) === rtu.FAULT_NONE) {
      const r = rtu.expectedResponseLength(b, at, frame.length, view.function, 0);
      if (r !== frame.length && r !== rtu.LENGTH_BY_SILENCE) throw new Error(`response rule says ${r}, frame is ${frame.length}`);
    }
  }), { numRuns: 1500, seed: 0x3485 });
  t.pass();
});

test("builders within the limits produce frames the parsers read back; the judge accepts them", (t) => {
  const req = new rtu.FrameView();
  const res = new rtu.FrameView();
  const b = new Uint8Array(300);
  fc.assert(fc.property(fc.integer({ min: 1, max: 247 }), fc.constantFrom(1, 2, 3, 4), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 2000 }),
    (unit, code, address, q) => {
      const quantity = code <= 2 ? q : 1 + (q % 125);
      const start = Math.min(address, 0x10000 - quantity);
      const n = rtu.buildReadRequest(b, 0, unit, code, start, quantity);
      if (rtu.parseRequest(b, 0, n, req) !== 0 || req.unit !== unit || req.function !== code || req.address !== start || req.quantity !== quantity) return false;
      if (rtu.judgeRequest(req) !== 0) return false;
      const values = Array.from({ length: code <= 2 ? 0 : quantity }, (_, i) => (i * 7919 + address) & 0xffff);
      const bits = new Uint8Array(250).map((_, i) => (i * 37) & 0xff);
      const m = code <= 2 ? rtu.buildReadBitsResponse(b, 0, unit, code, bits, 0, quantity) : rtu.buildReadRegistersResponse(b, 0, unit, code, values, 0, quantity);
      if (rtu.parseResponse(b, 0, m, res) !== 0 || rtu.answersRequest(req, res) !== 0) return false;
      for (let i = 0; i < values.length; i++) if (res.register(i) !== values[i]) return false;
      return true;
    }), { numRuns: 1000, seed: 7 });
  fc.assert(fc.property(fc.integer({ min: 0, max: 247 }), fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }),
    (unit, address, values) => {
      const start = Math.min(address, 0x10000 - values.length);
      const n = rtu.buildWriteMultipleRegisters(b, 0, unit, start, values, 0, values.length);
      if (rtu.parseRequest(b, 0, n, req) !== 0 || rtu.judgeRequest(req) !== 0 || req.quantity !== values.length) return false;
      for (let i = 0; i < values.length; i++) if (req.register(i) !== values[i]) return false;
      return true;
    }), { numRuns: 500, seed: 8 });
  t.pass();
});
