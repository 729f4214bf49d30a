/*
 * The HTTP JSON documents of the concentrator (docs/mqtt.md, "HTTP"), shared by the Node and ESP32 HTTP servers:
 *
 *   GET /api/meters   meters with their latest readings (engineering units, null = not available), health, the energy
 *                     total's rise today and this month, the repeater segment each sits behind, and site totals
 *   GET /api/history  per-meter history buckets for charts: mean power and link error rate over the last hour
 *   GET /api/links    link statistics (bus, and each FEC-protected segment with and without correction)
 *   GET /api/plan     the polling plan (requests per meter, registers, expected bus time)
 *   GET /api/health   a small summary: ok/degraded, meters online, forwarding state
 *
 * Link and plan data come through small source interfaces so this module depends on no engine. Documents are built per
 * request (plain objects for JSON.stringify); the store itself is only read. Times: `nowUs` is the host-monotonic clock
 * of the store, `nowEpochMs` the wall clock at the same instant (ages use the former, timestamps the latter).
 */
import { QUALITY_NAMES } from "../concentrator/point-quality";
import { digitsFor, formatNumber, isoUtc } from "../common/json-text";
import { FAULT_KINDS, type ReadingsStore } from "../concentrator/readings";
import { ENERGY_UNIT_WH } from "../concentrator/sanity";

/** Counters of one link: the RTU bus as the master sees it, or one repeater segment. */
export interface LinkStats {
  readonly name: string;
  /** "bus" | "fec" | free text. */
  readonly kind: string;
  /** Frames (or transactions) observed. */
  readonly frames: number;
  /** Frames received damaged before any correction. */
  readonly errors: number;
  /** Damaged frames repaired by forward error correction. */
  readonly corrected: number;
  /** Damaged frames that stayed damaged (errors − corrected, for a bus without FEC: errors). */
  readonly uncorrectable: number;
  /** Requests without an answer. */
  readonly timeouts: number;
}

export interface LinkSource {
  links(): readonly LinkStats[];
}

/** The polling plan as a JSON-ready value (the planner's own description). */
export interface PlanSource {
  plan(): unknown;
}

export interface PointJson {
  name: string; label: string; unit: string | null; deviceClass: string | null; stateClass: string | null; value: number | null;
  /** fresh, stale, invalid or none (modules/concentrator/point-quality.ts), when the host keeps quality. */
  quality?: string;
}

export interface MeterJson {
  name: string; profile: string; manufacturer: string | null; model: string | null; unit: number | null;
  online: boolean; hasReading: boolean; stale: boolean; ageS: number | null; intervalMs: number;
  readingTime: string | null; readingTimeMs: number | null;
  readings: number; polls: number; failures: number; consecutiveFailures: number; errorRate: number | null;
  lastFault: string | null; faults: Record<string, number>;
  /** The repeater segment (link name) the meter sits behind, or null on the plain bus. */
  via: string | null;
  /** The charted power point's latest value (its unit in powerUnit), null when none or not available. */
  power: number | null; powerUnit: string | null;
  energy: EnergyJson | null;
  points: PointJson[];
}

/** A meter's energy total and its rise in the current day and month (site local time), in the point's unit. */
export interface EnergyJson {
  point: string; label: string; unit: string | null; direction: "import" | "export";
  total: number | null; today: number | null; month: number | null;
  /** When today's / this month's figure starts (the period's first reading; later than midnight after a restart). */
  todayFrom: string | null; monthFrom: string | null;
}

/** Site totals: power now and energy today / this month, summed per direction over the meters that have them, in kW and kWh. */
export interface TotalsJson {
  import: DirectionTotals; export: DirectionTotals;
}
export interface DirectionTotals {
  /** Sum of the fresh (not stale) power readings, kW; null when no meter of this direction has one. */
  powerKw: number | null;
  todayKwh: number | null; monthKwh: number | null;
  /** Meters of this direction. */
  meters: string[];
  /**
   * Meters left out of each sum: power without a fresh reading (offline or stale), energy without a confirmed total.
   * A stale meter's energy still counts as far as its last reading goes.
   */
  missing: { powerKw: string[]; todayKwh: string[]; monthKwh: string[] };
}

/** Factor from a power unit to kW (NaN for units that are not power). */
function toKw(unit: string | null): number {
  return unit === "W" ? 1e-3 : unit === "kW" ? 1 : unit === "MW" ? 1e3 : NaN;
}

