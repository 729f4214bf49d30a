/*
 * The HTTP JSON documents of modules/forwarding/status-json.ts (GET /api/meters, /api/history, /api/links, /api/health) written as
 * UTF-8 bytes into a JsonWriter, piece by piece, instead of built as objects and stringified per request.
 *
 * Theory of operation. A document is a cursor (JsonPieces): each next(w) appends one piece of the document's text to
 * `w` — the head, one meter's fields, one point, a run of history buckets, one list of the site totals — and returns
 * false once the document is complete. No piece is longer than PIECE_MAX bytes (for the texts the site check allows:
 * names, labels and units of profiles), so a host can stream a document of any size from one small buffer: the ESP32
 * server fills its one writer with as many pieces as the socket takes and sends them from there
 * (hosts/esp32/http-server.ts); the Node server writes them all into one reusable writer. The store is only read, at
 * the moment each piece is written. What a cursor holds is a few numbers (where it is in the document), so a request
 * costs one small object, not objects per meter or per point.
 *
 * The text means what JSON.stringify of the status-json documents gives: the same keys in the same order, the same
 * nulls; readings formatted as the MQTT payload does (formatNumber at the point's digits), other figures at 15
 * significant digits (JSON.stringify prints up to 17, so a wall-clock millisecond with a fraction may differ in its last
 * digits). The site totals sum each meter's figures as read (status-json sums the figures after their formatting):
 * the sums agree to their printed 3 decimals but for a rounding tie.
 */
import { JsonWriter } from "./json-writer";
import { digitsFor } from "../common/json-text";
import { QUALITY_NAMES } from "../concentrator/point-quality";
import { FAULT_KINDS, type ReadingsStore } from "../concentrator/readings";
import { ENERGY_UNIT_WH } from "../concentrator/sanity";
import { DEFAULT_INTERVAL_MS, STALE_INTERVALS, type LinkSource, type QualitySource } from "./status-json";

/** The longest piece a cursor writes, bytes (a point with 64-character texts, escaped, is well below). */
export const PIECE_MAX = 2048;

/** A JSON document written in pieces. */
export interface JsonPieces {
  /** Appends the next piece to `w`; false once the document is complete (nothing more to write). */
  next(w: JsonWriter): boolean;
}

/** Writes `pieces` whole into `w` (after w.reset()); false if `w` overflowed (the document is cut). */
export function writeAll(pieces: JsonPieces, w: JsonWriter): boolean {
  w.reset();
  while (pieces.next(w)) if (w.overflow) return false;
  return !w.overflow;
}

function round(v: number, places: number): number {
  const f = 10 ** places;
  return Math.round(v * f) / f;
}

/** `,"key":` (or without the comma for the first key). */
function key(w: JsonWriter, name: string, first = false): void {
  if (!first) w.byte(0x2c);
  w.string(name);
  w.byte(0x3a);
}

function nullable(w: JsonWriter, s: string | null | undefined): void {
  if (s === null || s === undefined || s === "") w.raw("null");
  else w.string(s);
}

function bool(w: JsonWriter, b: boolean): void {
  w.raw(b ? "true" : "false");
}

/** A number at 15 significant digits, or null. */
function figure(w: JsonWriter, v: number): void {
  w.number(v, 15);
}

/** A JSON value of plain data (JSON.stringify's text for objects, arrays, strings, numbers, booleans, null). */
export function writeValue(w: JsonWriter, v: unknown): void {
  if (v === null || v === undefined) { w.raw("null"); return; }
  if (typeof v === "string") { w.string(v); return; }
  if (typeof v === "number") { w.number(v, 15); return; }
  if (typeof v === "boolean") { bool(w, v); return; }
  if (Array.isArray(v)) {
    w.byte(0x5b);
    for (let i = 0; i < v.length; i++) { if (i > 0) w.byte(0x2c); writeValue(w, v[i]); }
    w.byte(0x5d);
    return;
  }
  if (typeof v === "object") {
    w.byte(0x7b);
    let first = true;
    for (const k of Object.keys(v as object)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || typeof x === "function") continue;
      key(w, k, first);
      first = false;
      writeValue(w, x);
    }
    w.byte(0x7d);
    return;
  }
  w.raw("null");
}

