/*
 * The Modbus TCP gateway engine: sans-I/O, fixed memory. A host hands it TCP connections and their bytes; it reassembles
 * Modbus TCP requests, routes each by unit id to the RTU master, the concentrator's own registers or recent poll data, and
 * hands the responses back. docs/gateway.md is its manual.
 *
 * Theory of operation (MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 MBAP, §4.4.1 gateways; Application
 * Protocol V1.1b3 §7 exceptions 01, 0A, 0B):
 *  - Connections are numbered slots 0..maxClients-1. accept() checks the allowlist and the client limit. received() copies
 *    bytes into the connection's 260-byte reassembly buffer: 7 header bytes first (protocol 0, length 2..254, else the
 *    connection is closed: there is no delimiter to resynchronise on), then `length - 1` PDU bytes. A whole request whose
 *    PDU contradicts its function's length rule (rtu/expected-length.ts) is a length mismatch and closes the connection too.
 *    Other connections are never touched by one client's faults.
 *  - A whole request moves into one of the connection's maxPerClient request slots and joins its FIFO. With every slot
 *    taken, received() stops consuming (it returns the bytes it took) and calls link.resume() once a slot frees: TCP flow
 *    control, not an error, is what slows a client that pipelines too much.
 *  - Each connection's requests are answered in order. The FIFO head is decided when it gets there: an invalid function or
 *    a write in read-only mode → 01; the local unit → LocalRegisters; no route or bus down → 0A; a 03/04 read covered by
 *    poll data within cacheTtl → answered from the PollCache; else it waits for the bus.
 *  - Fairness: at most busSlots gateway requests sit in the master's queue at once, so the scheduler's polls queued there
 *    meanwhile interleave with them; the next one is taken round robin over connections whose head waits. A request goes
 *    in from the completion callback of the previous one, in the same bus gap (the master allows submitting from there).
 *  - Results come back by tag (tagBase + slot). OK and device exceptions are relayed as received; any fault after the
 *    master's retries (timeout, CRC, …) is 0B; a full master queue, a bus marked down, or a wait over queueTimeout is 0A.
 *    The response carries the request's transaction id and TCP unit id. A result for a closed connection is dropped.
 *  - Timers: idle connections (nothing pending, nothing heard for idleTimeout) are closed; waiting heads time out.
 * Everything is allocated in the constructor; accept/received/completed/service allocate nothing.
 */
import { GatewayConfig, ROUTE_LOCAL, ROUTE_NONE, type GatewayOptions } from "./gateway-config";
import type { IpAllowlist } from "./ip-allowlist";
import { checkMbapHeader, MAX_PDU_LENGTH, MAX_TCP_ADU_LENGTH, MBAP_HEADER_LENGTH, MBAP_OK, mbapLength, mbapTransactionId, mbapUnit, writeMbapHeader } from "./mbap";
import type { MasterResult } from "./master-result";
import { STATUS_EXCEPTION, STATUS_OK, SUBMIT_OK } from "./master-status";
import type { PollCache } from "./poll-cache";
import { NO_DEADLINE, type Timed } from "./port";
import { EX_GATEWAY_PATH_UNAVAILABLE, EX_GATEWAY_TARGET_FAILED, EX_ILLEGAL_DATA_ADDRESS, EX_ILLEGAL_DATA_VALUE, EX_ILLEGAL_FUNCTION } from "./rtu/exceptions";
import { expectedRequestLength, LENGTH_BY_SILENCE } from "./rtu/expected-length";

/** Where requests go on the bus: the RTU master (Master.submit has this shape). */
export interface GatewayBus {
  submit(unit: number, pdu: Uint8Array, offset: number, length: number, tag: number): number;
}

/** The host's side of the TCP connections. */
export interface GatewayLink {
  /** Send these bytes on connection `client`; copy them before returning (the buffer is reused). */
  send(client: number, buffer: Uint8Array, offset: number, length: number): void;
  /**
   * The engine has dropped `client`: close the socket and make no more calls for this client. `reason` is the counter
   * index of the cause (GW_CLOSED_MALFORMED, GW_CLOSED_IDLE; names in GW_COUNTER_NAMES).
   */
  close(client: number, reason: number): void;
  /** `client` can take more bytes again: offer the bytes received() left unconsumed. */
  resume(client: number): void;
}

