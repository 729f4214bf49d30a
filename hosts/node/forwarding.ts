/*
 * Forwarding on Node in one call, for `rc485 sim` and `rc485 run`: validates the site's `forwarding` section
 * (modules/forwarding/config.ts), starts the HTTP status server (hosts/node/http.ts) and, when configured, the MQTT
 * forwarder (hosts/node/mqtt.ts), all reading the same ReadingsStore. The polling side calls `reading(meter)` after
 * `store.record(...)` and `failure(meter)` after `store.failure(...)`, and `health()` after each point's quality may have
 * changed (per-point MQTT availability).
 */
import type { ReadingsStore } from "../../modules/concentrator/readings";
import { parseForwarding, type ForwardingSettings } from "../../modules/forwarding/config";
import type { QualityBytes } from "../../modules/forwarding/point-availability";
import type { LinkSource, PlanSource, QualitySource } from "../../modules/forwarding/status-json";
import { UsageError } from "./commands/command";
import { startHttpServer, type StatusServer } from "./http";
import { MqttForwarder, type MqttStats } from "./mqtt";

export interface ForwardingOptions {
  /** The site file's `forwarding` section as parsed JSON (undefined: HTTP on 127.0.0.1:8485, no MQTT). */
  readonly section?: unknown;
  readonly links?: LinkSource;
  readonly plan?: PlanSource;
  /** Each point's quality (a PointQuality) for /api/meters and MQTT availability per point. */
  readonly quality?: QualitySource & QualityBytes;
  /** The clock given to store.record()/failure() (µs); default process.hrtime. The simulator passes its virtual clock. */
  readonly nowUs?: () => number;
  /** Wall clock (epoch ms) matching nowUs; default Date.now. */
  readonly nowMs?: () => number;
  /** Overrides of forwarding.http (e.g. from --http-port). */
  readonly http?: { readonly host?: string; readonly port?: number; readonly enabled?: boolean };
  readonly log?: (line: string) => void;
  /** Extra fields for /api/health (e.g. `sim` from rc485 sim: how the simulation keeps pace). */
  readonly health?: () => Record<string, unknown>;
}

export interface Forwarding {
  readonly settings: ForwardingSettings;
  /** The status page URL, or null when HTTP is disabled. */
  readonly httpUrl: string | null;
  readonly mqtt: MqttForwarder | null;
  /** After store.record(meter, …). */
  reading(meter: number): void;
  /** After store.failure(meter, …). */
  failure(meter: number): void;
  /** After the points' quality may have changed (e.g. aged to stale): publishes availability that changed. */
  health(): void;
  mqttStats(): MqttStats | null;
  /** Drains MQTT for up to `drainMs`, says offline, closes the HTTP server. */
  stop(drainMs?: number): Promise<void>;
}

/** Throws UsageError (exit status 2) for a bad forwarding section; a busy HTTP port rejects with a one-line Error. */
export async function startForwarding(store: ReadingsStore, options: ForwardingOptions = {}): Promise<Forwarding> {
  let settings: ForwardingSettings;
  try {
    settings = parseForwarding(options.section);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const http = { ...settings.http, ...stripUndefined(options.http ?? {}) };
  const mqtt = settings.mqtt ? new MqttForwarder(store, { ...settingsToOptions(settings), log: options.log, quality: options.quality }) : null;
  let server: StatusServer | null = null;
  if (http.enabled) {
    server = await startHttpServer({
      store, host: http.host, port: http.port, links: options.links, plan: options.plan, quality: options.quality, nowUs: options.nowUs, nowMs: options.nowMs,
      health: mqtt || options.health ? () => ({ ...(options.health ? options.health() : {}), ...(mqtt ? { mqtt: mqtt.stats() } : {}) }) : undefined, log: options.log,
    });
  }
  mqtt?.start();
  return {
    settings,
    httpUrl: server ? server.url : null,
    mqtt,
    reading(meter) {
      if (mqtt) { mqtt.reading(meter); mqtt.health(); }
    },
    failure() {
      mqtt?.health();
    },
    health() {
      mqtt?.health();
    },
    mqttStats: () => (mqtt ? mqtt.stats() : null),
    async stop(drainMs = 2000) {
      await mqtt?.stop(drainMs);
      await server?.close();
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function settingsToOptions(s: ForwardingSettings): Record<string, unknown> & { url: string } {
  const m = s.mqtt!;
  const o: Record<string, unknown> & { url: string } = { url: m.url };
  for (const k of ["username", "password", "ca", "cert", "key", "rejectUnauthorized", "clientId", "prefix", "site", "discoveryPrefix", "discovery",
    "retainState", "ring", "ringBytes", "ringStore", "ringSyncMs", "window", "keepaliveS", "connectTimeoutMs", "backoffMinMs", "backoffMaxMs", "origin"] as const) {
    if (m[k] !== undefined) o[k] = m[k];
  }
  return o;
}
