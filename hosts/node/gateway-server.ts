/*
 * The Node host of the Modbus TCP gateway: a `net` listener that carries out the I/O of the sans-I/O engine in
 * modules/gateway/engine.ts (docs/gateway.md). One socket per client number the engine hands out; bytes go in with
 * gateway.received(), responses come out through send(), and the engine's own decisions (malformed header, idle) come
 * back as close().
 *
 * - Backpressure, both ways. In: when received() consumes only part of a chunk (the client has maxPerClient requests
 *   pending), the rest is kept and the socket paused; after gateway resume() the rest is offered again (on the next
 *   microtask, never from inside the engine's call) and the socket resumed once all of it was taken. Out: answers that
 *   need no bus (local unit, 0A, 01, 03) are made as fast as requests arrive, so a client that pipelines and never reads
 *   would grow the socket's send buffer without end. Bytes are offered to the engine one MAX_TCP_ADU_LENGTH slice at a
 *   time, at most TURN_BYTES per turn of the event loop (the rest after the other sockets' I/O, so one flooding client
 *   cannot starve the others of the process), and once the unsent answers reach `writeHighWater` (the sockets' highWaterMark: socket.write() returns
 *   false) the socket is paused and nothing more is offered until 'drain'. A client whose answers stay unsent for
 *   `stallTimeoutMs` is closed. Memory per client is then bounded whatever it sends: the engine's fixed slots, one read
 *   chunk held (at most the socket's read size, 64 KiB), and writeHighWater + maxPerClient answers of unsent bytes.
 * - Time: `now()` is the clock the master runs on (the serial host's µs, or the simulator's virtual clock). With
 *   `timer: true` (default) the server keeps one timer at the engine's nextDeadline() (idle and queue timeouts); a host
 *   that already drives engines on a clock of its own (the paced simulator) passes `timer: false` and calls
 *   gateway.service() itself.
 * - `afterInput()` runs after every call that may have submitted requests to the master (so its host rereads the
 *   master's deadline: SerialHost.poke(), Simulation.poke()).
 * - Refused connections (allowlist, client limit) are destroyed at once; the engine counts them.
 * - Scheduling between clients is the engine's (round robin onto the bus, maxPerClient, the per-connection rate budget:
 *   docs/gateway.md, "Fairness"), per client number, whatever carries the bytes: the TLS listener's sockets
 *   (hosts/node/gateway-tls.ts, through accepted()) share the engine's slots and scheduling with this listener's.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Gateway, GW_COUNTER_NAMES, REFUSED_ADDRESS, REFUSED_PER_ADDRESS, type GatewayBus, type GatewayLink, type LocalRegisters } from "../../modules/gateway/engine";
import { GatewayConfig, type GatewayOptions } from "../../modules/gateway/config";
import type { MasterResult } from "../../modules/master/result";
import { MAX_TCP_ADU_LENGTH } from "../../modules/gateway/mbap";
import type { PollCache } from "../../modules/gateway/poll-cache";
import { NO_DEADLINE } from "../../modules/port/contract";
import { GatewayTlsListener } from "./gateway-tls";

export interface GatewayServerOptions {
  /** The master's clock, µs. */
  now: () => number;
  /** Called after input that may have submitted requests to the master (reread its deadline). */
  afterInput?: () => void;
  /** Keep a timer for the engine's deadlines (default true). */
  timer?: boolean;
  /** Connection events (refusals, closes by the engine). */
  log?: (line: string) => void;
  /** Unsent answer bytes at which a client is no longer read (default 16384). */
  writeHighWater?: number;
  /** A client whose answers stay above writeHighWater this long is closed, ms (default 30000). */
  stallTimeoutMs?: number;
}