/** The concentrator's own registers, answered for the local unit id. Return 0, or an exception code (e.g. 02). */
export interface LocalRegisters {
  /** `fc` 3 or 4; fill into[0..count). `now` is the engine's clock (µs). */
  readRegisters(fc: number, address: number, count: number, into: Uint16Array, now: number): number;
  /** values[0..count) from `address` (06, 10); return 01 if the concentrator takes no writes. */
  writeRegisters(address: number, values: Uint16Array, count: number, now: number): number;
}

// accept() refusals.
export const REFUSED_ADDRESS = -1;
export const REFUSED_FULL = -2;

// Counter indexes into Gateway.counters.
export const GW_ACCEPTED = 0;
export const GW_REFUSED_ADDRESS = 1;
export const GW_REFUSED_FULL = 2;
export const GW_CLOSED_MALFORMED = 3;
export const GW_CLOSED_IDLE = 4;
export const GW_DISCONNECTED = 5;
export const GW_REQUESTS = 6;
export const GW_RESPONSES = 7;
export const GW_FROM_BUS = 8;
export const GW_FROM_LOCAL = 9;
export const GW_FROM_CACHE = 10;
export const GW_EX_PATH = 11;
export const GW_EX_TARGET = 12;
export const GW_EX_FUNCTION = 13;
export const GW_ORPHANED = 14;
export const GW_STALLS = 15;
export const GW_COUNTERS = 16;
export const GW_COUNTER_NAMES: readonly string[] = Object.freeze([
  "accepted", "refusedAddress", "refusedFull", "closedMalformed", "closedIdle", "disconnected", "requests", "responses",
  "fromBus", "fromLocal", "fromCache", "exceptionPathUnavailable", "exceptionTargetFailed", "exceptionIllegalFunction",
  "orphanedResults", "stalls",
]);

/** Write functions refused in read-only mode (Application Protocol V1.1b3 §6.5, §6.6, §6.11, §6.12, §6.16, §6.17). */
export const WRITE_FUNCTION = new Uint8Array(256);
for (const fc of [0x05, 0x06, 0x0f, 0x10, 0x16, 0x17]) WRITE_FUNCTION[fc] = 1;

// Request slot states.
const FREE = 0;
const QUEUED = 1;
const WAITING = 2;
const ON_BUS = 3;

/** Default first tag: gateway tags are tagBase + slot, far above a scheduler's read indexes. */
export const DEFAULT_TAG_BASE = 0x100000;

export class Gateway implements Timed {
  readonly config: GatewayConfig;
  readonly allowlist: IpAllowlist;
  readonly tagBase: number;
  readonly counters = new Uint32Array(GW_COUNTERS);
  /** Gateway requests in the master's queue now. */
  onBus = 0;
  /** False while the host reports the serial line unusable: requests for the bus are answered 0A at once. */
  busAvailable = true;

  private readonly bus: GatewayBus;
  private link: GatewayLink | null = null;
  private readonly local: LocalRegisters | null;
  private readonly cache: PollCache | null;
  private readonly perClient: number;

  // Connections.
  private readonly open: Uint8Array;
  private readonly blocked: Uint8Array;
  private readonly rx: Uint8Array;
  private readonly rxLength: Uint16Array;
  private readonly lastActive: Float64Array;
  private readonly fifo: Int16Array;
  private readonly fifoHead: Uint8Array;
  private readonly fifoCount: Uint8Array;
  private roundRobin = 0;

  // Request slots (client c owns slots c*perClient .. c*perClient+perClient-1).
  private readonly state: Uint8Array;
  private readonly owner: Int16Array;
  private readonly tid: Uint16Array;
  private readonly unit: Uint8Array;
  private readonly pduLength: Uint16Array;
  private readonly arrived: Float64Array;
  private readonly pdu: Uint8Array;

  private readonly tx = new Uint8Array(MAX_TCP_ADU_LENGTH);
  private readonly registers = new Uint16Array(125);

