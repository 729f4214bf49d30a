/*
 * The concentrator on Node, shared by `rc485 sim` and `rc485 run`: a checked site → the Concentrator engine
 * (modules/concentrator.ts: planner, scheduler, master, decoding, sanity filter) → the readings store (modules/readings.ts)
 * → forwarding (hosts/node/forwarding.ts: HTTP status page and JSON always, MQTT when configured). The host that owns the
 * port (the simulator or the serial host) attaches `engine` and calls `engine.start(now)`.
 */
import { Concentrator, type ConcentratorOptions } from "../../modules/concentrator";
import type { MasterResult } from "../../modules/master-result";
import { COUNT_SENT, STATUS_CRC, STATUS_KINDS, STATUS_TIMEOUT } from "../../modules/master-status";
import type { Rs485Port } from "../../modules/port";
import { ReadingsStore, type MeterMeta } from "../../modules/readings";
import type { Site } from "../../modules/site";
import type { LinkStats } from "../../modules/status-json";
import { startForwarding, type Forwarding } from "./forwarding";

export interface NodeConcentratorOptions extends ConcentratorOptions {
  /** Host clock (µs) and matching wall clock (epoch ms). */
  readonly nowUs: () => number;
  readonly nowMs: () => number;
  /** Overrides of forwarding.http (--http-port). */
  readonly http?: { readonly host?: string; readonly port?: number; readonly enabled?: boolean };
  /** Links besides the bus (e.g. an R/C pair's FEC segment). */
  readonly extraLinks?: () => LinkStats[];
  readonly log?: (line: string) => void;
  readonly transaction?: (r: MasterResult, read: number) => void;
}

export interface NodeConcentrator {
  readonly engine: Concentrator;
  readonly store: ReadingsStore;
  readonly forwarding: Forwarding;
  links(): LinkStats[];
  stop(drainMs?: number): Promise<void>;
}

/** The readings store's view of the site's meters (points in site order, profile metadata). */
export function meterMetas(site: Site): MeterMeta[] {
  return site.meters.map((m) => ({
    name: m.name, profile: m.profileId, manufacturer: m.profile.manufacturer, model: m.profile.model, unit: m.unit, intervalMs: m.intervalMs,
    points: m.points.map((i) => {
      const p = m.profile.points[i];
      return { name: p.name, label: p.label || undefined, unit: p.unit || undefined, deviceClass: p.deviceClass || undefined, stateClass: p.stateClass || undefined, type: p.type };
    }),
  }));
}

/** The bus as the master sees it: attempts, damaged replies, timeouts (no correction on a plain bus). */
export function busLink(engine: Concentrator): LinkStats {
  let frames = 0;
  let errors = 0;
  let timeouts = 0;
  for (const m of engine.site.meters) {
    frames += engine.master.counter(m.unit, COUNT_SENT);
    timeouts += engine.master.counter(m.unit, STATUS_TIMEOUT);
    for (let k = STATUS_CRC; k < STATUS_KINDS; k++) errors += engine.master.counter(m.unit, k);
  }
  return { name: "bus", kind: "bus", frames, errors, corrected: 0, uncorrectable: errors, timeouts };
}

/** Builds the engine on `port` and starts forwarding; throws UsageError for a bad forwarding section. */
export async function startConcentrator(site: Site, port: Rs485Port, o: NodeConcentratorOptions): Promise<NodeConcentrator> {
  const store = new ReadingsStore({ meters: meterMetas(site) });
  let fwd: Forwarding | null = null;
  const engine = new Concentrator(site, port, {
    reading(meter, values, timeUs) {
      store.record(meter, values, timeUs, o.nowMs());
      fwd?.reading(meter);
    },
    failure(meter, kind, timeUs) {
      store.failure(meter, kind, timeUs);
      fwd?.failure(meter);
    },
    transaction: o.transaction,
  }, o);
  const links = () => [busLink(engine), ...(o.extraLinks ? o.extraLinks() : [])];
  fwd = await startForwarding(store, {
    section: site.forwarding ?? undefined,
    links: { links },
    plan: { plan: () => engine.plan.toJSON() },
    nowUs: o.nowUs, nowMs: o.nowMs, http: o.http, log: o.log,
  });
  const forwarding = fwd;
  return { engine, store, forwarding, links, stop: (drainMs) => forwarding.stop(drainMs) };
}
