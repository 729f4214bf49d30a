/*
 * A bus scan run as a job on a concentrator that is polling (the ESP32 host: POST /api/scan, progress in GET /api/scan and
 * /api/health). The job sits between the port and the poll loop (modules/concentrator/poll-loop.ts): it is the port's PortListener
 * and the host's Timed, and passes everything to the loop until a scan is asked for.
 *
 * Theory of operation. start() pauses the loop (no new read is submitted) and waits until the master has no request in
 * flight — its transaction ends as it would have, reply windows and retries included. Then, for each line setting asked
 * for (baud × framing; by default the common ones, the same list as `rc485 scan`), it reopens the port at that setting
 * (ReconfigurablePort.reconfigure, modules/port/contract.ts: the host recomputes the character time, t1.5/t3.5, the DE release
 * and its RX timeout) and hands the line to one BusScanner (modules/commissioning/scan.ts), retuned to the setting; each setting is
 * bounded by the scanner's time budget. A setting the port cannot open is reported with the host's reason and skipped.
 * While it scans, every byte and the transmit hand-over go to the scanner. A scanner ends only after t3.5 of silence or
 * a timeout, so the line is quiet when the next setting starts. After the last setting the port is reopened at the
 * site's own setting and the loop resumes; its schedule catches up with the reads that fell due meanwhile. A second
 * start() while a scan runs is refused with a message. Others that submit to the master outside the poll loop (the Modbus
 * TCP gateway) hear onBusTaken(true) at start() and onBusTaken(false) at the end, and hold off meanwhile. The scanner is built at start() and the results of each setting
 * are copied out when it ends (a user's request, not the polling path).
 */
import type { PortListener, ReconfigurablePort, Rs485Port, Timed } from "../port/contract";
import { BAUD_RATES, FRAMING_BITS, type Framing } from "../rtu/timing";
import { BusScanner, FOUND_LATE, ZERO_GARBLED, ZERO_SILENT, type ScanOptions } from "./scan";

/** The poll loop as the job sees it. */
export interface PausableLoop extends PortListener, Timed {
  paused: boolean;
  readonly master: { readonly pending: number };
}

export interface LineSetting {
  readonly baud: number;
  readonly framing: Framing;
}

/** The bauds and framings a scan tries when none are given (`rc485 scan` uses the same): most meters ship at one of them. */
export const SCAN_BAUDS: readonly number[] = Object.freeze([9600, 19200, 2400, 4800, 38400]);
export const SCAN_FRAMINGS: readonly Framing[] = Object.freeze(["8N1", "8E1"] as Framing[]);

export interface ScanTuning extends Pick<ScanOptions, "firstUnit" | "lastUnit" | "timeoutUs" | "budgetUs" | "probeZero"> {
  /** Bauds and framings to try (every baud at every framing); default SCAN_BAUDS × SCAN_FRAMINGS. */
  readonly bauds?: readonly number[];
  readonly framings?: readonly string[];
}

/** The settings for `bauds` × `framings` (defaults as above), or why not (one line). */
export function scanSettings(bauds: readonly number[] = SCAN_BAUDS, framings: readonly string[] = SCAN_FRAMINGS): LineSetting[] | string {
  if (bauds.length === 0 || framings.length === 0) return "bauds and framings need at least one value each";
  for (const b of bauds) if (BAUD_RATES.indexOf(b) < 0) return `baud ${b} is not one of ${BAUD_RATES.join(", ")}`;
  for (const f of framings) if (!Object.prototype.hasOwnProperty.call(FRAMING_BITS, f)) return `framing ${JSON.stringify(f)} is not one of ${Object.keys(FRAMING_BITS).join(", ")}`;
  const out: LineSetting[] = [];
  for (const baud of bauds) for (const framing of framings) {
    if (!out.some((s) => s.baud === baud && s.framing === framing)) out.push({ baud, framing: framing as Framing });
  }
  return out;
}

const IDLE = 0;
const WAITING = 1;
const SCANNING = 2;
const DONE = 3;
const STATE_NAMES = Object.freeze(["idle", "waiting", "scanning", "done"]);

export interface ScanFound {
  baud: number;
  framing: string;
  unit: number;
  profile: string | null;
  latencyMs: number | null;
  late?: boolean;
  answersAddressZero?: boolean;
  /** The model was told by the meter's 43/14 device identification (VendorName/ProductCode), not by a signature. */
  byDeviceId?: boolean;
}

/** One line setting of a scan. */
export interface ScanSettingStatus {
  baud: number;
  framing: string;
  /** "pending", "scanning", "done", or "failed" (the port could not be opened at it: `error`). */
  state: string;
  progress: number;
  /** Devices found at this setting. */
  found: number;
  requests: number;
  busMs: number;
  zeroAnswer?: number | "garbled";
  stoppedAt?: number;
  error?: string;
}