  constructor(options: GatewayOptions, bus: GatewayBus, local: LocalRegisters | null = null, cache: PollCache | null = null, tagBase = DEFAULT_TAG_BASE) {
    this.config = options instanceof GatewayConfig ? options : new GatewayConfig(options);
    const c = this.config;
    this.allowlist = c.allowlist;
    if (typeof bus !== "object" || bus === null || typeof bus.submit !== "function") throw new TypeError("bus must be a GatewayBus (an object with submit(unit, pdu, offset, length, tag), e.g. the Master)");
    if (c.localUnit >= 0 && (local === null || typeof local.readRegisters !== "function")) throw new TypeError(`gateway.localUnit ${c.localUnit} needs LocalRegisters (an object with readRegisters and writeRegisters)`);
    if (c.cacheTtlUs > 0 && (cache === null || typeof cache.lookup !== "function")) throw new TypeError("gateway.cacheTtlMs needs a PollCache (an object with lookup())");
    if (!Number.isInteger(tagBase) || tagBase < 0 || tagBase > 0x7fffffff - 1024) throw new RangeError(`tagBase must be an integer from 0 to ${0x7fffffff - 1024}`);
    this.bus = bus;
    this.local = local;
    this.cache = cache;
    this.tagBase = tagBase;
    const n = c.maxClients;
    const k = c.maxPerClient;
    this.perClient = k;
    this.open = new Uint8Array(n);
    this.blocked = new Uint8Array(n);
    this.rx = new Uint8Array(n * MAX_TCP_ADU_LENGTH);
    this.rxLength = new Uint16Array(n);
    this.lastActive = new Float64Array(n);
    this.fifo = new Int16Array(n * k);
    this.fifoHead = new Uint8Array(n);
    this.fifoCount = new Uint8Array(n);
    this.state = new Uint8Array(n * k);
    this.owner = new Int16Array(n * k).fill(-1);
    this.tid = new Uint16Array(n * k);
    this.unit = new Uint8Array(n * k);
    this.pduLength = new Uint16Array(n * k);
    this.arrived = new Float64Array(n * k);
    this.pdu = new Uint8Array(n * k * MAX_PDU_LENGTH);
  }

  /** The host side; call once before accept(). */
  attach(link: GatewayLink): void {
    if (typeof link !== "object" || link === null || typeof link.send !== "function" || typeof link.close !== "function") throw new TypeError("link must be a GatewayLink (send, close, resume)");
    this.link = link;
  }

  /** True when a master result's tag belongs to the gateway (the runtime routes it to completed()). */
  owns(tag: number): boolean {
    return tag >= this.tagBase && tag < this.tagBase + this.state.length;
  }

  /** Open connections. */
  get clients(): number {
    let n = 0;
    for (let c = 0; c < this.open.length; c++) n += this.open[c];
    return n;
  }

  /** Requests held (waiting, on the bus, or queued behind them), orphans on the bus included. */
  get pending(): number {
    let n = 0;
    for (let s = 0; s < this.state.length; s++) if (this.state[s] !== FREE) n++;
    return n;
  }

  // ---- connections ----

  /** A new TCP connection from `address` (text as the socket reports it). Returns its client number, or REFUSED_*. */
  accept(address: string, now: number): number {
    if (!this.allowlist.allows(address)) {
      this.counters[GW_REFUSED_ADDRESS]++;
      return REFUSED_ADDRESS;
    }
    for (let c = 0; c < this.open.length; c++) {
      if (this.open[c] === 1) continue;
      this.open[c] = 1;
      this.blocked[c] = 0;
      this.rxLength[c] = 0;
      this.fifoHead[c] = 0;
      this.fifoCount[c] = 0;
      this.lastActive[c] = now;
      this.counters[GW_ACCEPTED]++;
      return c;
    }
    this.counters[GW_REFUSED_FULL]++;
    return REFUSED_FULL;
  }

  /** The peer closed or the socket failed: forget the connection (results still on the bus are dropped when they come). */
  disconnected(client: number, now: number): void {
    if (this.open[client] !== 1) return;
    this.counters[GW_DISCONNECTED]++;
    this.release(client);
    this.pump(now);
  }

