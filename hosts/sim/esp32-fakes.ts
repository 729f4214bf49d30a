/*
 * Fakes of the ESP32 platform classes the rc485 ESP32 host uses (ECMA-419 Serial and Digital, the Moddable Timer and
 * Time.microseconds), running on the simulator's virtual clock and segments, so hosts/esp32 code runs unchanged on Node.
 *
 * They enforce the ESP32 behaviour read from the Moddable SDK (modules/io/serial/esp32/serial.c,
 * modules/base/timer/mc/timer.c; summed up in design.md §6 and hosts/esp32/io.ts):
 *  - Serial: UART1/UART2 only (UART0 is the console: "port in use"), pins must match the board's wiring, the baud must be
 *    the segment's; 128-byte FIFOs (the simulator's "esp32" UART); onReadable after 4 character times of silence or when
 *    the RX FIFO reaches its full threshold, with the count available; bytes arriving on a full RX FIFO are lost (counted
 *    by the UART, never reported to the script); read(buffer) returns min(byteLength, available) or undefined when empty;
 *    write(view) is all or nothing and throws "output full"; after each write, onWritable(free) once the TX FIFO holds
 *    fewer than 10 bytes; callbacks arrive `latencyUs` after the UART event (the interrupt → message → JS loop path).
 *  - Digital: the DE pin of a wired UART; write(1) drives the segment (MAX485 DE and /RE tied).
 *  - Timer: a millisecond counter = floor(virtual µs / 1000); a timer fires when the counter reaches arm-count + interval
 *    (so up to 1 ms early in real time, as on the device) plus `loopUs`; a one-shot is gone after firing (rescheduling it
 *    throws, as the real host-data check does); Timer.schedule(id) pauses a repeating timer.
 *  - now(): the virtual clock (Time.microseconds).
 * Test tooling (Node only); allocates freely.
 */
import type { DigitalClass, DigitalIo, Esp32Io, SerialClass, SerialIo, SerialOptions, TimerApi, TimerId } from "../esp32/io";
import type { EventQueue, EventTarget } from "./events";
import type { Link, Segment } from "./segment";
import { Uart, type UartClient } from "./uart";
import { utf8 } from "../esp32/utf8";

export interface FakeUartWiring {
  segment: Segment;
  uart: 1 | 2;
  txPin: number;
  rxPin: number;
  dePin: number;
  /** Name in the trace. */
  name?: string;
}

export interface FakeBoardOptions {
  name: string;
  uarts: FakeUartWiring[];
  /** UART interrupt → JS callback delay, µs (default 50). */
  latencyUs?: number;
  /** One pass of the JS loop (a 0 ms timer), µs (default 20). */
  loopUs?: number;
  /** RX FIFO full threshold (default 120). */
  rxFullThreshold?: number;
}

export interface FakeBoardCounters {
  timerFires: number;
  serialReadable: number;
  serialWritable: number;
  outputFull: number;
}

const FIRE = 1;

class FakeTimerRecord {
  gen = 0;
  triggerMs = 0;
  repeat = 0;
  scheduled = false;
  alive = true;
  constructor(readonly callback: (t: TimerId) => void) {}
}

/** One simulated ESP32 board: its UART wiring and the platform classes bound to it. */
export class FakeEsp32 implements EventTarget {
  readonly io: Esp32Io;
  readonly uarts: Map<number, { wiring: FakeUartWiring; uart: Uart; open: boolean; link: Link }> = new Map();
  readonly counters: FakeBoardCounters = { timerFires: 0, serialReadable: 0, serialWritable: 0, outputFull: 0 };
  readonly latencyUs: number;
  readonly loopUs: number;
  private readonly queue: EventQueue;
  private readonly timers: FakeTimerRecord[] = [];
  private readonly dePins = new Map<number, number>();

