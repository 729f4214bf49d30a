/*
 * The concentrator on Node, shared by `rc485 sim` and `rc485 run`. Glue only; the engines do the work: a checked site
 * (modules/site/site.ts) → plan (modules/concentrator/planner.ts) → the poll loop (modules/concentrator/poll-loop.ts: scheduler, master, decoding and the
 * sanity filter, recording finished cycles in the readings store, modules/concentrator/readings.ts) → forwarding
 * (hosts/node/forwarding.ts: the HTTP status page and JSON always, MQTT when the site configures it). The host that owns
 * the port (the simulator or the serial host) attaches `loop` and calls `loop.start(now)`.
 */
import type { MasterOptions } from "../../modules/master/config";
import { COUNT_SENT, STATUS_CRC, STATUS_KINDS, STATUS_TIMEOUT } from "../../modules/master/status";
import type { Plan } from "../../modules/concentrator/planner";
import { PollLoop, type PollLoopListener } from "../../modules/concentrator/poll-loop";
import type { Rs485Port } from "../../modules/port/contract";
import { ReadingsStore } from "../../modules/concentrator/readings";
import { LearnedLimits } from "../../modules/commissioning/learned-limits";
import { applyLearned, applyLearnedTiming } from "../../modules/commissioning/learned-apply";
import { PointQuality } from "../../modules/concentrator/point-quality";
import { loopOptionsForSite, meterMetaForSite, planForSite, type Site } from "../../modules/site/site";
import type { LinkStats } from "../../modules/forwarding/status-json";
import { startForwarding, type Forwarding } from "./forwarding";
import { ConcentratorRegisters } from "../../modules/gateway/concentrator-registers";
import type { Gateway } from "../../modules/gateway/engine";
import { GatewayConfig } from "../../modules/gateway/config";
import type { PollLoopGuest } from "../../modules/concentrator/poll-loop";
import { RegisterCache } from "../../modules/gateway/poll-cache";
import { startGateway, type RunningGateway } from "./gateway-server";

export interface NodeConcentratorOptions {
  /** Host clock (µs) and the matching wall clock (epoch ms). */
  readonly nowUs: () => number;
  readonly nowMs: () => number;
  /** The host's hand-over rules and anything else the master should know about it (modules/master/config.ts). */
  readonly master?: Partial<MasterOptions>;
  /** Extra response time per unit, µs (e.g. an R/C repeater pair's budget, modules/repeater/config.ts). */
  readonly extraTimeoutUs?: Readonly<Record<number, number>>;
  /** Overrides of forwarding.http (--http-port, --no-http). */
  readonly http?: { readonly host?: string; readonly port?: number; readonly enabled?: boolean };
  /** Links besides the bus (an R/C pair's FEC segment). */
  readonly extraLinks?: () => LinkStats[];
  readonly listener?: PollLoopListener;
  readonly log?: (line: string) => void;
  /** Overrides of the site's gateway section (--gateway-port, --no-gateway). */
  readonly gateway?: { readonly port?: number; readonly enabled?: boolean };
  /** Rereads the engines' deadlines after input from outside their callbacks (SerialHost.poke, Simulation.poke). */
  readonly poke?: () => void;
  /** Whether the serial line is usable now (SerialHost.isOpen); the gateway answers 0A while it is not. */
  readonly busUp?: () => boolean;
  /** Extra fields for /api/health (rc485 sim: how the simulation keeps pace). */
  readonly health?: () => Record<string, unknown>;
  /** Learned limits to plan with and to keep learning into (modules/commissioning/learned-limits.ts; rc485 run --state). */
  readonly learned?: LearnedLimits;
}

export interface NodeConcentrator {
  readonly site: Site;
  readonly plan: Plan;
  readonly loop: PollLoop;
  readonly store: ReadingsStore;
  readonly forwarding: Forwarding;
  /** The Modbus TCP gateway (docs/gateway.md) when the site has a `gateway` section. */
  readonly gateway: RunningGateway | null;
  /** Each point's quality (modules/concentrator/point-quality.ts). */
  readonly quality: PointQuality;
  links(): LinkStats[];
  /** Lowers every engine's times by `deltaUs` as the host lowers its clock (modules/port/time-rebase.ts; SerialHost.onRebase). */
  rebaseTime(deltaUs: number): void;
  stop(drainMs?: number): Promise<void>;
}

