/*
 * The Modbus TCP gateway engine: sans-I/O, fixed memory. A host hands it TCP connections and their bytes; it reassembles
 * Modbus TCP requests, routes each by unit id to the RTU master, the concentrator's own registers or recent poll data, and
 * hands the responses back. docs/gateway.md is its manual.
 *
 * Theory of operation (MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 MBAP, §4.4.1 gateways; Application
 * Protocol V1.1b3 §6 request rules, §7 exceptions 01, 03, 0A, 0B):
 *  - Connections are numbered slots 0..maxClients-1. accept() checks the allowlist, the per-address limit and the client
 *    limit; when the slots are full (or the address is at its limit) a connection that has sent no whole request in
 *    EVICT_AFTER_US since it opened (else one idle for EVICT_IDLE_AFTER_US) is closed to make room, so slow or silent
 *    sockets cannot lock clients out.
 *  - received() copies bytes into the connection's 260-byte reassembly buffer: 7 header bytes first (protocol 0, length
 *    2..254, else the connection is closed: there is no delimiter to resynchronise on), then `length - 1` PDU bytes. Once a
 *    request's first byte is in, the whole request must follow within requestTimeout, or the connection is closed; a
 *    trickle of bytes does not count as activity for the idle timer (only whole requests and answers do).
 *  - A whole request takes one of the connection's maxPerClient request slots and is judged at once: a PDU that breaks its
 *    function's own rules (length, byte count, quantity; rtu/parse-request.ts, rtu/judge-request.ts) → 03 (the connection
 *    stays open); an invalid function, in read-only mode anything outside READ_ONLY_FUNCTION, or on a TLS connection
 *    a function or unit its role does not allow (accept()'s `role`, modules/gateway/roles.ts) → 01; the local unit →
 *    LocalRegisters; no route or bus down → 0A; a 03/04 read covered by poll data within cacheTtl → PollCache. Only the
 *    rest wait for the bus. With every slot taken, received() stops consuming (it returns the bytes it took) and calls
 *    link.resume() once a slot frees: TCP flow control, not an error.
 *  - Answers go out as soon as they exist, so they may leave out of order across units: MBAP transaction ids pair them.
 *    Requests to the same unit keep their order (a write then a read-back works).
 *  - Fairness: at most busSlots gateway requests sit in the master's queue at once, one per connection; the next one is
 *    taken round robin over connections, and within a connection the oldest waiting request for a unit other than the one
 *    it sent last goes first (one dead unit costs the others one timeout, not one per request queued behind it). So with
 *    busSlots 1 a request reaches the bus after at most one transaction of each other connection (plus the one under
 *    way): answered within N transactions of its arrival, N = connections with requests (docs/gateway.md, "Fairness").
 *  - Rate budget: each connection may send maxRequestRate requests per second after a burst (GCRA, ITU-T I.371 virtual
 *    scheduling, one number per connection: paidUntil). A whole request over budget stays in the reassembly buffer and
 *    the connection is not read (as with a full set of slots) until service() at its time takes it and calls
 *    link.resume(): answers that need no bus cost CPU, and no connection may take more of it than its rate.
 *  - Results come back by tag (tagBase + slot). OK and device exceptions are relayed as received; any fault after the
 *    master's retries (timeout, CRC, …) is 0B; a full master queue, a bus marked down, or a wait over queueTimeout is 0A.
 *    The response carries the request's transaction id and TCP unit id. A result for a closed connection is dropped.
 *  - Broadcast (with `broadcast` on): a write to TCP unit 0 with no alias or local unit goes out as an RTU broadcast; once
 *    the master has sent it and waited the turnaround delay, the client gets the write's normal response.
 *  - Timers: idle connections (nothing pending, no whole request or answer for idleTimeout) are closed; so are connections
 *    whose request is incomplete past requestTimeout; waiting requests time out with 0A.
 * Everything is allocated in the constructor; accept/received/completed/service allocate nothing.
 */
