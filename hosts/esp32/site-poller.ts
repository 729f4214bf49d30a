/*
 * The concentrator's bus side for one site on an ESP32 port: the shared PollLoop (modules/concentrator/poll-loop.ts: scheduler,
 * master, decoder, sanity filter) recording into the forwarders' ReadingsStore (modules/concentrator/readings.ts), with the master's
 * host options for the ESP32 UART: bytes arrive after the UART's RX timeout of silence after the last one (the port's
 * rxIdleUs, plus the interrupt-to-script latency), or when the RX FIFO holds its full threshold. `events` hears finished cycles and failed
 * reads, for the MQTT session. No Moddable import: the tests build it on the fake board.
 *
 * With a gateway configuration (the site's `gateway` section, checked: hosts/esp32/gateway-service.ts) the loop gets a
 * guest (modules/concentrator/poll-loop.ts `guest`): a GatewayGuest that forwards to the Modbus TCP gateway once it is built, so TCP
 * requests share this master and alternate with the polls (busSlots 1, docs/gateway.md "Fairness"). With `cacheTtlMs`
 * the poller also records each good 03/04 poll in a RegisterCache for the gateway (one block per planned read, at most 1024).
 */
import type { Gateway } from "../../modules/gateway/engine";
import { applyLearned, applyLearnedTiming } from "../../modules/commissioning/learned-apply";
import type { LearnedLimits } from "../../modules/commissioning/learned-limits";
import type { GatewayConfig } from "../../modules/gateway/config";
import type { MasterResult } from "../../modules/master/result";
import type { Plan } from "../../modules/concentrator/planner";
import { RegisterCache } from "../../modules/gateway/poll-cache";
import { PollLoop, type PollLoopGuest, type PollLoopListener } from "../../modules/concentrator/poll-loop";
import type { Rs485Port } from "../../modules/port/contract";
import { PointQuality } from "../../modules/concentrator/point-quality";
import { ReadingsStore } from "../../modules/concentrator/readings";
import { OUTCOME_OK } from "../../modules/concentrator/scheduler";
import { loopOptionsForSite, meterMetaForSite, planForSite, type Site } from "../../modules/site/site";

export interface PollerEvents {
  /** Meter `m` finished a cycle: its values are in the store. */
  reading(m: number): void;
  /** A read of meter `m` failed (counted in the store). */
  failure(m: number): void;
  /** After every poll, once reading/failure ran and each point's quality is updated (it may have aged to stale). */
  polled?(): void;
}

/** Something to re-arm after the gateway's state changed (the gateway's EngineLoop). */
export interface Rearmable {
  rearm(): void;
}

/**
 * The poll loop's guest slot for the Modbus TCP gateway, filled in when the gateway is built (after Wi-Fi is up). Until
 * then, and for results that are not the gateway's, it owns nothing. After each result it re-arms the gateway's timer:
 * a finished request can make the next one the head of its queue, whose queue timeout may be earlier than the armed one.
 */
export class GatewayGuest implements PollLoopGuest {
  timers: Rearmable | null = null;
  private engine: Gateway | null = null;
  /** A bus scan has the line (modules/commissioning/scan-job.ts): the gateway's requests are refused with exception 0A meanwhile. */
  private busTaken = false;

  get gateway(): Gateway | null {
    return this.engine;
  }

  /** The gateway, once built; one built while a scan has the line starts with the bus unavailable. */
  set gateway(gw: Gateway | null) {
    this.engine = gw;
    if (gw !== null && this.busTaken) gw.setBusAvailable(false, 0);
  }

  /**
   * A bus scan takes the line (true) or gives it back (false). The gateway submits to the master on its own timer, not
   * through the poll loop, so pausing the loop does not stop it: while the scan runs its requests (waiting ones
   * included) get exception 0A, gateway path unavailable (MODBUS Application Protocol V1.1b3 §7), and none reaches
   * the port the scan has reopened at another setting.
   */
  takeBus(taken: boolean, now: number): void {
    this.busTaken = taken;
    const gw = this.engine;
    if (gw === null) return;
    gw.setBusAvailable(!taken, now);
    if (this.timers !== null) this.timers.rearm();
  }

  owns(tag: number): boolean {
    return this.gateway !== null && this.gateway.owns(tag);
  }

  completed(result: MasterResult): void {
    if (this.gateway === null) return;
    this.gateway.completed(result);
    if (this.timers !== null) this.timers.rearm();
  }

