/*
 * The Modbus TCP gateway of the ESP32 concentrator (docs/gateway.md, docs/esp32.md): the wiring the concentrator main
 * (hosts/esp32/main-concentrator.ts) runs, kept free of Moddable imports so the tests run the same code on the fake
 * board (the socket classes and the platform are passed in).
 *
 * Theory of operation:
 *  - Configuration. The site's `gateway` section is checked at boot on its own (deviceGatewayConfig): the same rules as
 *    on Node (modules/gateway/config.ts, errors name $.gateway.<field>) plus the device's: `bind` defaults to 0.0.0.0
 *    (every interface) instead of Node's 127.0.0.1, and a loopback or non-IPv4 bind is refused, since nothing on the
 *    network could reach it; maxClients and maxPerClient default to 4 and 2 (DEVICE_DEFAULTS: heap). A bad section is refused with one log line and the bus runs without the gateway
 *    (bootGateway); PUT /api/site refuses it like any other site error (gatewayProblems).
 *  - Sharing the master. The site poller (hosts/esp32/site-poller.ts) was built with the configuration, so its PollLoop
 *    has a GatewayGuest: results tagged for the gateway go to it, and after each poll it may queue its next request
 *    (MODBUS Messaging on TCP/IP Implementation Guide V1.0b §4.4.1: the gateway is one more user of the serial master).
 *  - Start. The first start() (after Wi-Fi is up) builds the engine (modules/gateway/engine.ts) on the poll loop's master,
 *    the concentrator's own registers for `localUnit`, the poller's cache for `cacheTtlMs`; the ECMA-419 listener
 *    adapter (hosts/esp32/gateway-listener.ts); and one more EngineLoop for the engine's timers (idle connections, queue
 *    timeouts). Everything is allocated then, once. Each start() opens one listening socket.
 *  - Timers. After TCP input (the engine may have submitted to the master) the serial side's loop and the gateway's are
 *    re-armed; after the gateway's timer ran, the serial side's is (a timed-out head lets the next request go out).
 *  - Stop (Wi-Fi lost). The listener and every connection are closed (requests already on the bus finish, and their
 *    answers are dropped as orphans); start() after the next "gotIP" listens again. start() and stop() are idempotent, so
 *    repeated Wi-Fi events never leave a second listening socket behind.
 */
import { ConcentratorRegisters } from "../../modules/gateway/concentrator-registers";
import { Gateway } from "../../modules/gateway/engine";
import { GatewayConfig, type GatewayOptions } from "../../modules/gateway/config";
import type { Timed } from "../../modules/port/contract";
import { EngineLoop } from "./deadline-timer";
import { GatewayListener, type ListenerClass, type TcpClass } from "./gateway-listener";
import type { Esp32Io } from "./io";
import type { SitePoller } from "./site-poller";

/** A device's gateway listens on every interface unless the site names the device's own address. */
export const DEVICE_BIND = "0.0.0.0";

/**
 * Defaults that differ on a device (fields the section leaves out): every interface, and fewer connection slots than
 * Node's 8 × 4, since each slot's buffers come out of the XS chunk heap (about 520 + maxPerClient × 535 bytes per client:
 * docs/esp32.md, memory budget).
 */
export const DEVICE_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ bind: DEVICE_BIND, maxClients: 4, maxPerClient: 2 });

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isDeviceBind(bind: string): boolean {
  const m = IPV4.exec(bind);
  if (m === null) return false;
  for (let i = 1; i <= 4; i++) if (Number(m[i]) > 255) return false;
  return Number(m[1]) !== 127;
}

/**
 * The site's `gateway` section as a device runs it: DEVICE_DEFAULTS for the fields it leaves out; a loopback address
 * or a name as `bind` is refused. Throws TypeError/RangeError naming `$.gateway.<field>`.
 */
export function deviceGatewayConfig(section: unknown): GatewayConfig {
  if (typeof section !== "object" || section === null || Array.isArray(section)) throw new TypeError("$.gateway must be an object");
  const o = section as Readonly<Record<string, unknown>>;
  const withDefaults: Record<string, unknown> = {};
  for (const k of Object.keys(DEVICE_DEFAULTS)) if (o[k] === undefined) withDefaults[k] = DEVICE_DEFAULTS[k];
  for (const k of Object.keys(o)) withDefaults[k] = o[k];
  const config = new GatewayConfig(withDefaults as GatewayOptions, "$.gateway");
  if (config.tls !== null) throw new RangeError("$.gateway.tls: Modbus/TCP Security (TLS on port 802) is offered by the Node gateway only; an ESP32 listens for plain Modbus TCP (remove tls from the device's site)");
  if (!isDeviceBind(config.bind)) {
    throw new RangeError(`$.gateway.bind must be "0.0.0.0" (every interface) or the device's own IPv4 address on an ESP32; a loopback address or a name cannot be reached from the network (got "${config.bind}")`);
  }
  return config;
}

/**
 * What the device cannot do that the section asks for: the SDK's lwIP listener (modules/io/socket/lwip/tcp.c,
 * xs_listener_constructor: the address is set to IP_ADDR_ANY at line 673 and the `address` option is an unimplemented
 * "//@@ address" at line 687) binds every interface whatever `bind` says, so a specific address restricts nothing;
 * client access is enforced by the app through `allow` (modules/gateway/engine.ts accept()).
 */
