/*
 * The simulator's host adapter: runs any sans-I/O engine (modules/port/contract.ts) on simulated UARTs, the way the ESP32 host does.
 *
 * Theory of operation:
 *  - Each port is a UART on a segment plus a DE line. transmit() raises DE, writes as much of the frame as the TX FIFO
 *    takes, writes the rest piece by piece when the UART says it has room (onWritable), and after the last piece arms a
 *    timer to drop DE at the time modules/port/driver-enable.ts computes from the characters still queued, the baud and the
 *    timer tick. When DE drops the engine hears transmitted(now). A port with `hardwareDe` models the ESP32 UART in RS-485
 *    half-duplex mode (DE on RTS, rc485's native UART class): the UART raises DE when it starts sending and drops it at the
 *    end of the last stop bit, and the engine hears transmitted(now) then, with no timer and no tick.
 *  - Received bytes go to the port's PortListener as the UART hands them over (per byte for "ideal", per FIFO batch for
 *    "esp32"), with the time of the hand-over.
 *  - The timer model: one engine timer per host. After every call into the engine the host rereads nextDeadline(); a timer
 *    armed at time a for deadline d fires at a + ceil((d − a) / tick) × tick (tick 0 = exactly at d), plus a seeded jitter
 *    uniform in [0, jitter]. service(now) is therefore never called before the deadline asked for. The DE-drop timer follows
 *    the same model.
 * An engine with N ports (a repeater has two) gets N Rs485Ports and gives N PortListeners.
 */
import { checkDriverRelease, driverReleaseTimeUs } from "../../modules/port/driver-enable";
import { NO_DEADLINE, type PortListener, type ReconfigurablePort, type Timed } from "../../modules/port/contract";
import type { Framing } from "../../modules/rtu/timing";
import type { Prng } from "../../modules/common/prng";
import type { EventQueue, EventTarget } from "./events";
import type { Segment } from "./segment";
import { Uart, type UartClient, type UartKind, type UartOptions } from "./uart";

export interface HostPortOptions {
  segment: Segment;
  /** "ideal" (default), "esp32", or detailed UART options. */
  uart?: UartKind | UartOptions;
  /** The node hears its own transmissions (receiver always on). */
  echo?: boolean;
  /** Name in the trace (default: host name, plus the port index if there are several). */
  name?: string;
  /** Added to the computed DE release time, µs. Negative values drop DE early (to provoke truncation in tests). */
  deAdjustUs?: number;
  /** The UART drives DE (RS-485 half-duplex mode on RTS): released at the last stop bit, no timer (deAdjustUs unused). */
  hardwareDe?: boolean;
  /**
   * The same wires at other line settings (meters that do not all share one baud and framing): one segment per setting,
   * each with the meters that listen at it. reconfigure(baud, framing) moves the port to the segment of that setting.
   */
  otherSegments?: Segment[];
}

export interface HostOptions {
  name?: string;
  ports: HostPortOptions[];
  /** Timer resolution in µs (ESP32/Moddable: 1000); 0 = exact. */
  tick?: number;
  /** Timer lateness, uniform in [0, jitter] µs. */
  jitter?: number;
  /** Accept a tick/jitter that can hold DE into a reply (see checkDriverRelease); for tests of that fault. */
  unsafeDe?: boolean;
}

export interface HostCounters {
  services: number;
  transmits: number;
  /** Calls of received(). */
  receives: number;
}

const TIMER = 1;
const DE_DROP = 2;
const MAX_SAME_TIME_SERVICES = 10000;

export class SimPort implements ReconfigurablePort, UartClient {
  /** The UART on the line setting the port is at (one per segment wired: `lines`). */
  uart: Uart;
  readonly lines: Uart[];
  listener: PortListener | null = null;
  /** Bytes of this transmission not yet written into the TX FIFO. */
  private pending = 0;
  private active = false;
  private source: Uint8Array = new Uint8Array(0);
  private sourceOffset = 0;
  private readonly rxBuffer: Uint8Array;
  readonly deAdjustUs: number;
  readonly hardwareDe: boolean;

