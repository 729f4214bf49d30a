/*
 * A bus scan at one line setting (baud × framing): which units answer, how fast, and which shipped profile each one is.
 * A sans-I/O engine (PortListener + Timed, modules/port/contract.ts) like the master, shared by `rc485 scan` on Node and the ESP32
 * scan job; the host runs one scan per line setting it tries (a new scanner, or the same one retune()d after it reopened
 * the port at the next setting) and reads the results from the typed arrays below.
 *
 * Theory of operation.
 *  - It does not go through the master (modules/master/engine.ts): the master treats address 0 as a broadcast that is never
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
 *  - Step 3, identification: for every unit found, each profile that has a signature (modules/concentrator/profile.ts) is tried in
 *    turn: each check's point is read (its own function, address and width) and decoded with the profile's codec; a
 *    profile fails at its first check that is refused, silent or out of range. The profile with the most checks all passed
 *    wins (a three-phase model names the phase voltages a single-phase model of the same register family lacks); equal
 *    best scores are `AMBIGUOUS`. These reads use `identifyTimeoutUs`, and a reply must come from the unit asked, with
 *    the function asked and the length asked for.
 *  - Step 4, device identification: a unit that no signature decided (none passed, or a tie), when some profile names an
 *    `identification`, is asked for its basic device identification (function 43, MEI type 14, Read Device ID code 01,
 *    object 00: MODBUS Application Protocol Specification V1.1b3 §6.21). A reply from the unit asked, with its VendorName
 *    (object 0) and ProductCode (object 1), is compared with each such profile (ASCII case ignored; a profile naming the
 *    product beats one naming the vendor alone; equal best matches are `AMBIGUOUS`). `byDeviceId` marks units told this
 *    way. An exception or silence (a meter without 43/14) leaves the signature's verdict.
 * Configuration time allocates (the tables below, one codec per check); running a scan allocates nothing.
 */
import { appendCrc, crcMatches } from "../rtu/crc16";
import { codecOf } from "../concentrator/planner";
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../port/contract";
import type { Profile } from "../concentrator/profile";
import { buildReadRequest } from "../rtu/build-request";
import { LineTiming, type Framing } from "../rtu/timing";
import type { ValueCodec } from "../concentrator/values";

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
  /** Ask undecided units for their 43/14 device identification when a profile names one (default true). */
  readonly deviceId?: boolean;
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
const PHASE_DEVICE_ID = 3;
/** Read Device Identification (V1.1b3 §6.21): function 43, MEI type 14; code 01 = basic objects; objects 0, 1. */
const FC_MEI = 0x2b;
const MEI_DEVICE_ID = 0x0e;
const OBJECT_VENDOR = 0;
const OBJECT_PRODUCT = 1;

const RX_CAPACITY = 264;

export class BusScanner implements PortListener, Timed {
  /** The line setting scanned (changed by retune()). */
  timing: LineTiming;
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
  /** Per unit: 1 when the model was told by its 43/14 device identification. */
  readonly byDeviceId = new Uint8Array(248);
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
  /** Profiles that name an identification: profile index, and their vendor and product as ASCII bytes (upper case). */
  private readonly idProfile: Int16Array;
  private readonly idVendor: Uint8Array[];
  private readonly idProduct: Uint8Array[];
  private readonly deviceId: boolean;
  private readonly tx = new Uint8Array(8);
  private readonly rx = new Uint8Array(RX_CAPACITY);
  private readonly probeFunction: number;
  private readonly probeAddress: number;
  private rxIdleDelayUs: number;
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
    const named = this.profiles.map((p, i) => (p.identification ? i : -1)).filter((i) => i >= 0);
    this.deviceId = options.deviceId !== false;
    this.idProfile = Int16Array.from(named);
    const ascii = (t: string) => Uint8Array.from(t.toUpperCase(), (c) => c.charCodeAt(0) & 0x7f);
    this.idVendor = named.map((i) => ascii(this.profiles[i].identification!.vendor));
    this.idProduct = named.map((i) => ascii(this.profiles[i].identification!.product));
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

