/*
 * Fakes of the Moddable SDK's `http` Server and the lwIP socket under it, for the ESP32 host's HTTP adapter
 * (hosts/esp32/http-server.ts) on Node: FakeHttpServer models modules/network/http/http.js's server state machine, and
 * FakeLwipSocket modules/network/socket/lwip/modSocket.c's write with its send buffer. The board fakes (Serial, Digital,
 * Timer, preference) are in hosts/sim/esp32-fakes.ts. Test tooling (Node only: Buffer); allocates freely.
 */
import { utf8 } from "../esp32/utf8";

/**
 * The lwIP TCP socket under the SDK's `http` Server (modules/network/socket/lwip/modSocket.c xs_socket_write): write()
 * with no argument returns the free send-buffer space; write(...parts) counts strings in UTF-8 and throws "can't write
 * all data" when they exceed it (line 755), writing nothing. The send buffer is CONFIG_LWIP_TCP_SND_BUF_DEFAULT,
 * 8,192 B for the ESP32 (build/devices/esp32/xsProj-esp32/sdkconfig.defaults line 45). Bytes stay in flight until the
 * test acknowledges them (ack()), which frees the space, as the peer's ACKs do.
 */
export class FakeLwipSocket {
  static readonly SEND_BUFFER = 8192;
  readonly out: Uint8Array[] = [];
  inFlight = 0;
  refusedWrites = 0;
  closed = false;

  free(): number {
    return FakeLwipSocket.SEND_BUFFER - this.inFlight;
  }

  write(...parts: (string | ArrayBuffer | ArrayBufferView)[]): number | undefined {
    if (parts.length === 0) return this.closed ? 0 : this.free();
    const bytes = parts.map((p) => typeof p === "string" ? new Uint8Array(utf8(p))
      : p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice());
    const needed = bytes.reduce((n, b) => n + b.length, 0);
    if (needed > this.free()) {
      this.refusedWrites++;
      throw new Error("can't write all data");
    }
    for (const b of bytes) this.out.push(b);
    this.inFlight += needed;
    return undefined;
  }

  /** The peer acknowledges up to `n` bytes; returns how many were freed. */
  ack(n: number): number {
    const k = Math.min(n, this.inFlight);
    this.inFlight -= k;
    return k;
  }

  text(): string {
    return Buffer.concat(this.out).toString("utf8");
  }
}

/**
 * A model of the SDK's `http` Server (modules/network/http/http.js, class Server and its `server` state machine) over
 * one FakeLwipSocket per connection, as rc485's HTTP adapter meets it:
 *  - the callback runs with the connection's request object as `this`; messages status(path, method), header(lowercase
 *    name, value) — `content-length` sets `this.total` from parseInt first, when it is non-zero —, headersComplete (its
 *    result: String to receive the body as a string, false to discard it; the body is read only if `this.total` is still
 *    set after the callback), requestComplete(body), prepareResponse, responseFragment(count), responseComplete, error;
 *  - prepareResponse's headers are written with "connection: close"; a body that is not `true` gets a content-length
 *    the SDK computes itself (string: its length in UTF-16 units; buffer: byteLength) after the caller's headers, and is
 *    written in one write (throws when it does not fit, closing the connection with Server.error); `body: true` without
 *    content-length is sent chunked from responseFragment(free − 8), with content-length streamed from
 *    responseFragment(free); a fragment of length 0 ends the body;
 *  - a body written whole completes and closes the connection in the same step; after a streamed body's end, the next
 *    writable event (an acknowledgement) does.
 * Test tooling; allocates freely.
 */
export class FakeHttpServer {
  static readonly connection = 1;
  static readonly status = 2;
  static readonly header = 3;
  static readonly headersComplete = 4;
  static readonly requestFragment = 5;
  static readonly requestComplete = 6;
  static readonly prepareResponse = 8;
  static readonly responseFragment = 9;
  static readonly responseComplete = 10;
  static readonly error = -1;
  static last: FakeHttpServer | null = null;
  callback: ((this: Record<string, unknown>, message: number, a?: unknown, b?: unknown) => unknown) | undefined;
  readonly port: number;
  closed = false;