const STAGE_HEAD = 0, STAGE_METER = 1, STAGE_POINT = 2, STAGE_TOTALS = 3, STAGE_DONE = 4;

/** Factor from a power unit to kW (NaN for units that are not power). */
function toKw(unit: string | undefined): number {
  return unit === "W" ? 1e-3 : unit === "kW" ? 1 : unit === "MW" ? 1e3 : NaN;
}

/** Factor from an energy unit to kWh (NaN for units the sum cannot use). */
function toKwh(unit: string | undefined): number {
  const wh = unit !== undefined && Object.prototype.hasOwnProperty.call(ENERGY_UNIT_WH, unit) && unit.endsWith("Wh") ? ENERGY_UNIT_WH[unit] : NaN;
  return wh / 1000;
}

/** GET /api/meters (status-json metersDocument) in pieces: the head, each meter, each of its points, the totals. */
export class MetersPieces implements JsonPieces {
  private stage = STAGE_HEAD;
  private meter = 0;
  private point = 0;
  /** Totals: direction (0 import, 1 export) and list (0 head and meters, 1..3 missing lists). */
  private direction = 0;
  private list = 0;

  constructor(private readonly store: ReadingsStore, private readonly nowUs: number, private readonly nowEpochMs: number,
    private readonly quality?: QualitySource) {}

  /** Age of meter m's reading, s (NaN without one). */
  private ageS(m: number): number {
    const sm = this.store.meters[m];
    if (!sm.hasReading) return NaN;
    const a = (this.nowUs - sm.timeUs) / 1e6;
    return a > 0 ? a : 0;
  }

  private stale(m: number): boolean {
    const a = this.ageS(m);
    return a !== a || a * 1000 > STALE_INTERVALS * (this.store.meters[m].meta.intervalMs ?? DEFAULT_INTERVAL_MS);
  }

  next(w: JsonWriter): boolean {
    const meters = this.store.meters;
    switch (this.stage) {
      case STAGE_HEAD:
        w.raw('{"time":"');
        w.isoUtc(this.nowEpochMs);
        w.raw('","meters":[');
        this.stage = meters.length > 0 ? STAGE_METER : STAGE_TOTALS;
        return true;
      case STAGE_METER:
        this.writeMeter(w, this.meter);
        this.point = 0;
        this.stage = meters[this.meter].meta.points.length > 0 ? STAGE_POINT : STAGE_METER;
        if (this.stage === STAGE_METER) this.endMeter(w);
        return true;
      case STAGE_POINT: {
        const m = this.meter, i = this.point;
        const sm = meters[m];
        const p = sm.meta.points[i];
        w.raw(i > 0 ? ',{"name":' : '{"name":');
        w.string(p.name);
        key(w, "label");
        w.string(p.label || p.name);
        key(w, "unit");
        nullable(w, p.unit);
        key(w, "deviceClass");
        nullable(w, p.deviceClass);
        key(w, "stateClass");
        nullable(w, p.stateClass);
        key(w, "value");
        w.numberAt(sm.values, i, digitsFor(p.type));
        if (this.quality !== undefined) {
          key(w, "quality");
          w.string(QUALITY_NAMES[this.quality.of(m, i)]);
        }
        w.byte(0x7d);
        if (++this.point >= sm.meta.points.length) this.endMeter(w);
        return true;
      }
      case STAGE_TOTALS:
        return this.writeTotals(w);
      default:
        return false;
    }
  }

  /** Closes meter m's points and object, and moves on. */
  private endMeter(w: JsonWriter): void {
    w.raw("]}");
    if (++this.meter < this.store.meters.length) { w.byte(0x2c); this.stage = STAGE_METER; } else { w.byte(0x5d); this.stage = STAGE_TOTALS; }
  }