import { rebaseTimes } from "../port/time-rebase";
import { GatewayConfig, ROUTE_BROADCAST, ROUTE_LOCAL, ROUTE_NONE, type GatewayOptions } from "./config";
import { parseIpv4, type IpAllowlist } from "./ip-allowlist";
import { checkMbapHeader, MAX_PDU_LENGTH, MAX_TCP_ADU_LENGTH, MBAP_HEADER_LENGTH, MBAP_OK, mbapLength, mbapTransactionId, mbapUnit, writeMbapHeader } from "./mbap";
import type { MasterResult } from "../master/result";
import { STATUS_EXCEPTION, STATUS_OK, SUBMIT_OK } from "../master/status";
import type { PollCache } from "./poll-cache";
import { NO_DEADLINE, type Timed } from "../port/contract";
import { EX_GATEWAY_PATH_UNAVAILABLE, EX_GATEWAY_TARGET_FAILED, EX_ILLEGAL_DATA_ADDRESS, EX_ILLEGAL_DATA_VALUE, EX_ILLEGAL_FUNCTION } from "../rtu/exceptions";
import { FAULT_NONE, FAULT_UNKNOWN_FUNCTION, FAULT_UNSUPPORTED_MEI } from "../rtu/faults";
import { FrameView } from "../rtu/frame-view";
import { FC_ENCAPSULATED_INTERFACE, MEI_READ_DEVICE_IDENTIFICATION } from "../rtu/function-codes";
import { judgeRequest } from "../rtu/judge-request";
import { PARSE_IGNORE_CRC, parseRequest } from "../rtu/parse-request";

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
/** The address already holds maxPerAddress connections, none of them idle long enough to be closed for it. */
export const REFUSED_PER_ADDRESS = -3;

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
export const GW_CLOSED_SLOW = 16;
export const GW_EVICTED = 17;
export const GW_REFUSED_PER_ADDRESS = 18;
export const GW_EX_DATA_VALUE = 19;
export const GW_BROADCASTS = 20;
/** Requests refused with 01 because the connection's TLS role does not allow their function or unit. */
export const GW_DENIED_ROLE = 21;
/** Times a connection was held back for its rate budget (maxRequestRate). */
export const GW_THROTTLED = 22;
export const GW_COUNTERS = 23;
export const GW_COUNTER_NAMES: readonly string[] = Object.freeze([
  "accepted", "refusedAddress", "refusedFull", "closedMalformed", "closedIdle", "disconnected", "requests", "responses",
  "fromBus", "fromLocal", "fromCache", "exceptionPathUnavailable", "exceptionTargetFailed", "exceptionIllegalFunction",
  "orphanedResults", "stalls", "closedSlow", "evicted", "refusedPerAddress", "exceptionIllegalDataValue", "broadcasts",
  "deniedByRole", "throttled",
]);

/**
 * Functions a read-only gateway forwards (everything else is answered 01): the four reads of the data tables (01–04,
 * Application Protocol V1.1b3 §6.1–6.4) and the status reads that change nothing in the device: 07 Read Exception Status
 * (§6.7), 0B Get Comm Event Counter (§6.9), 0C Get Comm Event Log (§6.10), 11 Report Server ID (§6.13), and 2B only with
 * MEI type 0E Read Device Identification (§6.21). Left out on purpose: 08 Diagnostics (sub-functions restart the
 * device's communications, clear its counters, or put it in Listen Only Mode, §6.8.1 0001/000A/0004), 14/15/18 (file
 * records and FIFO queues), 2B/0D and every user-defined or unknown code, whose effect nobody here can vouch for.
 */
export const READ_ONLY_FUNCTION = new Uint8Array(256);
for (const fc of [0x01, 0x02, 0x03, 0x04, 0x07, 0x0b, 0x0c, 0x11, 0x2b]) READ_ONLY_FUNCTION[fc] = 1;

/** Writes that may go out as an RTU broadcast (Serial Line V1.02 §2.1: broadcast is for writes): 05, 06, 0F, 10. */
export const BROADCAST_FUNCTION = new Uint8Array(256);
for (const fc of [0x05, 0x06, 0x0f, 0x10]) BROADCAST_FUNCTION[fc] = 1;

