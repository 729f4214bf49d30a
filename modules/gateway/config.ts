/*
 * Configuration of the Modbus TCP gateway: the `gateway` section of the site configuration (docs/gateway.md), validated
 * once into GatewayConfig with every duration in integer µs and the unit routing as a 256-entry table.
 *
 * Validation follows design.md §3.6: an unknown field or a bad value throws a RangeError/TypeError whose message names the
 * field and the allowed values, before anything listens. Routing rules (MODBUS Messaging on TCP/IP Implementation Guide
 * V1.0b §4.4.1: behind a gateway the unit identifier selects the serial device; Serial Line V1.02 §2.2: serial addresses
 * 1-247):
 *  - `aliases` maps a TCP unit id (0-255) to an RTU address (1-247);
 *  - with `passThrough` (default) TCP unit ids 1-247 that are not aliased go to the RTU address of the same number;
 *  - `localUnit` is answered by the concentrator itself and never reaches the bus;
 *  - with `broadcast` (off by default) TCP unit 0, unless aliased or local, sends writes as RTU broadcasts (address 0,
 *    Serial Line V1.02 §2.1: every device executes it, none answers);
 *  - anything else has no path (exception 0A).
 */

import { GatewayTlsConfig, type GatewayTlsOptions } from "./tls-config";
import { IpAllowlist } from "./ip-allowlist";

export interface GatewayOptions {
  /** Listen address (hosts read it); default "127.0.0.1". */
  readonly bind?: string;
  /** TCP port (hosts read it); default 502; 0 = any free port. */
  readonly port?: number;
  /** Connections at once, 1..64; default 8. */
  readonly maxClients?: number;
  /** Requests one connection may have waiting or on the bus, 1..16; default 4. Further bytes are left unread. */
  readonly maxPerClient?: number;
  /** Gateway requests in the master's queue at once, 1..8; default 1 (the scheduler's polls interleave). */
  readonly busSlots?: number;
  /** Connections at once from one client address, 1..maxClients; default maxClients minus a quarter (at least 1). */
  readonly maxPerAddress?: number;
  /** A request must be whole this long after its first byte, ms, 100..600000; default 3000. */
  readonly requestTimeoutMs?: number;
  /** Close a connection with nothing pending that sent no whole request and got no answer this long, ms; 0 = never; default 60000. */
  readonly idleTimeoutMs?: number;
  /** A request that has not reached the bus after this long is answered 0A, ms, 10..600000; default 5000. */
  readonly queueTimeoutMs?: number;
  /** Client IPv4 addresses or CIDR blocks allowed to connect; empty or absent = any. */
  readonly allow?: readonly string[];
  /** Forward only reads (01-04, 07, 0B, 0C, 11, 2B/0E); anything else is refused with exception 01; default false. */
  readonly readOnly?: boolean;
  /** TCP unit id ("0".."255") → RTU address (1..247). */
  readonly aliases?: Readonly<Record<string, number>>;
  /** Unaliased TCP unit ids 1..247 reach the RTU address of the same number; default true. */
  readonly passThrough?: boolean;
  /** TCP unit id answered by the concentrator's own registers (0..255), or null/absent for none. */
  readonly localUnit?: number | null;
  /** Answer 03/04 reads from poll data at most this old, ms, 0..3600000; default 0 = off (always ask the device). */
  readonly cacheTtlMs?: number;
  /** Writes (05, 06, 0F, 10) to TCP unit 0 go out as RTU broadcasts; default false (unit 0 has no path). */
  readonly broadcast?: boolean;
  /** Modbus/TCP Security: TLS with client certificates and roles (Node host only; modules/gateway/tls-config.ts). */
  readonly tls?: GatewayTlsOptions;
  /** Listen for plain Modbus TCP on `port`; default true, false when `tls` is set. */
  readonly plain?: boolean;
  /**
   * Requests one connection may send per second on average, 0..100000; default 500; 0 = no limit. A burst of
   * REQUEST_BURST_SECONDS' worth (at least 2 × maxPerClient) is taken at once; beyond it the connection is not read
   * until it is back within its rate (TCP flow control, like maxPerClient).
   */
  readonly maxRequestRate?: number;
}

const FIELDS = Object.freeze(["bind", "port", "maxClients", "maxPerClient", "maxPerAddress", "busSlots", "idleTimeoutMs",
  "requestTimeoutMs", "queueTimeoutMs", "allow", "readOnly", "aliases", "passThrough", "localUnit", "cacheTtlMs", "broadcast", "tls", "plain",
  "maxRequestRate"]);

/** Default requests per second per connection: more than a serial bus carries, little CPU for any host. */
export const DEFAULT_MAX_REQUEST_RATE = 500;
/** A connection's burst allowance: this many seconds' worth of its rate (at least 2 × maxPerClient requests). */
export const REQUEST_BURST_SECONDS = 0.1;

/** Route table value for a TCP unit with no path. */
export const ROUTE_NONE = 0;
/** Route table value for the local unit. */
export const ROUTE_LOCAL = 255;
/** Route table value for TCP unit 0 sent as an RTU broadcast. */
export const ROUTE_BROADCAST = 254;

function int(o: Readonly<Record<string, unknown>>, field: string, min: number, max: number, fallback: number, path: string): number {
  const v = o[field];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${path}.${field} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
  return v;
}

function bool(o: Readonly<Record<string, unknown>>, field: string, fallback: boolean, path: string): boolean {
  const v = o[field];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new TypeError(`${path}.${field} must be true or false (got ${String(v)})`);
  return v;
}