  /** Meter m's fields up to and including `"points":[`. */
  private writeMeter(w: JsonWriter, m: number): void {
    const store = this.store;
    const sm = store.meters[m];
    const meta = sm.meta;
    const age = this.ageS(m);
    w.byte(0x7b);
    key(w, "name", true); w.string(meta.name);
    key(w, "profile"); w.string(meta.profile);
    key(w, "manufacturer"); nullable(w, meta.manufacturer);
    key(w, "model"); nullable(w, meta.model);
    key(w, "unit"); if (meta.unit === undefined) w.raw("null"); else w.unsigned(meta.unit);
    key(w, "online"); bool(w, store.online(m));
    key(w, "hasReading"); bool(w, sm.hasReading);
    key(w, "stale"); bool(w, this.stale(m));
    key(w, "ageS"); if (age !== age) w.raw("null"); else figure(w, round(age, 1));
    key(w, "intervalMs"); w.unsigned(meta.intervalMs ?? DEFAULT_INTERVAL_MS);
    key(w, "readingTime");
    if (sm.hasReading) { w.byte(0x22); w.isoUtc(sm.epochMs); w.byte(0x22); } else w.raw("null");
    key(w, "readingTimeMs"); if (sm.hasReading) figure(w, sm.epochMs); else w.raw("null");
    key(w, "readings"); w.unsigned(sm.readings);
    key(w, "polls"); w.unsigned(sm.polls);
    key(w, "failures"); w.unsigned(sm.failures);
    key(w, "consecutiveFailures"); w.unsigned(sm.consecutiveFailures);
    key(w, "errorRate"); if (sm.polls > 0) figure(w, round(sm.failures / sm.polls, 4)); else w.raw("null");
    key(w, "lastFault"); if (sm.lastFault >= 0) w.string(FAULT_KINDS[sm.lastFault]); else w.raw("null");
    key(w, "faults");
    w.byte(0x7b);
    for (let k = 0; k < FAULT_KINDS.length; k++) { key(w, FAULT_KINDS[k], k === 0); w.unsigned(sm.faults[k]); }
    w.byte(0x7d);
    key(w, "via"); nullable(w, meta.via);
    key(w, "power");
    if (sm.powerIndex >= 0) w.numberAt(sm.values, sm.powerIndex, digitsFor(meta.points[sm.powerIndex].type)); else w.raw("null");
    key(w, "powerUnit"); if (sm.powerIndex >= 0) nullable(w, meta.points[sm.powerIndex].unit); else w.raw("null");
    key(w, "energy"); this.writeEnergy(w, m);
    key(w, "points");
    w.byte(0x5b);
  }

  private writeEnergy(w: JsonWriter, m: number): void {
    const store = this.store;
    const periods = store.periods;
    const i = periods.point[m];
    if (i < 0) { w.raw("null"); return; }
    const p = store.meters[m].meta.points[i];
    const today = periods.today(m, this.nowEpochMs);
    const month = periods.month(m, this.nowEpochMs);
    w.raw('{"point":');
    w.string(p.name);
    key(w, "label"); w.string(p.label || p.name);
    key(w, "unit"); nullable(w, p.unit);
    key(w, "direction"); w.string(periods.exported[m] === 1 ? "export" : "import");
    key(w, "total"); w.numberAt(store.meters[m].values, i, digitsFor(p.type));
    key(w, "today"); if (today === today) figure(w, round(today, 3)); else w.raw("null");
    key(w, "month"); if (month === month) figure(w, round(month, 3)); else w.raw("null");
    key(w, "todayFrom"); if (today === today) { w.byte(0x22); w.isoUtc(periods.todayFromMs(m)); w.byte(0x22); } else w.raw("null");
    key(w, "monthFrom"); if (month === month) { w.byte(0x22); w.isoUtc(periods.monthFromMs(m)); w.byte(0x22); } else w.raw("null");
    w.byte(0x7d);
  }

  /**
   * Whether meter m counts in direction d's totals, and what it contributes (status-json totalsOf): kind 0 power,
   * 1 today, 2 month; NaN when it is left out of that sum ("missing").
   */
  private share(m: number, d: number, kind: number): number {
    const store = this.store;
    const sm = store.meters[m];
    const periods = store.periods;
    const e = periods.point[m];
    if (kind === 0) {
      if (sm.powerIndex < 0) return NaN;
      const kw = toKw(sm.meta.points[sm.powerIndex].unit);
      const v = sm.values[sm.powerIndex];
      return v === v && !this.stale(m) && kw === kw ? v * kw : NaN;
    }
    if (e < 0) return NaN;
    const k = toKwh(sm.meta.points[e].unit);
    const x = kind === 1 ? periods.today(m, this.nowEpochMs) : periods.month(m, this.nowEpochMs);
    return x === x && k === k ? round(x, 3) * k : NaN;
  }

