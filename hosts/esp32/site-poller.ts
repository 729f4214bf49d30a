/*
 * The concentrator's bus side for one site on an ESP32 port: the shared PollLoop (modules/poll-loop.ts: scheduler,
 * master, decoder, sanity filter) recording into the forwarders' ReadingsStore (modules/readings.ts), with the master's
 * host options for the ESP32 UART: bytes arrive RX_TIMEOUT_CHARACTERS of silence after the last one (plus the
 * interrupt-to-script latency), or when the RX FIFO holds its full threshold. `events` hears finished cycles and failed
 * reads, for the MQTT session. No Moddable import: the tests build it on the fake board.
 */
import type { MasterResult } from "../../modules/master-result";
import type { Plan } from "../../modules/planner";
import { PollLoop } from "../../modules/poll-loop";
import type { Rs485Port } from "../../modules/port";
import { ReadingsStore } from "../../modules/readings";
import { OUTCOME_OK } from "../../modules/scheduler";
import { loopOptionsForSite, meterMetaForSite, planForSite, type Site } from "../../modules/site";
import { RX_TIMEOUT_CHARACTERS } from "./io";

export interface PollerEvents {
  /** Meter `m` finished a cycle: its values are in the store. */
  reading(m: number): void;
  /** A read of meter `m` failed (counted in the store). */
  failure(m: number): void;
}

export interface SitePoller {
  readonly plan: Plan;
  readonly loop: PollLoop;
  readonly store: ReadingsStore;
}

/** RX FIFO level at which the ESP32 hands bytes over without waiting for the timeout. */
export const RX_FULL_THRESHOLD = 120;

export function sitePoller(site: Site, port: Rs485Port, characterUs: number, latencyUs: number, events: PollerEvents | null): SitePoller {
  const plan = planForSite(site);
  const store = new ReadingsStore({ meters: meterMetaForSite(site, plan) });
  const options = loopOptionsForSite(site, plan, { rxIdleDelayUs: RX_TIMEOUT_CHARACTERS * characterUs + latencyUs, rxBatchBytes: RX_FULL_THRESHOLD });
  const lastRead = new Int32Array(plan.meters.length);
  plan.meters.forEach((m, i) => (lastRead[i] = m.firstRead + m.readCount - 1));
  const listener = events === null ? undefined : {
    polled(read: number, outcome: number, _result: MasterResult): void {
      const m = plan.reads[read].meter;
      if (outcome !== OUTCOME_OK) events.failure(m);
      else if (read === lastRead[m]) events.reading(m);
    },
  };
  const loop = new PollLoop(plan, port, { ...options, store, listener });
  return { plan, loop, store };
}