  /**
   * Bytes from connection `client`. Returns how many were consumed: fewer than `length` when the connection has
   * maxPerClient requests pending; the host keeps the rest and offers it again after link.resume(client). A connection
   * closed by the engine consumes everything.
   */
  received(client: number, buffer: Uint8Array, offset: number, length: number, now: number): number {
    if (this.open[client] !== 1) return length;
    this.lastActive[client] = now;
    const base = client * MAX_TCP_ADU_LENGTH;
    const rx = this.rx;
    let i = offset;
    const end = offset + length;
    let taken = 0;
    for (;;) {
      let have = this.rxLength[client];
      // A whole request held back for want of a slot goes first.
      if (have >= MBAP_HEADER_LENGTH && have === MBAP_HEADER_LENGTH - 1 + mbapLength(rx, base)) {
        if (!this.enqueue(client, now)) {
          if (this.open[client] !== 1) return length;
          this.blocked[client] = 1;
          this.counters[GW_STALLS]++;
          break;
        }
        have = 0;
      }
      if (i === end) break;
      const need = have < MBAP_HEADER_LENGTH ? MBAP_HEADER_LENGTH : MBAP_HEADER_LENGTH - 1 + mbapLength(rx, base);
      let k = need - have;
      if (k > end - i) k = end - i;
      for (let j = 0; j < k; j++) rx[base + have + j] = buffer[i + j];
      i += k;
      taken += k;
      have += k;
      this.rxLength[client] = have;
      if (have === MBAP_HEADER_LENGTH && checkMbapHeader(rx, base) !== MBAP_OK) {
        this.drop(client, GW_CLOSED_MALFORMED, now);
        return length;
      }
    }
    this.advance(client, now);
    this.pump(now);
    return taken;
  }

  /** Marks the serial line usable or not (adapter unplugged, port closed). Waiting requests get 0A while it is down. */
  setBusAvailable(up: boolean, now: number): void {
    this.busAvailable = up;
    if (up) {
      this.pump(now);
      return;
    }
    for (let c = 0; c < this.open.length; c++) {
      if (this.open[c] === 1 && this.fifoCount[c] > 0 && this.state[this.head(c)] === WAITING) {
        this.answerException(this.head(c), EX_GATEWAY_PATH_UNAVAILABLE, now);
        this.advance(c, now);
      }
    }
  }

  // ---- results from the master ----

  /** A master result whose tag this gateway owns (see owns()). May be called from inside the master's callback. */
  completed(r: MasterResult): void {
    const s = r.tag - this.tagBase;
    if (!(s >= 0 && s < this.state.length) || this.state[s] !== ON_BUS) return;
    const now = r.completedAt;
    this.onBus--;
    const c = this.owner[s];
    if (c < 0) {
      this.counters[GW_ORPHANED]++;
      this.state[s] = FREE;
    } else {
      if (r.status === STATUS_OK || r.status === STATUS_EXCEPTION) {
        this.counters[GW_FROM_BUS]++;
        this.respond(s, r.frame, r.frameOffset + 1, r.frameLength - 3, now);
      } else this.answerException(s, EX_GATEWAY_TARGET_FAILED, now);
      this.advance(c, now);
    }
    this.pump(now);
  }

  /** Puts waiting requests into the master while it has room for them (also call after any master result). */
  pump(now: number): void {
    if (!this.busAvailable) return;
    const n = this.open.length;
    while (this.onBus < this.config.busSlots) {
      let found = -1;
      for (let k = 0; k < n; k++) {
        const c = (this.roundRobin + k) % n;
        if (this.open[c] === 1 && this.fifoCount[c] > 0 && this.state[this.head(c)] === WAITING) { found = c; break; }
      }
      if (found < 0) return;
      this.roundRobin = (found + 1) % n;
      const s = this.head(found);
      const code = this.bus.submit(this.config.route[this.unit[s]], this.pdu, s * MAX_PDU_LENGTH, this.pduLength[s], this.tagBase + s);
      if (code === SUBMIT_OK) {
        this.state[s] = ON_BUS;
        this.onBus++;
      } else {
        this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
        this.advance(found, now);
      }
    }
  }

  // ---- timers ----

  nextDeadline(): number {
    const c = this.config;
    let d = NO_DEADLINE;
    for (let k = 0; k < this.open.length; k++) {
      if (this.open[k] !== 1) continue;
      let t = NO_DEADLINE;
      if (this.fifoCount[k] === 0) {
        if (c.idleTimeoutUs > 0) t = this.lastActive[k] + c.idleTimeoutUs;
      } else {
        const s = this.head(k);
        if (this.state[s] === WAITING) t = this.arrived[s] + c.queueTimeoutUs;
      }
      if (t !== NO_DEADLINE && (d === NO_DEADLINE || t < d)) d = t;
    }
    return d;
  }

  service(now: number): void {
    const c = this.config;
    for (let k = 0; k < this.open.length; k++) {
      if (this.open[k] !== 1) continue;
      if (this.fifoCount[k] === 0) {
        if (c.idleTimeoutUs > 0 && now >= this.lastActive[k] + c.idleTimeoutUs) this.drop(k, GW_CLOSED_IDLE, now);
        continue;
      }
      const s = this.head(k);
      if (this.state[s] === WAITING && now >= this.arrived[s] + c.queueTimeoutUs) {
        this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
        this.advance(k, now);
      }
    }
    this.pump(now);
  }