  /**
   * Makes the scanner ready for another line setting (the host has reopened the port at it): the results are cleared,
   * the timing follows `baud` and `framing`, and `rxIdleDelayUs` is the host's delivery delay at that setting. Call
   * start() next. Allocates only the new LineTiming.
   */
  retune(baud: number, framing: Framing, rxIdleDelayUs: number): void {
    this.timing = new LineTiming(baud, framing);
    if (!Number.isInteger(rxIdleDelayUs) || rxIdleDelayUs < 0 || rxIdleDelayUs > 1000000) throw new RangeError(`rxIdleDelayUs must be an integer from 0 to 1000000, got ${rxIdleDelayUs}`);
    this.rxIdleDelayUs = rxIdleDelayUs;
    this.found.fill(NOT_FOUND);
    this.latencyUs.fill(0);
    this.profileOf.fill(UNKNOWN_MODEL);
    this.score.fill(0);
    this.byDeviceId.fill(0);
    this.probeException.fill(0);
    this.zeroAnswer = ZERO_SILENT;
    this.stoppedAt = 0;
    this.requests = this.replies = this.badFrames = 0;
    this.startedAt = this.finishedAt = -1;
    this.rxLength = 0;
    this.state = IDLE;
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
    this.deadline = now + (this.phase >= PHASE_IDENTIFY ? this.identifyTimeoutUs : this.timeoutUs);
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
    if ((this.phase === PHASE_ZERO || this.phase === PHASE_PROBE) && now - this.startedAt > this.budgetUs) {
      this.stoppedAt = this.phase === PHASE_ZERO ? this.firstUnit : this.unit;
      this.beginIdentify(now);
      if (this.state !== GAP) return;
    }
    if (this.phase === PHASE_DEVICE_ID) {
      const t = this.tx;
      t[0] = this.unit;
      t[1] = FC_MEI;
      t[2] = MEI_DEVICE_ID;
      t[3] = 1;
      t[4] = OBJECT_VENDOR;
      this.expectFunction = FC_MEI;
      this.requests++;
      this.state = SENDING;
      this.port.transmit(t, 0, appendCrc(t, 0, 5));
      return;
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
    if (this.phase === PHASE_DEVICE_ID) {
      // Judged by deviceIdentified() (a 43/14 reply has no byte count); the bytes stay in rx until then.
      ok = n >= 5 && n <= 256 && crcMatches(b, 0, n) && b[0] === this.unit && b[1] === FC_MEI && n >= 12 && b[2] === MEI_DEVICE_ID;
      if (!ok && n > 0 && !(n >= 5 && crcMatches(b, 0, n))) this.badFrames++;
      if (ok) {
        this.replies++;
        this.deviceIdentified(n);
      }
      this.outcome(ok, now);
      return;
    }
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
    } else if (this.phase === PHASE_DEVICE_ID) {
      this.phase = PHASE_IDENTIFY;
      this.nextUnit(now);
      return;
    } else {
      this.identified(ok);
      if (this.state === DONE || this.state === GAP) return;
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
        if (!this.askDeviceId()) continue;
        this.unit = u;
        this.phase = PHASE_DEVICE_ID;
        this.schedule(now);
        return;
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
    if (this.profileOf[u] < 0 && this.askDeviceId()) {
      // No signature decided: ask the unit who it is (outcome() schedules the request).
      this.phase = PHASE_DEVICE_ID;
      return;
    }
    this.nextUnit(this.lastBusy);
  }

  private askDeviceId(): boolean {
    return this.deviceId && this.idProfile.length > 0;
  }

  /**
   * A 43/14 reply of `n` bytes is in rx: unit, 43, 14, code, conformity, more follows, next object, object count, then
   * {id, length, value} per object (V1.1b3 §6.21). Finds VendorName and ProductCode and matches them with the profiles.
   */
  private deviceIdentified(n: number): void {
    const b = this.rx;
    const end = n - 2;
    let vendorAt = -1;
    let vendorLength = 0;
    let productAt = -1;
    let productLength = 0;
    let at = 8;
    for (let k = 0; k < b[7] && at + 2 <= end; k++) {
      const id = b[at];
      const length = b[at + 1];
      if (at + 2 + length > end) break;
      if (id === OBJECT_VENDOR) { vendorAt = at + 2; vendorLength = length; }
      else if (id === OBJECT_PRODUCT) { productAt = at + 2; productLength = length; }
      at += 2 + length;
    }
    if (vendorAt < 0) return;
    let best = -1;
    let bestScore = 0;
    let tie = false;
    for (let i = 0; i < this.idProfile.length; i++) {
      if (!this.sameText(vendorAt, vendorLength, this.idVendor[i])) continue;
      const product = this.idProduct[i];
      let score = 1;
      if (product.length > 0) {
        if (productAt < 0 || !this.sameText(productAt, productLength, product)) continue;
        score = 2;
      }
      if (score > bestScore) { best = this.idProfile[i]; bestScore = score; tie = false; }
      else if (score === bestScore) tie = true;
    }
    if (bestScore === 0) return;
    const u = this.unit;
    this.profileOf[u] = tie ? AMBIGUOUS : best;
    this.byDeviceId[u] = tie ? 0 : 1;
  }

  /** rx[at, at + length) equals `text` (upper-case ASCII), ignoring ASCII case and trailing spaces of the reply. */
  private sameText(at: number, length: number, text: Uint8Array): boolean {
    const b = this.rx;
    let n = length;
    while (n > 0 && b[at + n - 1] === 0x20) n--;
    if (n !== text.length) return false;
    for (let i = 0; i < n; i++) {
      let c = b[at + i];
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== text[i]) return false;
    }
    return true;
  }
}
