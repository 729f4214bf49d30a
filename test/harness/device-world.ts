/*
 * The device modules rc485's ESP32 host imports (`mc/config`, `embedded:io/serial`, `timer`, `wifi`, `preference`,
 * `Resource`, the sockets, the MQTT client, `http`, `mc/ffi`…) as fakes bound to one simulated board, so that
 * `setup/rc485` (hosts/esp32/setup-rc485.ts) boots unchanged off the device: on Node or on the XS engine, bundled by
 * esbuild with `deviceModulesPlugin` (test/harness/device-modules.mjs) mapping each specifier to an export of this file.
 *
 * Serial, Digital, Timer and Time.microseconds are the fake ESP32's (hosts/sim/esp32-fakes.ts) on the simulator's
 * virtual clock. The network fakes follow the SDK's behaviour as the other ESP32 tests do (test/esp32-mqtt.test.ts,
 * test/harness/moddable-socket-fakes.ts), in memory: the MQTT client answers CONNACK and PUBACKs after a few ms of
 * virtual time; the listener hands over in-memory connections whose replies the test reads; Wi-Fi is joined or dropped
 * when the test says. Callbacks always come later, from the board's timers, never inside a call.
 * Test tooling: no Node API (it runs on XS), allocates freely.
 */
import type { FakeEsp32, FakeFlash } from "../../hosts/sim/esp32-fakes";
import { utf8 } from "../../hosts/esp32/utf8";

interface TimerLike { set(cb: (t: unknown) => void, interval?: number, repeat?: number): unknown; schedule(t: unknown, interval?: number, repeat?: number): void; clear(t: unknown): void }

class World {
  board: FakeEsp32 | null = null;
  config: Record<string, unknown> = {};
  // Made by reset() at run time, not by the module body: a bundle's body is preloaded on XS, and a Map or array it makes
  // is frozen there (entries added later are not kept by the run machine's collector).
  resources!: Map<string, string>;
  preferences!: Map<string, string | number | boolean | ArrayBuffer>;
  flash!: Map<string, FakeFlash>;
  logs!: string[];
  restarts = 0;
  wifi!: { instances: number; joined: boolean; events: string[]; current: FakeWiFi | null; autoJoinMs: number };
  mqtt!: { clients: FakeMqttClient[]; published: number; publishedBytes: number; acked: number; connacks: number };
  listeners!: FakeListener[];
  http!: HttpServer[];

  /** A fresh world: call before each boot. */
  reset(): void {
    this.board = null;
    this.config = {};
    this.resources = new Map();
    this.preferences = new Map();
    this.flash = new Map();
    this.logs = [];
    this.restarts = 0;
    this.wifi = { instances: 0, joined: false, events: [], current: null, autoJoinMs: 1000 };
    this.mqtt = { clients: [], published: 0, publishedBytes: 0, acked: 0, connacks: 0 };
    this.due = [];
    this.ticker = null;
    this.listeners = [];
    this.http = [];
  }

  get io() {
    if (this.board === null) throw new Error("device world: no board (set world.board first)");
    return this.board.io;
  }
  get timer(): TimerLike {
    return this.io.Timer as unknown as TimerLike;
  }
  /** Callbacks due at a board time (ms), run by one repeating timer: one-shot timers would pile up in the fake board. */
  private due!: { at: number; fn: () => void }[];
  private ticker: unknown = null;

  /** Runs `fn` `ms` milliseconds later (virtual time), from a board timer, never inside the caller. */
  later(ms: number, fn: () => void): void {
    const now = Math.floor(this.io.now() / 1000);
    this.due.push({ at: now + Math.max(1, ms), fn });
    if (this.ticker === null) this.ticker = this.timer.set(() => this.tick(), 1, 1);
  }

  private tick(): void {
    const now = Math.floor(this.io.now() / 1000);
    for (let i = 0; i < this.due.length; ) {
      const d = this.due[i];
      if (d.at <= now) { this.due.splice(i, 1); d.fn(); } else i++;
    }
  }
}

export const world = new World();

// ---- mc/config ----
export const config: Record<string, unknown> = new Proxy({}, {
  get: (_t, k) => world.config[k as string],
  has: (_t, k) => k in world.config,
  ownKeys: () => Reflect.ownKeys(world.config),
  getOwnPropertyDescriptor: (_t, k) => Reflect.getOwnPropertyDescriptor(world.config, k),
});