export interface ScanJobStatus {
  state: string;
  /** The setting being scanned (the last one when done; the site's before any scan). */
  baud: number;
  framing: string;
  /** Share of the whole scan done, 0..1. */
  progress: number;
  found: ScanFound[];
  settings: ScanSettingStatus[];
  requests: number;
  /** Bus time of the settings scanned so far, ms. */
  busMs: number;
  /** Set when the port could not be put back at the site's own setting (polling then fails until it can). */
  restoreError?: string;
}

const PENDING = 0;
const SETTING_SCANNING = 1;
const SETTING_DONE = 2;
const SETTING_FAILED = 3;
const SETTING_STATE_NAMES = Object.freeze(["pending", "scanning", "done", "failed"]);

export class ScanJob implements PortListener, Timed {
  private state = IDLE;
  scanner: BusScanner | null = null;
  /** Scans started. */
  runs = 0;
  /** The settings of the current (or last) scan, their state, and the results copied out of each finished one. */
  private settings: LineSetting[] = [];
  private settingState: number[] = [];
  private settingStatus: (ScanSettingStatus | null)[] = [];
  private found: ScanFound[] = [];
  private index = 0;
  /** The setting the port is open at. */
  private current: LineSetting;
  private restoreError: string | null = null;
  /**
   * Told when a scan takes the line (true, at start()) and gives it back (false, once the port is at the site's setting
   * again): for whoever else submits to the master outside the poll loop (the Modbus TCP gateway on the ESP32).
   */
  onBusTaken: ((taken: boolean, now: number) => void) | null = null;

  /**
   * `base` holds the site's own line setting (polling runs at it; the port is put back to it) and the scan defaults;
   * `profiles` gives the profiles to identify by when a scan starts (the device loads them only then); `rxIdleDelayUs`
   * the host's delivery delay at the setting the port is open at (read after each reopen; default base.rxIdleDelayUs).
   */
  constructor(readonly loop: PausableLoop, private readonly port: Rs485Port | ReconfigurablePort, private readonly base: ScanOptions,
    private readonly profiles: () => ScanOptions["profiles"] = () => base.profiles, private readonly rxIdleDelayUs: () => number = () => base.rxIdleDelayUs ?? 0) {
    this.current = { baud: base.baud, framing: base.framing ?? "8N1" };
  }

  get running(): boolean {
    return this.state === WAITING || this.state === SCANNING;
  }

