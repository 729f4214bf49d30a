// Fairness of the gateway engine under attack, in virtual time (docs/gateway.md, "Fairness" and "Rate budget"): a
// simulated RTU bus that takes a fixed time per transaction, clients that flood the gateway with pipelined requests as
// fast as it takes them (a TCP stream that never runs dry), and a well-behaved client with one request at a time.
// Asserted: every well-behaved request is answered within N bus transactions of its arrival (N = active clients) and
// within N × the longest transaction; a flooder never holds more than maxPerClient requests plus the one in its
// reassembly buffer; a flooder of requests that need no bus is held to its rate budget while a client within its rate
// is never held. Portable: runs on Node and on XS.
import { Gateway, GW_THROTTLED, type GatewayLink, type LocalRegisters } from "../../../modules/gateway/engine";
import { MasterResult } from "../../../modules/master/result";
import { STATUS_OK, SUBMIT_OK } from "../../../modules/master/status";
import { writeMbapHeader } from "../../../modules/gateway/mbap";
import { NO_DEADLINE } from "../../../modules/port/contract";
import { Prng } from "../../../modules/common/prng";
import type { Cases } from "../../harness/check";

const LOCAL = 255;
const UNROUTED = 250;
const local: LocalRegisters = {
  readRegisters(_fc, address, count, into) { for (let i = 0; i < count; i++) into[i] = address + i; return 0; },
  writeRegisters: () => 1,
};

/** 03 read of `count` registers from 0: 12 bytes. */
function read(into: Uint8Array, at: number, tid: number, unit: number, count: number): void {
  writeMbapHeader(into, at, tid, unit, 5);
  into[at + 7] = 3;
  into[at + 8] = 0;
  into[at + 9] = 0;
  into[at + 10] = 0;
  into[at + 11] = count;
}

/** One RTU transaction at a time; each takes `us(quantity)` of virtual time. */
class SimBus {
  readonly queue: { tag: number; quantity: number }[] = [];
  doneAt = NO_DEADLINE;
  /** Transactions finished so far. */
  done = 0;
  longest = 0;
  constructor(readonly us: (quantity: number) => number, readonly now: () => number) {}
  submit(_unit: number, pdu: Uint8Array, offset: number, _length: number, tag: number): number {
    this.queue.push({ tag, quantity: pdu[offset + 4] });
    if (this.queue.length === 1) this.start();
    return SUBMIT_OK;
  }
  start(): void {
    const d = this.us(this.queue[0].quantity);
    if (d > this.longest) this.longest = d;
    this.doneAt = this.now() + d;
  }
}

interface Flooder { id: number; stream: Uint8Array; at: number; taken: number; answers: number; mostHeld: number; units: number[] }

/**
 * The rig: a gateway over SimBus, `flooders` clients that pipeline reads (unit pattern `units`, cycled) as fast as the
 * engine takes them, and one well-behaved client reading unit 2 once every `thinkUs` (± half) after its last answer.
 */
class Rig implements GatewayLink {
  now = 0;
  readonly gw: Gateway;
  readonly bus: SimBus;
  readonly flooders: Flooder[] = [];
  readonly wellBehaved: number;
  private readonly result = new MasterResult(new Uint8Array(300));
  private readonly wBytes = new Uint8Array(12);
  private readonly offers: number[] = [];
  private readonly prng = new Prng(20);
  /** Well-behaved client: when its request arrived, bus transactions done by then, next send time. */
  wSentAt = -1;
  wDoneAtArrival = 0;
  wNext = 0;
  wTid = 0;
  readonly wTransactions: number[] = [];
  readonly wLatencies: number[] = [];

  constructor(options: object, flooders: number, units: number[], busUs: (quantity: number) => number, readonly thinkUs: number, readonly wUnit = 2) {
    this.bus = new SimBus(busUs, () => this.now);
    this.gw = new Gateway({ localUnit: LOCAL, idleTimeoutMs: 0, ...options }, this.bus, local);
    this.gw.attach(this);
    for (let i = 0; i < flooders; i++) {
      const id = this.gw.accept("10.0.0.9", 0);
      this.flooders.push({ id, stream: new Uint8Array(12 * 64), at: 12 * 64, taken: 0, answers: 0, mostHeld: 0, units });
      this.offers.push(id);
    }
    this.wellBehaved = this.gw.accept("10.0.0.1", 0);
  }

  send(client: number, buffer: Uint8Array, offset: number): void {
    if (client === this.wellBehaved) {
      this.wLatencies.push(this.now - this.wSentAt);
      this.wTransactions.push(this.bus.done - this.wDoneAtArrival);
      this.wSentAt = -1;
      this.wNext = this.now + Math.floor(this.thinkUs / 2 + this.prng.nextFloat() * this.thinkUs);
      return;
    }
    const f = this.flooders.find((x) => x.id === client)!;
    f.answers++;
    if (buffer[offset + 7] !== 3 && buffer[offset + 7] !== 0x83) throw new Error("unexpected answer");
  }
  close(client: number): void { throw new Error(`client ${client} closed`); }
  resume(client: number): void {
    if (client === this.wellBehaved) throw new Error("the well-behaved client was held");
    this.offers.push(client);
  }

