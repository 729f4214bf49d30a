/*
 * The Node serial host: one RS-485 port over the npm `serialport` package (v13), running one sans-I/O engine through the
 * port contract of modules/port/contract.ts (docs/architecture.md).
 *
 * - Line: any baud the adapter accepts; framing 8N1, 8E1, 8O1 or 8N2 (Modbus over Serial Line V1.02 §2.5.1).
 * - Time: integer µs from process.hrtime since the host was created (small numbers, one monotonic clock). With
 *   `onRebase` set, the host lowers its clock by REBASE_US (modules/port/time-rebase.ts) each time it passes that, before it
 *   calls into the engines, and tells `onRebase`, which lowers every engine's times by the same amount: times stay in
 *   V8's small-integer range, so passing them around allocates nothing however long `rc485 run` runs. `rebasedUs` says
 *   how far the clock has been lowered in all (for a wall clock: origin + now() + rebasedUs).
 * - Timer: one setTimeout, re-armed at the engine's nextDeadline() after every call into the engine; service(now) is never
 *   called before the deadline (a timer that fires early is re-armed).
 * - Driver enable: most USB adapters switch direction themselves; with `rts` the host raises RTS before writing and drops
 *   it at the time modules/port/driver-enable.ts computes from the bytes written, the baud and the timer tick (1 ms), and not
 *   before the kernel reports the bytes drained. The engine hears `transmitted(now)` at that time either way, so its
 *   silence rules see the line as a real one. A peer that answers before that time (a pseudo-terminal has no baud rate)
 *   proves the line free: the transmission is ended at once and the bytes are delivered. Without `echo` that holds even
 *   before the kernel reports the drain (the drain callback can come after a fast peer's reply); a late drain callback
 *   then finds the transmission already ended and does nothing.
 * - Hot-unplug: a port that closes on its own (adapter unplugged, `disconnected`) is reported and reopened with backoff
 *   (0.5 s doubling to 30 s). Meanwhile the engine keeps running: writes are dropped and counted, `transmitted` still
 *   comes at the computed time, so the master times out and the scheduler keeps its grid and backoff.
 * - Reconfigure: reconfigure(baud, framing) closes the device and opens it at another line setting (`rc485 scan`); the
 *   timing that follows from the line (DE release, character time) is recomputed, and a transmit() waits for the open.
 * - A device that cannot be opened at start is a one-line SerialOpenError naming the device and the cause.
 */
import { SerialPort } from "serialport";
import { driverReleaseTimeUs } from "../../modules/port/driver-enable";
import { NO_DEADLINE, type PortListener, type ReconfigurablePort, type Timed } from "../../modules/port/contract";
import { LineTiming, type Framing } from "../../modules/rtu/timing";
import { REBASE_US } from "../../modules/port/time-rebase";

export interface SerialSettings {
  /** Device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/usb-…. */
  readonly path: string;
  readonly baud: number;
  readonly framing: Framing;
  /** Drive RTS as driver enable (high while sending). */
  readonly rts?: boolean;
  /** RTS is active low on this adapter. */
  readonly rtsInvert?: boolean;
  /** The adapter hears its own transmissions (RE not tied to DE): deliver them (the master's `echo` option skips them). */
  readonly echo?: boolean;
  /** First and longest reopen delay after the device disappears, ms (default 500 and 30000). */
  readonly reopenMinMs?: number;
  readonly reopenMaxMs?: number;
  /** The host clock in µs (default: process.hrtime since this host was created); hosts sharing one engine share one clock. */
  readonly clock?: () => number;
  /** Status lines (disconnects, reopen attempts). */
  readonly log?: (line: string) => void;
  /** Makes the device (default: a `serialport` SerialPort); tests pass a fake one to control when its events come. */
  readonly createDevice?: (options: DeviceOptions) => SerialDevice;
}

/** The options the host gives the device (those of serialport's SerialPort constructor it uses). */
export interface DeviceOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 8;
  readonly parity: "none" | "even" | "odd";
  readonly stopBits: 1 | 2;
  readonly autoOpen: false;
  readonly hupcl: false;
}

