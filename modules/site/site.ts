/*
 * The site configuration: one RS-485 bus, the meters on it (each a profile, a unit id, an interval and the points wanted),
 * and the sections later features read (forwarding, gateway, repeater), passed through untouched (forwarding is also run
 * through its own checker, modules/forwarding/config.ts, so its mistakes are reported with the rest). Mirrored by
 * schemas/site.schema.json and documented in docs/profiles.md.
 *
 * Theory of operation. A bad configuration must stop rc485 before it touches the bus, and must say everything that is
 * wrong at once: checkSite() never stops at the first problem and names each one by its JSON path
 * (`$.meters[2].points[0]: unknown point "voltage_l4" in profile eastron-sdm630`). Profile names and point names are
 * resolved here against the loaded profiles, so the planner and scheduler only ever see valid indices. Unit ids follow
 * MODBUS over Serial Line V1.02 §2.2 (1–247; 0 is broadcast, which a poller never reads); two meters on one bus may not
 * share a unit id.
 *
 * Configuration time only (allocates freely).
 */
import { GatewayConfig } from "../gateway/config";
import { FRAMINGS, paddedSpan, pointIndex, type Profile } from "../concentrator/profile";
import { planSite, responseDataBytes, type Plan, type MeterSpec } from "../concentrator/planner";
import { BAUD_RATES, LineTiming, type Framing } from "../rtu/timing";
import type { SchedulerOptions } from "../concentrator/scheduler";
import type { MasterOptions, UnitOptions } from "../master/config";
import type { MeterMeta, PointMeta } from "../concentrator/readings";
import { parseForwarding } from "../forwarding/config";
import { isInt, isObject, show } from "../common/json-check";

export interface BusConfig {
  /** Serial device (hosts read it; e.g. /dev/ttyUSB0, or a port number on ESP32). */
  readonly port: string;
  readonly baud: number;
  readonly framing: Framing;
  /** Retries after a timeout (0..10, default 1). */
  readonly retries: number;
  /** Reply timeout in ms; 0 = computed per meter (see replyTimeoutUs). */
  readonly timeoutMs: number;
  readonly interRequestDelayMs: number;
  readonly interUnitDelayMs: number;
  /** Assumed meter turnaround for planning, ms (default 5). */
  readonly turnaroundMs: number;
}

export interface SiteMeter {
  readonly name: string;
  /** Profile id. */
  readonly profileId: string;
  readonly profile: Profile;
  readonly unit: number;
  readonly intervalMs: number;
  readonly priority: number;
  /** Indices into profile.points (all points when the config lists none). */
  readonly points: readonly number[];
  /** The repeater segment (an R/C pair's FEC link) the meter's traffic crosses, by its link name; absent on the plain bus. */
  readonly via?: string;
}

/** The status page's history ring (modules/concentrator/readings.ts): HISTORY_BYTES_PER_BUCKET bytes per bucket per meter. */
export interface HistoryConfig {
  readonly buckets: number;
  readonly bucketUs: number;
}

export interface Site {
  readonly bus: BusConfig;
  readonly meters: readonly SiteMeter[];
  readonly history: HistoryConfig;
  /** Sections validated by the features that own them; null when absent. */
  readonly forwarding: Readonly<Record<string, unknown>> | null;
  readonly gateway: Readonly<Record<string, unknown>> | null;
  readonly repeater: Readonly<Record<string, unknown>> | null;
}

export type SiteResult = { readonly ok: true; readonly site: Site } | { readonly ok: false; readonly errors: readonly string[] };

/** Profiles by id. */
export interface ProfileLookup {
  get(id: string): Profile | undefined;
  keys(): Iterable<string>;
}

const TOP_KEYS = Object.freeze(["bus", "meters", "forwarding", "gateway", "repeater", "history"]);
const HISTORY_KEYS = Object.freeze(["buckets", "bucketSeconds"]);
/**
 * The history ring's defaults: 30 buckets of 120 s, the last hour at one point every two minutes (270 B per meter; 8.4 KB for a
 * 32-meter segment, the ESP32 budget in docs/esp32.md).
 */