/** Default bound on a client's unsent answers before it is no longer read. */
export const WRITE_HIGH_WATER = 16384;
/** Default time a client may leave its answers unread before it is closed, ms. */
export const STALL_TIMEOUT_MS = 30000;

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  /** Bytes received and not yet taken by the engine (waiting for a request slot or for the client to read its answers). */
  pending: Buffer | null;
  /** The client's unsent answers passed writeHighWater: not read until 'drain'. */
  writeBlocked: boolean;
  stallTimer: NodeJS.Timeout | null;
  /** A setImmediate will offer the held bytes (the turn's budget ran out). */
  turnScheduled: boolean;
}

/** Bytes of one client's requests handled per turn of the event loop (about 80 small requests). */
const TURN_BYTES = 1024;

export class GatewayServer implements GatewayLink {
  readonly gateway: Gateway;
  private readonly options: GatewayServerOptions;
  private readonly connections: (Connection | null)[];
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = NO_DEADLINE;
  private closing = false;
  /** Sockets refused at accept(). */
  refused = 0;
  /** Times a client stopped being read because its answers were not being taken, and clients closed for it. */
  writeStalls = 0;
  closedStalled = 0;
  private readonly highWater: number;
  private readonly stallMs: number;

  constructor(gateway: Gateway, options: GatewayServerOptions) {
    if (typeof options?.now !== "function") throw new TypeError("options.now must be a function returning the master's clock in µs");
    this.gateway = gateway;
    this.options = options;
    this.connections = new Array<Connection | null>(gateway.config.maxClients).fill(null);
    this.highWater = options.writeHighWater ?? WRITE_HIGH_WATER;
    this.stallMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
    if (!(Number.isInteger(this.highWater) && this.highWater >= MAX_TCP_ADU_LENGTH)) throw new RangeError(`writeHighWater must be an integer ≥ ${MAX_TCP_ADU_LENGTH}`);
    if (!(Number.isInteger(this.stallMs) && this.stallMs > 0)) throw new RangeError("stallTimeoutMs must be a positive integer");
    gateway.attach(this);
  }