  // ---- internals ----

  private head(client: number): number {
    return this.fifo[client * this.perClient + this.fifoHead[client]];
  }

  /** Moves the whole request in the client's reassembly buffer into a free slot. False if none is free, or if it closed the connection. */
  private enqueue(client: number, now: number): boolean {
    const k = this.perClient;
    if (this.fifoCount[client] === k) return false;
    let s = -1;
    for (let j = client * k, e = j + k; j < e; j++) if (this.state[j] === FREE) { s = j; break; }
    if (s < 0) return false;
    const base = client * MAX_TCP_ADU_LENGTH;
    const rx = this.rx;
    const n = mbapLength(rx, base) - 1;
    // The PDU must agree with its function's length rule (unit + PDU + 2 CRC bytes, as an RTU ADU would be).
    const expected = expectedRequestLength(rx, base + MBAP_HEADER_LENGTH - 1, n + 1);
    const fc = rx[base + MBAP_HEADER_LENGTH];
    const invalidFunction = fc === 0 || fc >= 0x80;
    if (!invalidFunction && expected !== LENGTH_BY_SILENCE && expected !== n + 3) {
      this.drop(client, GW_CLOSED_MALFORMED, now);
      return false;
    }
    this.state[s] = QUEUED;
    this.owner[s] = client;
    this.tid[s] = mbapTransactionId(rx, base);
    this.unit[s] = mbapUnit(rx, base);
    this.pduLength[s] = n;
    this.arrived[s] = now;
    const p = s * MAX_PDU_LENGTH;
    for (let j = 0; j < n; j++) this.pdu[p + j] = rx[base + MBAP_HEADER_LENGTH + j];
    this.fifo[client * k + ((this.fifoHead[client] + this.fifoCount[client]) % k)] = s;
    this.fifoCount[client]++;
    this.rxLength[client] = 0;
    this.counters[GW_REQUESTS]++;
    return true;
  }

  /** Decides the client's FIFO heads in order until one must wait for the bus. */
  private advance(client: number, now: number): void {
    while (this.open[client] === 1 && this.fifoCount[client] > 0) {
      const s = this.head(client);
      if (this.state[s] !== QUEUED) return;
      if (!this.decide(s, now)) {
        this.state[s] = WAITING;
        return;
      }
    }
  }

  /** Answers the request in slot `s` at once if it need not wait for the bus; returns whether it did. */
  private decide(s: number, now: number): boolean {
    const c = this.config;
    const p = s * MAX_PDU_LENGTH;
    const fc = this.pdu[p];
    const route = c.route[this.unit[s]];
    if (fc === 0 || fc >= 0x80 || (c.readOnly && WRITE_FUNCTION[fc] === 1)) {
      this.counters[GW_EX_FUNCTION]++;
      this.answerException(s, EX_ILLEGAL_FUNCTION, now);
      return true;
    }
    if (route === ROUTE_LOCAL) {
      this.answerLocal(s, now);
      return true;
    }
    if (route === ROUTE_NONE || !this.busAvailable || now >= this.arrived[s] + c.queueTimeoutUs) {
      this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
      return true;
    }
    if (c.cacheTtlUs > 0 && (fc === 3 || fc === 4)) {
      const count = (this.pdu[p + 3] << 8) | this.pdu[p + 4];
      if (count >= 1 && count <= 125 && this.cache!.lookup(route, fc, (this.pdu[p + 1] << 8) | this.pdu[p + 2], count, now - c.cacheTtlUs, this.registers)) {
        this.counters[GW_FROM_CACHE]++;
        this.answerRegisters(s, fc, count, now);
        return true;
      }
    }
    return false;
  }

