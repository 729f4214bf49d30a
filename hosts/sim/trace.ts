/*
 * The simulator's sniffer: one record per frame seen on a segment's line, kept in a bounded ring (the oldest records are
 * overwritten), formatted into text only when someone asks (a failing test, a doc excerpt). Recording allocates nothing:
 * every slot owns its byte buffer from the start and names are strings made at configuration time.
 *
 * A frame is what a sniffer on the line would group together: consecutive characters from one driver with less than
 * t3.5 of silence between them (a gap over t1.5 inside it is marked). Bytes are as the line carried them (after noise,
 * collision and truncation). Format: docs/simulator.md.
 */
import { crc16 } from "../../modules/rtu/crc16";
import { RX_COLLISION, RX_FRAMING, RX_NOISE, RX_PARITY, RX_SPURIOUS, RX_TRUNCATED } from "./character";

/** Bytes kept per frame record (an RTU ADU is at most 256; longer runs are cut in the record, not on the line). */
export const TRACE_FRAME_BYTES = 264;
/** Frame flag beyond the RX_* character flags: a gap longer than t1.5 inside the frame. */
export const FRAME_GAP = 256;
/** Frame flag: characters that never reached the line as bytes (lost to truncation or a missed start bit). */
export const FRAME_LOST = 512;

class TraceRecord {
  start = 0;
  end = 0;
  segment = "";
  driver = "";
  length = 0;
  flags = 0;
  note = "";
  readonly bytes = new Uint8Array(TRACE_FRAME_BYTES);
}

function pad(s: string, n: number, left: boolean): string {
  while (s.length < n) s = left ? " " + s : s + " ";
  return s;
}

export class Trace {
  readonly capacity: number;
  private readonly ring: TraceRecord[];
  private next = 0;
  /** Records written in all (older ones beyond `capacity` are gone). */
  written = 0;
  /** Called before reading, so open frames are included (set by the Simulation). */
  flushHook: (() => void) | null = null;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`traceCapacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.ring = [];
    for (let i = 0; i < capacity; i++) this.ring.push(new TraceRecord());
  }

  private slot(): TraceRecord {
    const r = this.ring[this.next];
    this.next = (this.next + 1) % this.capacity;
    this.written++;
    return r;
  }

  /** Records a frame (copies the bytes). */
  frame(segment: string, driver: string, start: number, end: number, bytes: Uint8Array, length: number, flags: number): void {
    const r = this.slot();
    r.segment = segment;
    r.driver = driver;
    r.start = start;
    r.end = end;
    r.flags = flags;
    r.note = "";
    const n = length < TRACE_FRAME_BYTES ? length : TRACE_FRAME_BYTES;
    const out = r.bytes;
    for (let i = 0; i < n; i++) out[i] = bytes[i];
    r.length = length;
  }

  /** Records a free-text event (rare things: FIFO overflow, refused writes). */
  note(time: number, segment: string, driver: string, text: string): void {
    const r = this.slot();
    r.segment = segment;
    r.driver = driver;
    r.start = time;
    r.end = time;
    r.flags = 0;
    r.length = 0;
    r.note = text;
  }

  clear(): void {
    this.next = 0;
    this.written = 0;
  }

  /** The kept records as text lines, oldest first (by start time). */
  lines(last?: number): string[] {
    if (this.flushHook) this.flushHook();
    const n = this.written < this.capacity ? this.written : this.capacity;
    const records: TraceRecord[] = [];
    for (let i = 0; i < n; i++) records.push(this.ring[(this.next - n + i + this.capacity) % this.capacity]);
    records.sort((a, b) => a.start - b.start);
    const chosen = last !== undefined && last < records.length ? records.slice(records.length - last) : records;
    return chosen.map(formatRecord);
  }

  /** All kept records as one string (with a header line), for test failure output. */
  dump(last?: number): string {
    const lines = this.lines(last);
    const skipped = this.written - lines.length;
    return `# rc485 sim trace: ${lines.length} records${skipped > 0 ? ` (${skipped} older not shown)` : ""}\n` + lines.join("\n") + "\n";
  }
}

function verdict(r: TraceRecord): string {
  const v: string[] = [];
  if (r.length >= 4) v.push(crc16(r.bytes, 0, r.length - 2) === (r.bytes[r.length - 2] | (r.bytes[r.length - 1] << 8)) ? "CRC ok" : "CRC bad");
  else v.push("short");
  if (r.flags & RX_COLLISION) v.push("collision");
  if (r.flags & (RX_TRUNCATED | FRAME_LOST)) v.push(r.flags & RX_TRUNCATED ? "truncated" : "lost chars");
  if (r.flags & RX_FRAMING) v.push("framing error");
  if (r.flags & RX_PARITY) v.push("parity error");
  if (r.flags & FRAME_GAP) v.push("gap>t1.5");
  if (r.flags & RX_NOISE) v.push("noise");
  if (r.flags & RX_SPURIOUS) v.push("spurious");
  return v.join(", ");
}

function formatRecord(r: TraceRecord): string {
  const head = `${pad(String(r.start), 11, true)} ${pad(r.segment, 6, false)} ${pad(r.driver, 8, false)}`;
  if (r.note !== "") return `${head} ! ${r.note}`;
  const shown = r.length < TRACE_FRAME_BYTES ? r.length : TRACE_FRAME_BYTES;
  let hex = "";
  for (let i = 0; i < shown; i++) hex += (i > 0 ? " " : "") + (r.bytes[i] < 16 ? "0" : "") + r.bytes[i].toString(16).toUpperCase();
  if (shown < r.length) hex += " …";
  return `${head} ${pad(String(r.length), 3, true)}B ${hex} | ${verdict(r)}`;
}