  /** Listens on the configured bind address and port; resolves with the address actually bound (port 0 picks one). */
  listen(): Promise<AddressInfo> {
    const { bind, port } = this.gateway.config;
    return new Promise((resolve, reject) => {
      // highWaterMark bounds each client's unsent answers: write() returns false past it, and 'drain' follows.
      const server = createServer({ noDelay: true, highWaterMark: this.highWater }, (socket) => this.accepted(socket));
      server.once("error", reject);
      server.listen(port, bind, () => {
        server.off("error", reject);
        server.on("error", (e) => this.log(`gateway: ${e.message}`));
        this.server = server;
        resolve(server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server ? (this.server.address() as AddressInfo) : null;
  }

  /** Stops listening, closes every connection and the timer. */
  stop(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.options.now();
    for (const c of this.connections) {
      if (!c) continue;
      this.connections[c.id] = null;
      if (c.stallTimer) clearTimeout(c.stallTimer);
      c.socket.destroy();
      this.gateway.disconnected(c.id, now);
    }
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private log(line: string): void {
    if (this.options.log) this.options.log(line);
  }

  /** A client's socket: plain from listen(), or a TLS socket whose certificate gave it `role` (hosts/node/gateway-tls.ts). */
  accepted(socket: Socket, role = -1): void {
    if (this.closing) { socket.destroy(); return; }
    const address = socket.remoteAddress ?? "";
    const id = this.gateway.accept(address, this.options.now(), role);
    if (id < 0) {
      this.refused++;
      this.log(`gateway: refused ${address} (${id === REFUSED_ADDRESS ? "not in allow list" : id === REFUSED_PER_ADDRESS ? "maxPerAddress reached" : "maxClients reached"})`);
      socket.destroy();
      return;
    }
    const c: Connection = { id, socket, pending: null, writeBlocked: false, stallTimer: null, turnScheduled: false };
    this.connections[id] = c;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.data(c, chunk));
    socket.on("error", () => { /* 'close' follows */ });
    socket.on("drain", () => this.drained(c));
    socket.on("close", () => {
      if (c.stallTimer) clearTimeout(c.stallTimer);
      c.stallTimer = null;
      if (this.connections[id] !== c) return;
      this.connections[id] = null;
      this.gateway.disconnected(id, this.options.now());
      this.after();
    });
    this.after();
  }

  private data(c: Connection, chunk: Buffer): void {
    if (this.connections[c.id] !== c) return;
    if (c.pending) {
      // Paused with bytes held: keep order.
      c.pending = Buffer.concat([c.pending, chunk]);
      return;
    }
    this.offer(c, chunk);
  }

  /**
   * Offers `bytes` to the engine one ADU-sized slice at a time while the client takes its answers, at most TURN_BYTES
   * per turn of the event loop; what the engine does not take (no free request slot), what is left when the client
   * stops reading, and what is over the turn's budget is kept and the socket paused. Over budget, the rest is offered
   * again from setImmediate, after the other sockets' I/O: a client pipelining answers that need no bus gets a fair
   * share of the process, not all of it. The answers of one turn go out in one write (cork).
   */
  private offer(c: Connection, bytes: Buffer): void {
    let at = 0;
    c.socket.cork();
    while (at < bytes.length && at < TURN_BYTES && !c.writeBlocked && this.connections[c.id] === c) {
      const n = Math.min(MAX_TCP_ADU_LENGTH, bytes.length - at);
      const used = this.gateway.received(c.id, bytes, at, n, this.options.now());
      at += used;
      if (used < n) break;
    }
    c.socket.uncork();
    if (this.connections[c.id] === c && at < bytes.length) {
      c.pending = bytes.subarray(at);
      c.socket.pause();
      if (at >= TURN_BYTES && !c.writeBlocked && !c.turnScheduled) {
        c.turnScheduled = true;
        setImmediate(() => { c.turnScheduled = false; this.retry(c); });
      }
    }
    this.after();
  }

  /** Offers the held bytes again (a request slot freed, or the client took its answers); resumes reading once all are taken. */
  private retry(c: Connection): void {
    if (this.connections[c.id] !== c || c.writeBlocked) return;
    if (c.pending) {
      const bytes = c.pending;
      c.pending = null;
      this.offer(c, bytes);
    }
    if (this.connections[c.id] === c && !c.pending && !c.writeBlocked) c.socket.resume();
  }

  private drained(c: Connection): void {
    if (!c.writeBlocked || this.connections[c.id] !== c) return;
    c.writeBlocked = false;
    if (c.stallTimer) clearTimeout(c.stallTimer);
    c.stallTimer = null;
    this.retry(c);
  }

  private after(): void {
    if (this.options.afterInput) this.options.afterInput();
    this.arm();
  }

  // ---- GatewayLink ----

  send(client: number, buffer: Uint8Array, offset: number, length: number): void {
    const c = this.connections[client];
    if (!c) return;
    const flowing = c.socket.write(Buffer.from(buffer.subarray(offset, offset + length)));
    if (!flowing && !c.writeBlocked && this.connections[client] === c) {
      // The client is not taking its answers: read nothing more from it until they drain; close it if they never do.
      c.writeBlocked = true;
      this.writeStalls++;
      c.socket.pause();
      c.stallTimer = setTimeout(() => {
        c.stallTimer = null;
        if (this.connections[client] !== c || !c.writeBlocked) return;
        this.connections[client] = null;
        this.closedStalled++;
        this.log(`gateway: closed ${c.socket.remoteAddress ?? "?"} (not reading its answers)`);
        c.socket.destroy();
        this.gateway.disconnected(client, this.options.now());
        this.after();
      }, this.stallMs);
      c.stallTimer.unref();
    }
    this.arm();
  }

  close(client: number, reason: number): void {
    const c = this.connections[client];
    if (!c) return;
    this.connections[client] = null;
    if (c.stallTimer) clearTimeout(c.stallTimer);
    c.stallTimer = null;
    this.log(`gateway: closed ${c.socket.remoteAddress ?? "?"} (${GW_COUNTER_NAMES[reason]})`);
    c.socket.destroy();
  }

  resume(client: number): void {
    const c = this.connections[client];
    if (!c) return;
    queueMicrotask(() => this.retry(c));
  }

  // ---- timer ----

  /** Re-arms the timer at the engine's deadline when that is earlier than the one armed. */
  arm(): void {
    if (this.options.timer === false || this.closing) return;
    const d = this.gateway.nextDeadline();
    if (d === NO_DEADLINE) return;
    if (this.timer && this.timerAt <= d) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = d;
    const wait = Math.max(0, Math.ceil((d - this.options.now()) / 1000));
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = NO_DEADLINE;
    if (this.closing) return;
    const now = this.options.now();
    if (this.gateway.nextDeadline() !== NO_DEADLINE && now >= this.gateway.nextDeadline()) this.gateway.service(now);
    this.after();
  }
}

export interface StartGatewayOptions extends GatewayServerOptions {
  /** Where requests go: the concentrator's Master. */
  bus: GatewayBus;
  /** The concentrator's own registers (needed when the section sets localUnit). */
  local?: LocalRegisters | null;
  /** Poll data (needed when the section sets cacheTtlMs). */
  cache?: PollCache | null;
  /** First master tag the gateway uses (default: the engine's DEFAULT_TAG_BASE). */
  tagBase?: number;
}

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly server: GatewayServer;
  /** The plain listener's address, or the TLS listener's when plain Modbus TCP is off. */
  readonly address: AddressInfo;
  /** The Modbus/TCP Security listener (hosts/node/gateway-tls.ts), when the section has `tls`. */
  readonly tls: GatewayTlsListener | null;
  /**
   * Feed every master result through this from the runtime's MasterListener: the gateway's own results are answered;
   * any result (a scheduler poll's too) lets waiting TCP requests into the freed queue slot. Returns true when the
   * result was the gateway's (the scheduler must not see it).
   */
  masterCompleted(r: MasterResult): boolean;
  close(): Promise<void>;
}

/**
 * The hook for `rc485 run` and `rc485 sim`: validates the site's `gateway` section (errors name `$.gateway.<field>`),
 * builds the engine on the runtime's master and starts listening. Throws RangeError/TypeError on a bad section.
 */
export async function startGateway(section: GatewayOptions | GatewayConfig, o: StartGatewayOptions): Promise<RunningGateway> {
  const config = section instanceof GatewayConfig ? section : new GatewayConfig(section, "$.gateway");
  const gateway = new Gateway(config, o.bus, o.local ?? null, o.cache ?? null, o.tagBase);
  const server = new GatewayServer(gateway, o);
  const plain = config.plain ? await server.listen() : null;
  if (plain) o.log?.(`gateway: Modbus TCP on ${plain.address}:${plain.port}${config.readOnly ? " (read-only)" : ""}`);
  let tls: GatewayTlsListener | null = null;
  let secure: AddressInfo | null = null;
  if (config.tls !== null) {
    tls = new GatewayTlsListener(server, config.tls, config.bind, o.log);
    try {
      secure = await tls.listen();
    } catch (e) {
      await server.stop();
      throw e;
    }
    o.log?.(`gateway: Modbus/TCP Security (TLS, client certificates, roles ${config.tls.roles.names.join(", ")}) on ${secure.address}:${secure.port}`);
  }
  const address = (plain ?? secure)!;
  return {
    gateway, server, address, tls,
    masterCompleted(r: MasterResult): boolean {
      if (gateway.owns(r.tag)) { gateway.completed(r); return true; }
      gateway.pump(r.completedAt);
      return false;
    },
    close: async () => {
      if (tls) await tls.stop();
      await server.stop();
    },
  };
}