  constructor(readonly host: SimHost, readonly index: number, options: HostPortOptions, name: string) {
    if (options === null || typeof options !== "object" || !options.segment) throw new TypeError(`ports[${index}] must be an object with a segment`);
    const uartOptions: UartOptions = typeof options.uart === "string" || options.uart === undefined ? { kind: options.uart ?? "ideal" } : options.uart;
    this.hardwareDe = options.hardwareDe === true;
    this.lines = [options.segment, ...(options.otherSegments ?? [])].map((segment, i) =>
      new Uart(host.queue, segment, i === 0 ? name : `${name}@${segment.timing.baud}/${segment.timing.framing}`, options.echo === true, { ...uartOptions, hardwareDe: this.hardwareDe }));
    this.uart = this.lines[0];
    this.uart.client = this;
    this.rxBuffer = new Uint8Array(this.uart.kind === "esp32" ? 128 : 256);
    const adj = options.deAdjustUs ?? 0;
    if (!Number.isInteger(adj)) throw new RangeError(`ports[${index}].deAdjustUs must be an integer (µs), got ${adj}`);
    this.deAdjustUs = adj;
  }

  get segment(): Segment {
    return this.uart.segment;
  }

  /** True from transmit() until DE has dropped. */
  get transmitting(): boolean {
    return this.active;
  }

  /** Moves the port to the segment wired at `baud` and `framing` (ReconfigurablePort); its UART starts empty. */
  reconfigure(baud: number, framing: Framing): string | null {
    if (this.active) return `${this.uart.name}: reconfigure() while sending a frame`;
    const next = this.lines.find((u) => u.segment.timing.baud === baud && u.segment.timing.framing === framing);
    if (next === undefined) return `${this.lines[0].name}: no segment wired at ${baud} ${framing} (${this.lines.map((u) => `${u.segment.timing.baud} ${u.segment.timing.framing}`).join(", ")}); the port stays at ${this.uart.segment.timing.baud} ${this.uart.segment.timing.framing}`;
    if (this.host.tick > 0 && !this.hardwareDe) {
      try {
        checkDriverRelease(next.segment.timing, this.host.tick, this.host.jitter);
      } catch (e) {
        return (e as Error).message;
      }
    }
    this.uart.client = null;
    this.uart = next;
    next.configure({});
    next.client = this;
    return null;
  }

  transmit(buffer: Uint8Array, offset: number, length: number): void {
    if (this.active) throw new Error(`${this.uart.name}: transmit() called before transmitted() for the previous frame`);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1 || offset + length > buffer.length) {
      throw new RangeError(`${this.uart.name}: transmit(offset ${offset}, length ${length}) outside a ${buffer.length}-byte buffer`);
    }
    const now = this.host.queue.now;
    this.host.counters.transmits++;
    this.active = true;
    this.source = buffer;
    this.sourceOffset = offset;
    this.pending = length;
    if (!this.hardwareDe) this.uart.segment.setDe(this.uart.link, true, now);
    this.pump(now);
  }

  private pump(now: number): void {
    const room = this.uart.writable;
    const n = room < this.pending ? room : this.pending;
    if (n > 0) {
      this.uart.write(this.source, this.sourceOffset, n);
      this.sourceOffset += n;
      this.pending -= n;
    }
    if (this.pending > 0) {
      this.uart.requestWritable();
      return;
    }
    if (this.hardwareDe) return; // the UART drops DE at the last stop bit: uartTxIdle()
    const release = driverReleaseTimeUs(now, this.uart.pendingCharacters, this.uart.segment.timing, this.host.tick) + this.deAdjustUs;
    this.host.queue.at(this.host.fireTime(now, release), this.host, DE_DROP, this.index);
  }

  uartWritable(now: number): void {
    if (this.active && this.pending > 0) this.pump(now);
  }

  /** Hardware DE: the last stop bit has left and the UART has dropped DE. */
  uartTxIdle(now: number): void {
    if (!this.hardwareDe || !this.active || this.pending > 0) return;
    this.active = false;
    if (this.listener) {
      this.listener.transmitted(now);
      this.host.rearm(now);
    }
  }

  uartReadable(now: number): void {
    const n = this.uart.read(this.rxBuffer, 0, this.rxBuffer.length);
    if (n > 0 && this.listener) {
      this.host.counters.receives++;
      this.listener.received(this.rxBuffer, 0, n, now);
      this.host.rearm(now);
    }
  }

  /** DE drop (from the host's timer). */
  dropDe(now: number): void {
    this.uart.segment.setDe(this.uart.link, false, now);
    this.active = false;
    if (this.listener) {
      this.listener.transmitted(now);
      this.host.rearm(now);
    }
  }
}

export class SimHost implements EventTarget {
  readonly name: string;
  readonly ports: SimPort[] = [];
  readonly tick: number;
  readonly jitter: number;
  readonly counters: HostCounters = { services: 0, transmits: 0, receives: 0 };
  private timed: Timed | null = null;
  private timerGen = 0;
  private armedDeadline = NO_DEADLINE;
  private timerArmed = false;
  private armedFireAt = 0;
  /** tick 0 and no jitter: the timer fires exactly at the deadline. */
  private readonly exact: boolean;
  private sameTimeAt = -1;
  private sameTimeCount = 0;