/** What the host uses of a serialport SerialPort. */
export interface SerialDevice {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  /** "data" (Buffer), "error" (Error), "close" (Error with `disconnected`, or null). */
  on(event: string, listener: (...args: any[]) => void): unknown;
  write(data: Buffer, callback: (err: Error | null | undefined) => void): unknown;
  drain(callback: (err: Error | null) => void): void;
  set(options: { rts: boolean }, callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
}

export class SerialOpenError extends Error {}

const FRAMING: Record<Framing, { parity: "none" | "even" | "odd"; stopBits: 1 | 2 }> = {
  "8N1": { parity: "none", stopBits: 1 },
  "8E1": { parity: "even", stopBits: 1 },
  "8O1": { parity: "odd", stopBits: 1 },
  "8N2": { parity: "none", stopBits: 2 },
};

/** Node timers have millisecond resolution. */
export const NODE_TICK_US = 1000;

export function describeOpenError(path: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  if (/ENOENT|No such file/i.test(msg)) return `serial port ${path}: no such device (is the adapter plugged in? ls /dev/serial/by-id/)`;
  if (/EACCES|Permission denied/i.test(msg)) return `serial port ${path}: permission denied (add the user to the dialout group)`;
  if (/EBUSY|Resource busy|Cannot lock/i.test(msg)) return `serial port ${path}: busy (another program has it open)`;
  return `serial port ${path}: cannot open (${msg.replace(/^Error: /, "").split("\n")[0]})`;
}

export interface SerialCounters {
  opens: number;
  disconnects: number;
  reopenAttempts: number;
  rxBytes: number;
  txBytes: number;
  /** Bytes the engine asked to send while the device was gone. */
  txDropped: number;
  writeErrors: number;
}

export class SerialHost implements ReconfigurablePort {
  readonly settings: SerialSettings;
  /** The line setting the device is (being) opened at: the settings' at first, then reconfigure()'s. */
  timing: LineTiming;
  readonly counters: SerialCounters = { opens: 0, disconnects: 0, reopenAttempts: 0, rxBytes: 0, txBytes: 0, txDropped: 0, writeErrors: 0 };
  private port: SerialDevice | null = null;
  private engine: Timed | null = null;
  private listener: PortListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = NO_DEADLINE;
  private readonly origin = process.hrtime.bigint();
  private transmitting = false;
  private drained = false;
  /** The current transmission's bytes have been handed to the device (with `rts`, after RTS is up). */
  private written = false;
  /** Counts transmissions, so a drain callback that comes after its transmission ended (and a new one began) is ignored. */
  private txSerial = 0;
  private releaseAt = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenDelay = 0;
  private closing = false;
  private connected = false;
  /** A reconfigure() is closing and reopening the device: a transmit() waits in `held` until it is open. */
  private reopening = false;
  private held: { buffer: Uint8Array; offset: number; length: number } | null = null;
  /** µs the clock has been lowered by, in all (see the header). */
  rebasedUs = 0;
  /** Lowers the engines' times by `deltaUs` when the host lowers its clock (see the header); null: never rebase. */
  onRebase: ((deltaUs: number) => void) | null = null;

  constructor(settings: SerialSettings) {
    if (typeof settings.path !== "string" || settings.path.length === 0) throw new TypeError("serial: path must be a device path");
    if (!Object.prototype.hasOwnProperty.call(FRAMING, settings.framing)) throw new RangeError(`serial: framing must be one of 8N1, 8E1, 8O1, 8N2 (got ${String(settings.framing)})`);
    this.settings = settings;
    this.timing = new LineTiming(settings.baud, settings.framing);
  }

  /** µs since this host was created, less `rebasedUs`. */
  now(): number {
    return this.settings.clock ? this.settings.clock() : Number((process.hrtime.bigint() - this.origin) / 1000n) - this.rebasedUs;
  }

  /** Lowers the clock and the engines' times by REBASE_US once it has passed that (before calling into an engine). */
  private rebaseIfDue(): void {
    if (this.onRebase === null || this.settings.clock || this.now() < REBASE_US) return;
    this.rebasedUs += REBASE_US;
    if (this.timerAt !== NO_DEADLINE) this.timerAt -= REBASE_US;
    this.releaseAt -= REBASE_US;
    this.onRebase(REBASE_US);
  }

