/*
 * A bus scan at one line setting (baud × framing): which units answer, how fast, and which shipped profile each one is.
 * A sans-I/O engine (PortListener + Timed, modules/port.ts) like the master, shared by `rc485 scan` on Node and the ESP32
 * scan job; the host runs one scan per line setting it tries and reads the results from the typed arrays below.
 *
 * Theory of operation.
 *  - It does not go through the master (modules/master.ts): the master treats address 0 as a broadcast that is never
 *    answered and guards every delivered value with reply windows, while a scan asks address 0 on purpose and only needs to
 *    know that someone answered. It delivers no readings, so a reply it misattributes costs a wrong guess, never a wrong
 *    value; identification still refuses any reply that is not from the unit asked (see below).
 *  - Step 1, address 0 (`probeZero`): one read of the probe register to address 0. A standard device never answers a
 *    broadcast (Modbus over Serial Line V1.02 §2.1); a device that does (seen in the field on a UBS meter: request
 *    `00 03 00 0C 00 02`, reply `01 03 04 …`) is reported by the address it puts in its reply (`zeroAnswer`), or -2 when
 *    what came back was garbled (several devices answering at once).
 *  - Step 2, units first..last: one read of the probe register each (FC03 address 0, two registers, by default: meters that take even counts only may ignore a read of one). Any
 *    well-formed reply from that unit proves a device — an exception too (01 from a meter without FC03, 02 from one
 *    without register 0). Each probe waits `timeoutUs` for the first byte after our request ends, then the frame ends by
 *    t3.5 of silence (plus the host's delivery delay) and must pass its CRC. A well-formed reply from another unit of the
 *    scan (a slow device answering after its own probe timed out) marks that unit found as well (`LATE`). The next request
 *    waits t3.5 after the line was last busy. The whole setting is bounded by `budgetUs`: when it runs out the scan ends
 *    and `stoppedAt` names the first unit not tried.
 *  - Step 3, identification: for every unit found, each profile that has a signature (modules/profile.ts) is tried in
 *    turn: each check's point is read (its own function, address and width) and decoded with the profile's codec; a
 *    profile fails at its first check that is refused, silent or out of range. The profile with the most checks all passed
 *    wins (a three-phase model names the phase voltages a single-phase model of the same register family lacks); equal
 *    best scores are `AMBIGUOUS`. These reads use `identifyTimeoutUs`, and a reply must come from the unit asked, with
 *    the function asked and the length asked for.
 * Configuration time allocates (the tables below, one codec per check); running a scan allocates nothing.
 */
import { crcMatches } from "./crc16";
import { codecOf } from "./planner";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "./port";
import type { Profile } from "./profile";
import { buildReadRequest } from "./rtu/build-request";
import { LineTiming, type Framing } from "./rtu/timing";
import type { ValueCodec } from "./values";

export interface ScanOptions {
  readonly baud: number;
  readonly framing?: Framing;
  /** Units probed, inclusive (default 1..247). */
  readonly firstUnit?: number;
  readonly lastUnit?: number;
  /** Wait for a probe's first reply byte after our request ends, µs (default 60 ms). */
  readonly timeoutUs?: number;
  /** The same for identification reads (default 4 × timeoutUs). */
  readonly identifyTimeoutUs?: number;
  /** Longest the whole setting may take, µs (default 120 s); the scan stops there and says where. */
  readonly budgetUs?: number;
  /** Ask address 0 first (default true). */
  readonly probeZero?: boolean;
  /** The probe read of two registers (default function 3, address 0; two, since many meters refuse odd counts). */
  readonly probeFunction?: 3 | 4;
  readonly probeAddress?: number;
  /** Profiles to identify by; those without a signature are skipped. */
  readonly profiles?: readonly Profile[];
  /** The host delivers bytes only after this much silence (ESP32 UART: about 4 characters), µs; default 0. */
  readonly rxIdleDelayUs?: number;
  /** Extra silence before every request, µs (default 0). */
  readonly requestGapUs?: number;
}