  constructor(readonly queue: EventQueue, private readonly prng: Prng, options: HostOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("host options must be an object { ports, tick?, jitter?, name? }");
    if (!Array.isArray(options.ports) || options.ports.length === 0) throw new TypeError("host ports must be a non-empty array of { segment, uart?, echo?, name? }");
    this.name = options.name ?? "host";
    const tick = options.tick ?? 0;
    const jitter = options.jitter ?? 0;
    if (!Number.isInteger(tick) || tick < 0) throw new RangeError(`tick must be an integer >= 0 (µs), got ${tick}`);
    if (!Number.isInteger(jitter) || jitter < 0) throw new RangeError(`jitter must be an integer >= 0 (µs), got ${jitter}`);
    this.tick = tick;
    this.jitter = jitter;
    this.exact = tick === 0 && jitter === 0;
    options.ports.forEach((p, i) => {
      if (options.unsafeDe !== true && p && p.segment && p.hardwareDe !== true) checkDriverRelease(p.segment.timing, tick, jitter);
      const name = p?.name ?? (options.ports.length > 1 ? `${this.name}${i}` : this.name);
      this.ports.push(new SimPort(this, i, p, name));
    });
  }

  /** Port i as the engine sees it. */
  port(i: number): SimPort {
    const p = this.ports[i];
    if (!p) throw new RangeError(`port index must be 0..${this.ports.length - 1}, got ${i}`);
    return p;
  }

  /**
   * Connects the engine: `timed` gets service() calls (or null if it has no timers); `listeners[i]` hears port i. With one
   * port, `listeners` may be omitted when the engine is itself the PortListener.
   */
  attach(engine: (Partial<Timed> & Partial<PortListener>) | null, listeners?: PortListener[]): this {
    const list = listeners ?? (engine && typeof engine.received === "function" && typeof engine.transmitted === "function" ? [engine as PortListener] : []);
    if (list.length !== this.ports.length) throw new TypeError(`attach needs one PortListener per port (${this.ports.length}), got ${list.length}`);
    list.forEach((l, i) => (this.ports[i].listener = l));
    this.timed = engine && typeof engine.nextDeadline === "function" && typeof engine.service === "function" ? (engine as Timed) : null;
    this.rearm(this.queue.now);
    return this;
  }

  /** When a timer armed now for `deadline` fires (tick rounding from now, plus jitter). */
  fireTime(now: number, deadline: number): number {
    let t = deadline <= now ? now : this.tick > 0 ? now + Math.ceil((deadline - now) / this.tick) * this.tick : deadline;
    if (this.jitter > 0) t += this.prng.nextRange(0, this.jitter);
    return t;
  }

  /** Rereads the engine's deadline and (re)arms the timer. Call after any call into the engine. */
  rearm(now: number): void {
    if (!this.timed) return;
    const d = this.timed.nextDeadline();
    if (d === NO_DEADLINE) {
      if (this.timerArmed) this.timerGen++;
      this.timerArmed = false;
      this.armedDeadline = NO_DEADLINE;
      return;
    }
    if (this.timerArmed && d === this.armedDeadline) return;
    if (this.timerArmed && this.exact && d > this.armedFireAt) {
      // Exact timer, deadline moved later: keep the pending event; when it fires early it re-arms (same result, fewer events).
      this.armedDeadline = d;
      return;
    }
    this.armedDeadline = d;
    this.timerArmed = true;
    this.timerGen++;
    this.armedFireAt = this.fireTime(now, d);
    this.queue.at(this.armedFireAt, this, TIMER, this.timerGen);
  }

  fire(kind: number, arg: number, now: number): void {
    if (kind === DE_DROP) {
      this.ports[arg].dropDe(now);
      return;
    }
    if (arg !== this.timerGen || !this.timerArmed || !this.timed) return;
    if (now < this.armedDeadline) {
      this.armedFireAt = this.armedDeadline;
      this.queue.at(this.armedFireAt, this, TIMER, this.timerGen);
      return;
    }
    this.timerArmed = false;
    if (now === this.sameTimeAt) {
      if (++this.sameTimeCount > MAX_SAME_TIME_SERVICES) throw new Error(`${this.name}: the engine asked for service at ${now} µs ${MAX_SAME_TIME_SERVICES} times without advancing its deadline`);
    } else {
      this.sameTimeAt = now;
      this.sameTimeCount = 0;
    }
    this.counters.services++;
    this.timed.service(now);
    this.rearm(now);
  }
}