  get isOpen(): boolean {
    return this.connected;
  }

  /** The engine (its timer side) and the listener of this port's bytes. */
  attach(engine: Timed | null, listener: PortListener): void {
    this.engine = engine;
    this.listener = listener;
    this.poke();
  }

  /** Opens the device; rejects with a one-line SerialOpenError. */
  async open(): Promise<void> {
    this.closing = false;
    await this.openOnce();
  }

  private openOnce(): Promise<void> {
    const s = this.settings;
    const f = FRAMING[this.timing.framing];
    return new Promise((resolve, reject) => {
      const options: DeviceOptions = { path: s.path, baudRate: this.timing.baud, dataBits: 8, parity: f.parity, stopBits: f.stopBits, autoOpen: false, hupcl: false };
      const port: SerialDevice = s.createDevice ? s.createDevice(options) : new SerialPort(options);
      port.open((err) => {
        if (err) { reject(new SerialOpenError(describeOpenError(s.path, err))); return; }
        this.port = port;
        this.connected = true;
        this.counters.opens++;
        this.reopenDelay = 0;
        // Events of a device this host has let go (closed for a reconfigure() or close()) are not its business.
        port.on("data", (chunk: Buffer) => { if (this.port === port) this.onData(chunk); });
        port.on("error", (e: Error) => { this.counters.writeErrors++; this.log(`serial port ${s.path}: ${e.message}`); });
        port.on("close", (e: (Error & { disconnected?: boolean }) | null) => { if (this.port === port) this.onClose(e); });
        if (s.rts) port.set({ rts: !!s.rtsInvert }, () => resolve()); else resolve();
      });
    });
  }

  private log(line: string): void {
    if (this.settings.log) this.settings.log(line);
  }