/** Factor from an energy unit to kWh (NaN for units the sum cannot use). */
function toKwh(unit: string | null): number {
  const wh = unit !== null && Object.prototype.hasOwnProperty.call(ENERGY_UNIT_WH, unit) && (unit.endsWith("Wh")) ? ENERGY_UNIT_WH[unit] : NaN;
  return wh / 1000;
}

function emptyTotals(): DirectionTotals {
  return { powerKw: null, todayKwh: null, monthKwh: null, meters: [], missing: { powerKw: [], todayKwh: [], monthKwh: [] } };
}

/** Site totals from the meters document's entries. */
export function totalsOf(meters: readonly MeterJson[]): TotalsJson {
  const t: TotalsJson = { import: emptyTotals(), export: emptyTotals() };
  for (const m of meters) {
    const dir = m.energy !== null ? t[m.energy.direction] : t.import;
    if (m.energy === null && m.power === null) continue;
    dir.meters.push(m.name);
    const kw = toKw(m.powerUnit);
    if (m.power !== null && !m.stale && kw === kw) dir.powerKw = round((dir.powerKw ?? 0) + m.power * kw, 3);
    else if (m.powerUnit !== null) dir.missing.powerKw.push(m.name);
    if (m.energy !== null) {
      const k = toKwh(m.energy.unit);
      if (m.energy.today !== null && k === k) dir.todayKwh = round((dir.todayKwh ?? 0) + m.energy.today * k, 3);
      else dir.missing.todayKwh.push(m.name);
      if (m.energy.month !== null && k === k) dir.monthKwh = round((dir.monthKwh ?? 0) + m.energy.month * k, 3);
      else dir.missing.monthKwh.push(m.name);
    }
  }
  return t;
}

function num(v: number): number | null {
  return v === v && v !== Infinity && v !== -Infinity ? v : null;
}

function round(v: number, places: number): number {
  const f = 10 ** places;
  return Math.round(v * f) / f;
}

/** Default polling interval assumed when the site gives none. */
export const DEFAULT_INTERVAL_MS = 10_000;
/** A reading is stale after this many polling intervals without a new one. */
export const STALE_INTERVALS = 3;

/** Each point's quality (modules/concentrator/point-quality.ts), when the host keeps it. */
export interface QualitySource {
  of(meter: number, point: number): number;
}

export function metersDocument(store: ReadingsStore, nowUs: number, nowEpochMs: number, quality?: QualitySource): { time: string; meters: MeterJson[]; totals: TotalsJson } {
  const meters: MeterJson[] = [];
  for (const m of store.meters) {
    const meta = m.meta;
    const intervalMs = meta.intervalMs ?? DEFAULT_INTERVAL_MS;
    const ageS = m.hasReading ? Math.max(0, (nowUs - m.timeUs) / 1e6) : null;
    const faults: Record<string, number> = {};
    FAULT_KINDS.forEach((k, i) => { faults[k] = m.faults[i]; });
    meters.push({
      name: meta.name,
      profile: meta.profile,
      manufacturer: meta.manufacturer ?? null,
      model: meta.model ?? null,
      unit: meta.unit ?? null,
      online: store.online(m.index),
      hasReading: m.hasReading,
      stale: ageS === null || ageS * 1000 > STALE_INTERVALS * intervalMs,
      ageS: ageS === null ? null : round(ageS, 1),
      intervalMs,
      readingTime: m.hasReading ? isoUtc(m.epochMs) : null,
      readingTimeMs: m.hasReading ? m.epochMs : null,
      readings: m.readings,
      polls: m.polls,
      failures: m.failures,
      consecutiveFailures: m.consecutiveFailures,
      errorRate: m.polls > 0 ? round(m.failures / m.polls, 4) : null,
      lastFault: m.lastFault >= 0 ? FAULT_KINDS[m.lastFault] : null,
      faults,
      via: meta.via ?? null,
      power: m.powerIndex >= 0 ? num(Number(formatNumber(m.values[m.powerIndex], digitsFor(meta.points[m.powerIndex].type)))) : null,
      powerUnit: m.powerIndex >= 0 ? meta.points[m.powerIndex].unit || null : null,
      energy: energyOf(store, m.index, nowEpochMs),
      points: meta.points.map((p, i) => ({
        name: p.name,
        label: p.label || p.name,
        unit: p.unit || null,
        deviceClass: p.deviceClass || null,
        stateClass: p.stateClass || null,
        value: num(Number(formatNumber(m.values[i], digitsFor(p.type)))),
        ...(quality !== undefined ? { quality: QUALITY_NAMES[quality.of(m.index, i)] } : {}),
      })),
    });
  }
  return { time: isoUtc(nowEpochMs), meters, totals: totalsOf(meters) };
}

