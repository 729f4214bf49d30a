// The R/C repeater engine (modules/repeater/engine.ts) driven byte by byte through fake ports: forwarding both ways, CRC-first,
// correction from the parity burst, missing/orphaned bursts, half-duplex, its own Modbus unit, and config validation.
import type { Cases, Check } from "../../harness/check";
import { appendCrc, crc16 } from "../../../modules/rtu/crc16";
import { NO_DEADLINE, type Rs485Port } from "../../../modules/port/contract";
import { FEC_FRAME_CORRECTED, FEC_FRAME_HELD, FecReceiver } from "../../../modules/fec/link";
import { Repeater } from "../../../modules/repeater/engine";
import { checkMasterTimeout, resolveRepeaterConfig, type RepeaterConfig } from "../../../modules/repeater/config";
import { burstLengthFor } from "../../../modules/repeater/link";
import {
  DIRECTION_AB, DIRECTION_BA, STAT_BITS_CORRECTED, STAT_BURSTS_MISSING, STAT_BURSTS_ORPHANED, STAT_BURSTS_SENT,
  STAT_BURSTS_SKIPPED, STAT_BYTES_CORRECTED, STAT_CRC_FAILURES, STAT_DROPPED_BUSY, STAT_FRAMES_CORRECTED, STAT_FRAMES_FORWARDED,
  STAT_RX_WHILE_TX, STAT_UNCORRECTABLE,
} from "../../../modules/repeater/stats";

const CHAR = 521; // µs per 8N1 character at 19200 baud (rounded up)
const T35 = 1823;

/** A port that records what the engine sends; the test plays the host and calls transmitted(). */
class FakePort implements Rs485Port {
  sent: number[][] = [];
  busy = false;
  transmit(buffer: Uint8Array, offset: number, length: number): void {
    if (this.busy) throw new Error("transmit while busy");
    this.busy = true;
    this.sent.push(Array.from(buffer.subarray(offset, offset + length)));
  }
}

interface Rig {
  r: Repeater;
  pa: FakePort;
  pb: FakePort;
}

const base: RepeaterConfig = { sideA: { baud: 19200, framing: "8N1" }, sideB: { baud: 19200, framing: "8N1" }, tickUs: 0 };

function rig(extra: Partial<RepeaterConfig> = {}): Rig {
  const pa = new FakePort();
  const pb = new FakePort();
  const r = new Repeater({ ...base, ...extra }, pa, pb);
  return { r, pa, pb };
}

function frame(bytes: number[]): Uint8Array {
  const b = new Uint8Array(bytes.length + 2);
  b.set(bytes);
  appendCrc(b, 0, bytes.length);
  return b;
}

/** Feeds bytes one by one on a side, each at its stop bit, starting at `t`; returns the time of the last byte. */
function feed(r: Repeater, side: "a" | "b", bytes: ArrayLike<number>, t: number): number {
  const one = new Uint8Array(1);
  let now = t;
  for (let i = 0; i < bytes.length; i++) {
    now = t + (i + 1) * CHAR;
    runUntil(r, now);
    one[0] = bytes[i];
    r[side].received(one, 0, 1, now);
  }
  return now;
}

/** Services every deadline up to `t`. */
function runUntil(r: Repeater, t: number): void {
  for (let guard = 0; guard < 1000; guard++) {
    const d = r.nextDeadline();
    if (d === NO_DEADLINE || d > t) return;
    r.service(d);
  }
  throw new Error("deadline loop");
}

/** Completes the transmission in progress on a fake port at `now`. */
function done(r: Repeater, p: FakePort, side: "a" | "b", now: number): void {
  p.busy = false;
  r[side].transmitted(now);
}

const REQUEST = frame([0x02, 0x04, 0x00, 0x10, 0x00, 0x50]); // read 80 input registers of unit 2

function reply(unit: number, regs: number): Uint8Array {
  const body = [unit, 0x04, 2 * regs];
  for (let i = 0; i < 2 * regs; i++) body.push((i * 29 + 7) & 0xff);
  return frame(body);
}