  pump(now: number): void {
    if (this.gateway === null) return;
    this.gateway.pump(now);
    if (this.timers !== null) this.timers.rearm();
  }
}

export interface SitePoller {
  /** The plan at start (loop.plan is the one being polled: recomputed when a register cap is learned). */
  readonly plan: Plan;
  readonly loop: PollLoop;
  readonly store: ReadingsStore;
  /** The gateway's slot in the poll loop (null without a gateway configuration). */
  readonly guest: GatewayGuest | null;
  /** Recent poll data for the gateway (null unless gateway.cacheTtlMs > 0). */
  readonly cache: RegisterCache | null;
  /** Each point's quality (fresh, stale, invalid: modules/concentrator/point-quality.ts), kept while polling. */
  readonly quality: PointQuality;
}

/** RX FIFO level at which the ESP32 hands bytes over without waiting for the timeout. */
export const RX_FULL_THRESHOLD = 120;

/**
 * `rxIdleUs`: the silence after which the port's UART hands bytes over (Esp32SerialPort.rxIdleUs: RX_TIMEOUT_CHARACTERS
 * character times on the ECMA-419 class, the configured RX timeout on the native class); `latencyUs`: interrupt to script.
 */
export function sitePoller(site: Site, port: Rs485Port, rxIdleUs: number, latencyUs: number, events: PollerEvents | null, gateway: GatewayConfig | null = null, learned: LearnedLimits | null = null): SitePoller {
  // Learned limits (restored from the preference at boot): their caps shape the plan, their timing the master; polling
  // keeps teaching them.
  const plan = planForSite(site, learned !== null ? learned.cap : undefined);
  const store = new ReadingsStore({ meters: meterMetaForSite(site, plan), historyBuckets: site.history.buckets, bucketUs: site.history.bucketUs });
  const options = loopOptionsForSite(site, plan, { rxIdleDelayUs: rxIdleUs + latencyUs, rxBatchBytes: RX_FULL_THRESHOLD });
  const lastRead = new Int32Array(plan.meters.length);
  plan.meters.forEach((m, i) => (lastRead[i] = m.firstRead + m.readCount - 1));
  let lastPlan = plan;
  const guest = gateway === null ? null : new GatewayGuest();
  const cache = gateway === null || gateway.cacheTtlUs <= 0 ? null : new RegisterCache(Math.max(1, Math.min(1024, plan.readCount)));
  // Each point's quality from the store's readings (with the decoder's status: a withheld total is invalid) and failures.
  const quality = new PointQuality(site.meters.map((m, i) => ({ intervalMs: m.intervalMs, points: store.meters[i].meta.points, ratedPowerW: m.profile.limits.ratedPowerW })));
  const listener: PollLoopListener = {
    polled(read: number, outcome: number, result: MasterResult): void {
      // The plan being polled: recomputed while running when a register cap is learned (below).
      const p = loop.plan;
      if (p !== lastPlan) {
        lastPlan = p;
        p.meters.forEach((mp, i) => (lastRead[i] = mp.firstRead + mp.readCount - 1));
      }
      if (cache !== null && outcome === OUTCOME_OK && (result.functionCode === 3 || result.functionCode === 4)) {
        cache.record(p.readUnit[read], p.readFunction[read], p.readStart[read], result.registers, result.registerCount, result.completedAt);
      }
      const m = p.readMeter[read];
      if (outcome !== OUTCOME_OK) quality.failed(m, store.online(m));
      else if (read === lastRead[m]) quality.recorded(m, store.meters[m].values, result.completedAt, loop.readings.status, p.meters[m].firstValue);
      quality.age(result.completedAt);
      if (events !== null) {
        if (outcome !== OUTCOME_OK) events.failure(m);
        else if (read === lastRead[m]) events.reading(m);
        if (events.polled) events.polled();
      }
      if (learned !== null) {
        learned.observeResult(m, p.readFunction[read], p.readRegisters[read], result, p.line, rxIdleUs + latencyUs);
        // A learned cap recomputes the plan (the loop takes it after this read: modules/commissioning/learned-apply.ts), learned
        // timing goes to the master. Nothing happens, and nothing is allocated, unless something was learned.
        applyLearned(site, loop, learned);
      }
    },
  };
  const loop = new PollLoop(plan, port, { ...options, store, listener, guest: guest ?? undefined });
  // Timing restored from the preference goes to the master's learned rows before the first poll (then live).
  if (learned !== null) applyLearnedTiming(site, loop.master, learned, loop.scheduler, loop.plan);
  return { plan, loop, store, guest, cache, quality };
}