  private answerLocal(s: number, now: number): void {
    const p = s * MAX_PDU_LENGTH;
    const pdu = this.pdu;
    const fc = pdu[p];
    const address = (pdu[p + 1] << 8) | pdu[p + 2];
    const word = (pdu[p + 3] << 8) | pdu[p + 4];
    const local = this.local!;
    let ex = 0;
    if (fc === 3 || fc === 4) {
      if (word < 1 || word > 125) ex = EX_ILLEGAL_DATA_VALUE;
      else if (address + word > 0x10000) ex = EX_ILLEGAL_DATA_ADDRESS;
      else ex = local.readRegisters(fc, address, word, this.registers, now);
      if (ex === 0) {
        this.counters[GW_FROM_LOCAL]++;
        this.answerRegisters(s, fc, word, now);
        return;
      }
    } else if (fc === 6) {
      this.registers[0] = word;
      ex = local.writeRegisters(address, this.registers, 1, now);
    } else if (fc === 0x10) {
      if (word < 1 || word > 123 || pdu[p + 5] !== 2 * word) ex = EX_ILLEGAL_DATA_VALUE;
      else if (address + word > 0x10000) ex = EX_ILLEGAL_DATA_ADDRESS;
      else {
        for (let i = 0; i < word; i++) this.registers[i] = (pdu[p + 6 + 2 * i] << 8) | pdu[p + 7 + 2 * i];
        ex = local.writeRegisters(address, this.registers, word, now);
      }
    } else ex = EX_ILLEGAL_FUNCTION;
    if (ex !== 0) {
      if (ex === EX_ILLEGAL_FUNCTION) this.counters[GW_EX_FUNCTION]++;
      this.answerException(s, ex, now);
      return;
    }
    // Writes answer with the request's first 5 PDU bytes (06: echo; 10: function, address, quantity).
    this.counters[GW_FROM_LOCAL]++;
    this.respond(s, pdu, p, 5, now);
  }

  private answerRegisters(s: number, fc: number, count: number, now: number): void {
    const tx = this.tx;
    const o = MBAP_HEADER_LENGTH;
    tx[o] = fc;
    tx[o + 1] = 2 * count;
    for (let i = 0; i < count; i++) {
      tx[o + 2 + 2 * i] = this.registers[i] >> 8;
      tx[o + 3 + 2 * i] = this.registers[i] & 0xff;
    }
    this.send(s, 2 + 2 * count, now);
  }

  private answerException(s: number, code: number, now: number): void {
    if (code === EX_GATEWAY_PATH_UNAVAILABLE) this.counters[GW_EX_PATH]++;
    else if (code === EX_GATEWAY_TARGET_FAILED) this.counters[GW_EX_TARGET]++;
    this.tx[MBAP_HEADER_LENGTH] = (this.pdu[s * MAX_PDU_LENGTH] | 0x80) & 0xff;
    this.tx[MBAP_HEADER_LENGTH + 1] = code;
    this.send(s, 2, now);
  }

  /** Responds with the PDU source[offset, offset+length). */
  private respond(s: number, source: Uint8Array, offset: number, length: number, now: number): void {
    const tx = this.tx;
    for (let i = 0; i < length; i++) tx[MBAP_HEADER_LENGTH + i] = source[offset + i];
    this.send(s, length, now);
  }

  /** Sends the response PDU now in tx[7..7+pduLength) for slot `s`, and frees the slot (the head of its client's FIFO). */
  private send(s: number, pduLength: number, now: number): void {
    const client = this.owner[s];
    writeMbapHeader(this.tx, 0, this.tid[s], this.unit[s], pduLength);
    this.state[s] = FREE;
    this.owner[s] = -1;
    this.fifoHead[client] = (this.fifoHead[client] + 1) % this.perClient;
    this.fifoCount[client]--;
    this.lastActive[client] = now;
    this.counters[GW_RESPONSES]++;
    this.link!.send(client, this.tx, 0, MBAP_HEADER_LENGTH + pduLength);
    if (this.blocked[client] === 1 && this.open[client] === 1) {
      this.blocked[client] = 0;
      if (this.enqueue(client, now)) this.link!.resume(client);
      else if (this.open[client] === 1) this.blocked[client] = 1;
    }
  }

  /** The engine ends the connection (malformed or idle). */
  private drop(client: number, counter: number, now: number): void {
    this.counters[counter]++;
    this.release(client);
    this.link!.close(client, counter);
    this.pump(now);
  }

  private release(client: number): void {
    const k = this.perClient;
    for (let j = client * k, e = j + k; j < e; j++) {
      if (this.owner[j] !== client) continue;
      this.owner[j] = -1;
      if (this.state[j] !== ON_BUS) this.state[j] = FREE;
    }
    this.open[client] = 0;
    this.blocked[client] = 0;
    this.fifoCount[client] = 0;
    this.fifoHead[client] = 0;
    this.rxLength[client] = 0;
  }
}
