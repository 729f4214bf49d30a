// `rc485 fec`: compute the parity burst of a frame, or repair a frame from its burst (docs/fec.md).
import { crcMatches } from "../../../modules/rtu/crc16";
import {
  FEC_BURST_ORPHAN, FEC_BURST_UNNEEDED, FEC_FRAME_CORRECTED, FEC_FRAME_CRC_FAILED, FEC_FRAME_GOOD, FEC_FRAME_UNCORRECTABLE,
  FEC_MAX_DEPTH, FEC_MAX_FRAME, FecReceiver, FecTransmitter,
} from "../../../modules/fec/link";
import { ReedSolomon } from "../../../modules/fec/reed-solomon";
import { UsageError, type Command } from "./command";
import { count } from "../plural";

const HELP = `usage:
  rc485 fec parity [--nroots N] [--depth D] [--raw] HEX...
      prints the parity burst for the frame HEX (bytes in hex, spaces allowed); --raw prints only the parity bytes,
      one line per codeword
  rc485 fec correct [--nroots N] [--depth D] FRAMEHEX... --parity BURSTHEX
      repairs the frame from its burst (nroots and depth are read from the burst) and prints the corrected frame and
      the corrected bytes and bits, or the failure; with --raw, BURSTHEX is bare parity bytes coded with --nroots/--depth
options: --nroots N  even 2..16 (default 4)   --depth D  interleaving depth 1..${FEC_MAX_DEPTH} (default 1)
exit status: 0 ok, 1 the frame could not be repaired, 2 bad usage`;

function parseHex(text: string, what: string): Uint8Array {
  const s = text.replace(/[\s:,]/g, "");
  if (s.length === 0 || s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new UsageError(`${what}: expected hex bytes, got '${text}'`);
  return Uint8Array.from(Buffer.from(s, "hex"));
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, "0")).join(" ");

interface Options { nroots: number; depth: number; raw: boolean; parity?: string; rest: string[] }

function parseOptions(args: string[]): Options {
  const o: Options = { nroots: 4, depth: 1, raw: false, rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => { if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`); return args[++i]; };
    if (a === "--nroots") {
      const v = value();
      o.nroots = Number(v);
      if (!/^\d+$/.test(v) || o.nroots < 2 || o.nroots > 16 || o.nroots % 2) throw new UsageError(`--nroots must be an even integer 2..16, got '${v}'`);
    } else if (a === "--depth") {
      const v = value();
      o.depth = Number(v);
      if (!/^\d+$/.test(v) || o.depth < 1 || o.depth > FEC_MAX_DEPTH) throw new UsageError(`--depth must be an integer 1..${FEC_MAX_DEPTH}, got '${v}'`);
    } else if (a === "--raw") o.raw = true;
    else if (a === "--parity") o.parity = value();
    else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else o.rest.push(a);
  }
  return o;
}

function frameOf(o: Options): Uint8Array {
  if (o.rest.length === 0) throw new UsageError("missing frame bytes (HEX...)");
  const f = parseHex(o.rest.join(" "), "frame");
  if (f.length > FEC_MAX_FRAME) throw new UsageError(`frame: at most ${FEC_MAX_FRAME} bytes, got ${f.length}`);
  return f;
}

function parity(o: Options): number {
  if (o.parity !== undefined) throw new UsageError("--parity belongs to 'fec correct'");
  const f = frameOf(o);
  if (o.raw) {
    const rs = new ReedSolomon(o.nroots);
    const p = new Uint8Array(rs.parityLength(f.length, o.depth));
    rs.encodeFrame(f, 0, f.length, o.depth, p, 0);
    for (let j = 0; j < p.length; j += o.nroots) console.log(hex(p.subarray(j, j + o.nroots)));
    return 0;
  }
  const tx = new FecTransmitter({ nroots: o.nroots, depth: o.depth });
  const out = new Uint8Array(tx.burstLength(f.length));
  tx.encode(f, 0, f.length, out, 0);
  console.log(hex(out));
  return 0;
}

function report(frame: Uint8Array, bytes: number, bits: number): void {
  console.log(hex(frame));
  console.log(`corrected ${bytes} byte${bytes === 1 ? "" : "s"}, ${bits} bit${bits === 1 ? "" : "s"}; Modbus CRC ${crcMatches(frame, 0, frame.length) ? "ok" : "fails"}`);
}

function correct(o: Options): number {
  if (o.parity === undefined) throw new UsageError("missing --parity BURSTHEX");
  const f = frameOf(o);
  const b = parseHex(o.parity, "--parity");
  if (o.raw) {
    const rs = new ReedSolomon(o.nroots);
    if (b.length !== rs.parityLength(f.length, o.depth)) {
      throw new UsageError(`--parity: ${rs.parityLength(f.length, o.depth)} parity bytes expected for ${f.length} bytes, got ${b.length}`);
    }
    const res = rs.decodeFrame(f, 0, f.length, o.depth, b, 0);
    if (res < 0) { console.log(`failed: more than ${count(o.nroots / 2, "error")} in a codeword (uncorrectable)`); return 1; }
    report(f, res, rs.bits);
    return 0;
  }
  const rx = new FecReceiver();
  const first = rx.receive(f, 0, f.length);
  const v = rx.receive(b, 0, b.length);
  if (first === FEC_FRAME_GOOD) {
    if (v !== FEC_BURST_UNNEEDED) throw new UsageError("--parity: not a parity burst for a frame of this length");
    report(f, 0, 0);
    return 0;
  }
  switch (v) {
    case FEC_FRAME_CORRECTED: report(rx.frame.subarray(0, rx.frameLength), rx.lastCorrectedBytes, rx.lastCorrectedBits); return 0;
    case FEC_FRAME_UNCORRECTABLE: console.log("failed: more errors than the parity can correct (uncorrectable)"); return 1;
    case FEC_FRAME_CRC_FAILED: console.log("failed: the decoded frame does not pass the Modbus CRC (miscorrection refused)"); return 1;
    case FEC_BURST_ORPHAN: throw new UsageError(`--parity: the burst is for a frame of another length (frame has ${f.length} bytes)`);
    default: throw new UsageError("--parity: not a parity burst (use --raw for bare parity bytes)");
  }
}

const command: Command = {
  summary: "Reed-Solomon parity burst of a frame, or repair a frame from its burst",
  async run(args) {
    if (args.length === 0) { console.error(HELP); return 2; }
    if (args.includes("--help") || args.includes("-h")) { console.log(HELP); return 0; }
    try {
      const [sub, ...rest] = args;
      const o = parseOptions(rest);
      if (sub === "parity") return parity(o);
      if (sub === "correct") return correct(o);
      throw new UsageError(`unknown subcommand '${sub}' (parity or correct)`);
    } catch (e) {
      if (e instanceof UsageError) { console.error(`rc485 fec: ${e.message}`); return 2; }
      throw e;
    }
  },
};
export default command;