// ---- embedded:io/serial, rc485/uart-rs485, embedded:io/digital, timer, time ----
export class Serial {
  constructor(options: unknown) {
    return new (world.io.Serial as unknown as new (o: unknown) => object)(options);
  }
}
/** rc485's native UART class (hosts/esp32/native) on the fake board. */
export class UartRs485 {
  constructor(options: unknown) {
    return new (world.io.UartRs485 as unknown as new (o: unknown) => object)(options);
  }
}
export class Digital {
  static get Output(): unknown { return (world.io.Digital as unknown as { Output: unknown }).Output; }
  constructor(options: unknown) {
    return new (world.io.Digital as unknown as new (o: unknown) => object)(options);
  }
}
export const Timer = {
  set: (cb: (t: unknown) => void, interval?: number, repeat?: number) => world.timer.set(cb, interval, repeat),
  repeat: (cb: (t: unknown) => void, interval: number) => world.timer.set(cb, interval, interval),
  schedule: (t: unknown, interval?: number, repeat?: number) => world.timer.schedule(t, interval, repeat),
  clear: (t: unknown) => world.timer.clear(t),
};
export const Time = {
  get microseconds(): number { return world.io.now(); },
  set(_seconds: number): void {},
};

// ---- flash: the data partitions a test puts in world.flash (name → FakeFlash); an unknown name throws as the SDK does ----
export class Flash {
  constructor(name: string) {
    const f = world.flash.get(name);
    if (f === undefined) throw new Error("can't find partition");
    return f as unknown as Flash;
  }
}

// ---- preference, Resource, mc/ffi, sntp ----
export class Preference {
  static get(domain: string, key: string) { return world.preferences.get(`${domain}.${key}`); }
  static set(domain: string, key: string, value: string | number | boolean | ArrayBuffer) { world.preferences.set(`${domain}.${key}`, value); }
  static delete(domain: string, key: string) { world.preferences.delete(`${domain}.${key}`); }
  static keys(domain: string) { return [...world.preferences.keys()].filter((k) => k.startsWith(`${domain}.`)).map((k) => k.slice(domain.length + 1)); }
}
export class Resource {
  private readonly text: string;
  static exists(name: string): boolean { return world.resources.has(name); }
  constructor(name: string) {
    const t = world.resources.get(name);
    if (t === undefined) throw new Error(`Resource not found: ${name}`);
    this.text = t;
  }
  slice(begin: number, end?: number): ArrayBuffer {
    return utf8(this.text).slice(begin, end);
  }
}

/** XS on the device has String.fromArrayBuffer (UTF-8); the engines the tests run on may not. */
function fromArrayBuffer(buffer: ArrayBuffer): string {
  const b = new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    let cp: number;
    if (c < 0x80) { cp = c; i += 1; }
    else if (c < 0xe0) { cp = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f); i += 2; }
    else if (c < 0xf0) { cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f); i += 3; }
    else { cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f); i += 4; }
    s += String.fromCodePoint(cp);
  }
  return s;
}
const StringWithBuffers = String as unknown as { fromArrayBuffer?: (b: ArrayBuffer) => string };
if (typeof StringWithBuffers.fromArrayBuffer !== "function") StringWithBuffers.fromArrayBuffer = fromArrayBuffer;
export class FFI {
  esp_restart(): void { world.restarts++; }
}
export class SNTP {
  static readonly time = 1;
  static readonly error = -1;
  constructor(_o: unknown, cb: (message: number, value?: number) => void) { world.later(100, () => cb(SNTP.time, 1767225600)); }
  close(): void {}
}

// ---- wifi ----
export class FakeWiFi {
  closed = false;
  constructor(readonly options: { ssid: string; password?: string } | undefined, readonly callback: (message: string) => void) {
    world.wifi.instances++;
    world.wifi.current = this;
    // A join attempt (options given) succeeds after autoJoinMs; a listener (undefined) only hears events.
    if (options !== undefined) world.later(world.wifi.autoJoinMs, () => { if (!this.closed && world.wifi.current === this) wifiEvent("gotIP"); });
  }
  close(): void { this.closed = true; }
  static readonly gotIP = "gotIP";
  static readonly disconnected = "disconnect";
}
/** Delivers a Wi-Fi event to the current WiFi object (later, from a timer). */
export function wifiEvent(message: "gotIP" | "disconnect"): void {
  const w = world.wifi.current;
  world.wifi.events.push(message);
  world.wifi.joined = message === "gotIP";
  if (w !== null && !w.closed) w.callback(message);
}