export const DEFAULT_HISTORY_BUCKETS = 30;
export const DEFAULT_HISTORY_BUCKET_S = 120;
const BUS_KEYS = Object.freeze(["port", "baud", "framing", "retries", "timeoutMs", "interRequestDelayMs", "interUnitDelayMs", "turnaroundMs"]);
const METER_KEYS = Object.freeze(["name", "profile", "unit", "intervalMs", "priority", "points", "via"]);
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 86400000;
/** Reply allowance added to the air time of a meter's largest reply when the timeout is computed. */
export const DEFAULT_REPLY_ALLOWANCE_US = 200000;

/** Checks a parsed site file against the loaded profiles; lists every problem with its JSON path. */
export function checkSite(json: unknown, profiles: ProfileLookup): SiteResult {
  const errors: string[] = [];
  const bad = (path: string, message: string, ...got: unknown[]) => errors.push(`${path}: ${message}${got.length ? ` (got ${show(got[0])})` : ""}`);
  if (!isObject(json)) { bad("$", "must be a JSON object {bus, meters, ...}", json); return { ok: false, errors }; }
  for (const k of Object.keys(json)) if (!TOP_KEYS.includes(k)) bad(`$.${k}`, `unknown section; allowed: ${TOP_KEYS.join(", ")}`);

  let bus: BusConfig = { port: "", baud: 9600, framing: "8N1", retries: 1, timeoutMs: 0, interRequestDelayMs: 0, interUnitDelayMs: 0, turnaroundMs: 5 };
  if (!isObject(json.bus)) bad("$.bus", "must be an object {port, baud, framing, ...}", json.bus);
  else {
    const b = json.bus;
    for (const k of Object.keys(b)) if (!BUS_KEYS.includes(k)) bad(`$.bus.${k}`, `unknown field; allowed: ${BUS_KEYS.join(", ")}`);
    if (typeof b.port !== "string" || b.port === "") bad("$.bus.port", "must be a non-empty string (serial device)", b.port);
    if (!BAUD_RATES.includes(b.baud as number)) bad("$.bus.baud", `must be one of ${BAUD_RATES.join(", ")}`, b.baud);
    if (!FRAMINGS.includes(b.framing as Framing)) bad("$.bus.framing", `must be one of ${FRAMINGS.join(", ")}`, b.framing);
    if (b.retries !== undefined && !isInt(b.retries, 0, 10)) bad("$.bus.retries", "must be an integer from 0 to 10", b.retries);
    for (const k of ["timeoutMs", "interRequestDelayMs", "interUnitDelayMs"]) {
      if (b[k] !== undefined && !isInt(b[k], 0, 10000)) bad(`$.bus.${k}`, "must be an integer from 0 to 10000", b[k]);
    }
    if (b.turnaroundMs !== undefined && !(typeof b.turnaroundMs === "number" && b.turnaroundMs >= 0 && b.turnaroundMs <= 1000)) bad("$.bus.turnaroundMs", "must be a number from 0 to 1000", b.turnaroundMs);
    bus = {
      port: String(b.port), baud: b.baud as number, framing: b.framing as Framing,
      retries: b.retries === undefined ? 1 : (b.retries as number), timeoutMs: (b.timeoutMs as number | undefined) ?? 0,
      interRequestDelayMs: (b.interRequestDelayMs as number | undefined) ?? 0, interUnitDelayMs: (b.interUnitDelayMs as number | undefined) ?? 0,
      turnaroundMs: (b.turnaroundMs as number | undefined) ?? 5,
    };
  }

  const meters: SiteMeter[] = [];
  // A site with a gateway section may poll nothing: a TCP-to-RTU gateway alone.
  const gatewayOnly = isObject(json.gateway);
  if (!Array.isArray(json.meters) || (json.meters.length === 0 && !gatewayOnly)) {
    bad("$.meters", gatewayOnly ? "must be a list of meters ([] for a gateway alone)" : "must be a non-empty list of meters (or [] with a gateway section)", json.meters);
  }
  else {
    const names = new Map<string, number>();
    const units = new Map<number, number>();
    const selections = new Map<string, number[]>();
    const known = () => Array.from(profiles.keys()).sort().join(", ") || "none loaded";
    json.meters.forEach((m, i) => {
      const path = `$.meters[${i}]`;
      if (!isObject(m)) { bad(path, "must be an object {name, profile, unit, intervalMs, ...}", m); return; }
      for (const k of Object.keys(m)) if (!METER_KEYS.includes(k)) bad(`${path}.${k}`, `unknown field; allowed: ${METER_KEYS.join(", ")}`);
      const before = errors.length;
      if (typeof m.name !== "string" || !NAME_PATTERN.test(m.name)) bad(`${path}.name`, "must be letters, digits, _ or - (starting with a letter or digit)", m.name);
      else if (names.has(m.name)) bad(`${path}.name`, `repeats $.meters[${names.get(m.name)}].name`, m.name);
      else names.set(m.name, i);
      if (!isInt(m.unit, 1, 247)) bad(`${path}.unit`, "must be an integer from 1 to 247", m.unit);
      else if (units.has(m.unit)) bad(`${path}.unit`, `repeats $.meters[${units.get(m.unit)}].unit: two meters cannot share a unit id on one bus`, m.unit);
      else units.set(m.unit, i);
      if (!isInt(m.intervalMs, MIN_INTERVAL_MS, MAX_INTERVAL_MS)) bad(`${path}.intervalMs`, `must be an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`, m.intervalMs);
      if (m.priority !== undefined && !isInt(m.priority, 0, 1000)) bad(`${path}.priority`, "must be an integer from 0 (most urgent) to 1000", m.priority);
      if (m.via !== undefined && (typeof m.via !== "string" || m.via.length === 0 || m.via.length > 64)) bad(`${path}.via`, "must be the name of the repeater segment the meter sits behind (1 to 64 characters)", m.via);
      let profile: Profile | undefined;
      if (typeof m.profile !== "string") bad(`${path}.profile`, "must be a profile id (a file name in profiles/ without .json)", m.profile);
      else if (!(profile = profiles.get(m.profile))) bad(`${path}.profile`, `unknown profile ${JSON.stringify(m.profile)} (known: ${known()})`);
      const points: number[] = [];
      if (m.points !== undefined) {
        if (!Array.isArray(m.points) || m.points.length === 0) bad(`${path}.points`, "must be a non-empty list of point names (omit it for all points)", m.points);
        else m.points.forEach((name, k) => {
          if (typeof name !== "string") { bad(`${path}.points[${k}]`, "must be a point name", name); return; }
          if (!profile) return;
          const idx = pointIndex(profile, name);
          if (idx < 0) bad(`${path}.points[${k}]`, `unknown point ${JSON.stringify(name)} in profile ${profile.id}`);
          else if (points.includes(idx)) bad(`${path}.points[${k}]`, `repeats point ${JSON.stringify(name)}`);
          else points.push(idx);
        });
      } else if (profile) for (let k = 0; k < profile.points.length; k++) points.push(k);
      if (errors.length > before || !profile) return;
      // Meters of one profile with the same selection share one list (a site of many alike meters keeps one copy).
      const key = `${profile.id}:${points.join(",")}`;
      const same = selections.get(key);
      if (same === undefined) selections.set(key, points);
      meters.push({
        name: m.name as string, profileId: profile.id, profile, unit: m.unit as number, intervalMs: m.intervalMs as number,
        priority: (m.priority as number | undefined) ?? 0, points: same ?? points, ...(typeof m.via === "string" ? { via: m.via } : {}),
      });
    });
  }

  const section = (k: "forwarding" | "gateway" | "repeater" | "history"): Record<string, unknown> | null => {
    const v = json[k];
    if (v === undefined) return null;
    if (!isObject(v)) { bad(`$.${k}`, "must be an object", v); return null; }
    return v;
  };
  const forwarding = section("forwarding");
  // The forwarding section's own checker (modules/forwarding/config.ts) names its first problem; it joins the list here so
  // that a bad broker address stops rc485 before it starts, like any other mistake.
  if (forwarding !== null) {
    try { parseForwarding(forwarding); } catch (e) { errors.push(`$.${e instanceof Error ? e.message : String(e)}`); }
  }
  const gateway = section("gateway");
  const repeater = section("repeater");
  const h = section("history");
  let history: HistoryConfig = { buckets: DEFAULT_HISTORY_BUCKETS, bucketUs: DEFAULT_HISTORY_BUCKET_S * 1_000_000 };
  if (h !== null) {
    for (const k of Object.keys(h)) if (!HISTORY_KEYS.includes(k)) bad(`$.history.${k}`, `unknown field; allowed: ${HISTORY_KEYS.join(", ")}`);
    if (h.buckets !== undefined && !isInt(h.buckets, 2, 10000)) bad("$.history.buckets", "must be an integer from 2 to 10000", h.buckets);
    if (h.bucketSeconds !== undefined && !isInt(h.bucketSeconds, 1, 86400)) bad("$.history.bucketSeconds", "must be an integer from 1 to 86400", h.bucketSeconds);
    history = { buckets: (h.buckets as number | undefined) ?? DEFAULT_HISTORY_BUCKETS, bucketUs: ((h.bucketSeconds as number | undefined) ?? DEFAULT_HISTORY_BUCKET_S) * 1_000_000 };
  }
  // The gateway section's own checker (modules/gateway/config.ts) names its first problem as $.gateway.<field>.
  if (gateway !== null) {
    try { new GatewayConfig(gateway, "$.gateway"); } catch (e) { errors.push(e instanceof Error ? e.message : String(e)); }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, site: { bus, meters, history, forwarding, gateway, repeater } };
}