export function gatewayWarnings(config: GatewayConfig): string[] {
  if (config.bind === DEVICE_BIND) return [];
  const open = config.allow.length === 0 ? "; any client can connect: set $.gateway.allow to restrict clients" : `; clients are restricted by $.gateway.allow (${config.allow.join(", ")})`;
  return [`$.gateway.bind "${config.bind}" is not enforced on an ESP32: the SDK's lwIP listener listens on every interface${open}`];
}

/** The section's problems as the site checker lists them (empty when it is absent or good). */
export function gatewayProblems(section: unknown): string[] {
  if (section === undefined || section === null) return [];
  try {
    deviceGatewayConfig(section);
    return [];
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}

/**
 * Boot: a site JSON split into the site without its gateway section (to be checked as before) and the gateway's
 * configuration, or null when there is none or it is refused (logged; the bus runs without the gateway).
 */
export function bootGateway(json: unknown, log: (line: string) => void): { site: unknown; gateway: GatewayConfig | null } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { site: json, gateway: null };
  const o = json as Record<string, unknown>;
  const section = o.gateway;
  if (section === undefined || section === null) return { site: json, gateway: null };
  const site: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (k !== "gateway") site[k] = o[k];
  try {
    const gateway = deviceGatewayConfig(section);
    for (const w of gatewayWarnings(gateway)) log(`gateway: warning: ${w}`);
    return { site, gateway };
  } catch (e) {
    log(`gateway: refused, the bus runs without it: ${e instanceof Error ? e.message : String(e)}`);
    return { site, gateway: null };
  }
}

/** A re-armable loop (EngineLoop has this shape). */
export interface BusLoop {
  rearm(): void;
}

export interface GatewayServiceOptions {
  /** The platform: Timer for the gateway's own EngineLoop, now() = Time.microseconds (the master's clock). */
  readonly io: Esp32Io;
  /** `embedded:io/socket/listener` and `embedded:io/socket/tcp` (or fakes with the lwIP behaviour). */
  readonly Listener: ListenerClass;
  readonly TCP: TcpClass;
  /** The serial side's loop (the poll loop's EngineLoop): re-armed after anything that may have submitted to the master. */
  readonly busLoop: BusLoop;
  /** The site's meters' units in plan order (for the concentrator's own registers). */
  readonly units: readonly number[];
  readonly log?: (line: string) => void;
}

export class GatewayService {
  readonly config: GatewayConfig;
  private readonly poller: SitePoller;
  private readonly o: GatewayServiceOptions;
  private engine: Gateway | null = null;
  private adapter: GatewayListener | null = null;
  private timerLoop: EngineLoop | null = null;
  /** Listening now. */
  running = false;
  /** Times the listener was opened, and opening failures (logged; the next Wi-Fi "gotIP" tries again). */
  starts = 0;
  failures = 0;

  constructor(config: GatewayConfig, poller: SitePoller, options: GatewayServiceOptions) {
    if (!(config instanceof GatewayConfig)) throw new TypeError("config must be a GatewayConfig (deviceGatewayConfig)");
    if (poller.guest === null) throw new TypeError("the site poller has no gateway guest: build it with sitePoller(…, gatewayConfig)");
    if (typeof options?.busLoop?.rearm !== "function") throw new TypeError("options.busLoop must be the serial side's EngineLoop");
    this.config = config;
    this.poller = poller;
    this.o = options;
  }

  /** The engine (null before the first start()). */
  get gateway(): Gateway | null {
    return this.engine;
  }

  /** The listener adapter (null before the first start()). */
  get listener(): GatewayListener | null {
    return this.adapter;
  }

  /** Wi-Fi is up: build everything the first time, then listen (once). */
  start(): void {
    if (this.running) return;
    if (this.adapter === null) this.build();
    try {
      this.adapter!.start();
    } catch (e) {
      this.failures++;
      this.log(`gateway: cannot listen on ${this.config.bind}:${this.config.port}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.running = true;
    this.starts++;
    this.log(`gateway: Modbus TCP on port ${this.config.port}, every interface${this.config.allow.length > 0 ? `, clients allowed: ${this.config.allow.join(", ")}` : ""}`);
  }

  /** Wi-Fi is down: close the listener and every connection. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.adapter!.stop();
    this.o.busLoop.rearm();
    this.timerLoop!.rearm();
    this.log("gateway: stopped");
  }

  private build(): void {
    const o = this.o;
    const io = o.io;
    const loop = this.poller.loop;
    const c = this.config;
    const local = c.localUnit >= 0 ? new ConcentratorRegisters(o.units, loop.scheduler, io.now()) : null;
    const gw = new Gateway(c, loop.master, local, this.poller.cache);
    const busLoop = o.busLoop;
    const timers = new EngineLoop(io);
    const timed: Timed = {
      nextDeadline: () => gw.nextDeadline(),
      service(now: number): void {
        gw.service(now);
        busLoop.rearm();
      },
    };
    this.adapter = new GatewayListener(gw, {
      Listener: o.Listener,
      TCP: o.TCP,
      now: () => io.now(),
      onInput(): void {
        busLoop.rearm();
        timers.rearm();
      },
      log: o.log,
    });
    timers.attach(timed);
    this.timerLoop = timers;
    this.engine = gw;
    const guest = this.poller.guest!;
    guest.timers = timers;
    guest.gateway = gw;
  }

  private log(line: string): void {
    if (this.o.log) this.o.log(line);
  }
}