// ---- embedded:network/mqtt/client (+ the DNS, UDP, TCP and TLS classes it is given) ----
interface MqttOptions {
  host: string;
  onControl?: (this: unknown, m: { operation: number; id?: number }) => void;
  onWritable?: (this: unknown, count: number) => void;
  onError?: (this: unknown) => void;
}
export class FakeMqttClient {
  closed = false;
  constructor(readonly options: MqttOptions) {
    world.mqtt.clients.push(this);
    world.later(20, () => {
      if (this.closed || !world.wifi.joined) return;
      world.mqtt.connacks++;
      this.options.onControl?.call(this, { operation: 2 });
      this.options.onWritable?.call(this, 4096);
    });
  }
  write(data: ArrayBuffer | null, o?: { topic?: string; QoS?: number; retain?: boolean; id?: number }): number {
    if (this.closed) throw new Error("closed");
    if (!world.wifi.joined) {
      world.later(5, () => { if (!this.closed) this.options.onError?.call(this); });
      throw new Error("socket closed");
    }
    world.mqtt.published++;
    world.mqtt.publishedBytes += data === null ? 0 : data.byteLength;
    const id = o?.id;
    if (o?.QoS === 1 && id !== undefined) world.later(10, () => { if (!this.closed) { world.mqtt.acked++; this.options.onControl?.call(this, { operation: 4, id }); } });
    return 4096;
  }
  read(): ArrayBuffer { return new ArrayBuffer(0); }
  close(): void { this.closed = true; }
}
export class Placeholder {
  constructor(_o?: unknown) {}
  close(): void {}
}

// ---- embedded:io/socket/listener, embedded:io/socket/tcp: in-memory connections ----
export class FakeConnection {
  /** Bytes the client sent, not yet read by the device. */
  inbound: number[] = [];
  /** Bytes the device wrote. */
  outbound: number[] = [];
  socket: FakeTcp | null = null;
  closed = false;
  constructor(readonly remoteAddress: string) {}
  /** The client sends bytes: onReadable follows. */
  send(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.inbound.push(bytes[i]);
    world.later(1, () => { const s = this.socket; if (s !== null && !this.closed) s.options.onReadable.call(s, this.inbound.length); });
  }
}
interface ListenerOptions { port: number; address?: string; onReadable: (this: unknown, count: number) => void }
export class FakeListener {
  pending: FakeConnection[] = [];
  closed = false;
  constructor(readonly options: ListenerOptions) { world.listeners.push(this); }
  /** A client connects: onReadable(1) follows. */
  connect(remoteAddress = "192.168.1.20"): FakeConnection {
    const c = new FakeConnection(remoteAddress);
    this.pending.push(c);
    world.later(1, () => { if (!this.closed) this.options.onReadable.call(this, this.pending.length); });
    return c;
  }
  read(): FakeConnection | undefined { return this.pending.shift(); }
  close(): void { this.closed = true; }
}
interface TcpOptions { from: FakeConnection; onReadable: (this: unknown, count: number) => void; onWritable: (this: unknown, count: number) => void; onError: (this: unknown) => void }
export class FakeTcp {
  readonly remoteAddress: string;
  constructor(readonly options: TcpOptions) {
    const c = options.from;
    c.socket = this;
    this.remoteAddress = c.remoteAddress;
    world.later(1, () => { if (!c.closed) options.onWritable.call(this, 5744); if (c.inbound.length > 0) options.onReadable.call(this, c.inbound.length); });
  }
  read(buffer: Uint8Array): number {
    const c = this.options.from;
    if (buffer.length > c.inbound.length) throw new Error("read too much");
    for (let i = 0; i < buffer.length; i++) buffer[i] = c.inbound.shift() as number;
    return buffer.length;
  }
  write(buffer: Uint8Array): number {
    const c = this.options.from;
    for (let i = 0; i < buffer.length; i++) c.outbound.push(buffer[i]);
    return 5744;
  }
  close(): void { this.options.from.closed = true; }
}

// ---- http ----
export class HttpServer {
  static readonly status = 2;
  static readonly header = 4;
  static readonly headersComplete = 5;
  static readonly requestComplete = 7;
  static readonly prepareResponse = 8;
  callback: ((this: object, message: number, value?: unknown, value2?: unknown) => unknown) | null = null;
  constructor(readonly options: { port: number }) { world.http.push(this); }
  /** One GET request through the callback protocol; returns the prepared response. */
  get(path: string): { status: number; body: ArrayBuffer } {
    const request = {};
    const cb = this.callback as (this: object, message: number, value?: unknown, value2?: unknown) => unknown;
    cb.call(request, HttpServer.status, path, "GET");
    cb.call(request, HttpServer.headersComplete);
    cb.call(request, HttpServer.requestComplete);
    return cb.call(request, HttpServer.prepareResponse) as { status: number; body: ArrayBuffer };
  }
  /** One request without a body (e.g. POST /api/scan) with an Authorization header; returns the prepared response. */
  send(method: string, path: string, authorization: string): { status: number; body: ArrayBuffer } {
    const request = {};
    const cb = this.callback as (this: object, message: number, value?: unknown, value2?: unknown) => unknown;
    cb.call(request, HttpServer.status, path, method);
    cb.call(request, HttpServer.header, "authorization", authorization);
    cb.call(request, HttpServer.headersComplete);
    cb.call(request, HttpServer.requestComplete);
    return cb.call(request, HttpServer.prepareResponse) as { status: number; body: ArrayBuffer };
  }
  close(): void {}
}

export function log(line: string): void {
  world.logs.push(line);
}