  /** Offers a flooder its stream until the engine stops taking it (the TCP stream never runs dry). */
  private offer(f: Flooder): void {
    for (;;) {
      if (f.at === f.stream.length) {
        for (let i = 0; i < 64; i++) read(f.stream, 12 * i, (f.taken / 12 + i) & 0xffff, f.units[(f.taken / 12 + i) % f.units.length], 6);
        f.at = 0;
      }
      const n = f.stream.length - f.at;
      const used = this.gw.received(f.id, f.stream, f.at, n, this.now);
      f.at += used;
      f.taken += used;
      const held = Math.ceil(f.taken / 12) - f.answers;
      if (held > f.mostHeld) f.mostHeld = held;
      if (used < n) return;
    }
  }

  /** Runs the virtual clock to `end` µs. */
  run(end: number): void {
    while (this.now <= end) {
      while (this.offers.length > 0) {
        const id = this.offers.shift();
        this.offer(this.flooders.find((x) => x.id === id)!);
      }
      let next = this.bus.doneAt;
      if (this.wSentAt < 0 && (next === NO_DEADLINE || this.wNext < next)) next = this.wNext;
      const d = this.gw.nextDeadline();
      if (d !== NO_DEADLINE && (next === NO_DEADLINE || d < next)) next = d;
      if (next === NO_DEADLINE) return;
      if (next > this.now) this.now = next;
      if (this.bus.doneAt === this.now) {
        const head = this.bus.queue.shift()!;
        this.bus.done++;
        this.bus.doneAt = NO_DEADLINE;
        if (this.bus.queue.length > 0) this.bus.start();
        const r = this.result;
        r.frame[0] = 1;
        r.frame[1] = 3;
        r.frame[2] = 2 * head.quantity;
        for (let i = 0; i < 2 * head.quantity; i++) r.frame[3 + i] = i;
        r.frameOffset = 0;
        r.frameLength = 5 + 2 * head.quantity;
        r.tag = head.tag;
        r.status = STATUS_OK;
        r.completedAt = this.now;
        this.gw.completed(r);
      }
      if (this.wSentAt < 0 && this.wNext <= this.now) {
        read(this.wBytes, 0, ++this.wTid, this.wUnit, 2);
        this.wSentAt = this.now;
        this.wDoneAtArrival = this.bus.done;
        if (this.gw.received(this.wellBehaved, this.wBytes, 0, 12, this.now) !== 12) throw new Error("the well-behaved client was not read");
      }
      if (d !== NO_DEADLINE && d <= this.now) this.gw.service(this.now);
    }
  }
}

const TRANSACTION_US = (quantity: number) => 8000 + 1000 * quantity;

export const cases: Cases = {
  "under flooding pipeliners a well-behaved client waits at most N bus transactions, N = active clients"(t) {
    for (const flooders of [1, 3, 6]) {
      const rig = new Rig({ maxClients: 8, maxPerAddress: 7, maxPerClient: 4, maxRequestRate: 0 }, flooders, [1, LOCAL, UNROUTED, 3, 1, 1], TRANSACTION_US, 20000);
      rig.run(30000000);
      const n = flooders + 1;
      t.ok(rig.wTransactions.length > 100, `${flooders} flooders: the well-behaved client was served ${rig.wTransactions.length} times`);
      t.is(Math.max(...rig.wTransactions), n, `${flooders} flooders: at most ${n} transactions from arrival to answer (the one on the bus, one per other client, its own)`);
      t.ok(Math.max(...rig.wLatencies) <= n * rig.bus.longest, `${flooders} flooders: latency ${Math.max(...rig.wLatencies)} µs ≤ ${n} × ${rig.bus.longest} µs`);
      for (const f of rig.flooders) {
        t.ok(f.mostHeld <= 4 + 1, `flooder ${f.id} held at most maxPerClient + 1 requests (got ${f.mostHeld})`);
        t.ok(f.answers > 100, `flooder ${f.id} was served too (${f.answers})`);
      }
      t.ok(rig.gw.pending <= 4 * flooders + 1, "the engine holds no more than the slots");
    }
  },

  "a flooder's long reads cost a short read at most one long transaction per flooder"(t) {
    // Bus time is not shared equally (a transaction is not preemptible): a 125-register read ahead of a 2-register one
    // is the price of the shared bus, bounded by one such transaction per other client.
    const rig = new Rig({ maxPerClient: 4, maxRequestRate: 0 }, 1, [1], (q) => 8000 + 1000 * (q === 6 ? 125 : q), 20000);
    rig.run(20000000);
    t.is(Math.max(...rig.wTransactions), 2);
    t.ok(Math.max(...rig.wLatencies) <= 133000 + 10000, `latency ${Math.max(...rig.wLatencies)} µs ≤ one long and one short transaction`);
  },

  "the rate budget holds a flooder of requests that need no bus to maxRequestRate; a client within its rate is never held"(t) {
    const rate = 500;
    const rig = new Rig({ maxPerClient: 4, maxRequestRate: rate }, 2, [LOCAL, UNROUTED], TRANSACTION_US, 10000, LOCAL);
    const seconds = 10;
    rig.run(seconds * 1000000);
    const burst = Math.max(2 * 4, Math.ceil(rate * 0.1));
    for (const f of rig.flooders) {
      const taken = f.taken / 12;
      t.ok(taken <= rate * seconds + burst + 1, `flooder took ${taken} requests in ${seconds} s (rate ${rate}/s, burst ${burst})`);
      t.ok(taken >= rate * seconds - 1, `flooder still served at its rate (${taken})`);
    }
    t.ok(rig.gw.counters[GW_THROTTLED] > 0, "flooders were throttled");
    t.ok(rig.wLatencies.length > 600, `the well-behaved client read ${rig.wLatencies.length} times`);
    t.is(Math.max(...rig.wLatencies), 0, "its local reads were answered at once, never held for a rate");
  },
};