/** A ProfileLookup over a list of profiles. Throws RangeError on a repeated id. */
export function profileTable(list: readonly Profile[]): ProfileLookup {
  const map = new Map<string, Profile>();
  for (const p of list) {
    if (map.has(p.id)) throw new RangeError(`profile id ${p.id} is loaded twice`);
    map.set(p.id, p);
  }
  return map;
}

/**
 * The planner's view of a site. `caps` (per meter, 0 = none: modules/commissioning/learned-limits.ts) lowers a meter's register cap
 * below its profile's, so the plan splits its reads.
 */
export function meterSpecs(site: Site, caps?: ArrayLike<number>): MeterSpec[] {
  return site.meters.map((m, i) => {
    const cap = caps !== undefined && i < caps.length ? caps[i] : 0;
    if (!(cap > 0 && cap < m.profile.limits.maxRegisters)) return m; // the site meter itself (the plan keeps it: no copy per meter)
    const profile = { ...m.profile, limits: { ...m.profile.limits, maxRegisters: Math.max(cap, minCapFor(m)) } };
    return { name: m.name, unit: m.unit, profile, points: m.points };
  });
}

/** The smallest register cap meter m can be planned with: the registers its widest wanted value needs in one read. */
export function minCapFor(m: SiteMeter): number {
  let need = 1;
  for (const i of m.points) {
    const p = m.profile.points[i];
    if (p.function >= 3) need = Math.max(need, paddedSpan(p.address, p.words, m.profile.limits));
  }
  return need;
}