  constructor(options: { port: number }) {
    this.port = options.port;
    FakeHttpServer.last = this;
  }

  close(): void {
    this.closed = true;
  }

  /** A client connects and sends `request` (text or bytes, possibly only part of what its headers announce). */
  connect(request: string | Uint8Array): FakeHttpConnection {
    if (this.callback === undefined) throw new Error("no callback");
    return new FakeHttpConnection(this.callback, request);
  }
}

export class FakeHttpConnection {
  readonly socket = new FakeLwipSocket();
  /** The SDK's request object: the callback's `this`. */
  readonly request: Record<string, unknown> = {};
  state = 1;
  done = false;
  errored = false;
  /** Request body bytes the server read from the socket. */
  bodyBytesRead = 0;
  private flags = 0;
  private body: unknown;

  constructor(private readonly callback: (this: Record<string, unknown>, message: number, a?: unknown, b?: unknown) => unknown, request: string | Uint8Array) {
    const raw = typeof request === "string" ? Buffer.from(request, "utf8") : Buffer.from(request);
    this.guard(() => this.receive(raw));
  }

  private call(message: number, a?: unknown, b?: unknown): unknown {
    return this.callback.call(this.request, message, a, b);
  }

  private guard(f: () => void): void {
    if (this.done) return;
    try {
      f();
    } catch {
      this.errored = true;
      try { this.call(FakeHttpServer.error); } finally { this.finish(); }
    }
  }

  private finish(): void {
    this.done = true;
    this.socket.closed = true;
  }