export class GatewayConfig {
  readonly bind: string;
  readonly port: number;
  readonly maxClients: number;
  readonly maxPerClient: number;
  readonly maxPerAddress: number;
  readonly requestTimeoutUs: number;
  readonly broadcast: boolean;
  readonly busSlots: number;
  readonly idleTimeoutUs: number;
  readonly queueTimeoutUs: number;
  readonly allow: readonly string[];
  /** The allow list, parsed. */
  readonly allowlist: IpAllowlist;
  readonly readOnly: boolean;
  readonly localUnit: number;
  readonly cacheTtlUs: number;
  readonly maxRequestRate: number;
  /** µs between requests at maxRequestRate (0: no limit). */
  readonly requestIntervalUs: number;
  /** How far ahead of its rate (µs) a connection may run: the burst allowance. */
  readonly requestBurstUs: number;
  /** TCP unit id → RTU address 1..247, ROUTE_LOCAL, or ROUTE_NONE. */
  readonly route: Uint8Array;
  /** The TLS listener's settings, or null for none. */
  readonly tls: GatewayTlsConfig | null;
  /** The plain Modbus TCP listener is on. */
  readonly plain: boolean;

  /** `path` prefixes field names in error messages (the site loader passes "$.gateway"). */
  constructor(options: GatewayOptions = {}, path = "gateway") {
    if (typeof options !== "object" || options === null || Array.isArray(options)) throw new TypeError(`${path} must be an object`);
    const o = options as Readonly<Record<string, unknown>>;
    for (const k of Object.keys(o)) if (FIELDS.indexOf(k) < 0) throw new RangeError(`${path}.${k} is not a gateway option; allowed: ${FIELDS.join(", ")}`);
    const bind = o.bind === undefined ? "127.0.0.1" : o.bind;
    if (typeof bind !== "string" || bind.length === 0) throw new TypeError(`${path}.bind must be an address to listen on, such as "127.0.0.1" or "0.0.0.0"`);
    this.bind = bind;
    this.port = int(o, "port", 0, 65535, 502, path);
    this.maxClients = int(o, "maxClients", 1, 64, 8, path);
    this.maxPerClient = int(o, "maxPerClient", 1, 16, 4, path);
    this.maxPerAddress = int(o, "maxPerAddress", 1, this.maxClients, Math.max(1, this.maxClients - Math.ceil(this.maxClients / 4)), path);
    this.requestTimeoutUs = int(o, "requestTimeoutMs", 100, 600000, 3000, path) * 1000;
    this.busSlots = int(o, "busSlots", 1, 8, 1, path);
    this.idleTimeoutUs = int(o, "idleTimeoutMs", 0, 86400000, 60000, path) * 1000;
    this.queueTimeoutUs = int(o, "queueTimeoutMs", 10, 600000, 5000, path) * 1000;
    this.cacheTtlUs = int(o, "cacheTtlMs", 0, 3600000, 0, path) * 1000;
    this.readOnly = bool(o, "readOnly", false, path);
    this.maxRequestRate = int(o, "maxRequestRate", 0, 100000, DEFAULT_MAX_REQUEST_RATE, path);
    const rate = this.maxRequestRate;
    this.requestIntervalUs = rate === 0 ? 0 : 1000000 / rate;
    const burst = rate === 0 ? 0 : Math.max(2 * this.maxPerClient, Math.ceil(rate * REQUEST_BURST_SECONDS));
    this.requestBurstUs = rate === 0 ? 0 : (burst - 1) * this.requestIntervalUs;
    const allow = o.allow === undefined ? [] : o.allow;
    if (!Array.isArray(allow)) throw new TypeError(`${path}.allow must be a list of IPv4 addresses or CIDR blocks such as "192.168.1.0/24"`);
    this.allow = allow.slice() as string[];
    this.allowlist = new IpAllowlist(this.allow, `${path}.allow`);

    const route = new Uint8Array(256);
    if (bool(o, "passThrough", true, path)) for (let u = 1; u <= 247; u++) route[u] = u;
    const aliases = o.aliases === undefined ? {} : o.aliases;
    if (typeof aliases !== "object" || aliases === null || Array.isArray(aliases)) throw new TypeError(`${path}.aliases must be an object {"<TCP unit 0-255>": <RTU address 1-247>}`);
    for (const key of Object.keys(aliases)) {
      const tcp = /^\d{1,3}$/.test(key) ? Number(key) : -1;
      if (tcp < 0 || tcp > 255) throw new RangeError(`${path}.aliases: key ${JSON.stringify(key)} must be a TCP unit id 0-255`);
      const rtu = (aliases as Record<string, unknown>)[key];
      if (typeof rtu !== "number" || !Number.isInteger(rtu) || rtu < 1 || rtu > 247) throw new RangeError(`${path}.aliases.${key} must be an RTU address from 1 to 247 (got ${String(rtu)})`);
      route[tcp] = rtu;
    }
    const local = o.localUnit;
    if (local === undefined || local === null) this.localUnit = -1;
    else {
      if (typeof local !== "number" || !Number.isInteger(local) || local < 0 || local > 255) throw new RangeError(`${path}.localUnit must be a TCP unit id from 0 to 255, or null (got ${String(local)})`);
      if (Object.prototype.hasOwnProperty.call(aliases, String(local))) throw new RangeError(`${path}.localUnit ${local} is also a key of ${path}.aliases: a unit id is either local or routed`);
      this.localUnit = local;
      route[local] = ROUTE_LOCAL;
    }
    this.broadcast = bool(o, "broadcast", false, path);
    if (this.broadcast && route[0] === ROUTE_NONE) route[0] = ROUTE_BROADCAST;
    this.route = route;
    this.tls = o.tls === undefined ? null : new GatewayTlsConfig(o.tls, `${path}.tls`);
    this.plain = bool(o, "plain", this.tls === null, path);
    if (!this.plain && this.tls === null) throw new RangeError(`${path}.plain is false and there is no ${path}.tls: nothing would listen`);
  }
}
