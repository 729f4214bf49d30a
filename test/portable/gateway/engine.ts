// The Modbus TCP gateway engine driven by hand: MBAP rules, reassembly, routing, exceptions, access control, fairness,
// backpressure, timers and the poll cache. Portable: runs on Node and on XS.
import { EVICT_AFTER_US, EVICT_IDLE_AFTER_US, Gateway, GW_BROADCASTS, GW_CLOSED_IDLE, GW_CLOSED_MALFORMED, GW_CLOSED_SLOW, GW_EVICTED, GW_EX_DATA_VALUE, GW_FROM_CACHE, GW_ORPHANED, GW_REFUSED_ADDRESS, GW_REFUSED_FULL, GW_REFUSED_PER_ADDRESS, REFUSED_ADDRESS, REFUSED_FULL, REFUSED_PER_ADDRESS, type GatewayLink, type LocalRegisters } from "../../../modules/gateway/engine";
import { GatewayConfig } from "../../../modules/gateway/config";
import { IpAllowlist, parseIpv4 } from "../../../modules/gateway/ip-allowlist";
import { checkMbapHeader, MBAP_BAD_PROTOCOL, MBAP_LENGTH_TOO_LONG, MBAP_LENGTH_TOO_SHORT, MBAP_OK, writeMbapHeader } from "../../../modules/gateway/mbap";
import { MasterResult } from "../../../modules/master/result";
import { STATUS_CRC, STATUS_EXCEPTION, STATUS_OK, STATUS_TIMEOUT, SUBMIT_OK, SUBMIT_QUEUE_FULL } from "../../../modules/master/status";
import { RegisterCache } from "../../../modules/gateway/poll-cache";
import { ConcentratorRegisters } from "../../../modules/gateway/concentrator-registers";
import { NO_DEADLINE } from "../../../modules/port/contract";
import type { Cases, Check } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

interface Submitted { unit: number; pdu: string; tag: number }

/** A fake master (records submits) and a fake TCP host (records what each client is sent). */
class Rig implements GatewayLink {
  submitted: Submitted[] = [];
  sent: string[][] = [];
  closed: number[] = [];
  resumed: number[] = [];
  submitCode = SUBMIT_OK;
  gw: Gateway;
  result = new MasterResult(new Uint8Array(300));
  constructor(options: object, local: LocalRegisters | null = null, cache: RegisterCache | null = null) {
    const self = this;
    this.gw = new Gateway(options, {
      submit(unit, pdu, offset, length, tag) {
        if (self.submitCode !== SUBMIT_OK) return self.submitCode;
        self.submitted.push({ unit, pdu: toHex(pdu, offset, length), tag });
        return SUBMIT_OK;
      },
    }, local, cache);
    this.gw.attach(this);
    for (let i = 0; i < 64; i++) this.sent.push([]);
  }
  send(client: number, buffer: Uint8Array, offset: number, length: number): void {
    this.sent[client].push(toHex(buffer, offset, length));
  }
  close(client: number): void {
    this.closed.push(client);
  }
  resume(client: number): void {
    this.resumed.push(client);
  }
  feed(client: number, hex: string, now = 0): number {
    const b = fromHex(hex);
    return this.gw.received(client, b, 0, b.length, now);
  }
  /** Completes the oldest submitted request with `status` and, for OK/EXCEPTION, the reply PDU `pduHex`. */
  complete(status: number, pduHex = "", now = 0): void {
    const s = this.submitted.shift()!;
    const r = this.result;
    const pdu = fromHex(pduHex);
    r.frame[0] = s.unit;
    r.frame.set(pdu, 1);
    r.frameOffset = 0;
    r.frameLength = pdu.length + 3;
    r.tag = s.tag;
    r.unit = s.unit;
    r.status = status;
    r.exceptionCode = status === STATUS_EXCEPTION ? pdu[1] : 0;
    r.completedAt = now;
    this.gw.completed(r);
  }
}

/** MBAP + PDU for transaction `tid`, unit `unit`. */
function req(tid: number, unit: number, pduHex: string): string {
  const pdu = fromHex(pduHex);
  const b = new Uint8Array(7 + pdu.length);
  writeMbapHeader(b, 0, tid, unit, pdu.length);
  b.set(pdu, 7);
  return toHex(b);
}

const READ = "03 00 00 00 02";