/** The bus as the master sees it: request frames sent, damaged or wrong replies, timeouts (nothing corrects a plain bus). */
export function busLink(site: Site, loop: PollLoop): LinkStats {
  let frames = 0;
  let errors = 0;
  let timeouts = 0;
  for (const m of site.meters) {
    frames += loop.master.counter(m.unit, COUNT_SENT);
    timeouts += loop.master.counter(m.unit, STATUS_TIMEOUT);
    for (let k = STATUS_CRC; k < STATUS_KINDS; k++) errors += loop.master.counter(m.unit, k);
  }
  return { name: "bus", kind: "bus", frames, errors, corrected: 0, uncorrectable: errors, timeouts };
}

/**
 * Builds the poll loop on `port` and starts forwarding. Throws UsageError for a bad forwarding section, an Error with a
 * one-line message when the HTTP port is taken.
 */
export async function startConcentrator(site: Site, port: Rs485Port, o: NodeConcentratorOptions): Promise<NodeConcentrator> {
  // What earlier runs learned about the meters (rc485 run --state): their caps shape the plan, their timing the master.
  const learned = o.learned ?? null;
  const plan = planForSite(site, learned !== null ? learned.cap : undefined);
  // Days and months of the energy figures begin at local midnight (the host's time zone at start).
  const store = new ReadingsStore({ meters: meterMetaForSite(site, plan), historyBuckets: site.history.buckets, bucketUs: site.history.bucketUs, utcOffsetMin: -new Date(o.nowMs()).getTimezoneOffset() });
  const opts = loopOptionsForSite(site, plan, o.master ?? {});
  const extra = o.extraTimeoutUs ?? {};
  const line = plan.line;
  const units = (opts.master.units ?? []).map((u, m) => {
    const add = extra[u.unit];
    if (!add) return u;
    // The unit's own timeout (or what the master would compute: turnaround budget + largest reply + t3.5) plus the extra.
    const mp = plan.meters[m];
    let bytes = 0;
    for (let r = mp.firstRead; r < mp.firstRead + mp.readCount; r++) bytes = Math.max(bytes, 5 + 2 * plan.reads[r].count);
    const base = u.responseTimeoutUs ?? opts.master.responseTimeoutUs ?? (opts.master.turnaroundUs ?? 50000) + line.airTimeUs(bytes) + line.t35Us;
    return { ...u, responseTimeoutUs: base + add };
  });
  // MQTT publishes after each recorded reading: the store's counters tell which meter got a new one or a failure.
  let forwarding: Forwarding | null = null;
  const seen = new Float64Array(store.meters.length);
  // Each point's quality (fresh, stale, invalid) from the store's readings and failures: /api/meters shows it.
  const quality = new PointQuality(store.meters.map((sm, m) => ({ intervalMs: site.meters[m].intervalMs, points: sm.meta.points, ratedPowerW: site.meters[m].profile.limits.ratedPowerW })));
  const qSeen = new Float64Array(store.meters.length);
  const qFailed = new Float64Array(store.meters.length);
  const failed = new Float64Array(store.meters.length);
  const inner = o.listener;
  // The gateway section (already checked by checkSite; errors name $.gateway.<field>), its poll-data cache, and the
  // guest hook through which it shares the master with the polls.
  const gatewayConfig = site.gateway !== null && o.gateway?.enabled !== false
    ? new GatewayConfig(o.gateway?.port !== undefined ? { ...site.gateway, port: o.gateway.port } : site.gateway, "$.gateway") : null;
  const cache = gatewayConfig !== null && gatewayConfig.cacheTtlUs > 0 ? new RegisterCache(Math.max(1, Math.min(1024, plan.reads.length))) : null;
  let gw: Gateway | null = null;
  const guest: PollLoopGuest = {
    owns: (tag) => gw !== null && gw.owns(tag),
    completed: (r) => gw!.completed(r),
    pump: (now) => { if (gw !== null) gw.pump(now); },
  };
  // A learned timeout gets the same extra as the unit's configured one.
  const listener: PollLoopListener = {
    polled(read, outcome, result) {
      // The plan being polled: recomputed while running when a register cap is learned (applyLearned, below).
      const reads = loop.plan.reads;
      if (cache !== null && outcome === 0 && (result.functionCode === 3 || result.functionCode === 4)) {
        const rd = reads[read];
        cache.record(rd.unit, rd.function, rd.start, result.registers, result.registerCount, result.completedAt);
      }
      const m = reads[read].meter;
      const sm = store.meters[m];
      if (learned !== null) {
        const rd = reads[read];
        learned.observeResult(m, rd.function, rd.count, result, line, opts.master.rxIdleDelayUs ?? 0);
        // A learned cap recomputes the plan (taken by the loop after this read), learned timing goes to the master.
        applyLearned(site, loop, learned);
      }
      if (sm.readings !== qSeen[m]) { qSeen[m] = sm.readings; quality.recorded(m, sm.values, result.completedAt, loop.readings.status, loop.plan.meters[m].firstValue); }
      if (sm.failures !== qFailed[m]) { qFailed[m] = sm.failures; quality.failed(m, store.online(m)); }
      quality.age(result.completedAt);
      if (forwarding !== null) {
        if (sm.readings !== seen[m]) { seen[m] = sm.readings; forwarding.reading(m); }
        if (sm.failures !== failed[m]) { failed[m] = sm.failures; forwarding.failure(m); }
        // A point of any meter may have aged to stale: its availability follows (nothing is sent when nothing changed).
        forwarding.health();
      }
      if (inner?.polled) inner.polled(read, outcome, result);
    },
  };
  const loop = new PollLoop(plan, port, { scheduler: opts.scheduler, master: { ...opts.master, units }, store, listener, guest: gatewayConfig !== null ? guest : undefined });
  loop.setEpoch(o.nowMs(), o.nowUs());
  // Timing learned by earlier runs goes to the master's learned rows before the first poll (then live: applyLearned).
  if (learned !== null) applyLearnedTiming(site, loop.master, learned, loop.scheduler, loop.plan);
  const links = () => [busLink(site, loop), ...(o.extraLinks ? o.extraLinks() : [])];
  const fwd = await startForwarding(store, {
    section: site.forwarding ?? undefined,
    links: { links },
    plan: { plan: () => loop.plan.toJSON() },
    quality,
    nowUs: o.nowUs, nowMs: o.nowMs, http: o.http, log: o.log, health: o.health,
  });
  forwarding = fwd;
  let gateway: RunningGateway | null = null;
  let local: ConcentratorRegisters | null = null;
  if (gatewayConfig !== null) {
    local = gatewayConfig.localUnit >= 0 ? new ConcentratorRegisters(site.meters.map((m) => m.unit), loop.scheduler, o.nowUs()) : null;
    try {
      gateway = await startGateway(gatewayConfig, {
        bus: loop.master, local, cache, now: o.nowUs, log: o.log,
        afterInput: () => {
          if (o.busUp && gw !== null) {
            const up = o.busUp();
            if (up !== gw.busAvailable) gw.setBusAvailable(up, o.nowUs());
          }
          if (o.poke) o.poke();
        },
      });
    } catch (e) {
      await fwd.stop(0);
      throw e;
    }
    gw = gateway.gateway;
  }
  const running = gateway;
  const registers = local;
  const rebaseTime = (deltaUs: number) => {
    loop.rebaseTime(deltaUs);
    quality.rebaseTime(deltaUs);
    if (gw !== null) gw.rebaseTime(deltaUs);
    if (cache !== null) cache.rebaseTime(deltaUs);
    if (registers !== null) registers.rebaseTime(deltaUs);
  };
  return {
    site, plan, loop, store, forwarding: fwd, gateway, links, quality, rebaseTime,
    stop: async (drainMs) => { if (running) await running.close(); await fwd.stop(drainMs); },
  };
}
