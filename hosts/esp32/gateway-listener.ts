/*
 * The Modbus TCP gateway's listener on the ESP32: ECMA-419 `embedded:io/socket/listener` and `embedded:io/socket/tcp`
 * (Moddable SDK, lwIP build) carrying the I/O of the sans-I/O engine in modules/gateway/engine.ts (docs/gateway.md).
 *
 * What the adapter relies on (Moddable SDK modules/io/socket/lwip/tcp.c):
 *  - Listener({ port, address?, onReadable(count) }): read() hands over one accepted connection, which
 *    TCP({ from, onReadable, onWritable, onError, nodelay }) adopts;
 *  - TCP.read(view) fills the whole view and throws when it asks for more than is buffered, so the adapter reads at most
 *    the `count` onReadable reported (minus what it already took); onReadable fires only when new data arrives, so bytes
 *    left unread stay counted here and are read on resume();
 *  - TCP.write(view) throws "would block" when the view is larger than the send buffer space; it returns the space left,
 *    and onWritable(count) reports it again as acknowledgements free it. Responses that do not fit wait in a per-connection
 *    outbox (maxPerClient responses of at most 260 bytes, allocated at start);
 *  - remoteAddress is the peer's dotted IPv4 text; onError fires when the peer closes or the connection fails.
 *
 * Memory: every buffer is allocated in the constructor (one 260-byte inbox and one outbox per client slot). The socket
 * objects themselves are created by the SDK per connection. Backpressure is real TCP flow control: bytes a client sends
 * beyond its maxPerClient requests stay in lwIP's receive buffers, so its window closes.
 *
 * The engine's timers (idle connections, queue timeouts) are the host's: attach `gateway` (a Timed engine) to an
 * EngineLoop like the poll loop, and call `afterInput` work (rereading the serial loop's deadline) from `onInput`.
 */
import { Gateway, GW_COUNTER_NAMES, type GatewayLink } from "../../modules/gateway/engine";
import { MAX_TCP_ADU_LENGTH } from "../../modules/gateway/mbap";

/** The accepted-connection handle Listener.read() returns (opaque to the adapter). */
export type SocketHandle = object;

export interface ListenerOptions {
  port: number;
  address?: string;
  onReadable: (this: ListenerIo, count: number) => void;
}

export interface ListenerIo {
  read(): SocketHandle | undefined;
  close(): void;
}

export type ListenerClass = new (options: ListenerOptions) => ListenerIo;

export interface TcpOptions {
  from: SocketHandle;
  nodelay?: boolean;
  format?: "buffer";
  onReadable: (this: TcpIo, count: number) => void;
  onWritable: (this: TcpIo, count: number) => void;
  onError: (this: TcpIo) => void;
}

export interface TcpIo {
  readonly remoteAddress: string | undefined;
  read(buffer: Uint8Array): number | undefined | void;
  /** The lwIP build returns the send-buffer space left; older typings say void (then the adapter estimates it). */
  write(buffer: Uint8Array): number | undefined | void;
  close(): void;
}

export type TcpClass = new (options: TcpOptions) => TcpIo;

export interface GatewayListenerOptions {
  readonly Listener: ListenerClass;
  readonly TCP: TcpClass;
  /** The engine's clock (µs), the same as the master's (Time.microseconds). */
  readonly now: () => number;
  /** After bytes went into the engine (it may have submitted to the master): reread the serial loop's deadline. */
  readonly onInput?: () => void;
  readonly log?: (line: string) => void;
}

class Connection {
  socket: TcpIo | null = null;
  /** Bytes onReadable reported and not yet read. */
  available = 0;
  readonly inbox = new Uint8Array(MAX_TCP_ADU_LENGTH);
  inboxStart = 0;
  inboxEnd = 0;
  readonly outbox: Uint8Array;
  outboxLength = 0;
  /** Send-buffer space last reported by write() or onWritable. */
  room = 0;
  constructor(outboxBytes: number) {
    this.outbox = new Uint8Array(outboxBytes);
  }
}

export class GatewayListener implements GatewayLink {
  readonly gateway: Gateway;
  private readonly o: GatewayListenerOptions;
  private readonly connections: Connection[];
  private listener: ListenerIo | null = null;
  /** Connections refused (allowlist, maxClients) and responses dropped for a full outbox. */
  refused = 0;
  overflows = 0;

  constructor(gateway: Gateway, options: GatewayListenerOptions) {
    if (typeof options?.Listener !== "function" || typeof options.TCP !== "function") throw new TypeError("options.Listener and options.TCP must be the ECMA-419 socket classes");
    if (typeof options.now !== "function") throw new TypeError("options.now must return the engine's clock in µs");
    this.gateway = gateway;
    this.o = options;
    const per = gateway.config.maxPerClient * MAX_TCP_ADU_LENGTH;
    this.connections = [];
    for (let i = 0; i < gateway.config.maxClients; i++) this.connections.push(new Connection(per));
    gateway.attach(this);
  }