  private onClose(e: (Error & { disconnected?: boolean }) | null): void {
    this.connected = false;
    this.port = null;
    if (this.closing) return;
    this.counters.disconnects++;
    // A write cut off by the disconnect never drains: end it at its computed time, so the engine goes on.
    if (this.transmitting && !this.drained) { this.drained = true; this.armRelease(); }
    this.log(`serial port ${this.settings.path}: ${e?.disconnected ? "disconnected (adapter unplugged?)" : "closed"}; reopening with backoff`);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    const min = this.settings.reopenMinMs ?? 500;
    const max = this.settings.reopenMaxMs ?? 30000;
    this.reopenDelay = this.reopenDelay === 0 ? min : Math.min(max, this.reopenDelay * 2);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.closing) return;
      this.counters.reopenAttempts++;
      this.openOnce().then(
        () => this.log(`serial port ${this.settings.path}: reopened`),
        (err: Error) => { this.log(`${err.message}; retrying in ${Math.min(max, this.reopenDelay * 2)} ms`); this.scheduleReopen(); },
      );
    }, this.reopenDelay);
  }

  /**
   * Closes the device and opens it again at `baud` and `framing` (ReconfigurablePort, modules/port/contract.ts): `rc485 scan` tries
   * each line setting on one host. Returns at once (null, or why the setting is refused); the device opens
   * asynchronously and a transmit() meanwhile waits until it is open. A device that will not open at the new setting is
   * logged and reopened with backoff, like an unplugged one (transmissions meanwhile are dropped and counted).
   */
  reconfigure(baud: number, framing: Framing): string | null {
    if (this.transmitting || this.held !== null) return `serial port ${this.settings.path}: reconfigure() while sending a frame`;
    if (!Object.prototype.hasOwnProperty.call(FRAMING, framing)) return `serial: framing must be one of 8N1, 8E1, 8O1, 8N2 (got ${String(framing)})`;
    let timing: LineTiming;
    try {
      timing = new LineTiming(baud, framing);
    } catch (e) {
      return (e as Error).message;
    }
    this.timing = timing;
    if (this.closing) return null;
    if (this.reopenTimer) { clearTimeout(this.reopenTimer); this.reopenTimer = null; }
    const old = this.port;
    this.port = null;
    this.connected = false;
    this.reopening = true;
    const reopen = () => this.openOnce().then(
      () => { this.reopening = false; this.sendHeld(); },
      (err: Error) => { this.reopening = false; this.log(`${err.message}; retrying with backoff`); this.scheduleReopen(); this.sendHeld(); },
    );
    if (old && old.isOpen) old.close(() => { if (!this.closing) reopen(); });
    else reopen();
    return null;
  }

  private sendHeld(): void {
    const h = this.held;
    this.held = null;
    if (h !== null) this.transmit(h.buffer, h.offset, h.length);
  }

  // ---- Rs485Port ----

  transmit(buffer: Uint8Array, offset: number, length: number): void {
    if (this.reopening) {
      this.held = { buffer, offset, length };
      return;
    }
    const start = this.now();
    this.transmitting = true;
    this.drained = false;
    this.written = false;
    const serial = ++this.txSerial;
    this.releaseAt = driverReleaseTimeUs(start, length, this.timing, NODE_TICK_US);
    const port = this.port;
    if (!port || !this.connected) {
      this.counters.txDropped += length;
      this.drained = true;
      this.armRelease();
      return;
    }
    const bytes = Buffer.from(buffer.subarray(offset, offset + length));
    const write = () => {
      if (serial !== this.txSerial || !this.transmitting) return;
      this.written = true;
      port.write(bytes, (err) => { if (err) this.counters.writeErrors++; });
      this.counters.txBytes += length;
      port.drain(() => { if (serial === this.txSerial) { this.drained = true; this.armRelease(); } });
    };
    if (this.settings.rts) port.set({ rts: !this.settings.rtsInvert }, write); else write();
  }

  private armRelease(): void {
    if (!this.transmitting) return;
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    const wait = this.releaseAt - this.now();
    if (wait <= 0) { this.release(); return; }
    this.releaseTimer = setTimeout(() => { this.releaseTimer = null; this.armRelease(); }, Math.ceil(wait / 1000));
  }

  private release(): void {
    if (!this.transmitting) return;
    if (this.releaseTimer) { clearTimeout(this.releaseTimer); this.releaseTimer = null; }
    this.transmitting = false;
    if (this.settings.rts && this.port && this.connected) this.port.set({ rts: !!this.settings.rtsInvert }, () => {});
    const now = this.now();
    this.listener?.transmitted(now);
    this.poke();
  }

  private onData(chunk: Buffer): void {
    this.counters.rxBytes += chunk.length;
    if (this.transmitting) {
      // Without echo, any byte heard while we transmit is the peer's answer, and an answer can only follow our last byte:
      // the line is free (see the header), even when the kernel's drain callback has not come yet (a fast peer on a
      // pseudo-terminal or a loaded machine beats it). With echo, bytes before the drain are our own, delivered for the
      // master to match and skip; after the drain they are the answer.
      if (this.drained || (this.written && !this.settings.echo)) this.release();
    }
    const data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    this.rebaseIfDue();
    this.listener?.received(data, 0, data.length, this.now());
    this.poke();
  }

  // ---- timer ----

  /** Rereads the engine's deadline and re-arms the timer (call after submitting work from outside the engine). */
  poke(): void {
    const e = this.engine;
    if (!e) return;
    const d = e.nextDeadline();
    if (d === this.timerAt && this.timer) return;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.timerAt = d;
    if (d === NO_DEADLINE || this.closing) return;
    const wait = Math.max(0, Math.ceil((d - this.now()) / 1000));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.timer = null;
    const e = this.engine;
    if (!e || this.closing) return;
    this.rebaseIfDue();
    const d = this.timerAt;
    const now = this.now();
    if (d !== NO_DEADLINE && now < d) { this.timerAt = NO_DEADLINE; this.poke(); return; }
    this.timerAt = NO_DEADLINE;
    e.service(now);
    this.poke();
  }

  /** Stops the timers and closes the device. */
  close(): Promise<void> {
    this.closing = true;
    for (const t of [this.timer, this.releaseTimer, this.reopenTimer]) if (t) clearTimeout(t);
    this.timer = this.releaseTimer = this.reopenTimer = null;
    const port = this.port;
    this.port = null;
    this.connected = false;
    if (!port || !port.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}