  /** Meter m's direction in the totals: 0 import, 1 export, -1 none (no energy total and no power point). */
  private directionOf(m: number): number {
    const store = this.store;
    const e = store.periods.point[m];
    const sm = store.meters[m];
    // status-json leaves out a meter with neither an energy total nor a power reading (a power point read as NaN).
    if (e < 0 && (sm.powerIndex < 0 || sm.values[sm.powerIndex] !== sm.values[sm.powerIndex])) return -1;
    return e >= 0 && store.periods.exported[m] === 1 ? 1 : 0;
  }

  /** Whether meter m is listed as missing from direction d's `kind` sum. */
  private missing(m: number, kind: number): boolean {
    const sm = this.store.meters[m];
    if (kind === 0) return sm.powerIndex >= 0 && sm.meta.points[sm.powerIndex].unit !== undefined && sm.meta.points[sm.powerIndex].unit !== "" && this.share(m, 0, 0) !== this.share(m, 0, 0);
    return this.store.periods.point[m] >= 0 && this.share(m, 0, kind) !== this.share(m, 0, kind);
  }

  private names(w: JsonWriter, d: number, kind: number): void {
    w.byte(0x5b);
    let first = true;
    for (let m = 0; m < this.store.meters.length; m++) {
      if (this.directionOf(m) !== d || (kind >= 0 && !this.missing(m, kind))) continue;
      if (!first) w.byte(0x2c);
      first = false;
      w.string(this.store.meters[m].meta.name);
    }
    w.byte(0x5d);
  }

  private sum(w: JsonWriter, d: number, kind: number): void {
    let s = 0;
    let any = false;
    for (let m = 0; m < this.store.meters.length; m++) {
      if (this.directionOf(m) !== d) continue;
      const x = this.share(m, d, kind);
      if (x === x) { s = round(s + x, 3); any = true; }
    }
    if (any) figure(w, s); else w.raw("null");
  }

  private writeTotals(w: JsonWriter): boolean {
    const d = this.direction;
    switch (this.list) {
      case 0:
        w.raw(d === 0 ? ',"totals":{"import":{"powerKw":' : ',"export":{"powerKw":');
        this.sum(w, d, 0);
        w.raw(',"todayKwh":'); this.sum(w, d, 1);
        w.raw(',"monthKwh":'); this.sum(w, d, 2);
        w.raw(',"meters":'); this.names(w, d, -1);
        w.raw(',"missing":{"powerKw":'); this.names(w, d, 0);
        break;
      case 1: w.raw(',"todayKwh":'); this.names(w, d, 1); break;
      default: w.raw(',"monthKwh":'); this.names(w, d, 2); w.raw("}}");
    }
    if (++this.list > 2) {
      this.list = 0;
      if (++this.direction > 1) { w.raw("}}"); this.stage = STAGE_DONE; return false; }
    }
    return true;
  }
}

/** Buckets written per piece of the history document. */
const HISTORY_RUN = 40;

/** GET /api/history (status-json historyDocument) in pieces: the head, and per meter its head and runs of buckets. */
export class HistoryPieces implements JsonPieces {
  private meter = -1;
  /** 0 power, 1 errorRate, 2 polls; and the next bucket. */
  private series = 0;
  private bucket = 0;
  private readonly first: number;
  private readonly last: number;

  constructor(private readonly store: ReadingsStore, private readonly nowUs: number, private readonly nowEpochMs: number) {
    this.last = store.bucketOf(nowUs);
    this.first = this.last - store.historyBuckets + 1;
  }