  constructor(queue: EventQueue, options: FakeBoardOptions) {
    this.queue = queue;
    this.latencyUs = options.latencyUs ?? 50;
    this.loopUs = options.loopUs ?? 20;
    for (const w of options.uarts) {
      const uart = new Uart(queue, w.segment, w.name ?? `${options.name}.uart${w.uart}`, false, {
        kind: "esp32", rxFullThreshold: options.rxFullThreshold ?? 120, latencyUs: this.latencyUs,
      });
      this.uarts.set(w.uart, { wiring: w, uart, open: false, link: uart.link });
      this.dePins.set(w.dePin, w.uart);
    }
    const board = this;

    class Serial implements SerialIo, UartClient {
      private readonly uart: Uart;
      private readonly options: SerialOptions;
      private closed = false;
      constructor(options: SerialOptions) {
        const entry = board.uarts.get(options.port);
        if (options.port === 0) throw new Error("port in use (UART0 is the console)");
        if (!entry) throw new RangeError("invalid port");
        if (entry.open) throw new RangeError("port in use");
        const w = entry.wiring;
        if (options.transmit !== w.txPin || options.receive !== w.rxPin) throw new Error(`UART${w.uart} is wired to TX ${w.txPin} / RX ${w.rxPin}, got TX ${options.transmit} / RX ${options.receive}`);
        if (!Number.isInteger(options.baud) || options.baud <= 0 || options.baud > 20000000) throw new RangeError("invalid baud");
        if (options.baud !== w.segment.timing.baud) throw new Error(`UART${w.uart}: ${options.baud} baud on a ${w.segment.timing.baud}-baud bus`);
        if ((options.format ?? "buffer") !== "buffer") throw new RangeError("rc485 uses the buffer format");
        entry.open = true;
        this.uart = entry.uart;
        this.options = options;
        this.uart.client = this;
      }
      read(buffer?: Uint8Array): number | undefined {
        if (this.closed) throw new Error("closed");
        if (!(buffer instanceof Uint8Array)) throw new TypeError("rc485 reads with read(buffer) only (read() and read(n) allocate)");
        if (this.uart.readable === 0) return undefined;
        return this.uart.read(buffer, 0, buffer.length);
      }
      write(buffer: Uint8Array): void {
        if (this.closed) throw new Error("closed");
        if (!ArrayBuffer.isView(buffer)) throw new TypeError("write(buffer) needs a buffer");
        if (buffer.length > this.uart.writable) {
          board.counters.outputFull++;
          throw new Error("output full");
        }
        this.uart.write(buffer, 0, buffer.length);
        this.uart.requestWritable();
      }
      close(): void {
        this.closed = true;
        this.uart.client = null;
      }
      uartReadable(): void {
        if (this.closed) return;
        const count = this.uart.readable;
        if (count === 0) return;
        board.counters.serialReadable++;
        this.options.onReadable(count);
      }
      uartWritable(): void {
        if (this.closed) return;
        board.counters.serialWritable++;
        this.options.onWritable(this.uart.writable);
      }
    }

    const OUTPUT = Object.freeze({ mode: "output" });
    class Digital implements DigitalIo {
      static readonly Output: unknown = OUTPUT;
      private readonly link: Link;
      private readonly segment: Segment;
      constructor(options: { pin: number; mode: unknown }) {
        if (options.mode !== OUTPUT) throw new RangeError("rc485 drives DE as Digital.Output");
        const u = board.dePins.get(options.pin);
        if (u === undefined) throw new Error(`GPIO ${options.pin} is not wired to a transceiver's DE`);
        const entry = board.uarts.get(u)!;
        this.link = entry.link;
        this.segment = entry.wiring.segment;
      }
      write(value: 0 | 1): void {
        if (value !== 0 && value !== 1) throw new RangeError("invalid value");
        this.segment.setDe(this.link, value === 1, board.queue.now);
      }
      close(): void {}
    }

    const Timer: TimerApi = {
      set(callback, interval = 0, repeat = 0) {
        const r = new FakeTimerRecord(callback as (t: TimerId) => void);
        board.timers.push(r);
        board.scheduleTimer(r, interval, repeat);
        return r;
      },
      schedule(id, interval?, repeat = 0) {
        const r = id as FakeTimerRecord;
        if (!(r instanceof FakeTimerRecord) || !r.alive) throw new Error("timer: invalid (a one-shot timer cannot be rescheduled after it fired)");
        if (interval === undefined) {
          r.scheduled = false;
          r.gen++;
          r.repeat = -1;
          return;
        }
        board.scheduleTimer(r, interval, repeat);
      },
      clear(id) {
        const r = id as FakeTimerRecord | undefined;
        if (!(r instanceof FakeTimerRecord)) return;
        r.alive = false;
        r.scheduled = false;
        r.gen++;
      },
    };

    this.io = { Serial: Serial as SerialClass, Digital: Digital as unknown as DigitalClass, Timer, now: () => queue.now };
  }