  /** Starts listening on the configured port (and bind address unless it is 0.0.0.0). */
  start(): void {
    const c = this.gateway.config;
    const self = this;
    const options: ListenerOptions = {
      port: c.port,
      onReadable(count: number) {
        for (let i = 0; i < count; i++) {
          const from = this.read();
          if (from === undefined) break;
          self.accepted(from);
        }
      },
    };
    if (c.bind !== "0.0.0.0") options.address = c.bind;
    this.listener = new this.o.Listener(options);
  }

  stop(): void {
    if (this.listener) this.listener.close();
    this.listener = null;
    const now = this.o.now();
    for (let id = 0; id < this.connections.length; id++) {
      const c = this.connections[id];
      if (c.socket === null) continue;
      this.forget(c);
      this.gateway.disconnected(id, now);
    }
  }

  private accepted(from: SocketHandle): void {
    const self = this;
    let id = -1;
    const socket = new this.o.TCP({
      from,
      nodelay: true,
      format: "buffer",
      onReadable(count: number) {
        const c = self.connections[id];
        if (id < 0 || c.socket !== this) return;
        c.available = count;
        self.pull(id);
      },
      onWritable(count: number) {
        const c = self.connections[id];
        if (id < 0 || c.socket !== this) return;
        c.room = count;
        self.flush(c);
      },
      onError() {
        const c = self.connections[id];
        if (id < 0 || c.socket !== this) { this.close(); return; }
        self.forget(c);
        self.gateway.disconnected(id, self.o.now());
        self.input();
      },
    });
    const address = socket.remoteAddress ?? "";
    id = this.gateway.accept(address, this.o.now());
    if (id < 0) {
      this.refused++;
      this.o.log?.(`gateway: refused ${address}`);
      id = -1;
      socket.close();
      return;
    }
    const c = this.connections[id];
    c.socket = socket;
    c.available = 0;
    c.inboxStart = c.inboxEnd = 0;
    c.outboxLength = 0;
    c.room = 0;
  }

  /** Offers held bytes, then reads more while the engine takes them all. */
  private pull(id: number): void {
    const c = this.connections[id];
    const now = this.o.now();
    for (;;) {
      if (c.socket === null) return;
      if (c.inboxEnd > c.inboxStart) {
        const used = this.gateway.received(id, c.inbox, c.inboxStart, c.inboxEnd - c.inboxStart, now);
        if (c.socket === null) break;
        c.inboxStart += used;
        if (c.inboxStart < c.inboxEnd) break; // the client is at its limit: wait for resume()
      }
      if (c.available === 0) break;
      const n = c.available < c.inbox.length ? c.available : c.inbox.length;
      c.socket.read(c.inbox.subarray(0, n));
      c.available -= n;
      c.inboxStart = 0;
      c.inboxEnd = n;
    }
    this.input();
  }

  private input(): void {
    if (this.o.onInput) this.o.onInput();
  }

  private flush(c: Connection): void {
    if (c.socket === null || c.outboxLength === 0) return;
    const n = c.outboxLength < c.room ? c.outboxLength : c.room;
    if (n === 0) return;
    c.room = this.write(c.socket, c.outbox.subarray(0, n), c.room);
    c.outbox.copyWithin(0, n, c.outboxLength);
    c.outboxLength -= n;
  }

  /** Writes `bytes` (known to fit `room`) and returns the space left. */
  private write(socket: TcpIo, bytes: Uint8Array, room: number): number {
    const left = socket.write(bytes);
    return typeof left === "number" ? left : room - bytes.length;
  }

  private forget(c: Connection): void {
    const s = c.socket;
    c.socket = null;
    c.available = 0;
    c.inboxStart = c.inboxEnd = 0;
    c.outboxLength = 0;
    if (s !== null) s.close();
  }

  // ---- GatewayLink ----

  send(client: number, buffer: Uint8Array, offset: number, length: number): void {
    const c = this.connections[client];
    if (c.socket === null) return;
    if (c.outboxLength === 0 && length <= c.room) {
      c.room = this.write(c.socket, buffer.subarray(offset, offset + length), c.room);
      return;
    }
    if (c.outboxLength + length > c.outbox.length) {
      // More unsent responses than the client may have requests: it is not reading; let it go (the engine hears of it
      // on the next turn, not from inside its own call).
      this.overflows++;
      this.forget(c);
      const self = this;
      Promise.resolve().then(() => { self.gateway.disconnected(client, self.o.now()); self.input(); });
      return;
    }
    c.outbox.set(buffer.subarray(offset, offset + length), c.outboxLength);
    c.outboxLength += length;
    this.flush(c);
  }

  close(client: number, reason: number): void {
    const c = this.connections[client];
    this.o.log?.(`gateway: closed a client (${GW_COUNTER_NAMES[reason]})`);
    this.forget(c);
  }

  resume(client: number): void {
    const self = this;
    // Never re-enter the engine from inside its own call: continue from the next turn of the event loop.
    Promise.resolve().then(() => self.pull(client));
  }
}