  next(w: JsonWriter): boolean {
    const store = this.store;
    if (this.meter < 0) {
      w.raw('{"time":"');
      w.isoUtc(this.nowEpochMs);
      w.raw('","bucketS":');
      figure(w, store.bucketUs / 1e6);
      w.raw(',"t0Ms":');
      figure(w, Math.round(this.nowEpochMs - (this.nowUs - store.bucketStartUs(this.first)) / 1000));
      w.raw(',"meters":[');
      this.meter = 0;
      this.series = -1;
      if (store.meters.length === 0) { w.raw("]}"); return false; }
      return true;
    }
    const m = this.meter;
    const sm = store.meters[m];
    if (this.series < 0) {
      const pp = sm.powerIndex >= 0 ? sm.meta.points[sm.powerIndex] : undefined;
      if (m > 0) w.byte(0x2c);
      w.raw('{"name":'); w.string(sm.meta.name);
      w.raw(',"powerPoint":'); nullable(w, pp !== undefined ? pp.name : null);
      w.raw(',"powerUnit":'); nullable(w, pp !== undefined ? pp.unit : null);
      w.raw(',"power":[');
      this.series = 0;
      this.bucket = this.first;
      return true;
    }
    const k = this.series;
    const end = this.bucket + HISTORY_RUN <= this.last + 1 ? this.bucket + HISTORY_RUN : this.last + 1;
    for (let b = this.bucket; b < end; b++) {
      if (b > this.first) w.byte(0x2c);
      const v = store.history(m, b, k as 0 | 1 | 2);
      if (k === 2) w.unsigned(v);
      else if (v === v) figure(w, round(v, k === 0 ? 3 : 4));
      else w.raw("null");
    }
    this.bucket = end;
    if (end <= this.last) return true;
    if (k < 2) {
      w.raw(k === 0 ? '],"errorRate":[' : '],"polls":[');
      this.series = k + 1;
      this.bucket = this.first;
      return true;
    }
    w.raw("]}");
    this.series = -1;
    if (++this.meter < store.meters.length) return true;
    w.raw("]}");
    return false;
  }
}

/** A document written as one piece by `write`. */
class OnePiece implements JsonPieces {
  constructor(private readonly write: (w: JsonWriter) => void) {}
  next(w: JsonWriter): boolean {
    this.write(w);
    return false;
  }
}

/** GET /api/links (status-json linksDocument). */
export function linksPieces(source: LinkSource | undefined, nowEpochMs: number): JsonPieces {
  return new OnePiece((w) => {
    const links = source ? source.links() : [];
    w.raw('{"time":"'); w.isoUtc(nowEpochMs); w.raw('","links":[');
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      if (i > 0) w.byte(0x2c);
      w.raw('{"name":'); w.string(l.name);
      w.raw(',"kind":'); w.string(l.kind);
      w.raw(',"frames":'); figure(w, l.frames);
      w.raw(',"errors":'); figure(w, l.errors);
      w.raw(',"corrected":'); figure(w, l.corrected);
      w.raw(',"uncorrectable":'); figure(w, l.uncorrectable);
      w.raw(',"timeouts":'); figure(w, l.timeouts);
      w.raw(',"errorRate":'); if (l.frames > 0) figure(w, round(l.errors / l.frames, 6)); else w.raw("null");
      w.raw(',"residualRate":'); if (l.frames > 0) figure(w, round(l.uncorrectable / l.frames, 6)); else w.raw("null");
      w.byte(0x7d);
    }
    w.raw("]}");
  });
}

/** GET /api/health (status-json healthDocument); `extra`'s fields follow as given. */
export function healthPieces(store: ReadingsStore, nowEpochMs: number, extra?: Record<string, unknown>): JsonPieces {
  return new OnePiece((w) => {
    let online = 0;
    for (let m = 0; m < store.meters.length; m++) if (store.online(m)) online++;
    const total = store.meters.length;
    w.raw('{"status":'); w.string(online === total ? "ok" : online === 0 ? "down" : "degraded");
    w.raw(',"time":"'); w.isoUtc(nowEpochMs);
    w.raw('","meters":{"online":'); w.unsigned(online);
    w.raw(',"total":'); w.unsigned(total);
    w.byte(0x7d);
    if (extra) {
      for (const k of Object.keys(extra)) {
        const v = extra[k];
        if (v === undefined || typeof v === "function" || k === "status" || k === "time" || k === "meters") continue;
        key(w, k);
        writeValue(w, v);
      }
    }
    w.byte(0x7d);
  });
}

/** A fresh writer for a whole document of unknown size: grown (a new buffer) until it fits; reused by the caller. */
export function writeGrowing(make: () => JsonPieces, writer: JsonWriter, limit = 16 * 1024 * 1024): JsonWriter {
  let w = writer;
  while (!writeAll(make(), w)) {
    if (w.capacity * 2 > limit) throw new RangeError(`status document larger than ${limit} bytes`);
    w = new JsonWriter(w.capacity * 2);
  }
  return w;
}