/** Plans the site's reads with its bus settings (and learned caps, when given). */
export function planForSite(site: Site, caps?: ArrayLike<number>): Plan {
  return planSite(meterSpecs(site, caps), {
    baud: site.bus.baud, framing: site.bus.framing, turnaroundUs: Math.round(site.bus.turnaroundMs * 1000),
    interRequestDelayUs: site.bus.interRequestDelayMs * 1000,
  });
}

/**
 * Reply timeout for meter m, µs: bus.timeoutMs when set, else the profile's responseTimeoutMs, else the air time of the
 * meter's largest planned reply plus DEFAULT_REPLY_ALLOWANCE_US.
 */
export function replyTimeoutUs(site: Site, plan: Plan, m: number): number {
  if (site.bus.timeoutMs > 0) return site.bus.timeoutMs * 1000;
  const p = site.meters[m].profile.limits.responseTimeoutMs;
  if (p > 0) return p * 1000;
  const mp = plan.meters[m];
  let bytes = 0;
  for (let r = mp.firstRead; r < mp.firstRead + mp.readCount; r++) {
    bytes = Math.max(bytes, 5 + responseDataBytes(plan.readFunction[r], plan.readRegisters[r]));
  }
  return new LineTiming(site.bus.baud, site.bus.framing).airTimeUs(bytes) + DEFAULT_REPLY_ALLOWANCE_US;
}