  private receive(raw: Buffer): void {
    const end = raw.indexOf("\r\n\r\n");
    if (end < 0) return; // headers never complete: the SDK waits
    const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
    const status = lines[0].split(" ");
    if (status.length < 3) throw new Error("unexpected status format");
    this.call(FakeHttpServer.status, status.slice(1, -1).join(" "), status[0]);
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (name === "content-length") {
        const n = parseInt(value);
        if (n) this.request.total = n;
      }
      if (name === "transfer-encoding" && value.toLowerCase() === "chunked") throw new Error("chunked request body not implemented");
      this.call(FakeHttpServer.header, name, value);
    }
    const kind = this.call(FakeHttpServer.headersComplete);
    if (this.request.total !== undefined) {
      const total = this.request.total as number;
      const available = raw.subarray(end + 4);
      const n = Math.min(total, available.length);
      this.bodyBytesRead = n;
      if (n < total) return; // the rest of the body never comes: the SDK waits
      const body = available.subarray(0, total);
      delete this.request.total;
      this.call(FakeHttpServer.requestComplete, kind === false ? undefined : kind === String ? body.toString("utf8") : body.buffer.slice(body.byteOffset, body.byteOffset + total));
    }
    this.state = 7;
    this.writable();
  }

  private writable(): void {
    let first = false;
    if (this.state === 7) {
      const r = this.call(FakeHttpServer.prepareResponse) as { status?: number; headers?: unknown[]; body?: unknown } | undefined;
      const parts: string[] = [`HTTP/1.1 ${r?.status ?? 200} X\r\n`, "connection: close\r\n"];
      if (r) {
        let length: number | undefined;
        const h = r.headers ?? [];
        for (let i = 0; i < h.length; i += 2) {
          parts.push(`${String(h[i])}: ${String(h[i + 1])}\r\n`);
          if (String(h[i]).toLowerCase() === "content-length") length = parseInt(String(h[i + 1]));
        }
        this.body = r.body;
        if (r.body === true) {
          if (length === undefined) { this.flags = 2; parts.push("transfer-encoding: chunked\r\n"); } else this.flags = 4;
        } else {
          this.flags = 1;
          const b = this.body as string | ArrayBuffer | ArrayBufferView | undefined;
          const count = b === undefined ? 0 : typeof b === "string" ? b.length : b.byteLength;
          parts.push(`content-length: ${count}\r\n`);
        }
      } else parts.push("content-length: 0\r\n");
      parts.push("\r\n");
      this.socket.write(...parts);
      this.state = 8;
      first = true;
      const b = this.body as string | ArrayBuffer | ArrayBufferView | undefined;
      if (b && b !== (true as unknown)) {
        const count = typeof b === "string" ? b.length : b.byteLength;
        if (count > this.socket.free()) return;
      }
    }
    if (this.state === 8) {
      let body = this.body as string | ArrayBuffer | ArrayBufferView | undefined | true;
      if (body === true) body = this.call(FakeHttpServer.responseFragment, this.socket.free() - (this.flags & 2 ? 8 : 0)) as string | ArrayBuffer | ArrayBufferView | undefined;
      const count = body === undefined ? 0 : typeof body === "string" ? body.length : body.byteLength;
      if (count === 0) {
        if (!first) this.state = 9;
      } else if (this.flags & 1) {
        this.socket.write(body as string);
        this.body = undefined;
        this.state = 10;
      } else if (this.flags & 2) {
        this.socket.write(count.toString(16).toUpperCase(), "\r\n", body as string, "\r\n");
      } else this.socket.write(body as string);
    }
    if (this.state === 9) {
      this.state = 10;
      if (this.flags & 2) this.socket.write("0\r\n\r\n");
      return;
    }
    if (this.state === 10) {
      try { this.call(FakeHttpServer.responseComplete); } finally { this.finish(); }
    }
  }

  /** The peer goes away (lwIP reports the disconnect): Server.error, or responseComplete once the answer is out. */
  disconnect(): void {
    if (this.done) return;
    try { this.call(this.state === 10 ? FakeHttpServer.responseComplete : FakeHttpServer.error); } finally { this.finish(); }
  }

  /**
   * The peer acknowledges what is in flight, `segment` bytes at a time, each acknowledgement a writable event, until
   * the server closes the connection or nothing more happens. Returns the number of writable events delivered.
   */
  run(segment = 1460, maxEvents = 10000): number {
    let events = 0;
    while (!this.done && this.state >= 7 && events < maxEvents) {
      if (this.socket.inFlight === 0) break; // nothing to acknowledge: no writable event can come
      this.socket.ack(segment);
      events++;
      this.guard(() => this.writable());
    }
    return events;
  }

  /** The response as the client parses it: status, headers (name → every value), and the body (de-chunked). */
  response(): { status: number; headers: Map<string, string[]>; body: string; complete: boolean } {
    const raw = Buffer.concat(this.socket.out);
    const end = raw.indexOf("\r\n\r\n");
    if (end < 0) return { status: 0, headers: new Map(), body: "", complete: false };
    const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
    const headers = new Map<string, string[]>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      const k = l.slice(0, i).trim().toLowerCase();
      headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
    }
    let rest = raw.subarray(end + 4);
    let body: Buffer;
    let complete: boolean;
    if ((headers.get("transfer-encoding") ?? []).includes("chunked")) {
      const pieces: Buffer[] = [];
      complete = false;
      for (;;) {
        const nl = rest.indexOf("\r\n");
        if (nl < 0) break;
        const n = parseInt(rest.subarray(0, nl).toString("latin1"), 16);
        if (n === 0) { complete = true; break; }
        pieces.push(rest.subarray(nl + 2, nl + 2 + n));
        rest = rest.subarray(nl + 2 + n + 2);
      }
      body = Buffer.concat(pieces);
    } else {
      body = rest;
      const cl = headers.get("content-length");
      complete = cl !== undefined && cl.length === 1 && Number(cl[0]) === body.length;
    }
    return { status: Number(lines[0].split(" ")[1]), headers, body: body.toString("utf8"), complete };
  }
}