  /** The simulator UART behind UARTn (counters: rxOverflow, txRefused …). */
  uart(n: number): Uart {
    const e = this.uarts.get(n);
    if (!e) throw new RangeError(`no UART${n} on this board`);
    return e.uart;
  }

  private msNow(): number {
    return Math.floor(this.queue.now / 1000);
  }

  private scheduleTimer(r: FakeTimerRecord, interval: number, repeat: number): void {
    if (!Number.isInteger(interval) || interval < 0) throw new RangeError(`timer interval must be an integer >= 0 ms, got ${interval}`);
    r.gen++;
    r.scheduled = true;
    r.repeat = repeat;
    r.triggerMs = this.msNow() + interval;
    this.post(r);
  }

  private post(r: FakeTimerRecord): void {
    const at = Math.max(this.queue.now, r.triggerMs * 1000) + this.loopUs;
    this.queue.at(at, this, FIRE, this.timers.indexOf(r) * 65536 + (r.gen & 0xffff));
  }

  fire(kind: number, arg: number, _now: number): void {
    if (kind !== FIRE) return;
    const r = this.timers[Math.floor(arg / 65536)];
    if (!r || !r.alive || !r.scheduled || (r.gen & 0xffff) !== arg % 65536) return;
    this.counters.timerFires++;
    if (r.repeat > 0) {
      r.triggerMs += r.repeat;
      const gen = r.gen;
      r.callback(r);
      if (r.gen === gen && r.scheduled) this.post(r);
    } else {
      r.scheduled = false;
      r.alive = false;
      r.callback(r);
    }
  }
}

/**
 * The SDK's `preference` module on ESP32 (modules/files/preference/esp32/modPreference.c) over ESP-IDF NVS, with NVS's
 * limits: domain and key names at most 15 characters, a value at most 4,000 bytes (a string counted in UTF-8 with its
 * NUL) — Moddable SDK documentation/files/files.md line 653; a refused write throws "nvs set fail" (modPreference.c
 * line 109) and stores nothing. `capacityBytes` stands in for the size of the NVS partition (0x6000 in the SDK's
 * build/devices/esp32/xsProj-esp32/partitions.csv; less in practice: one page is kept free, Wi-Fi keeps its own
 * entries). `cutAfterWrites` makes the n-th following set() throw before it stores, as a power cut would.
 */
export class FakePreference {
  static readonly NAME_MAX = 15;
  static readonly VALUE_MAX = 4000;
  readonly map = new Map<string, string | boolean | number | ArrayBuffer>();
  writes = 0;
  refused = 0;
  cutAfterWrites = -1;

  constructor(readonly capacityBytes = 20000) {}

  static sizeOf(v: string | boolean | number | ArrayBuffer): number {
    if (typeof v === "string") return utf8(v).byteLength + 1;
    if (v instanceof ArrayBuffer) return v.byteLength;
    return 4;
  }

  private used(except: string): number {
    let n = 0;
    for (const [k, v] of this.map) if (k !== except) n += FakePreference.sizeOf(v) + 32;
    return n;
  }

  get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined {
    return this.map.get(`${domain}/${key}`);
  }

  set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void {
    if (domain.length > FakePreference.NAME_MAX) throw new Error("nvs_open fail");
    const k = `${domain}/${key}`;
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error("float unsupported");
    if (key.length > FakePreference.NAME_MAX || FakePreference.sizeOf(value) > FakePreference.VALUE_MAX ||
      this.used(k) + FakePreference.sizeOf(value) + 32 > this.capacityBytes || this.cutAfterWrites === 0) {
      this.refused++;
      if (this.cutAfterWrites === 0) this.cutAfterWrites = -1;
      throw new Error("nvs set fail");
    }
    if (this.cutAfterWrites > 0) this.cutAfterWrites--;
    this.map.set(k, value);
    this.writes++;
  }

  delete(domain: string, key: string): void {
    this.map.delete(`${domain}/${key}`);
  }
}

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