/** `found` values. */
export const NOT_FOUND = 0;
export const FOUND = 1;
/** Answered, but only after its probe had timed out (heard during a later probe). */
export const FOUND_LATE = 2;
/** `profileOf` values besides a profile index. */
export const UNKNOWN_MODEL = -1;
export const AMBIGUOUS = -2;
/** `zeroAnswer` values besides a unit. */
export const ZERO_SILENT = -1;
export const ZERO_GARBLED = -2;

const IDLE = 0;
const GAP = 1;
const SENDING = 2;
const WAITING = 3;
const DONE = 4;

const PHASE_ZERO = 0;
const PHASE_PROBE = 1;
const PHASE_IDENTIFY = 2;

const RX_CAPACITY = 264;

export class BusScanner implements PortListener, Timed {
  readonly timing: LineTiming;
  readonly firstUnit: number;
  readonly lastUnit: number;
  readonly timeoutUs: number;
  readonly identifyTimeoutUs: number;
  readonly budgetUs: number;
  /** Per unit (index = unit): NOT_FOUND, FOUND, FOUND_LATE. */
  readonly found = new Uint8Array(248);
  /** Per unit: the first reply's latency (our request's end to its first byte), µs. */
  readonly latencyUs = new Int32Array(248);
  /** Per unit: index into `profiles` of the identified model, UNKNOWN_MODEL or AMBIGUOUS. */
  readonly profileOf = new Int16Array(248).fill(UNKNOWN_MODEL);
  /** Per unit: the winning profile's number of checks. */
  readonly score = new Uint8Array(248);
  /** Per unit: the probe was answered with this exception code (0 = a normal reply). */
  readonly probeException = new Uint8Array(248);
  /** The unit in a reply to address 0, ZERO_SILENT or ZERO_GARBLED. */
  zeroAnswer = ZERO_SILENT;
  /** The first unit not probed when the budget ran out; 0 when the scan got through. */
  stoppedAt = 0;
  /** Requests sent, replies judged good, frames with a bad CRC heard (a sign of another line setting or a collision). */
  requests = 0;
  replies = 0;
  badFrames = 0;
  startedAt = -1;
  finishedAt = -1;

  private readonly profiles: readonly Profile[];
  /** Flattened signature checks of every profile with a signature: profile index, function, address, words, min, max, codec. */
  private readonly checkProfile: Int16Array;
  private readonly checkFunction: Uint8Array;
  private readonly checkAddress: Uint16Array;
  private readonly checkWords: Uint8Array;
  private readonly checkMin: Float64Array;
  private readonly checkMax: Float64Array;
  private readonly checkCodec: ValueCodec[];
  private readonly tx = new Uint8Array(8);
  private readonly rx = new Uint8Array(RX_CAPACITY);
  private readonly probeFunction: number;
  private readonly probeAddress: number;
  private readonly rxIdleDelayUs: number;
  private readonly requestGapUs: number;
  private readonly probeZero: boolean;
  private rxLength = 0;
  private state = IDLE;
  private phase = PHASE_ZERO;
  /** The unit asked (0 in the address-0 step). */
  private unit = 0;
  private expectFunction = 0;
  /** Data bytes the identification read asked for (0 for a probe, which accepts any well-formed reply). */
  private expectBytes = 0;
  /** Identification: the check being read, the best profile so far and its score, whether a tie was seen. */
  private check = 0;
  private best = UNKNOWN_MODEL;
  private bestScore = 0;
  private tie = false;
  private passed = 0;
  private sendAt = 0;
  private sentEnd = 0;
  private deadline = 0;
  private lastBusy = 0;
  private firstByteAt = -1;
  private readonly port: Rs485Port;