  /** Starts a scan at `now`; returns null, or why it cannot start (one line). */
  start(now: number, tuning: ScanTuning = {}): string | null {
    if (this.running) return "a scan is already running";
    const settings = scanSettings(tuning.bauds, tuning.framings);
    if (typeof settings === "string") return settings;
    if (!("reconfigure" in this.port)) {
      const other = settings.find((s) => s.baud !== this.current.baud || s.framing !== this.current.framing);
      if (other !== undefined) return `this port cannot be reopened at another line setting (asked for ${other.baud} ${other.framing}); scan at ${this.current.baud} ${this.current.framing} only`;
    }
    try {
      this.scanner = new BusScanner(this.port, {
        ...this.base, firstUnit: tuning.firstUnit, lastUnit: tuning.lastUnit, timeoutUs: tuning.timeoutUs ?? this.base.timeoutUs,
        budgetUs: tuning.budgetUs ?? this.base.budgetUs, probeZero: tuning.probeZero ?? this.base.probeZero, profiles: this.profiles(),
      });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    this.runs++;
    this.settings = settings;
    this.settingState = settings.map(() => PENDING);
    this.settingStatus = settings.map(() => null);
    this.found = [];
    this.index = 0;
    this.restoreError = null;
    this.loop.paused = true;
    if (this.onBusTaken !== null) this.onBusTaken(true, now);
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
      if (s.done) this.settingEnded(now);
      return;
    }
    this.loop.service(now);
    if (this.state === WAITING) this.switchWhenIdle(now);
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    if (this.state === SCANNING) {
      const s = this.scanner as BusScanner;
      s.received(buffer, offset, length, now);
      if (s.done) this.settingEnded(now);
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
    this.nextSetting(now);
  }

  /** Opens the port at the next setting that opens and starts its scan; after the last one, restores the site's. */
  private nextSetting(now: number): void {
    const s = this.scanner as BusScanner;
    while (this.index < this.settings.length) {
      const i = this.index;
      const why = this.reopen(this.settings[i]);
      if (why === null) {
        s.retune(this.current.baud, this.current.framing, this.rxIdleDelayUs());
        this.settingState[i] = SETTING_SCANNING;
        s.start(now);
        return;
      }
      this.settingState[i] = SETTING_FAILED;
      this.settingStatus[i] = { baud: this.settings[i].baud, framing: this.settings[i].framing, state: "failed", progress: 1, found: 0, requests: 0, busMs: 0, error: why };
      this.index++;
    }
    const back = this.reopen({ baud: this.base.baud, framing: this.base.framing ?? "8N1" });
    if (back !== null) this.restoreError = back;
    // The results are copied out: the scanner (its tables, one codec per signature check) goes back to the heap.
    this.scanner = null;
    this.state = DONE;
    this.loop.paused = false;
    if (this.onBusTaken !== null) this.onBusTaken(false, now);
  }

  /** Puts the port at `setting` (nothing to do when it is there); null, or the host's reason. */
  private reopen(setting: LineSetting): string | null {
    if (setting.baud === this.current.baud && setting.framing === this.current.framing) return null;
    const why = (this.port as ReconfigurablePort).reconfigure(setting.baud, setting.framing);
    if (why === null) this.current = setting;
    return why;
  }

  /** The scanner finished the current setting: its results are copied out, and the next setting starts. */
  private settingEnded(now: number): void {
    const i = this.index;
    this.settingState[i] = SETTING_DONE;
    this.settingStatus[i] = this.settingOf(i);
    this.collectFound();
    this.index++;
    this.nextSetting(now);
  }

  private collectFound(): void {
    const s = this.scanner as BusScanner;
    const { baud, framing } = s.timing;
    for (const u of s.units()) {
      const p = s.profileFor(u);
      const f: ScanFound = { baud, framing, unit: u, profile: p !== null ? p.id : null, latencyMs: s.latencyUs[u] >= 0 ? Math.round(s.latencyUs[u] / 100) / 10 : null };
      if (s.found[u] === FOUND_LATE) f.late = true;
      if (s.zeroAnswer === u) f.answersAddressZero = true;
      if (s.byDeviceId[u] === 1) f.byDeviceId = true;
      this.found.push(f);
    }
  }

  /** Setting i as the scanner has it now (the current one) . */
  private settingOf(i: number): ScanSettingStatus {
    const s = this.scanner as BusScanner;
    const out: ScanSettingStatus = {
      baud: this.settings[i].baud, framing: this.settings[i].framing, state: SETTING_STATE_NAMES[this.settingState[i]],
      progress: Math.round(s.progress * 100) / 100, found: s.units().length, requests: s.requests,
      busMs: s.startedAt < 0 ? 0 : Math.round(((s.finishedAt >= 0 ? s.finishedAt : s.startedAt) - s.startedAt) / 1000),
    };
    if (s.zeroAnswer !== ZERO_SILENT) out.zeroAnswer = s.zeroAnswer === ZERO_GARBLED ? "garbled" : s.zeroAnswer;
    if (s.stoppedAt > 0) out.stoppedAt = s.stoppedAt;
    return out;
  }

  /** The job for the status JSON (GET /api/scan, the `scan` field of /api/health). */
  status(): ScanJobStatus {
    const settings: ScanSettingStatus[] = [];
    let requests = 0;
    let busMs = 0;
    let share = 0;
    for (let i = 0; i < this.settings.length; i++) {
      const st = this.settingState[i];
      const done = this.settingStatus[i];
      const one = done !== null ? done : st === SETTING_SCANNING ? this.settingOf(i)
        : { baud: this.settings[i].baud, framing: this.settings[i].framing, state: "pending", progress: 0, found: 0, requests: 0, busMs: 0 };
      settings.push(one);
      requests += one.requests;
      busMs += one.busMs;
      share += one.progress;
    }
    const out: ScanJobStatus = {
      state: STATE_NAMES[this.state], baud: this.current.baud, framing: this.current.framing,
      progress: this.state === DONE ? 1 : settings.length === 0 ? 0 : Math.round((100 * share) / settings.length) / 100,
      found: this.state === SCANNING ? this.found.concat(this.liveFound()) : this.found.slice(), settings, requests, busMs,
    };
    if (this.state === SCANNING && this.index < this.settings.length) {
      out.baud = this.settings[this.index].baud;
      out.framing = this.settings[this.index].framing;
    }
    if (this.restoreError !== null) out.restoreError = this.restoreError;
    return out;
  }

  /** Units found so far at the setting being scanned. */
  private liveFound(): ScanFound[] {
    const s = this.scanner as BusScanner;
    const out: ScanFound[] = [];
    for (const u of s.units()) out.push({ baud: s.timing.baud, framing: s.timing.framing, unit: u, profile: null, latencyMs: null });
    return out;
  }
}
