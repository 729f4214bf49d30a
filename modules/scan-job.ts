/*
 * A bus scan run as a job on a concentrator that is polling (the ESP32 host: POST /api/scan, progress in GET /api/scan and
 * /api/health). The job sits between the port and the poll loop (modules/poll-loop.ts): it is the port's PortListener
 * and the host's Timed, and passes everything to the loop until a scan is asked for.
 *
 * Theory of operation. start() pauses the loop (no new read is submitted) and waits until the master has no request in
 * flight — its transaction ends as it would have, reply windows and retries included — then hands the line to a
 * BusScanner (modules/scan.ts) at the port's own line setting: a scan at other bauds or framings needs the port reopened,
 * which the Node host does (`rc485 scan`) and this job does not. While it scans, every byte and the transmit hand-over go
 * to the scanner. It ends when the scanner is done: the scanner ends only after t3.5 of silence or a timeout, so the line
 * is quiet when the loop resumes, and the schedule catches up with the reads that fell due meanwhile. A second start()
 * while a scan runs is refused with a message. The scanner is built at start() (a user's request, not the polling path).
 */
import type { PortListener, Rs485Port, Timed } from "./port";
import { BusScanner, FOUND_LATE, ZERO_GARBLED, ZERO_SILENT, type ScanOptions } from "./scan";

/** The poll loop as the job sees it. */
export interface PausableLoop extends PortListener, Timed {
  paused: boolean;
  readonly master: { readonly pending: number };
}

export type ScanTuning = Pick<ScanOptions, "firstUnit" | "lastUnit" | "timeoutUs" | "budgetUs" | "probeZero">;

const IDLE = 0;
const WAITING = 1;
const SCANNING = 2;
const DONE = 3;
const STATE_NAMES = Object.freeze(["idle", "waiting", "scanning", "done"]);

export interface ScanFound {
  unit: number;
  profile: string | null;
  latencyMs: number | null;
  late?: boolean;
  answersAddressZero?: boolean;
  /** The model was told by the meter's 43/14 device identification (VendorName/ProductCode), not by a signature. */
  byDeviceId?: boolean;
}

export interface ScanJobStatus {
  state: string;
  baud: number;
  framing: string;
  progress: number;
  found: ScanFound[];
  zeroAnswer?: number | "garbled";
  stoppedAt?: number;
  requests: number;
  busMs: number;
}

export class ScanJob implements PortListener, Timed {
  private state = IDLE;
  scanner: BusScanner | null = null;
  /** Scans started. */
  runs = 0;

  /** `profiles` gives the profiles to identify by when a scan starts (the device loads them only then). */
  constructor(readonly loop: PausableLoop, private readonly port: Rs485Port, private readonly base: ScanOptions, private readonly profiles: () => ScanOptions["profiles"] = () => base.profiles) {}

  get running(): boolean {
    return this.state === WAITING || this.state === SCANNING;
  }

  /** Starts a scan at `now`; returns null, or why it cannot start (one line). */
  start(now: number, tuning: ScanTuning = {}): string | null {
    if (this.running) return "a scan is already running";
    try {
      this.scanner = new BusScanner(this.port, { ...this.base, ...tuning, profiles: this.profiles() });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    this.runs++;
    this.loop.paused = true;
    this.state = WAITING;
    this.switchWhenIdle(now);
    return null;
  }

  nextDeadline(): number {
    if (this.state === SCANNING) return (this.scanner as BusScanner).nextDeadline();
    if (this.state === WAITING && this.loop.master.pending === 0) return 0;
    return this.loop.nextDeadline();
  }

  service(now: number): void {
    if (this.state === SCANNING) {
      const s = this.scanner as BusScanner;
      s.service(now);
      if (s.done) this.finish(now);
      return;
    }
    this.loop.service(now);
    if (this.state === WAITING) this.switchWhenIdle(now);
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    if (this.state === SCANNING) {
      const s = this.scanner as BusScanner;
      s.received(buffer, offset, length, now);
      if (s.done) this.finish(now);
    } else this.loop.received(buffer, offset, length, now);
  }

  transmitted(now: number): void {
    if (this.state === SCANNING) (this.scanner as BusScanner).transmitted(now);
    else this.loop.transmitted(now);
  }

  lineError(now: number): void {
    if (this.state !== SCANNING && this.loop.lineError !== undefined) this.loop.lineError(now);
  }

  private switchWhenIdle(now: number): void {
    if (this.loop.master.pending > 0) return;
    this.state = SCANNING;
    (this.scanner as BusScanner).start(now);
  }

  private finish(_now: number): void {
    this.state = DONE;
    this.loop.paused = false;
  }

  /** The job for the status JSON. */
  status(): ScanJobStatus {
    const s = this.scanner;
    if (s === null) return { state: STATE_NAMES[this.state], baud: this.base.baud, framing: this.base.framing ?? "8N1", progress: 0, found: [], requests: 0, busMs: 0 };
    const found: ScanFound[] = [];
    for (const u of s.units()) {
      const p = s.profileFor(u);
      const f: ScanFound = { unit: u, profile: p !== null ? p.id : null, latencyMs: s.latencyUs[u] >= 0 ? Math.round(s.latencyUs[u] / 100) / 10 : null };
      if (s.found[u] === FOUND_LATE) f.late = true;
      if (s.zeroAnswer === u) f.answersAddressZero = true;
      if (s.byDeviceId[u] === 1) f.byDeviceId = true;
      found.push(f);
    }
    const out: ScanJobStatus = {
      state: STATE_NAMES[this.state], baud: s.timing.baud, framing: s.timing.framing, progress: Math.round(s.progress * 100) / 100,
      found, requests: s.requests, busMs: s.startedAt < 0 ? 0 : Math.round(((s.finishedAt >= 0 ? s.finishedAt : s.startedAt) - s.startedAt) / 1000),
    };
    if (s.zeroAnswer !== ZERO_SILENT) out.zeroAnswer = s.zeroAnswer === ZERO_GARBLED ? "garbled" : s.zeroAnswer;
    if (s.stoppedAt > 0) out.stoppedAt = s.stoppedAt;
    return out;
  }
}