/** Scheduler options from the site (intervals, priorities, delays, the largest reply timeout and the retries). */
export function schedulerOptionsFor(site: Site, plan: Plan): SchedulerOptions {
  let timeoutUs = 0;
  for (let m = 0; m < site.meters.length; m++) timeoutUs = Math.max(timeoutUs, replyTimeoutUs(site, plan, m));
  // A gateway-only site polls nothing: the timeout a largest reply would need.
  if (timeoutUs === 0) timeoutUs = site.bus.timeoutMs > 0 ? site.bus.timeoutMs * 1000 : new LineTiming(site.bus.baud, site.bus.framing).airTimeUs(256) + DEFAULT_REPLY_ALLOWANCE_US;
  return {
    meters: site.meters.map((m) => ({ intervalUs: m.intervalMs * 1000, priority: m.priority })),
    interRequestDelayUs: site.bus.interRequestDelayMs * 1000,
    interUnitDelayUs: site.bus.interUnitDelayMs * 1000,
    timeoutUs,
    retries: site.bus.retries,
  };
}

/**
 * Options for a PollLoop (modules/concentrator/poll-loop.ts) on this site: the master does all spacing (t3.5, the site's delays, each
 * meter's minDelayMs as its unit gap) and timeouts (the bus's fixed timeout, else each profile's responseTimeoutMs, else
 * its own computed one); the scheduler keeps cadence and priorities. `host` adds what depends on the host's UART and
 * clock (rxIdleDelayUs, rxBatchBytes, echo, turnaroundUs, queueCapacity). Every meter gets its own unit row, where
 * learned timing is written once the loop runs (modules/commissioning/learned-apply.ts applyLearnedTiming): the configured timeouts
 * here stay those of the bus or the profiles, which the master falls back to when a meter stops answering.
 */
