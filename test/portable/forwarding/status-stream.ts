// The HTTP JSON documents written in pieces into a JsonWriter (modules/forwarding/status-stream.ts) mean what the status-json
// documents mean: parsed, the same keys in the same order, the same nulls and strings, numbers equal to 14 significant
// digits (site totals to their printed 3 decimals); no piece is longer than PIECE_MAX, and a document written piece by
// piece into a small buffer, emptied between pieces, is the document written whole.
import { JsonWriter } from "../../../modules/forwarding/json-writer";
import { healthDocument, historyDocument, linksDocument, metersDocument } from "../../../modules/forwarding/status-json";
import { HistoryPieces, MetersPieces, PIECE_MAX, healthPieces, linksPieces, writeAll, type JsonPieces } from "../../../modules/forwarding/status-stream";
import type { Cases } from "../../harness/check";
import { syntheticSite } from "../../harness/synthetic-site";

/** Differences between `a` (written) and `b` (the status-json document, through JSON), by path. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a === "number" && typeof b === "number") {
    const tolerance = path.indexOf(".totals.") >= 0 ? 2e-3 : Math.abs(b) * 1e-14;
    if (Math.abs(a - b) > tolerance) out.push(`${path}: ${a} vs ${b}`);
    return;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    return;
  }
  if (Array.isArray(a) !== Array.isArray(b)) { out.push(`${path}: array vs object`); return; }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.join(",") !== kb.join(",")) { out.push(`${path}: keys ${ka.join(",")} vs ${kb.join(",")}`); return; }
  for (const k of ka) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
}

/** The text of `pieces` written one piece at a time into a small writer, checking each piece's size. */
function pieceByPiece(pieces: JsonPieces): { text: string; longest: number; count: number } {
  const w = new JsonWriter(PIECE_MAX);
  let text = "";
  let longest = 0;
  let count = 0;
  for (let more = true; more;) {
    w.reset();
    more = pieces.next(w);
    if (w.overflow) throw new RangeError(`a piece overflowed ${PIECE_MAX} bytes`);
    if (w.length > longest) longest = w.length;
    count++;
    text += w.text();
  }
  return { text, longest, count };
}

function whole(pieces: JsonPieces): string {
  const w = new JsonWriter(256 * 1024);
  if (!writeAll(pieces, w)) throw new RangeError("document overflowed");
  return w.text();
}

function same(t: { is(a: unknown, b: unknown, m?: string): void }, text: string, doc: unknown, what: string): void {
  const out: string[] = [];
  differences(JSON.parse(text), JSON.parse(JSON.stringify(doc)), what, out);
  t.is(out.slice(0, 5).join("; "), "", what);
}

export const cases: Cases = {
  "meters: written in pieces means what metersDocument means, with and without point quality"(t) {
    const s = syntheticSite();
    const quality = { of: (m: number, i: number) => (m + i) % 4 };
    for (const q of [undefined, quality]) {
      const streamed = pieceByPiece(new MetersPieces(s.store, s.nowUs, s.nowMs, q));
      same(t, streamed.text, metersDocument(s.store, s.nowUs, s.nowMs, q), q ? "meters+quality" : "meters");
      t.is(whole(new MetersPieces(s.store, s.nowUs, s.nowMs, q)), streamed.text, "whole equals piece by piece");
      let points = 0;
      for (const m of s.store.meters) points += m.meta.points.length;
      t.ok(streamed.count >= points + s.store.meters.length, `${streamed.count} pieces: one per point and per meter at least`);
    }
  },
  "meters: at other times (stale, before any reading, a meter without readings) the same"(t) {
    const s = syntheticSite();
    for (const dt of [0, 60_000_000, 3_600_000_000]) {
      same(t, whole(new MetersPieces(s.store, s.nowUs + dt, s.nowMs + dt / 1000)), metersDocument(s.store, s.nowUs + dt, s.nowMs + dt / 1000), `meters +${dt} µs`);
    }
  },
  "history: written in pieces means what historyDocument means"(t) {
    const s = syntheticSite();
    const streamed = pieceByPiece(new HistoryPieces(s.store, s.nowUs, s.nowMs));
    same(t, streamed.text, historyDocument(s.store, s.nowUs, s.nowMs), "history");
    t.ok(streamed.longest <= PIECE_MAX && streamed.count > 4 * 3, `${streamed.count} pieces, the longest ${streamed.longest} bytes`);
  },
  "links and health: the same documents, health's extra fields after its own"(t) {
    const s = syntheticSite();
    same(t, whole(linksPieces(s.links, s.nowMs)), linksDocument(s.links, s.nowMs), "links");
    same(t, whole(linksPieces(undefined, s.nowMs)), linksDocument(undefined, s.nowMs), "no links");
    const extra = { mqtt: { connected: true, queued: 3, dropped: 0, lastError: null, broker: "mqtt://127.0.0.1:1883" }, scan: [1, "two", false] };
    same(t, whole(healthPieces(s.store, s.nowMs, extra)), healthDocument(s.store, s.nowMs, extra), "health");
    same(t, whole(healthPieces(s.store, s.nowMs)), healthDocument(s.store, s.nowMs), "health alone");
  },
};