/** Runs a frame through repeater 1 (A→B) and returns the frame and the burst it put on B. */
function encodeThrough(bytes: Uint8Array, cfg: Partial<RepeaterConfig> = {}): { frame: number[]; burst: number[] } {
  const { r, pb } = rig(cfg);
  const end = feed(r, "a", bytes, 0);
  const f = pb.sent[0];
  done(r, pb, "b", end + bytes.length * CHAR);
  runUntil(r, end + 100000);
  const burst = pb.sent[1];
  return { frame: f, burst };
}

function deliverWithBurst(r: Repeater, f: ArrayLike<number>, burst: ArrayLike<number>, t: number): number {
  const end = feed(r, "b", f, t);
  return feed(r, "b", burst, end + T35);
}

export const cases: Cases = {
  "A→B: a good frame goes out on B at once, then its parity burst t3.5 after DE drops"(t: Check) {
    const { r, pb } = rig();
    const end = feed(r, "a", REQUEST, 1000);
    t.is(pb.sent.length, 1, "frame forwarded as soon as its CRC and length check, without waiting for silence");
    t.deepEqual(pb.sent[0], Array.from(REQUEST));
    const off = end + REQUEST.length * CHAR;
    done(r, pb, "b", off);
    const due = r.nextDeadline();
    t.ok(due >= off + T35 && due <= off + T35 + 60, `burst due t3.5 after the frame's last stop bit (+ at most one bit): ${due - off}`);
    r.service(due - 1);
    t.is(pb.sent.length, 1);
    r.service(due);
    t.is(pb.sent.length, 2);
    const burst = pb.sent[1];
    t.ok(burst[0] >= 248, "burst starts with a reserved address");
    t.ok(crc16(Uint8Array.from(burst), 0, burst.length) !== 0, "burst fails the Modbus CRC");
    t.is(burst.length, burstLengthFor(REQUEST.length, 4, 1));
    done(r, pb, "b", off + T35 + burst.length * CHAR);
    t.is(r.stats.get(DIRECTION_AB, STAT_BURSTS_SENT), 1);
    t.is(r.stats.get(DIRECTION_AB, STAT_FRAMES_FORWARDED), 1);
    t.is(r.nextDeadline(), NO_DEADLINE);
  },

  "A→B: a frame with a bad CRC is dropped and counted"(t: Check) {
    const { r, pb } = rig();
    const bad = REQUEST.slice();
    bad[3] ^= 0x10;
    const end = feed(r, "a", bad, 0);
    runUntil(r, end + 10 * T35);
    t.is(pb.sent.length, 0);
    t.is(r.stats.get(DIRECTION_AB, STAT_CRC_FAILURES), 1);
  },

  "B→A: a clean frame is forwarded at once, and its burst is consumed quietly"(t: Check) {
    const rep = reply(2, 80);
    const { frame: f, burst } = encodeThrough(rep);
    const { r, pa } = rig();
    const end = feed(r, "b", f, 0);
    t.is(pa.sent.length, 1, "forwarded without waiting for the burst");
    t.deepEqual(pa.sent[0], Array.from(rep));
    feed(r, "b", burst, end + T35);
    runUntil(r, end + 100000);
    t.is(pa.sent.length, 1);
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_ORPHANED), 0);
    t.is(r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), 0);
    t.ok(r.stats.get(DIRECTION_BA, 11) > 0, "parity checked bits counted");
  },

  "B→A: a frame with two bad bytes waits for its burst and is corrected"(t: Check) {
    const rep = reply(3, 40);
    const { frame: f, burst } = encodeThrough(rep);
    const bad = f.slice();
    bad[5] ^= 0x81;
    bad[40] ^= 0x04;
    const { r, pa } = rig();
    const end = feed(r, "b", bad, 0);
    runUntil(r, end + T35 + 200);
    t.is(pa.sent.length, 0, "bad frame held for its burst");
    const bend = feed(r, "b", burst, end + T35);
    t.is(pa.sent.length, 1, "forwarded as soon as the burst is complete");
    t.deepEqual(pa.sent[0], Array.from(rep));
    t.ok(bend > 0);
    t.is(r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), 1);
    t.is(r.stats.get(DIRECTION_BA, STAT_BYTES_CORRECTED), 2);
    t.is(r.stats.get(DIRECTION_BA, STAT_BITS_CORRECTED), 3);
    t.is(r.stats.get(DIRECTION_BA, STAT_CRC_FAILURES), 1);
  },

  "B→A: a burst whose reserved address byte was hit is still recognised from its header and used"(t: Check) {
    const rep = reply(3, 40);
    const { frame: f, burst } = encodeThrough(rep);
    const bad = f.slice();
    bad[7] ^= 0x40;
    const hit = burst.slice();
    hit[0] ^= 0x08; // 0xFA → 0xF2: no longer a reserved address
    const { r, pa } = rig();
    deliverWithBurst(r, bad, hit, 0);
    t.is(pa.sent.length, 1);
    t.deepEqual(pa.sent[0], Array.from(rep));
    t.is(r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), 1);
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_MISSING), 0);
  },

  "B: a real frame arriving right after a clean frame (a fast slave) is not taken for a burst"(t: Check) {
    const { r, pa } = rig();
    const req = Array.from(REQUEST);
    const end = feed(r, "b", req, 0);
    t.is(pa.sent.length, 1);
    done(r, pa, "a", end + 8 * CHAR);
    const rep = reply(2, 3);
    feed(r, "b", rep, end + T35); // inside the burst window of the request
    runUntil(r, end + 100000);
    t.is(pa.sent.length, 2);
    t.deepEqual(pa.sent[1], Array.from(rep));
  },

  "the bursts a repeater sends are the FEC link's format: a FecReceiver repairs a frame from them"(t: Check) {
    const rep = reply(3, 40);
    const { frame: f, burst } = encodeThrough(rep, { nroots: 6, interleave: 3 });
    const bad = Uint8Array.from(f);
    bad[9] ^= 0x10;
    bad[10] ^= 0x01;
    const rx = new FecReceiver();
    t.is(rx.receive(bad, 0, bad.length), FEC_FRAME_HELD);
    t.is(rx.receive(Uint8Array.from(burst), 0, burst.length), FEC_FRAME_CORRECTED);
    t.deepEqual(Array.from(rx.frame.subarray(0, rx.frameLength)), Array.from(rep));
  },

  "rebase: moving the time origin while a bad frame waits for its burst changes nothing"(t: Check) {
    const rep = reply(3, 40);
    const { frame: f, burst } = encodeThrough(rep);
    const bad = f.slice();
    bad[30] ^= 0x18;
    const { r, pa } = rig();
    const T = 700000000;
    const end = feed(r, "b", bad, T);
    const before = r.nextDeadline();
    r.rebase(600000000);
    t.is(r.nextDeadline(), before - 600000000, "deadlines move with the origin");
    feed(r, "b", burst, end - 600000000 + T35);
    t.is(pa.sent.length, 1);
    t.deepEqual(pa.sent[0], Array.from(rep));
  },

  "B→A: too many bad bytes → dropped and counted uncorrectable"(t: Check) {
    const rep = reply(3, 10);
    const { frame: f, burst } = encodeThrough(rep);
    const bad = f.slice();
    bad[4] ^= 1;
    bad[6] ^= 2;
    bad[9] ^= 4;
    const { r, pa } = rig();
    const end = deliverWithBurst(r, bad, burst, 0);
    runUntil(r, end + 100000);
    t.is(pa.sent.length, 0);
    t.is(r.stats.get(DIRECTION_BA, STAT_UNCORRECTABLE), 1);
  },

  "B→A: a bad frame with no burst (a plain slave) passes through unchanged once the burst window is over"(t: Check) {
    const rep = reply(1, 4).slice();
    rep[4] ^= 0x20;
    const { r, pa } = rig();
    const end = feed(r, "b", rep, 0);
    runUntil(r, end + T35 + CHAR);
    t.is(pa.sent.length, 0, "held while a burst may still come");
    runUntil(r, end + 100000);
    t.is(pa.sent.length, 1);
    t.deepEqual(pa.sent[0], Array.from(rep), "unchanged: the destination's CRC check discards it");
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_MISSING), 1);
    t.is(r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), 0);
    t.is(r.nextDeadline(), NO_DEADLINE);
  },

  "B→A: with plainDevicesOnB false (only the peer on B) a bad frame with no burst is dropped: noise never reaches A"(t: Check) {
    const rep = reply(1, 4).slice();
    rep[4] ^= 0x20;
    const { r, pa } = rig({ plainDevicesOnB: false });
    const end = feed(r, "b", rep, 0);
    runUntil(r, end + 100000);
    t.is(pa.sent.length, 0, "dropped");
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_MISSING), 1, "counted");
    const noise = feed(r, "b", Uint8Array.from([0x13, 0x77]), end + 200000); // an idle-line noise burst heard as characters
    runUntil(r, noise + 100000);
    t.is(pa.sent.length, 0, "noise dropped too");
    const good = reply(1, 4);
    feed(r, "b", good, noise + 200000);
    t.deepEqual(pa.sent[0], Array.from(good), "a clean frame still passes straight through");
  },

  "B→A: a clean frame with no burst passes straight through"(t: Check) {
    const rep = reply(1, 4);
    const { r, pa } = rig();
    feed(r, "b", rep, 0);
    t.deepEqual(pa.sent[0], Array.from(rep));
  },

  "B: a burst with no frame before it is orphaned; one for another length too"(t: Check) {
    const { burst } = encodeThrough(reply(3, 10));
    const { r, pa } = rig();
    const end = feed(r, "b", burst, 0);
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_ORPHANED), 1);
    const other = reply(3, 12).slice();
    other[5] ^= 1;
    const e2 = deliverWithBurst(r, other, burst, end + 50000);
    runUntil(r, e2 + 100000);
    t.is(r.stats.get(DIRECTION_BA, STAT_BURSTS_ORPHANED), 2);
    t.is(pa.sent.length, 0);
  },

  "B: the burst is skipped when a device starts replying before it (never drive a receiving side)"(t: Check) {
    const { r, pb } = rig();
    const end = feed(r, "a", REQUEST, 0);
    const off = end + REQUEST.length * CHAR;
    done(r, pb, "b", off);
    // a fast slave answers 1 ms after the request
    feed(r, "b", [0x02], off + 1000 - CHAR);
    runUntil(r, off + 5 * T35);
    t.is(pb.sent.length, 1, "no burst sent");
    t.is(r.stats.get(DIRECTION_AB, STAT_BURSTS_SKIPPED), 1);
  },

  "A: a reply to forward waits while side A is receiving"(t: Check) {
    const { r, pa } = rig();
    // side A starts receiving a frame (e.g. a late byte from elsewhere) just as a clean reply comes in on B
    const rep = reply(1, 2);
    const bEnd = rep.length * CHAR;
    r.a.received(Uint8Array.of(0x05), 0, 1, bEnd - 100);
    feed(r, "b", rep, 0);
    t.is(pa.sent.length, 0, "held: side A is receiving");
    runUntil(r, bEnd + 3 * T35);
    t.is(pa.sent.length, 1, "sent once side A has been silent for t3.5");
  },

  "collisions: bytes heard while transmitting are counted and discarded; the next frame is clean"(t: Check) {
    const { r, pa } = rig();
    const rep = reply(1, 2);
    const end = feed(r, "b", rep, 0);
    t.is(pa.sent.length, 1);
    r.a.received(Uint8Array.of(1, 2, 3), 0, 3, end + 2 * CHAR);
    t.is(r.stats.get(DIRECTION_AB, STAT_RX_WHILE_TX), 3);
    done(r, pa, "a", end + rep.length * CHAR);
    const e2 = feed(r, "b", rep, end + 50000);
    t.is(pa.sent.length, 2);
    t.ok(e2 > end);
  },

  "truncated frames and overlong noise: nothing corrected or invented, and the engine recovers"(t: Check) {
    const { r, pa, pb } = rig();
    const rep = reply(1, 6);
    // side A: a truncated request is dropped (bad CRC)
    const e0 = feed(r, "a", REQUEST.subarray(0, 5), 0);
    runUntil(r, e0 + 20000);
    t.is(pb.sent.length, 0);
    t.is(r.stats.get(DIRECTION_AB, STAT_CRC_FAILURES), 1);
    // side B: a truncated reply with no burst passes through as it is; 300 bytes of noise are skipped
    const e1 = feed(r, "b", rep.subarray(0, 7), e0 + 20000);
    runUntil(r, e1 + 20000);
    t.is(pa.sent.length, 1);
    t.deepEqual(pa.sent[0], Array.from(rep.subarray(0, 7)));
    done(r, pa, "a", e1 + 20000);
    const junk: number[] = [];
    for (let i = 0; i < 300; i++) junk.push((i * 53 + 1) & 0xff);
    const e2 = feed(r, "b", junk, e1 + 40000);
    runUntil(r, e2 + 50000);
    t.is(pa.sent.length, 1, "overlong noise is not forwarded");
    t.is(r.stats.get(DIRECTION_BA, STAT_CRC_FAILURES), 2);
    feed(r, "b", rep, e2 + 60000);
    t.is(pa.sent.length, 2);
    t.deepEqual(pa.sent[1], Array.from(rep));
  },

  "output queue: a request arriving while the previous reply is still being repeated waits its turn"(t: Check) {
    const { r, pb } = rig({ queueFrames: 2 });
    const rep = reply(1, 40);
    const e1 = feed(r, "a", rep, 0);
    t.is(pb.sent.length, 1);
    const e2 = feed(r, "a", REQUEST, e1 + T35);
    t.is(pb.sent.length, 1, "queued behind the reply");
    const e3 = feed(r, "a", REQUEST, e2 + T35);
    t.is(r.stats.get(DIRECTION_AB, STAT_DROPPED_BUSY), 1, "a third frame does not fit in two slots");
    const off = e1 + rep.length * CHAR;
    done(r, pb, "b", off);
    runUntil(r, off + T35 + 60);
    t.is(pb.sent.length, 2, "burst of the reply");
    done(r, pb, "b", off + T35 + 20 * CHAR);
    runUntil(r, off + T35 + 20 * CHAR + T35);
    t.is(pb.sent.length, 3);
    t.deepEqual(pb.sent[2], Array.from(REQUEST), "then the request, t3.5 after the burst");
    t.ok(e3 > 0);
  },

  "own unit: input registers answered on side A and not forwarded"(t: Check) {
    const { r, pa, pb } = rig({ unitId: 200, nroots: 6, interleave: 2 });
    const end = feed(r, "a", frame([200, 0x04, 0x00, 0x00, 0x00, 0x04]), 0);
    t.is(pb.sent.length, 0);
    runUntil(r, end + T35);
    t.is(pa.sent.length, 1);
    t.deepEqual(pa.sent[0], Array.from(frame([200, 0x04, 8, 0, 1, 0, 6, 0, 2, 0, 200])));
    done(r, pa, "a", end + T35 + 13 * CHAR);
    const e2 = feed(r, "a", frame([200, 0x04, 0x00, 0x4f, 0x00, 0x02]), end + 100000);
    runUntil(r, e2 + T35);
    t.deepEqual(pa.sent[1], Array.from(frame([200, 0x84, 2])), "past the map: exception 02");
    done(r, pa, "a", e2 + T35 + 5 * CHAR);
    const e3 = feed(r, "a", frame([200, 0x06, 0x00, 0x00, 0x00, 0x02]), e2 + 100000);
    runUntil(r, e3 + T35);
    t.deepEqual(pa.sent[2], Array.from(frame([200, 0x86, 1])), "other functions: exception 01");
  },

  "own unit: frames-forwarded counter readable as two registers, high word first"(t: Check) {
    const { r, pa, pb } = rig({ unitId: 9 });
    let now = 0;
    for (let i = 0; i < 3; i++) {
      now = feed(r, "a", REQUEST, now + 50000);
      done(r, pb, "b", now + 8 * CHAR);
      runUntil(r, now + 20000);
      done(r, pb, "b", now + 20000);
    }
    const end = feed(r, "a", frame([9, 0x04, 0x00, 16 + 2 * STAT_FRAMES_FORWARDED, 0x00, 0x02]), now + 50000);
    runUntil(r, end + T35);
    t.deepEqual(pa.sent[0], Array.from(frame([9, 0x04, 4, 0, 0, 0, 3])));
  },

  "config: errors name the field and the allowed values"(t: Check) {
    const bad: [Partial<RepeaterConfig>, string][] = [
      [{ nroots: 3 }, "nroots"], [{ nroots: 18 }, "nroots"], [{ interleave: 0 }, "interleave"], [{ unitId: 248 }, "unitId"],
      [{ tickUs: -1 }, "tickUs"], [{ sideA: { baud: 12345, framing: "8N1" } }, "sideA.baud"],
      [{ sideB: { baud: 9600, framing: "7N1" as "8N1" } }, "sideB.framing"],
    ];
    for (const [extra, field] of bad) {
      let message = "";
      try {
        resolveRepeaterConfig({ ...base, ...extra });
      } catch (e) {
        t.ok(e instanceof RangeError, field);
        message = (e as Error).message;
      }
      t.ok(message.indexOf(field) === 0, `message names ${field}: ${message}`);
    }
    t.throws(() => new Repeater(base, null as unknown as Rs485Port, new FakePort()), TypeError);
    t.throws(() => resolveRepeaterConfig({ ...base, plainDevicesOnB: "no" as unknown as boolean }), TypeError);
    t.is(resolveRepeaterConfig(base).plainDevicesOnB, true, "plain devices on B by default (paper test 1)");
    t.is(resolveRepeaterConfig({ ...base, plainDevicesOnB: false }).plainDevicesOnB, false);
    let sited = "";
    try {
      resolveRepeaterConfig({ ...base, interleave: 9 }, "$.repeater.");
    } catch (e) {
      sited = (e as Error).message;
    }
    t.ok(sited.indexOf("$.repeater.interleave must be an integer from 1 to 8") === 0, sited);
  },

  "link statistics for the status API: frames, damaged, repaired, left damaged"(t: Check) {
    const rep = reply(3, 10);
    const { frame: f, burst } = encodeThrough(rep);
    const bad = f.slice();
    bad[5] ^= 4;
    const { r } = rig();
    const e1 = deliverWithBurst(r, bad, burst, 0);
    const worse = f.slice();
    worse[4] ^= 1;
    worse[6] ^= 1;
    worse[8] ^= 1;
    const e2 = deliverWithBurst(r, worse, burst, e1 + 50000);
    feed(r, "b", f, e2 + 50000);
    t.deepEqual(r.stats.linkStats("noisy"), { name: "noisy", kind: "fec", frames: 3, errors: 2, corrected: 1, uncorrectable: 1, timeouts: 0 });
  },

  "config check: a master timeout too short for replies crossing an R/C pair is flagged"(t: Check) {
    const cfg = resolveRepeaterConfig({ ...base, tickUs: 1000 });
    t.ok(checkMasterTimeout(cfg, 1, 8, 165, 20000, 100000, burstLengthFor) !== "", "100 ms is too short");
    t.is(checkMasterTimeout(cfg, 1, 8, 165, 20000, 500000, burstLengthFor), "", "500 ms is enough");
  },
};