function throwsNaming(t: Check, fn: () => unknown, field: string): void {
  let message = "";
  try { fn(); } catch (e) { message = String((e as Error).message); }
  t.ok(message.indexOf(field) >= 0, `error names ${field}: ${message}`);
}

export const cases: Cases = {
  "MBAP header rules: protocol 0, length 2..254; the builder writes tid, protocol, length and unit"(t) {
    t.is(checkMbapHeader(fromHex(req(1, 1, READ)), 0), MBAP_OK);
    t.is(checkMbapHeader(fromHex("00 01 00 01 00 06 01"), 0), MBAP_BAD_PROTOCOL);
    t.is(checkMbapHeader(fromHex("00 01 00 00 00 01 01"), 0), MBAP_LENGTH_TOO_SHORT);
    t.is(checkMbapHeader(fromHex("00 01 00 00 00 FF 01"), 0), MBAP_LENGTH_TOO_LONG);
    t.is(checkMbapHeader(fromHex("00 01 00 00 00 FE 01"), 0), MBAP_OK);
    const b = new Uint8Array(10);
    t.is(writeMbapHeader(b, 1, 0xBEEF, 0x11, 2), 9);
    t.is(toHex(b, 1, 7), "BE EF 00 00 00 03 11");
    t.throws(() => writeMbapHeader(b, 0, 1, 1, 254), RangeError);
  },

  "IPv4 parsing and CIDR allowlist"(t) {
    t.is(parseIpv4("127.0.0.1"), 0x7f000001);
    t.is(parseIpv4("::ffff:10.0.0.7"), 0x0a000007);
    t.is(parseIpv4("::FFFF:10.0.0.7"), 0x0a000007);
    t.is(parseIpv4("255.255.255.255"), 0xffffffff);
    for (const bad of ["", "::1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 "]) t.is(parseIpv4(bad), -1, bad);
    const a = new IpAllowlist(["192.168.1.0/24", "10.0.0.5"]);
    t.ok(a.allows("192.168.1.200"));
    t.ok(a.allows("::ffff:192.168.1.1"));
    t.ok(!a.allows("192.168.2.1"));
    t.ok(a.allows("10.0.0.5"));
    t.ok(!a.allows("10.0.0.6"));
    t.ok(!a.allows("::1"));
    t.ok(new IpAllowlist([]).allows("::1"), "empty list allows all");
    t.ok(new IpAllowlist(["0.0.0.0/0"]).allows("8.8.8.8"));
    throwsNaming(t, () => new IpAllowlist(["10.0.0.0/33"], "gateway.allow"), "gateway.allow[0]");
    throwsNaming(t, () => new IpAllowlist(["host.example"], "gateway.allow"), "gateway.allow[0]");
  },

  "configuration errors name the field"(t) {
    throwsNaming(t, () => new GatewayConfig({ maxClients: 0 }), "gateway.maxClients");
    throwsNaming(t, () => new GatewayConfig({ port: 70000 }), "gateway.port");
    throwsNaming(t, () => new GatewayConfig({ readOnly: "yes" } as never), "gateway.readOnly");
    throwsNaming(t, () => new GatewayConfig({ aliases: { "300": 1 } }), "gateway.aliases");
    throwsNaming(t, () => new GatewayConfig({ aliases: { "10": 248 } }), "gateway.aliases.10");
    throwsNaming(t, () => new GatewayConfig({ localUnit: 256 }), "gateway.localUnit");
    throwsNaming(t, () => new GatewayConfig({ localUnit: 10, aliases: { "10": 3 } }), "gateway.localUnit");
    throwsNaming(t, () => new GatewayConfig({ bogus: 1 } as never, "$.gateway"), "$.gateway.bogus");
    throwsNaming(t, () => new GatewayConfig({ idleTimeoutMs: -1 }), "gateway.idleTimeoutMs");
    throwsNaming(t, () => new GatewayConfig({ cacheTtlMs: 1.5 }), "gateway.cacheTtlMs");
    throwsNaming(t, () => new Rig({ localUnit: 0 }), "gateway.localUnit");
    throwsNaming(t, () => new Rig({ cacheTtlMs: 1000 }), "gateway.cacheTtlMs");
    const c = new GatewayConfig({});
    t.is(c.bind, "127.0.0.1");
    t.is(c.port, 502);
    t.is(c.route[1], 1);
    t.is(c.route[247], 247);
    t.is(c.route[0], 0);
    t.is(c.route[248], 0);
  },

  "a request split byte by byte is reassembled; the response keeps transaction id and unit"(t) {
    const r = new Rig({});
    const c = r.gw.accept("127.0.0.1", 0);
    const bytes = req(0x1234, 5, READ).split(" ");
    for (const b of bytes) t.is(r.feed(c, b), 1);
    t.deepEqual(r.submitted.map((s) => [s.unit, s.pdu]), [[5, "03 00 00 00 02"]]);
    r.complete(STATUS_OK, "03 04 00 0A 00 0B");
    t.deepEqual(r.sent[c], ["12 34 00 00 00 07 05 03 04 00 0A 00 0B"]);
  },

  "several requests in one segment are answered in order"(t) {
    const r = new Rig({});
    const c = r.gw.accept("127.0.0.1", 0);
    t.is(r.feed(c, req(1, 5, READ) + " " + req(2, 6, "04 00 10 00 01") + " " + req(3, 5, "06 00 01 00 2A")), 36);
    t.is(r.submitted.length, 1, "one at a time per client (busSlots 1)");
    r.complete(STATUS_OK, "03 04 00 01 00 02");
    r.complete(STATUS_OK, "04 02 00 07");
    r.complete(STATUS_OK, "06 00 01 00 2A");
    t.deepEqual(r.sent[c].map((s) => s.slice(0, 5)), ["00 01", "00 02", "00 03"]);
    t.is(r.sent[c][2], "00 03 00 00 00 06 05 06 00 01 00 2A");
  },

  "aliases route TCP units to RTU addresses; unrouted units get 0A"(t) {
    const r = new Rig({ aliases: { "100": 3, "0": 7 }, passThrough: false });
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 100, READ));
    t.is(r.submitted[0].unit, 3);
    r.complete(STATUS_OK, "03 04 00 00 00 00");
    r.feed(c, req(2, 0, READ));
    t.is(r.submitted[0].unit, 7);
    r.complete(STATUS_OK, "03 04 00 00 00 00");
    r.feed(c, req(3, 5, READ));
    t.is(r.submitted.length, 0);
    t.is(r.sent[c][2], "00 03 00 00 00 03 05 83 0A");
    const d = new Rig({});
    const k = d.gw.accept("127.0.0.1", 0);
    d.feed(k, req(9, 248, READ));
    t.is(d.sent[k][0], "00 09 00 00 00 03 F8 83 0A", "248 has no path by default");
  },

  "device exception relayed, timeout and CRC faults become 0B, full master queue and bus down 0A"(t) {
    const r = new Rig({});
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 5, READ));
    r.complete(STATUS_EXCEPTION, "83 02");
    r.feed(c, req(2, 5, READ));
    r.complete(STATUS_TIMEOUT);
    r.feed(c, req(3, 5, "10 00 00 00 01 02 00 01"));
    r.complete(STATUS_CRC);
    r.submitCode = SUBMIT_QUEUE_FULL;
    r.feed(c, req(4, 5, READ));
    r.submitCode = SUBMIT_OK;
    r.gw.setBusAvailable(false, 0);
    r.feed(c, req(5, 5, READ));
    r.gw.setBusAvailable(true, 0);
    t.deepEqual(r.sent[c], [
      "00 01 00 00 00 03 05 83 02",
      "00 02 00 00 00 03 05 83 0B",
      "00 03 00 00 00 03 05 90 0B",
      "00 04 00 00 00 03 05 83 0A",
      "00 05 00 00 00 03 05 83 0A",
    ]);
  },

  "bus going down answers the waiting heads 0A; requests on the bus finish normally"(t) {
    const r = new Rig({});
    const a = r.gw.accept("127.0.0.1", 0);
    const b = r.gw.accept("127.0.0.1", 0);
    r.feed(a, req(1, 5, READ));
    r.feed(b, req(2, 5, READ));
    r.gw.setBusAvailable(false, 10);
    t.deepEqual(r.sent[b], ["00 02 00 00 00 03 05 83 0A"]);
    r.complete(STATUS_TIMEOUT);
    t.deepEqual(r.sent[a], ["00 01 00 00 00 03 05 83 0B"]);
  },

  "read-only mode forwards only the allowlisted reads; 08 (even 0004 Force Listen Only), 15, 2B/0D, user codes get 01"(t) {
    const r = new Rig({ readOnly: true });
    const c = r.gw.accept("127.0.0.1", 0);
    const refused = ["05 00 01 FF 00", "06 00 01 00 03", "0F 00 00 00 03 01 05", "10 00 00 00 01 02 00 07", "16 00 04 00 F2 00 25",
      "17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF", "08 00 04 00 00", "08 00 00 12 34", "08 00 01 00 00", "15 07 06 00 04 00 01 00 00 00",
      "2B 0D 00 00", "41 01 02", "64 00", "14 07 06 00 04 00 01 00 02", "18 00 00"];
    refused.forEach((w, i) => r.feed(c, req(i, 1, w)));
    t.is(r.submitted.length, 0, "nothing reaches the bus");
    t.deepEqual(r.sent[c].map((s) => s.slice(-5)), refused.map((w) => (parseInt(w.slice(0, 2), 16) | 0x80).toString(16).toUpperCase() + " 01"));
    const reads = ["01 00 00 00 08", "02 00 00 00 08", "03 00 00 00 02", "04 00 00 00 02", "07", "0B", "0C", "11", "2B 0E 01 00"];
    for (const w of reads) {
      r.feed(c, req(9, 1, w));
      t.is(r.submitted.length, 1, w);
      t.is(r.submitted[0].pdu, w);
      r.complete(STATUS_EXCEPTION, w.slice(0, 2) === "2B" ? "AB 01" : (parseInt(w.slice(0, 2), 16) | 0x80).toString(16).toUpperCase() + " 01");
    }
  },

  "a PDU that breaks its function's rules gets 03 and the connection stays open"(t) {
    const r = new Rig({});
    const c = r.gw.accept("127.0.0.1", 0);
    const bad = [
      "10 00 00 00 02 04 00 01",          // byte count 4, 2 bytes came
      "10 00 00 00 02 02 00 01",          // quantity 2 needs byte count 4
      "0F 00 00 00 0A 01 FF",             // 10 coils need 2 bytes
      "03 00 00 00 00",                   // quantity 0
      "03 00 00 00 7E",                   // quantity 126
      "01 00 00 00 00",                   // quantity 0
      "03 00 00 00 02 00",                // one byte too many
      "06 00 01",                         // too short
      "05 00 01 12 34",                   // coil value neither 0000 nor FF00
    ];
    bad.forEach((w, i) => r.feed(c, req(i, 5, w)));
    t.deepEqual(r.closed, [], "still open");
    t.is(r.submitted.length, 0);
    t.deepEqual(r.sent[c].map((s) => s.slice(-5)), bad.map((w) => (parseInt(w.slice(0, 2), 16) | 0x80).toString(16).toUpperCase() + " 03"));
    t.is(r.gw.counters[GW_EX_DATA_VALUE], bad.length);
    r.feed(c, req(99, 5, "03 FF FF 00 02"));
    t.is(r.sent[c][bad.length], "00 63 00 00 00 03 05 83 02", "address + quantity past 65536: 02");
    r.feed(c, req(100, 5, READ));
    t.is(r.submitted.length, 1, "the connection carries on");
  },

  "a dead unit delays other units' answers on the same connection by one bus turn, not one per request"(t) {
    const r = new Rig({ maxPerClient: 6 });
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, [req(1, 9, READ), req(2, 9, READ), req(3, 9, READ), req(4, 5, READ), req(5, 9, READ), req(6, 5, READ)].join(" "));
    const order: number[] = [];
    while (r.submitted.length > 0) {
      order.push(r.submitted[0].unit);
      if (r.submitted[0].unit === 9) r.complete(STATUS_TIMEOUT);
      else r.complete(STATUS_OK, "03 04 00 00 00 00");
    }
    t.deepEqual(order, [9, 5, 9, 5, 9, 9], "units alternate, each unit's requests in order");
    t.deepEqual(r.sent[c].map((s) => s.slice(0, 5)), ["00 01", "00 04", "00 02", "00 06", "00 03", "00 05"]);
  },

  "answers that need no bus do not wait behind a bus request on the same connection"(t) {
    const r = new Rig({ localUnit: 0, aliases: {} }, { readRegisters: (_fc, _a, n, into) => { into.fill(7, 0, n); return 0; }, writeRegisters: () => 1 });
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 9, READ) + " " + req(2, 0, READ) + " " + req(3, 250, READ));
    t.deepEqual(r.sent[c], ["00 02 00 00 00 07 00 03 04 00 07 00 07", "00 03 00 00 00 03 FA 83 0A"]);
    r.complete(STATUS_TIMEOUT);
    t.is(r.sent[c][2], "00 01 00 00 00 03 09 83 0B");
  },

  "broadcast writes to unit 0 (when allowed) go out as RTU broadcasts and get the write's normal answer"(t) {
    const off = new Rig({});
    const k = off.gw.accept("127.0.0.1", 0);
    off.feed(k, req(1, 0, "06 00 01 00 2A"));
    t.deepEqual(off.sent[k], ["00 01 00 00 00 03 00 86 0A"], "off by default: no path");
    const r = new Rig({ broadcast: true });
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(2, 0, "10 00 08 00 02 04 00 01 00 02"));
    t.deepEqual(r.submitted.map((s) => [s.unit, s.pdu]), [[0, "10 00 08 00 02 04 00 01 00 02"]]);
    r.complete(STATUS_OK, "");
    t.deepEqual(r.sent[c], ["00 02 00 00 00 06 00 10 00 08 00 02"]);
    r.feed(c, req(3, 0, READ));
    t.is(r.sent[c][1], "00 03 00 00 00 03 00 83 0A", "a broadcast read has no answer to relay: 0A");
    t.is(r.gw.counters[GW_BROADCASTS], 1);
    const ro = new Rig({ broadcast: true, readOnly: true });
    const d = ro.gw.accept("127.0.0.1", 0);
    ro.feed(d, req(4, 0, "05 00 01 FF 00"));
    t.deepEqual(ro.sent[d], ["00 04 00 00 00 03 00 85 01"]);
  },

  "slow clients: an unfinished request is closed after requestTimeout; a trickle does not reset the idle timer"(t) {
    const r = new Rig({ requestTimeoutMs: 2000, idleTimeoutMs: 10000 });
    const a = r.gw.accept("127.0.0.1", 0);
    r.feed(a, "00", 1000000);
    t.is(r.gw.nextDeadline(), 3000000);
    r.feed(a, "01", 2500000);
    r.gw.service(3000000);
    t.deepEqual(r.closed, [a]);
    t.is(r.gw.counters[GW_CLOSED_SLOW], 1);
    const b = r.gw.accept("127.0.0.1", 0);
    r.feed(b, req(1, 1, READ), 1000000);
    r.complete(STATUS_OK, "03 04 00 00 00 00", 1000000);
    const split = req(2, 1, READ).split(" ");
    r.feed(b, split.slice(0, 6).join(" "), 9000000);
    r.feed(b, split.slice(6).join(" "), 10500000);
    t.is(r.submitted.length, 1, "a request completed in time counts");
    r.complete(STATUS_OK, "03 04 00 00 00 00", 10600000);
    t.is(r.gw.nextDeadline(), 20600000);
  },

  "per-address limit and eviction: silent or trickling sockets cannot lock a new client out"(t) {
    const r = new Rig({ maxClients: 4, maxPerAddress: 3, requestTimeoutMs: 60000, idleTimeoutMs: 0 });
    const slow = [0, 1, 2].map(() => r.gw.accept("10.0.0.1", 0));
    t.deepEqual(slow, [0, 1, 2]);
    for (const s of slow) r.feed(s, "00", 0);
    t.is(r.gw.accept("10.0.0.1", 10), REFUSED_PER_ADDRESS, "young connections are not evicted");
    t.is(r.gw.counters[GW_REFUSED_PER_ADDRESS], 1);
    const other = r.gw.accept("10.0.0.2", 10);
    t.is(other, 3);
    r.feed(other, req(1, 1, READ), 10);
    t.is(r.gw.accept("10.0.0.3", EVICT_AFTER_US - 1), REFUSED_FULL);
    const late = r.gw.accept("10.0.0.3", EVICT_AFTER_US + 20);
    t.is(late, 0, "the stalest slow socket made room");
    t.deepEqual(r.closed, [0]);
    t.is(r.gw.counters[GW_EVICTED], 1);
    t.is(r.gw.accept("10.0.0.1", EVICT_AFTER_US + 20), 1, "full again: the next stale socket makes room");
    t.is(r.gw.accept("10.0.0.4", EVICT_AFTER_US + 30), 2);
    t.is(r.gw.accept("10.0.0.5", EVICT_AFTER_US + 40), REFUSED_FULL, "a client with a request pending is never evicted, nor fresh ones");
    r.feed(late, req(2, 2, READ), EVICT_AFTER_US + 50);
    r.complete(STATUS_OK, "03 04 00 00 00 00", EVICT_AFTER_US + 60);
    r.complete(STATUS_OK, "03 04 00 00 00 00", EVICT_AFTER_US + 60);
    t.is(r.sent[other].length, 1);
    t.is(r.sent[late].length, 1);
    t.is(r.gw.accept("10.0.0.5", 3 * EVICT_AFTER_US), 1, "a connection that never sent a whole request goes first");
    t.is(r.gw.accept("10.0.0.6", 4 * EVICT_AFTER_US), 2, "then the next one");
    for (const c of [1, 2]) {
      r.feed(c, req(3, 1, READ), 4 * EVICT_AFTER_US);
      r.complete(STATUS_OK, "03 04 00 00 00 00", 5 * EVICT_AFTER_US);
    }
    t.is(r.gw.accept("10.0.0.7", EVICT_IDLE_AFTER_US), REFUSED_FULL, "clients that sent requests are kept while idle under EVICT_IDLE_AFTER_US");
    t.is(r.gw.accept("10.0.0.7", EVICT_AFTER_US + 60 + EVICT_IDLE_AFTER_US), 0, "the one idle longest goes after that");
  },

  "the local unit answers from LocalRegisters and never reaches the bus"(t) {
    const store = new Uint16Array(10).map((_, i) => 100 + i);
    const local: LocalRegisters = {
      readRegisters(fc, address, count, into) {
        if (address + count > 10) return 2;
        for (let i = 0; i < count; i++) into[i] = store[address + i] + (fc === 4 ? 1000 : 0);
        return 0;
      },
      writeRegisters(address, values, count) {
        if (address + count > 10) return 2;
        for (let i = 0; i < count; i++) store[address + i] = values[i];
        return 0;
      },
    };
    const r = new Rig({ localUnit: 0 }, local);
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 0, "03 00 02 00 02"));
    r.feed(c, req(2, 0, "04 00 00 00 01"));
    r.feed(c, req(3, 0, "06 00 01 12 34"));
    r.feed(c, req(4, 0, "10 00 08 00 02 04 00 01 00 02"));
    r.feed(c, req(5, 0, "03 00 00 00 0A"));
    r.feed(c, req(6, 0, "03 00 09 00 02"));
    r.feed(c, req(7, 0, "01 00 00 00 01"));
    r.feed(c, req(8, 0, "03 00 00 00 00"));
    t.is(r.submitted.length, 0);
    t.deepEqual(r.sent[c], [
      "00 01 00 00 00 07 00 03 04 00 66 00 67",
      "00 02 00 00 00 05 00 04 02 04 4C",
      "00 03 00 00 00 06 00 06 00 01 12 34",
      "00 04 00 00 00 06 00 10 00 08 00 02",
      "00 05 00 00 00 17 00 03 14 00 64 12 34 00 66 00 67 00 68 00 69 00 6A 00 6B 00 01 00 02",
      "00 06 00 00 00 03 00 83 02",
      "00 07 00 00 00 03 00 81 01",
      "00 08 00 00 00 03 00 83 03",
    ]);
  },

  "a malformed header closes that connection only"(t) {
    for (const bad of ["00 01 00 01 00 06 01 03 00 00 00 01", "00 01 00 00 00 01 01", "00 01 00 00 01 00 01"]) {
      const r = new Rig({});
      const a = r.gw.accept("127.0.0.1", 0);
      const b = r.gw.accept("127.0.0.1", 0);
      r.feed(b, req(7, 5, READ).slice(0, 11));
      const n = fromHex(bad).length;
      t.is(r.feed(a, bad), n, "all consumed");
      t.deepEqual(r.closed, [a], bad);
      t.is(r.gw.counters[GW_CLOSED_MALFORMED], 1);
      r.feed(b, req(7, 5, READ).slice(12));
      t.is(r.submitted.length, 1, "the other client carries on");
      r.complete(STATUS_OK, "03 04 00 00 00 00");
      t.is(r.sent[b].length, 1);
      t.is(r.sent[a].length, 0);
    }
  },

  "unknown functions pass to the device; exception-coded functions are refused with 01"(t) {
    const r = new Rig({});
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 5, "41 01 02 03"));
    t.deepEqual(r.submitted.map((s) => s.pdu), ["41 01 02 03"]);
    r.complete(STATUS_EXCEPTION, "C1 01");
    t.is(r.sent[c][0], "00 01 00 00 00 03 05 C1 01");
    r.feed(c, req(2, 5, "83 00"));
    t.is(r.sent[c][1], "00 02 00 00 00 03 05 83 01", "an exception-coded function is refused with 01");
  },

  "allowlist and client limit refuse connections"(t) {
    const r = new Rig({ allow: ["10.1.0.0/16"], maxClients: 2 });
    t.is(r.gw.accept("127.0.0.1", 0), REFUSED_ADDRESS);
    t.is(r.gw.accept("10.1.2.3", 0), 0);
    t.is(r.gw.accept("::ffff:10.1.9.9", 0), 1);
    t.is(r.gw.accept("10.1.2.4", 0), REFUSED_FULL);
    t.is(r.gw.counters[GW_REFUSED_ADDRESS], 1);
    t.is(r.gw.counters[GW_REFUSED_FULL], 1);
    r.gw.disconnected(0, 0);
    t.is(r.gw.accept("10.1.2.4", 0), 0, "a freed slot is reused");
  },

  "round robin across clients: one client's pipeline does not starve the others"(t) {
    const r = new Rig({ maxPerClient: 4 });
    const a = r.gw.accept("127.0.0.1", 0);
    const b = r.gw.accept("127.0.0.1", 0);
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(a, [1, 2, 3, 4].map((i) => req(i, 1, READ)).join(" "));
    r.feed(b, req(1, 2, READ));
    r.feed(c, req(1, 3, READ));
    const order: number[] = [];
    while (r.submitted.length > 0) {
      order.push(r.submitted[0].unit);
      r.complete(STATUS_OK, "03 04 00 00 00 00");
    }
    t.deepEqual(order, [1, 2, 3, 1, 1, 1]);
  },

  "busSlots lets several gateway requests into the master at once"(t) {
    const r = new Rig({ busSlots: 3 });
    for (let i = 0; i < 4; i++) r.feed(r.gw.accept("127.0.0.1", 0), req(i, 1, READ));
    t.is(r.submitted.length, 3);
    t.is(r.gw.onBus, 3);
  },

  "per-client limit: bytes beyond maxPerClient requests are left unconsumed until resume"(t) {
    const r = new Rig({ maxPerClient: 2 });
    const c = r.gw.accept("127.0.0.1", 0);
    const five = [1, 2, 3, 4, 5].map((i) => req(i, 1, READ)).join(" ");
    const all = fromHex(five);
    const used = r.gw.received(c, all, 0, all.length, 0);
    t.is(used, 36, "two in slots, the third held in the reassembly buffer");
    r.complete(STATUS_OK, "03 04 00 00 00 00");
    t.deepEqual(r.resumed, [c]);
    let at = used;
    at += r.gw.received(c, all, at, all.length - at, 0);
    t.is(at, 48, "one more fits");
    while (r.submitted.length > 0) {
      const before = r.resumed.length;
      r.complete(STATUS_OK, "03 04 00 00 00 00");
      if (r.resumed.length > before && at < all.length) at += r.gw.received(c, all, at, all.length - at, 0);
    }
    t.is(at, all.length);
    t.is(r.sent[c].length, 5);
    t.deepEqual(r.sent[c].map((s) => s.slice(3, 5)), ["01", "02", "03", "04", "05"]);
  },

  "a client that disconnects mid-request leaves no trace; its result on the bus is dropped"(t) {
    const r = new Rig({ maxClients: 1 });
    const a = r.gw.accept("127.0.0.1", 0);
    r.feed(a, req(1, 1, READ) + " 00 02 00");
    t.is(r.submitted.length, 1);
    r.gw.disconnected(a, 5);
    const b = r.gw.accept("127.0.0.1", 6);
    t.is(b, a, "the slot is reused at once");
    r.feed(b, req(9, 2, READ));
    r.complete(STATUS_OK, "03 04 00 00 00 00");
    t.is(r.gw.counters[GW_ORPHANED], 1);
    t.is(r.sent[b].length, 0, "the old result is not sent to the new client");
    t.is(r.submitted[0].unit, 2);
    r.complete(STATUS_OK, "03 04 00 01 00 02");
    t.deepEqual(r.sent[b], ["00 09 00 00 00 07 02 03 04 00 01 00 02"]);
  },

  "idle timeout closes silent connections; waiting requests time out with 0A"(t) {
    const r = new Rig({ idleTimeoutMs: 1000, queueTimeoutMs: 200 });
    const a = r.gw.accept("127.0.0.1", 0);
    const b = r.gw.accept("127.0.0.1", 500000);
    const c = r.gw.accept("127.0.0.1", 500000);
    t.is(r.gw.nextDeadline(), 1000000);
    r.gw.service(1000000);
    t.deepEqual(r.closed, [a]);
    t.is(r.gw.counters[GW_CLOSED_IDLE], 1);
    r.feed(b, req(1, 1, READ), 1100000);
    r.feed(c, req(2, 1, READ), 1100000);
    t.is(r.gw.nextDeadline(), 1300000, "c waits behind b");
    r.gw.service(1300000);
    t.deepEqual(r.sent[c], ["00 02 00 00 00 03 01 83 0A"]);
    r.complete(STATUS_OK, "03 04 00 00 00 00", 1400000);
    t.is(r.sent[b].length, 1, "the request on the bus is not timed out by the gateway");
    t.is(r.gw.nextDeadline(), 2300000);
    const d = new Rig({ idleTimeoutMs: 0 });
    d.gw.accept("127.0.0.1", 0);
    t.is(d.gw.nextDeadline(), NO_DEADLINE);
  },

  "fresh poll data answers reads within the TTL; stale data goes to the bus"(t) {
    const cache = new RegisterCache(4);
    const values = new Uint16Array([10, 11, 12, 13, 14]);
    cache.record(5, 3, 100, values, 5, 1000000);
    const r = new Rig({ cacheTtlMs: 500 }, null, cache);
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 5, "03 00 65 00 02"), 1400000);
    t.deepEqual(r.sent[c], ["00 01 00 00 00 07 05 03 04 00 0B 00 0C"]);
    t.is(r.gw.counters[GW_FROM_CACHE], 1);
    r.feed(c, req(2, 5, "03 00 63 00 02"), 1400000);
    t.is(r.submitted.length, 1, "not covered");
    r.complete(STATUS_OK, "03 04 00 00 00 00");
    r.feed(c, req(3, 5, "04 00 65 00 02"), 1400000);
    t.is(r.submitted.length, 1, "other table");
    r.complete(STATUS_OK, "04 04 00 00 00 00");
    r.feed(c, req(4, 5, "03 00 65 00 02"), 1600000);
    t.is(r.submitted.length, 1, "too old");
  },

  "the concentrator's own registers: counts, uptime, per-meter unit, state, failures and age; read-only"(t) {
    const health = { state: new Uint8Array([1, 2, 0]), consecutiveFailures: new Uint32Array([0, 7, 70000]), lastGoodAt: new Float64Array([90e6, 10e6, -1]) };
    const regs = new ConcentratorRegisters([1, 5, 9], health, 0);
    t.is(regs.size, 28);
    const into = new Uint16Array(125);
    t.is(regs.readRegisters(4, 0, 6, into, 100e6 + 70000e6), 0);
    t.deepEqual(Array.from(into.subarray(0, 6)), [1, 3, 1, 1, 1, 70100 - 65536]);
    t.is(regs.readRegisters(3, 16, 12, into, 100e6), 0);
    t.deepEqual(Array.from(into.subarray(0, 12)), [1, 1, 0, 10, 5, 2, 7, 90, 9, 0, 65535, 65535]);
    t.is(regs.readRegisters(3, 27, 2, into, 0), 2, "past the map: 02");
    t.is(regs.writeRegisters(), 1);
    const r = new Rig({ localUnit: 255 }, regs);
    const c = r.gw.accept("127.0.0.1", 0);
    r.feed(c, req(1, 255, "04 00 01 00 01"), 5e6);
    r.feed(c, req(2, 255, "06 00 01 00 01"), 5e6);
    t.deepEqual(r.sent[c], ["00 01 00 00 00 05 FF 04 02 00 03", "00 02 00 00 00 03 FF 86 01"]);
  },
};