  constructor(port: Rs485Port, options: ScanOptions) {
    this.port = port;
    this.timing = new LineTiming(options.baud, options.framing ?? "8N1");
    const int = (v: number | undefined, field: string, min: number, max: number, fallback: number): number => {
      if (v === undefined) return fallback;
      if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${v}`);
      return v;
    };
    this.firstUnit = int(options.firstUnit, "firstUnit", 1, 247, 1);
    this.lastUnit = int(options.lastUnit, "lastUnit", this.firstUnit, 247, 247);
    this.timeoutUs = int(options.timeoutUs, "timeoutUs", 1000, 10000000, 60000);
    this.identifyTimeoutUs = int(options.identifyTimeoutUs, "identifyTimeoutUs", 1000, 10000000, 4 * this.timeoutUs);
    this.budgetUs = int(options.budgetUs, "budgetUs", 1000, 3600000000, 120000000);
    this.rxIdleDelayUs = int(options.rxIdleDelayUs, "rxIdleDelayUs", 0, 1000000, 0);
    this.requestGapUs = int(options.requestGapUs, "requestGapUs", 0, 10000000, 0);
    this.probeFunction = options.probeFunction ?? 3;
    if (this.probeFunction !== 3 && this.probeFunction !== 4) throw new RangeError(`probeFunction must be 3 or 4, got ${String(options.probeFunction)}`);
    this.probeAddress = int(options.probeAddress, "probeAddress", 0, 65535, 0);
    this.probeZero = options.probeZero !== false;
    this.profiles = options.profiles ?? [];
    let n = 0;
    for (const p of this.profiles) if (p.signature) n += p.signature.checks.length;
    this.checkProfile = new Int16Array(n);
    this.checkFunction = new Uint8Array(n);
    this.checkAddress = new Uint16Array(n);
    this.checkWords = new Uint8Array(n);
    this.checkMin = new Float64Array(n);
    this.checkMax = new Float64Array(n);
    this.checkCodec = [];
    let k = 0;
    this.profiles.forEach((p, i) => {
      if (!p.signature) return;
      for (const c of p.signature.checks) {
        const pt = p.points[c.point];
        this.checkProfile[k] = i;
        this.checkFunction[k] = pt.function;
        this.checkAddress[k] = pt.address;
        this.checkWords[k] = pt.words;
        this.checkMin[k] = c.min;
        this.checkMax[k] = c.max;
        this.checkCodec.push(codecOf(pt));
        k++;
      }
    });
  }

  /** Starts the scan at `now`. */
  start(now: number): void {
    this.startedAt = now;
    this.lastBusy = now;
    if (this.probeZero) {
      this.phase = PHASE_ZERO;
      this.unit = 0;
    } else {
      this.phase = PHASE_PROBE;
      this.unit = this.firstUnit;
    }
    this.schedule(now);
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /** Share of the scan done, 0..1 (probing counts for nine tenths, identification for the rest). */
  get progress(): number {
    if (this.state === DONE) return 1;
    const span = this.lastUnit - this.firstUnit + 1;
    if (this.phase === PHASE_ZERO) return 0;
    if (this.phase === PHASE_PROBE) return (0.9 * (this.unit - this.firstUnit)) / span;
    return 0.9 + (0.1 * this.unit) / 248;
  }

  /** Units found so far (in order). */
  units(): number[] {
    const out: number[] = [];
    for (let u = 1; u <= 247; u++) if (this.found[u] !== NOT_FOUND) out.push(u);
    return out;
  }

  /** The profile identified for `unit`, or null. */
  profileFor(unit: number): Profile | null {
    const i = this.profileOf[unit];
    return i >= 0 ? this.profiles[i] : null;
  }

  /** The profiles a tie was between (for a report), or []. */
  candidatesFor(unit: number): Profile[] {
    if (this.profileOf[unit] !== AMBIGUOUS) return [];
    return this.profiles.filter((p) => p.signature !== null && p.signature.checks.length === this.score[unit]);
  }

  nextDeadline(): number {
    if (this.state === GAP) return this.sendAt;
    if (this.state === WAITING) return this.rxLength > 0 ? this.lastBusy + this.timing.t35Us + this.rxIdleDelayUs : this.deadline;
    return NO_DEADLINE;
  }

  service(now: number): void {
    if (this.state === GAP && now >= this.sendAt) this.send(now);
    else if (this.state === WAITING) {
      if (this.rxLength > 0) {
        if (now >= this.lastBusy + this.timing.t35Us + this.rxIdleDelayUs) this.frameEnded(now);
      } else if (now >= this.deadline) this.outcome(false, now);
    }
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    if (this.state === SENDING || this.state === DONE) return;
    if (this.state === WAITING) {
      if (this.rxLength === 0) this.firstByteAt = now - this.timing.characterUs - this.rxIdleDelayUs;
      for (let i = 0; i < length; i++) if (this.rxLength < RX_CAPACITY) this.rx[this.rxLength++] = buffer[offset + i];
    } else if (this.state === GAP) {
      // A late reply arriving before our next request: judged on its own, and the request waits for the line.
      for (let i = 0; i < length; i++) if (this.rxLength < RX_CAPACITY) this.rx[this.rxLength++] = buffer[offset + i];
    }
    this.lastBusy = now - this.rxIdleDelayUs;
    if (this.state === GAP) {
      const at = this.lastBusy + this.timing.t35Us + this.requestGapUs;
      if (at > this.sendAt) this.sendAt = at;
    }
  }

  transmitted(now: number): void {
    if (this.state !== SENDING) return;
    this.sentEnd = now;
    this.lastBusy = now;
    this.rxLength = 0;
    this.firstByteAt = -1;
    this.deadline = now + (this.phase === PHASE_IDENTIFY ? this.identifyTimeoutUs : this.timeoutUs);
    this.state = WAITING;
  }

  private schedule(now: number): void {
    const at = this.lastBusy + this.timing.t35Us + this.requestGapUs;
    this.sendAt = at > now ? at : now;
    this.state = GAP;
  }

  private send(now: number): void {
    // A frame heard while waiting to send (a late reply) is judged first.
    if (this.rxLength > 0) {
      this.lateFrame();
      this.rxLength = 0;
    }
    if (this.phase !== PHASE_IDENTIFY && now - this.startedAt > this.budgetUs) {
      this.stoppedAt = this.phase === PHASE_ZERO ? this.firstUnit : this.unit;
      this.beginIdentify(now);
      if (this.state !== GAP) return;
    }
    let fc: number;
    let address: number;
    let count: number;
    if (this.phase === PHASE_IDENTIFY) {
      fc = this.checkFunction[this.check];
      address = this.checkAddress[this.check];
      count = this.checkWords[this.check];
      this.expectBytes = 2 * count;
    } else {
      fc = this.probeFunction;
      address = this.probeAddress;
      count = 2;
      this.expectBytes = 0;
    }
    this.expectFunction = fc;
    const n = buildReadRequest(this.tx, 0, this.unit, fc, address, count);
    this.requests++;
    this.state = SENDING;
    this.port.transmit(this.tx, 0, n);
  }

  /** The frame in rx ended by silence. */
  private frameEnded(now: number): void {
    const b = this.rx;
    const n = this.rxLength;
    this.rxLength = 0;
    let ok = false;
    if (n >= 5 && n <= 256 && crcMatches(b, 0, n)) {
      const from = b[0];
      const fc = b[1] & 0x7f;
      const exception = (b[1] & 0x80) !== 0;
      const shaped = exception ? n === 5 : n === 5 + b[2];
      if (!shaped) this.badFrames++;
      else if (this.phase === PHASE_ZERO) {
        if (from >= 1 && from <= 247 && fc === this.expectFunction) {
          this.zeroAnswer = from;
          ok = true;
        }
      } else if (from === this.unit && fc === this.expectFunction) {
        if (this.phase === PHASE_PROBE) {
          ok = true;
          this.probeException[from] = exception ? b[2] : 0;
        } else ok = !exception && b[2] === this.expectBytes;
      } else this.noteOther(from, fc);
    } else if (n > 0) {
      this.badFrames++;
      if (this.phase === PHASE_ZERO) this.zeroAnswer = ZERO_GARBLED;
    }
    if (ok) this.replies++;
    this.outcome(ok, now);
  }

  /** A well-formed frame from another unit than the one asked: a late answer to an earlier probe. */
  private noteOther(from: number, fc: number): void {
    if (fc === this.probeFunction && from >= this.firstUnit && from <= this.lastUnit && this.found[from] === NOT_FOUND) {
      this.found[from] = FOUND_LATE;
      this.latencyUs[from] = -1;
    }
  }

  private lateFrame(): void {
    const b = this.rx;
    const n = this.rxLength;
    if (n >= 5 && n <= 256 && crcMatches(b, 0, n)) this.noteOther(b[0], b[1] & 0x7f);
    else this.badFrames++;
  }

  /** The current request is over: `ok` a reply judged good, else a timeout or a frame that does not count. */
  private outcome(ok: boolean, now: number): void {
    const u = this.unit;
    if (this.phase === PHASE_ZERO) {
      this.phase = PHASE_PROBE;
      this.unit = this.firstUnit;
    } else if (this.phase === PHASE_PROBE) {
      if (ok) {
        this.found[u] = FOUND;
        this.latencyUs[u] = this.firstByteAt >= 0 ? Math.max(0, this.firstByteAt - this.sentEnd) : 0;
      }
      if (u < this.lastUnit) this.unit = u + 1;
      else {
        this.beginIdentify(now);
        return;
      }
    } else {
      this.identified(ok);
      if (this.state === DONE) return;
    }
    this.schedule(now);
  }

  private beginIdentify(now: number): void {
    this.phase = PHASE_IDENTIFY;
    this.unit = 0;
    this.nextUnit(now);
  }

  /** Moves identification to the next found unit, or ends the scan. */
  private nextUnit(now: number): void {
    for (let u = this.unit + 1; u <= 247; u++) {
      if (this.found[u] === NOT_FOUND) continue;
      if (this.checkProfile.length === 0) {
        this.profileOf[u] = UNKNOWN_MODEL;
        continue;
      }
      this.unit = u;
      this.check = 0;
      this.best = UNKNOWN_MODEL;
      this.bestScore = 0;
      this.tie = false;
      this.passed = 0;
      this.schedule(now);
      return;
    }
    this.state = DONE;
    this.finishedAt = now;
  }

  /** Judges the identification read just made, and moves to the next check, profile or unit. */
  private identified(ok: boolean): void {
    const k = this.check;
    const profile = this.checkProfile[k];
    let pass = false;
    if (ok) {
      const v = this.checkCodec[k].decode(this.rx, 3);
      pass = v >= this.checkMin[k] && v <= this.checkMax[k];
    }
    let next = k + 1;
    if (pass) {
      this.passed++;
      const last = next >= this.checkProfile.length || this.checkProfile[next] !== profile;
      if (last) {
        if (this.passed > this.bestScore) {
          this.best = profile;
          this.bestScore = this.passed;
          this.tie = false;
        } else if (this.passed === this.bestScore) this.tie = true;
        this.passed = 0;
      }
    } else {
      // The profile fails: skip its remaining checks.
      while (next < this.checkProfile.length && this.checkProfile[next] === profile) next++;
      this.passed = 0;
    }
    if (next < this.checkProfile.length) {
      this.check = next;
      return;
    }
    const u = this.unit;
    this.profileOf[u] = this.bestScore === 0 ? UNKNOWN_MODEL : this.tie ? AMBIGUOUS : this.best;
    this.score[u] = this.bestScore;
    this.nextUnit(this.lastBusy);
  }
}