export function loopOptionsForSite(site: Site, plan: Plan, host: Partial<MasterOptions> = {}): { scheduler: SchedulerOptions; master: MasterOptions } {
  const units: UnitOptions[] = site.meters.map((m) => {
    const u: { unit: number; gapUs?: number; responseTimeoutUs?: number } = { unit: m.unit };
    if (m.profile.limits.minDelayMs > 0) u.gapUs = Math.round(m.profile.limits.minDelayMs * 1000);
    if (site.bus.timeoutMs === 0 && m.profile.limits.responseTimeoutMs > 0) u.responseTimeoutUs = m.profile.limits.responseTimeoutMs * 1000;
    return u;
  });
  const master: MasterOptions = {
    queueCapacity: 2,
    ...host,
    baud: site.bus.baud, framing: site.bus.framing, retries: site.bus.retries,
    requestGapUs: site.bus.interRequestDelayMs * 1000, unitChangeGapUs: site.bus.interUnitDelayMs * 1000,
    ...(site.bus.timeoutMs > 0 ? { responseTimeoutUs: site.bus.timeoutMs * 1000 } : {}),
    units,
  };
  // The scheduler budgets a silent meter's probe with the master's real timeout for that unit (it bounds the dead meter's
  // share of bus time): the master computes it as its turnaround budget + the reply's air time + the host's hand-over
  // delay + t3.5 (modules/master/config.ts) unless the bus or the profile fixes one.
  const line = plan.line;
  let timeoutUs = 0;
  const perMeter: number[] = [];
  for (let m = 0; m < site.meters.length; m++) {
    const bytes = longestReplyBytes(plan, m);
    const computed = (host.turnaroundUs ?? 50000) + line.airTimeUs(bytes) + (host.rxIdleDelayUs ?? 0) + line.t35Us;
    // The master's timeout for this unit: the bus's fixed one, else the profile's, else its computed one.
    const t = site.bus.timeoutMs > 0 ? site.bus.timeoutMs * 1000 : units[m].responseTimeoutUs ?? computed;
    perMeter.push(t);
    timeoutUs = Math.max(timeoutUs, t);
  }
  const base = schedulerOptionsFor(site, plan);
  const scheduler: SchedulerOptions = {
    ...base, interRequestDelayUs: 0, interUnitDelayUs: 0, timeoutUs: timeoutUs > 0 ? timeoutUs : base.timeoutUs,
    meters: base.meters.map((s, m) => ({ ...s, timeoutUs: perMeter[m] })),
  };
  return { scheduler, master };
}

/** Bytes of the longest reply among meter m's planned reads. */
export function longestReplyBytes(plan: Plan, m: number): number {
  const mp = plan.meters[m];
  let bytes = 0;
  for (let r = mp.firstRead; r < mp.firstRead + mp.readCount; r++) {
    const b = 5 + responseDataBytes(plan.readFunction[r], plan.readRegisters[r]);
    if (b > bytes) bytes = b;
  }
  return bytes;
}

/**
/**
 * The forwarders' view of one site meter (modules/concentrator/readings.ts MeterMeta): its fields read through getters from the site
 * meter, so the store holds two references per meter, not a copy of eight fields.
 */
class SiteMeterMeta implements MeterMeta {
  constructor(private readonly meter: SiteMeter, readonly points: readonly PointMeta[]) {}
  get name(): string { return this.meter.name; }
  get profile(): string { return this.meter.profileId; }
  get manufacturer(): string { return this.meter.profile.manufacturer; }
  get model(): string { return this.meter.profile.model; }
  get unit(): number { return this.meter.unit; }
  get intervalMs(): number { return this.meter.intervalMs; }
  get via(): string | undefined { return this.meter.via; }
}

/**
 * The forwarders' view of the site's meters (modules/concentrator/readings.ts ReadingsStore), points in the plan's order. A point's
 * metadata is its profile point itself (same field names; "" for an absent unit or class), so nothing is copied per
 * point: a meter polling all its profile's points shares the profile's own list, and meters with the same profile and
 * selection share one list (the site's own shared selection: modules/site/site.ts checkSite).
 */
export function meterMetaForSite(site: Site, plan: Plan): MeterMeta[] {
  const shared: { selection: readonly number[]; points: readonly PointMeta[] }[] = [];
  return plan.meters.map((mp, m) => {
    const sm = site.meters[m];
    const all = sm.points.length === sm.profile.points.length && sm.points.every((p, i) => p === i);
    let points: readonly PointMeta[] | undefined = all ? sm.profile.points : shared.find((x) => x.selection === sm.points)?.points;
    if (points === undefined) {
      const list: PointMeta[] = [];
      for (let v = mp.firstValue; v < mp.firstValue + mp.valueCount; v++) list.push(sm.profile.points[plan.pointOf(v)]);
      shared.push({ selection: sm.points, points: list });
      points = list;
    }
    return new SiteMeterMeta(sm, points);
  });
}