function energyOf(store: ReadingsStore, m: number, nowEpochMs: number): EnergyJson | null {
  const periods = store.periods;
  const i = periods.point[m];
  if (i < 0) return null;
  const p = store.meters[m].meta.points[i];
  const digits = digitsFor(p.type);
  const value = (v: number) => num(Number(formatNumber(v, digits)));
  const today = periods.today(m, nowEpochMs);
  const month = periods.month(m, nowEpochMs);
  return {
    point: p.name, label: p.label || p.name, unit: p.unit || null, direction: periods.exported[m] === 1 ? "export" : "import",
    total: value(store.meters[m].values[i]),
    // A difference of two float32 totals carries their absolute precision, not 7 significant digits of itself.
    today: today === today ? round(today, 3) : null,
    month: month === month ? round(month, 3) : null,
    todayFrom: today === today ? isoUtc(periods.todayFromMs(m)) : null,
    monthFrom: month === month ? isoUtc(periods.monthFromMs(m)) : null,
  };
}

export interface HistoryJson {
  time: string;
  bucketS: number;
  /** Wall-clock epoch ms of the start of the first bucket; bucket k starts at t0Ms + k × bucketS × 1000. */
  t0Ms: number;
  meters: { name: string; powerPoint: string | null; powerUnit: string | null; power: (number | null)[]; errorRate: (number | null)[]; polls: number[] }[];
}

/** The last `store.historyBuckets` buckets up to and including the one holding `nowUs`, oldest first. */
export function historyDocument(store: ReadingsStore, nowUs: number, nowEpochMs: number): HistoryJson {
  const n = store.historyBuckets;
  const last = store.bucketOf(nowUs);
  const first = last - n + 1;
  const t0Ms = Math.round(nowEpochMs - (nowUs - store.bucketStartUs(first)) / 1000);
  const meters: HistoryJson["meters"] = [];
  for (const m of store.meters) {
    const power: (number | null)[] = [];
    const errorRate: (number | null)[] = [];
    const polls: number[] = [];
    for (let b = first; b <= last; b++) {
      const p = store.history(m.index, b, 0);
      const e = store.history(m.index, b, 1);
      power.push(p === p ? round(p, 3) : null);
      errorRate.push(e === e ? round(e, 4) : null);
      polls.push(store.history(m.index, b, 2));
    }
    const pp = m.powerIndex >= 0 ? m.meta.points[m.powerIndex] : undefined;
    meters.push({ name: m.meta.name, powerPoint: pp ? pp.name : null, powerUnit: pp?.unit || null, power, errorRate, polls });
  }
  return { time: isoUtc(nowEpochMs), bucketS: store.bucketUs / 1e6, t0Ms, meters };
}

export function linksDocument(source: LinkSource | undefined, nowEpochMs: number): { time: string; links: (LinkStats & { errorRate: number | null; residualRate: number | null })[] } {
  const links = source ? source.links() : [];
  return {
    time: isoUtc(nowEpochMs),
    links: links.map((l) => ({
      name: l.name, kind: l.kind, frames: l.frames, errors: l.errors, corrected: l.corrected, uncorrectable: l.uncorrectable, timeouts: l.timeouts,
      errorRate: l.frames > 0 ? round(l.errors / l.frames, 6) : null,
      residualRate: l.frames > 0 ? round(l.uncorrectable / l.frames, 6) : null,
    })),
  };
}

export function planDocument(source: PlanSource | undefined, nowEpochMs: number): { time: string; plan: unknown } {
  return { time: isoUtc(nowEpochMs), plan: source ? source.plan() : null };
}

/**
 * Overall health: "ok" when every meter is online, "degraded" when some are offline or never answered, "down" when none
 * is online. `extra` (e.g. the MQTT forwarder's counters) is included as given.
 */
export function healthDocument(store: ReadingsStore, nowEpochMs: number, extra?: Record<string, unknown>): Record<string, unknown> {
  let online = 0;
  for (const m of store.meters) if (store.online(m.index)) online++;
  const total = store.meters.length;
  const status = online === total ? "ok" : online === 0 ? "down" : "degraded";
  const doc: Record<string, unknown> = { status, time: isoUtc(nowEpochMs), meters: { online, total } };
  if (extra) for (const k of Object.keys(extra)) doc[k] = extra[k];
  return doc;
}