/** A connection that has sent no whole request since it opened, this long ago, may be closed to admit a new one. */
export const EVICT_AFTER_US = 1000000;
/** A connection that has sent requests but has nothing pending and made no progress this long may be closed to admit a new one. */
export const EVICT_IDLE_AFTER_US = 10000000;

// Request slot states.
const FREE = 0;
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
  /** When the connection last completed a request or got an answer (or was accepted). */
  private readonly lastActive: Float64Array;
  /** When the first byte of the request now in the reassembly buffer arrived. */
  private readonly partialSince: Float64Array;
  /** Requests held (any state but FREE). */
  private readonly used: Uint8Array;
  /** 1 once the connection has sent a whole request. */
  private readonly served: Uint8Array;
  /** 1 while the connection has a request in the master. */
  private readonly busy: Uint8Array;
  /**
   * Rate budget (GCRA, ITU-T I.371 virtual scheduling): the time by which the connection's requests so far would have
   * been taken at exactly maxRequestRate. A request is taken while this is at most requestBurstUs ahead of now.
   */
  private readonly paidUntil: Float64Array;
  /** 1 while a whole request waits in the reassembly buffer for the connection's rate alone (not for a slot). */
  private readonly throttled: Uint8Array;
  /** RTU route of the connection's last request put on the bus (-1: none yet). */
  private readonly lastRoute: Int16Array;
  /** The peer's address: IPv4 as a number, else -1 and the text in addressText. */
  private readonly address: Float64Array;
  private readonly addressText: string[];
  /** The connection's role (a number of config.tls.roles), or -1: no role restrictions (plain Modbus TCP). */
  private readonly role: Int16Array;
  private roundRobin = 0;
  private sequence = 0;

  // Request slots (client c owns slots c*perClient .. c*perClient+perClient-1).
  private readonly state: Uint8Array;
  private readonly owner: Int16Array;
  private readonly tid: Uint16Array;
  private readonly unit: Uint8Array;
  private readonly pduLength: Uint16Array;
  private readonly arrived: Float64Array;
  /** Arrival order (a counter), for oldest-first. */
  private readonly order: Float64Array;
  private readonly pdu: Uint8Array;

  private readonly tx = new Uint8Array(MAX_TCP_ADU_LENGTH);
  private readonly registers = new Uint16Array(125);
  /** A request as an RTU ADU (unit + PDU + 2 unchecked CRC bytes) for the request parser. */
  private readonly adu = new Uint8Array(MAX_PDU_LENGTH + 3);
  private readonly view = new FrameView();

  constructor(options: GatewayOptions | GatewayConfig, bus: GatewayBus, local: LocalRegisters | null = null, cache: PollCache | null = null, tagBase = DEFAULT_TAG_BASE) {
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
    this.partialSince = new Float64Array(n);
    this.used = new Uint8Array(n);
    this.served = new Uint8Array(n);
    this.busy = new Uint8Array(n);
    this.paidUntil = new Float64Array(n);
    this.throttled = new Uint8Array(n);
    this.lastRoute = new Int16Array(n).fill(-1);
    this.address = new Float64Array(n);
    this.addressText = new Array<string>(n).fill("");
    this.role = new Int16Array(n).fill(-1);
    this.state = new Uint8Array(n * k);
    this.owner = new Int16Array(n * k).fill(-1);
    this.tid = new Uint16Array(n * k);
    this.unit = new Uint8Array(n * k);
    this.pduLength = new Uint16Array(n * k);
    this.arrived = new Float64Array(n * k);
    this.order = new Float64Array(n * k);
    this.pdu = new Uint8Array(n * k * MAX_PDU_LENGTH);
  }

  /** Lowers every time the gateway holds by `deltaUs` (modules/port/time-rebase.ts). */
  rebaseTime(deltaUs: number): void {
    rebaseTimes(this.lastActive, deltaUs);
    rebaseTimes(this.partialSince, deltaUs);
    rebaseTimes(this.arrived, deltaUs);
    rebaseTimes(this.paidUntil, deltaUs);
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

  /** Requests held (waiting, on the bus, or answered but not yet sent), orphans on the bus included. */
  get pending(): number {
    let n = 0;
    for (let s = 0; s < this.state.length; s++) if (this.state[s] !== FREE) n++;
    return n;
  }

  // ---- connections ----

  /**
   * A new TCP connection from `address` (text as the socket reports it). Returns its client number, or REFUSED_*.
   * `role`: for a TLS connection, its role's number in config.tls.roles (every request is checked against it); -1 for
   * none (plain Modbus TCP).
   * When the address is at maxPerAddress, or every slot is taken, the connection (of that address, or of any) that has
   * made no progress for the longest time, at least EVICT_AFTER_US, is closed (GW_EVICTED) to make room.
   */
  accept(address: string, now: number, role = -1): number {
    if (role !== -1 && !(Number.isInteger(role) && role >= 0 && this.config.tls !== null && role < this.config.tls.roles.names.length)) {
      throw new RangeError(`role ${role} is not a role of gateway.tls.roles`);
    }
    if (!this.allowlist.allows(address)) {
      this.counters[GW_REFUSED_ADDRESS]++;
      return REFUSED_ADDRESS;
    }
    const ip = parseIpv4(address);
    let same = 0;
    for (let c = 0; c < this.open.length; c++) if (this.open[c] === 1 && this.sameAddress(c, ip, address)) same++;
    if (same >= this.config.maxPerAddress) {
      const victim = this.stalest(ip, address, true, now);
      if (victim < 0) {
        this.counters[GW_REFUSED_PER_ADDRESS]++;
        return REFUSED_PER_ADDRESS;
      }
      this.drop(victim, GW_EVICTED, now);
    }
    let free = -1;
    for (let c = 0; c < this.open.length; c++) if (this.open[c] === 0) { free = c; break; }
    if (free < 0) {
      const victim = this.stalest(ip, address, false, now);
      if (victim < 0) {
        this.counters[GW_REFUSED_FULL]++;
        return REFUSED_FULL;
      }
      this.drop(victim, GW_EVICTED, now);
      free = victim;
    }
    const c = free;
    this.open[c] = 1;
    this.blocked[c] = 0;
    this.rxLength[c] = 0;
    this.used[c] = 0;
    this.served[c] = 0;
    this.busy[c] = 0;
    this.paidUntil[c] = 0;
    this.throttled[c] = 0;
    this.lastRoute[c] = -1;
    this.lastActive[c] = now;
    this.address[c] = ip;
    this.addressText[c] = ip < 0 ? address : "";
    this.role[c] = role;
    this.counters[GW_ACCEPTED]++;
    return c;
  }

  private sameAddress(c: number, ip: number, text: string): boolean {
    return ip >= 0 ? this.address[c] === ip : this.address[c] < 0 && this.addressText[c] === text;
  }

  /**
   * The connection to close for a newcomer, or -1: first the oldest that has sent no whole request since it opened
   * EVICT_AFTER_US ago or more (silent or trickling), else the one idle longest (nothing pending, no progress for
   * EVICT_IDLE_AFTER_US or more). A connection with a request pending is never chosen.
   */
  private stalest(ip: number, text: string, sameOnly: boolean, now: number): number {
    let best = -1;
    let bestIdle = -1;
    for (let c = 0; c < this.open.length; c++) {
      if (this.open[c] !== 1 || this.used[c] !== 0 || this.blocked[c] !== 0) continue;
      if (sameOnly && !this.sameAddress(c, ip, text)) continue;
      const quiet = now - this.lastActive[c];
      if (this.served[c] === 0) {
        if (quiet >= EVICT_AFTER_US && (best < 0 || this.lastActive[c] < this.lastActive[best])) best = c;
      } else if (quiet >= EVICT_IDLE_AFTER_US && (bestIdle < 0 || this.lastActive[c] < this.lastActive[bestIdle])) bestIdle = c;
    }
    return best >= 0 ? best : bestIdle;
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
          if (this.throttled[client] === 0) this.counters[GW_STALLS]++;
          break;
        }
        if (this.open[client] !== 1) return length;
        have = 0;
      }
      if (i === end) break;
      if (have === 0) this.partialSince[client] = now;
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
    for (let s = 0; s < this.state.length; s++) {
      if (this.state[s] === WAITING && this.owner[s] >= 0) this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
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
      this.busy[c] = 0;
      if (this.config.route[this.unit[s]] === ROUTE_BROADCAST) {
        // Sent and the turnaround delay waited: the write's normal response (its first 5 PDU bytes, §6.5/6.6/6.11/6.12).
        if (r.status === STATUS_OK) {
          this.counters[GW_BROADCASTS]++;
          this.respond(s, this.pdu, s * MAX_PDU_LENGTH, 5, now);
        } else this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
      } else if (r.status === STATUS_OK || r.status === STATUS_EXCEPTION) {
        this.counters[GW_FROM_BUS]++;
        this.respond(s, r.frame, r.frameOffset + 1, r.frameLength - 3, now);
      } else this.answerException(s, EX_GATEWAY_TARGET_FAILED, now);
    }
    this.pump(now);
  }

  /** Puts waiting requests into the master while it has room for them (also call after any master result). */
  pump(now: number): void {
    if (!this.busAvailable) return;
    const n = this.open.length;
    while (this.onBus < this.config.busSlots) {
      let s = -1;
      let found = -1;
      for (let k = 0; k < n; k++) {
        const c = (this.roundRobin + k) % n;
        if (this.open[c] !== 1 || this.busy[c] === 1 || this.used[c] === 0) continue;
        s = this.nextFor(c);
        if (s >= 0) { found = c; break; }
      }
      if (found < 0) return;
      this.roundRobin = (found + 1) % n;
      const route = this.config.route[this.unit[s]];
      const rtu = route === ROUTE_BROADCAST ? 0 : route;
      const code = this.bus.submit(rtu, this.pdu, s * MAX_PDU_LENGTH, this.pduLength[s], this.tagBase + s);
      if (code === SUBMIT_OK) {
        this.state[s] = ON_BUS;
        this.busy[found] = 1;
        this.lastRoute[found] = route;
        this.onBus++;
      } else this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
    }
  }

  /** The connection's next request for the bus: the oldest waiting one for a unit other than the last it sent, else the oldest. */
  private nextFor(c: number): number {
    const k = this.perClient;
    const last = this.lastRoute[c];
    let oldest = -1;
    let other = -1;
    for (let j = c * k, e = j + k; j < e; j++) {
      if (this.state[j] !== WAITING || this.owner[j] !== c) continue;
      if (oldest < 0 || this.order[j] < this.order[oldest]) oldest = j;
      if (this.config.route[this.unit[j]] !== last && (other < 0 || this.order[j] < this.order[other])) other = j;
    }
    return other >= 0 ? other : oldest;
  }

  // ---- timers ----

  nextDeadline(): number {
    const c = this.config;
    let d = NO_DEADLINE;
    for (let k = 0; k < this.open.length; k++) {
      if (this.open[k] !== 1) continue;
      let t = NO_DEADLINE;
      if (this.used[k] === 0 && c.idleTimeoutUs > 0) t = this.lastActive[k] + c.idleTimeoutUs;
      if (this.rxLength[k] > 0 && this.blocked[k] === 0) {
        const r = this.partialSince[k] + c.requestTimeoutUs;
        if (t === NO_DEADLINE || r < t) t = r;
      }
      if (this.throttled[k] === 1) {
        const r = this.paidUntil[k] - c.requestBurstUs;
        if (t === NO_DEADLINE || r < t) t = r;
      }
      if (t !== NO_DEADLINE && (d === NO_DEADLINE || t < d)) d = t;
    }
    for (let s = 0; s < this.state.length; s++) {
      if (this.state[s] !== WAITING || this.owner[s] < 0) continue;
      const t = this.arrived[s] + c.queueTimeoutUs;
      if (d === NO_DEADLINE || t < d) d = t;
    }
    return d;
  }

  service(now: number): void {
    const c = this.config;
    for (let k = 0; k < this.open.length; k++) {
      if (this.open[k] !== 1) continue;
      if (this.rxLength[k] > 0 && this.blocked[k] === 0 && now >= this.partialSince[k] + c.requestTimeoutUs) {
        this.drop(k, GW_CLOSED_SLOW, now);
        continue;
      }
      if (this.used[k] === 0 && this.throttled[k] === 0 && c.idleTimeoutUs > 0 && now >= this.lastActive[k] + c.idleTimeoutUs) {
        this.drop(k, GW_CLOSED_IDLE, now);
        continue;
      }
      if (this.throttled[k] === 1 && now >= this.paidUntil[k] - c.requestBurstUs) {
        // Back within its rate: take the held request and let the host offer the rest.
        this.blocked[k] = 0;
        if (this.enqueue(k, now)) this.link!.resume(k);
        else if (this.open[k] === 1) this.blocked[k] = 1;
      }
    }
    for (let s = 0; s < this.state.length; s++) {
      if (this.state[s] === WAITING && this.owner[s] >= 0 && now >= this.arrived[s] + c.queueTimeoutUs) this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
    }
    this.pump(now);
  }

  // ---- internals ----

  /**
   * Moves the whole request in the client's reassembly buffer into a free slot and judges it (answering at once when it
   * need not wait for the bus). False if no slot is free, or the connection is ahead of its rate budget (then it is
   * marked throttled and service() takes the request once the budget allows). May close the connection (a link that
   * fails on send).
   */
  private enqueue(client: number, now: number): boolean {
    const k = this.perClient;
    const wasThrottled = this.throttled[client];
    this.throttled[client] = 0;
    if (this.used[client] === k) return false;
    let s = -1;
    for (let j = client * k, e = j + k; j < e; j++) if (this.state[j] === FREE) { s = j; break; }
    if (s < 0) return false;
    const interval = this.config.requestIntervalUs;
    if (interval > 0) {
      const paid = this.paidUntil[client] > now ? this.paidUntil[client] : now;
      if (paid - now > this.config.requestBurstUs) {
        if (wasThrottled === 0) this.counters[GW_THROTTLED]++;
        this.throttled[client] = 1;
        return false;
      }
      this.paidUntil[client] = paid + interval;
    }
    const base = client * MAX_TCP_ADU_LENGTH;
    const rx = this.rx;
    const n = mbapLength(rx, base) - 1;
    this.state[s] = WAITING;
    this.owner[s] = client;
    this.tid[s] = mbapTransactionId(rx, base);
    this.unit[s] = mbapUnit(rx, base);
    this.pduLength[s] = n;
    this.arrived[s] = now;
    this.order[s] = this.sequence++;
    const p = s * MAX_PDU_LENGTH;
    for (let j = 0; j < n; j++) this.pdu[p + j] = rx[base + MBAP_HEADER_LENGTH + j];
    this.used[client]++;
    this.served[client] = 1;
    this.rxLength[client] = 0;
    this.lastActive[client] = now;
    this.counters[GW_REQUESTS]++;
    this.decide(s, now);
    return true;
  }

  /**
   * The exception a gateway answers itself for the PDU in slot `s` before it goes anywhere, or 0: 03 (or 02) when the PDU
   * breaks its function's own rules (parseRequest: length and byte count; judgeRequest: quantities, coil values, address
   * overflow), 01 for function 00 or ≥ 80, or in read-only mode outside READ_ONLY_FUNCTION. Functions rc485 has no rules
   * for pass (the device judges them).
   */
  private refusal(s: number): number {
    const p = s * MAX_PDU_LENGTH;
    const n = this.pduLength[s];
    const fc = this.pdu[p];
    if (fc === 0 || fc >= 0x80) return EX_ILLEGAL_FUNCTION;
    if (this.config.readOnly && !this.readOnlyAllows(p, n)) return EX_ILLEGAL_FUNCTION;
    const role = this.role[this.owner[s]];
    if (role >= 0) {
      const roles = this.config.tls!.roles;
      if (roles.functions[role * 256 + fc] === 0 || roles.units[role * 256 + this.unit[s]] === 0 || (roles.readOnly[role] === 1 && !this.readOnlyAllows(p, n))) {
        this.counters[GW_DENIED_ROLE]++;
        return EX_ILLEGAL_FUNCTION;
      }
    }
    const adu = this.adu;
    adu[0] = this.unit[s];
    for (let j = 0; j < n; j++) adu[1 + j] = this.pdu[p + j];
    adu[n + 1] = 0;
    adu[n + 2] = 0;
    const fault = parseRequest(adu, 0, n + 3, this.view, PARSE_IGNORE_CRC);
    if (fault === FAULT_UNKNOWN_FUNCTION || fault === FAULT_UNSUPPORTED_MEI) return 0;
    if (fault !== FAULT_NONE) return EX_ILLEGAL_DATA_VALUE;
    const ex = judgeRequest(this.view);
    return ex === EX_ILLEGAL_DATA_VALUE || ex === EX_ILLEGAL_DATA_ADDRESS ? ex : 0;
  }

  /** The PDU at pdu[p, p + n) is one a read-only gateway (or a read-only role) forwards: READ_ONLY_FUNCTION, 2B only as 2B/0E. */
  private readOnlyAllows(p: number, n: number): boolean {
    const fc = this.pdu[p];
    return READ_ONLY_FUNCTION[fc] === 1 && (fc !== FC_ENCAPSULATED_INTERFACE || (n >= 2 && this.pdu[p + 1] === MEI_READ_DEVICE_IDENTIFICATION));
  }

  /** Answers the request in slot `s` at once if it need not wait for the bus; else it stays WAITING. */
  private decide(s: number, now: number): void {
    const c = this.config;
    const p = s * MAX_PDU_LENGTH;
    const fc = this.pdu[p];
    const route = c.route[this.unit[s]];
    const refusal = this.refusal(s);
    if (refusal !== 0) {
      if (refusal === EX_ILLEGAL_FUNCTION) this.counters[GW_EX_FUNCTION]++;
      else this.counters[GW_EX_DATA_VALUE]++;
      this.answerException(s, refusal, now);
      return;
    }
    if (route === ROUTE_LOCAL) {
      this.answerLocal(s, now);
      return;
    }
    if (route === ROUTE_NONE || (route === ROUTE_BROADCAST && BROADCAST_FUNCTION[fc] === 0) || !this.busAvailable) {
      this.answerException(s, EX_GATEWAY_PATH_UNAVAILABLE, now);
      return;
    }
    if (c.cacheTtlUs > 0 && (fc === 3 || fc === 4) && !this.unitBusy(s, route)) {
      const count = (this.pdu[p + 3] << 8) | this.pdu[p + 4];
      if (count >= 1 && count <= 125 && this.cache!.lookup(route, fc, (this.pdu[p + 1] << 8) | this.pdu[p + 2], count, now - c.cacheTtlUs, this.registers)) {
        this.counters[GW_FROM_CACHE]++;
        this.answerRegisters(s, fc, count, now);
      }
    }
  }

  /** True when another request of slot `s`'s connection for `route` is still waiting or on the bus (order per unit). */
  private unitBusy(s: number, route: number): boolean {
    const client = this.owner[s];
    const k = this.perClient;
    for (let j = client * k, e = j + k; j < e; j++) {
      if (j !== s && this.owner[j] === client && (this.state[j] === WAITING || this.state[j] === ON_BUS) && this.config.route[this.unit[j]] === route) return true;
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

  /** Sends the response PDU now in tx[7..7+pduLength) for slot `s`, and frees the slot. */
  private send(s: number, pduLength: number, now: number): void {
    const client = this.owner[s];
    writeMbapHeader(this.tx, 0, this.tid[s], this.unit[s], pduLength);
    this.state[s] = FREE;
    this.owner[s] = -1;
    this.used[client]--;
    this.lastActive[client] = now;
    this.counters[GW_RESPONSES]++;
    this.link!.send(client, this.tx, 0, MBAP_HEADER_LENGTH + pduLength);
    if (this.blocked[client] === 1 && this.open[client] === 1) {
      this.blocked[client] = 0;
      if (this.enqueue(client, now)) this.link!.resume(client);
      else if (this.open[client] === 1) this.blocked[client] = 1;
    }
  }

  /** The engine ends the connection (malformed, idle, slow, evicted). */
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
    this.throttled[client] = 0;
    this.used[client] = 0;
    this.busy[client] = 0;
    this.rxLength[client] = 0;
  }
}
