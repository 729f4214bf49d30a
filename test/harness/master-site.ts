// A simulated site for master tests and benches: one segment, meter emulators, and a Master on a simulated host (ideal or
// ESP32 UART, exact or ticking timer). Node-only (uses hosts/sim).
import { Master, type MasterListener } from "../../modules/master/engine";
import type { MasterOptions } from "../../modules/master/config";
import type { MasterResult } from "../../modules/master/result";
import { UART_RS485_RX_BUFFER, UART_RS485_TX_BUFFER } from "../../hosts/esp32/io";
import { rxTimeoutCoveringT35 } from "../../hosts/esp32/serial-port";
import { Simulation, type MeterEmulator, type MeterOptions, type NoiseOptions, type Segment, type SimHost } from "../../hosts/sim/index";

export interface SiteOptions {
  baud: number;
  uart?: "ideal" | "esp32";
  /** Master host timer tick (µs), 0 = exact. */
  tick?: number;
  /**
   * ESP32 with rc485's native UART class (hosts/esp32/native): the driver's ring buffers (1 KB RX, 512 B TX), DE on RTS
   * dropped by the UART (no timer), and the RX timeout in characters (default: rxTimeoutCoveringT35, as the concentrator
   * sets it). Needs uart "esp32".
   */
  nativeUart?: { rxTimeoutChars?: number };
  jitter?: number;
  echo?: boolean;
  noise?: NoiseOptions;
  seed?: number;
  meters: MeterOptions[];
  master?: Partial<MasterOptions>;
  /** Keep copies of results (tests); off for long runs. */
  keep?: boolean;
  traceCapacity?: number;
  /** Record the silence before each of the master's requests (needs a sniffer node on the segment). */
  measureGaps?: boolean;
}

export interface Outcome {
  tag: number;
  unit: number;
  status: number;
  exception: number;
  attempts: number;
  registers: number[];
  sentAt: number;
  completedAt: number;
}

export class Site implements MasterListener {
  readonly sim: Simulation;
  readonly segment: Segment;
  readonly host: SimHost;
  readonly master: Master;
  readonly meters: MeterEmulator[] = [];
  readonly results: Outcome[] = [];
  /** Results delivered so far. */
  count = 0;
  /** Called after each result (e.g. to submit the next request). */
  onResult: ((r: MasterResult) => void) | null = null;
  /** Silence on the line before each request the master sent (µs), when measureGaps is on. */
  readonly gaps: number[] = [];
  /** Stop-bit time of the last character seen on the line (sniffer), or 0. */
  lastLineByteAt = 0;
  private readonly keep: boolean;

  constructor(o: SiteOptions) {
    this.keep = o.keep !== false;
    this.sim = new Simulation({ seed: o.seed ?? 1, traceCapacity: o.traceCapacity ?? 256 });
    this.segment = this.sim.segment({ name: "bus", baud: o.baud, noise: o.noise });
    for (const m of o.meters) {
      const holding: number[] = [];
      for (let i = 0; i < 200; i++) holding.push((m.unit * 1000 + i) & 0xffff);
      this.meters.push(this.sim.meter(this.segment, { holding, input: holding, ...m }));
    }
    const uart = o.uart ?? "ideal";
    const native = o.nativeUart;
    if (native !== undefined && uart !== "esp32") throw new RangeError("nativeUart needs uart \"esp32\"");
    const rxTimeoutChars = native === undefined ? 4 : native.rxTimeoutChars ?? rxTimeoutCoveringT35(this.segment.timing);
    const port = native === undefined
      ? { segment: this.segment, uart, echo: o.echo === true }
      : { segment: this.segment, uart: { kind: "esp32" as const, rxFifo: UART_RS485_RX_BUFFER, txFifo: UART_RS485_TX_BUFFER, rxTimeoutChars }, echo: o.echo === true, hardwareDe: true };
    this.host = this.sim.host({ name: "master", ports: [port], tick: o.tick ?? 0, jitter: o.jitter ?? 0 });
    const charUs = this.segment.timing.characterUs;
    this.master = new Master({
      baud: o.baud,
      echo: o.echo === true,
      rxIdleDelayUs: uart === "esp32" ? rxTimeoutChars * charUs : 0,
      rxBatchBytes: uart === "esp32" ? 120 : 0,
      ...o.master,
    }, this.host.port(0), this);
    this.host.attach(this.master);
    if (o.measureGaps) {
      // A passive sniffer with an ideal UART: it hears each character at its stop bit.
      const sniffer = this.sim.host({ name: "sniffer", ports: [{ segment: this.segment, uart: "ideal" }] });
      sniffer.attach(null, [{ received: (_b, _o, _l, now) => { this.lastLineByteAt = now; }, transmitted: () => {} }]);
      // The host starts the first start bit at transmit(): the gap is from the last stop bit heard to then.
      const port = this.host.port(0);
      const transmit = port.transmit.bind(port);
      port.transmit = (b: Uint8Array, off: number, len: number) => {
        this.gaps.push(this.sim.now - this.lastLineByteAt);
        transmit(b, off, len);
      };
    }
  }

  completed(r: MasterResult): void {
    this.count++;
    if (this.keep) {
      const registers: number[] = [];
      for (let i = 0; i < r.registerCount; i++) registers.push(r.registers[i]);
      this.results.push({ tag: r.tag, unit: r.unit, status: r.status, exception: r.exceptionCode, attempts: r.attempts, registers, sentAt: r.sentAt, completedAt: r.completedAt });
    }
    if (this.onResult) this.onResult(r);
  }

  /** Runs until `n` results in all have arrived (or `limitUs` of simulated time passes); returns whether they did. */
  runUntilResults(n: number, limitUs: number): boolean {
    return this.sim.runUntilTrue(() => this.count >= n, this.sim.now + limitUs);
  }
}
