// The master engine driven by hand (no simulator): configuration, timing rules, the state machine and every fault kind.
// Portable: runs on Node and on XS.
import { appendCrc } from "../../../modules/rtu/crc16";
import { Master } from "../../../modules/master/engine";
import { MasterConfig } from "../../../modules/master/config";
import { expectedReplyLength, REPLY_LENGTH_FROM_COUNT, REPLY_LENGTH_UNKNOWN } from "../../../modules/master/reply-length";
import type { MasterResult } from "../../../modules/master/result";
import {
  COUNT_FAILED, COUNT_LATE, COUNT_RETRIES, COUNT_SENT, STATUS_CRC, STATUS_EXCEPTION, STATUS_LENGTH, STATUS_OK, STATUS_OVERRUN,
  STATUS_TIMEOUT, STATUS_TRUNCATED, STATUS_WRONG_FUNCTION, STATUS_WRONG_UNIT, SUBMIT_BAD_BROADCAST, SUBMIT_BAD_REQUEST,
  SUBMIT_BAD_UNIT, SUBMIT_OK, SUBMIT_QUEUE_FULL, statusName,
} from "../../../modules/master/status";
import { NO_DEADLINE } from "../../../modules/port/contract";
import type { Cases, Check } from "../../harness/check";
import { fromHex, toHex } from "../../harness/hex";

interface Done { tag: number; unit: number; status: number; exception: number; attempts: number; registers: number[]; at: number }

/** A port that records what the engine sends, and a listener that copies every result. */
class Rig {
  sent: string[] = [];
  sentAt: number[] = [];
  done: Done[] = [];
  now = 0;
  master: Master;
  constructor(options: object) {
    const self = this;
    this.master = new Master({ baud: 9600, ...options } as any, {
      transmit(buffer, offset, length) { self.sent.push(toHex(buffer, offset, length)); self.sentAt.push(self.now); },
    }, {
      completed(r: MasterResult) {
        const registers: number[] = [];
        for (let i = 0; i < r.registerCount; i++) registers.push(r.registers[i]);
        self.done.push({ tag: r.tag, unit: r.unit, status: r.status, exception: r.exceptionCode, attempts: r.attempts, registers, at: r.completedAt });
      },
    });
  }
  /** Advances the clock to the engine's deadline (an exact host timer) and services it. */
  step(): void {
    const d = this.master.nextDeadline();
    if (d === NO_DEADLINE) throw new Error("no deadline");
    if (d > this.now) this.now = d;
    this.master.service(this.now);
  }
  at(t: number): void {
    this.now = t;
  }
  rx(hex: string, t = this.now): void {
    this.now = t;
    const b = fromHex(hex);
    this.master.received(b, 0, b.length, t);
  }
  txDone(t: number): void {
    this.now = t;
    this.master.transmitted(t);
  }
}

function frame(hex: string): string {
  const b = new Uint8Array(260);
  const p = fromHex(hex);
  b.set(p);
  return toHex(b, 0, appendCrc(b, 0, p.length));
}

/** Reply to a read of `n` holding registers of unit `u`, values 1..n. */
function readReply(u: number, n: number, fc = 3): string {
  let h = `${u.toString(16).padStart(2, "0")} 0${fc} ${(2 * n).toString(16).padStart(2, "0")}`;
  for (let i = 1; i <= n; i++) h += ` 00 ${i.toString(16).padStart(2, "0")}`;
  return frame(h);
}

const T35 = 3646; // 9600 8N1
const CHAR = 1042;

function throwsNaming(t: Check, fn: () => unknown, field: string): void {
  let message = "";
  try { fn(); } catch (e) { message = e instanceof RangeError || e instanceof TypeError ? e.message : "not a Range/TypeError"; }
  t.ok(message.indexOf(field) >= 0, `error names ${field}: "${message}"`);
}

export const cases: Cases = {
  "configuration errors name the field"(t) {
    throwsNaming(t, () => new MasterConfig({ baud: 9601.5 }), "baud");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, framing: "7N1" as any }), "framing");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, retries: -1 }), "retries");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, queueCapacity: 0 }), "queueCapacity");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, responseTimeoutUs: 10 }), "responseTimeoutUs");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, echo: 1 as any }), "echo");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, units: [{ unit: 248 }] }), "units[0].unit");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, units: [{ unit: 3, gapUs: -5 }] }), "units[0].gapUs");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, timeout: 5 } as any), "timeout");
    t.throws(() => new Master({ baud: 9600 }, null as any, { completed() {} }), TypeError);
  },
  "default response timeout: turnaround budget + air time of the expected reply + receive delay + t3.5"(t) {
    const c = new MasterConfig({ baud: 9600, turnaroundUs: 20000, rxIdleDelayUs: 4167 });
    t.is(c.responseTimeout(1, 165), 20000 + 171875 + 4167 + T35); // 165 bytes x 10 bits at 9600 baud
    t.is(c.responseTimeout(1, 0), 20000 + 266667 + 4167 + T35); // unknown length: a 256-byte ADU
    const f = new MasterConfig({ baud: 9600, responseTimeoutUs: 300000, units: [{ unit: 7, responseTimeoutUs: 900000 }] });
    t.is(f.responseTimeout(1, 165), 300000);
    t.is(f.responseTimeout(7, 8), 900000);
  },
  "gaps: never below t3.5; request, unit-change and per-unit gaps only lengthen it"(t) {
    const c = new MasterConfig({ baud: 9600 });
    t.is(c.gapBefore(1, 1), T35);
    const d = new MasterConfig({ baud: 115200, requestGapUs: 1000, unitChangeGapUs: 5000, units: [{ unit: 9, gapUs: 10000 }] });
    t.is(d.gapBefore(1, 1), 1750);
    t.is(d.gapBefore(2, 1), 5000);
    t.is(d.gapBefore(9, 9), 11750);
  },
  "expected reply length from the request"(t) {
    const len = (hex: string) => { const b = fromHex(frame(hex)); return expectedReplyLength(b, 0, b.length); };
    t.is(len("01 03 00 00 00 50"), 165);
    t.is(len("01 04 00 00 00 7D"), 255);
    t.is(len("01 01 00 00 00 0A"), 7);
    t.is(len("01 02 00 00 00 10"), 7);
    t.is(len("01 06 00 01 00 03"), 8);
    t.is(len("01 10 00 01 00 02 04 00 0A 01 02"), 8);
    t.is(len("01 08 00 00 12 34 56"), 9);
    t.is(len("01 11"), REPLY_LENGTH_FROM_COUNT);
    t.is(len("01 2B 0E 01 00"), REPLY_LENGTH_UNKNOWN);
  },
  "submit refuses with codes, never throws"(t) {
    const b = new Rig({ queueCapacity: 2 });
    const m = b.master;
    t.is(m.submitRead(248, 3, 0, 1, 0), SUBMIT_BAD_UNIT);
    t.is(m.submitRead(1.5, 3, 0, 1, 0), SUBMIT_BAD_UNIT);
    t.is(m.submitRead(1, 3, 0, 126, 0), SUBMIT_BAD_REQUEST);
    t.is(m.submitRead(1, 3, 0xffff, 2, 0), SUBMIT_BAD_REQUEST);
    t.is(m.submitRead(1, 7, 0, 1, 0), SUBMIT_BAD_REQUEST);
    t.is(m.submitRead(0, 3, 0, 1, 0), SUBMIT_BAD_BROADCAST);
    t.is(m.submitWriteSingle(1, 5, 0, 1, 0), SUBMIT_BAD_REQUEST);
    t.is(m.submit(1, new Uint8Array(254), 0, 254, 0), SUBMIT_BAD_REQUEST);
    t.is(m.submitRead(1, 3, 0, 1, 0), SUBMIT_OK);
    t.is(m.submitRead(1, 3, 0, 1, 0), SUBMIT_OK);
    t.is(m.submitRead(1, 3, 0, 1, 0), SUBMIT_QUEUE_FULL);
    t.is(m.pending, 2);
    t.is(m.free, 0);
  },
  "a read: sent after t3.5, reply found by length, confirmed by t3.5 of silence, registers decoded"(t) {
    const b = new Rig({});
    t.is(b.master.nextDeadline(), NO_DEADLINE);
    t.is(b.master.submitRead(17, 3, 0x6b, 3, 42), SUBMIT_OK);
    t.is(b.master.nextDeadline(), T35, "the line counts as busy at time 0");
    b.step();
    t.deepEqual(b.sent, ["11 03 00 6B 00 03 76 87"]);
    t.is(b.master.nextDeadline(), NO_DEADLINE, "waits for the host's DE drop");
    b.txDone(T35 + 8 * CHAR);
    const timeoutAt = b.master.nextDeadline();
    t.is(timeoutAt, b.now + new MasterConfig({ baud: 9600 }).responseTimeout(17, 11));
    b.rx(readReply(17, 3), b.now + 20000);
    t.is(b.done.length, 0, "not before the silence");
    t.is(b.master.nextDeadline(), b.now + T35);
    b.step();
    t.is(b.done.length, 1);
    t.deepEqual(b.done[0], { tag: 42, unit: 17, status: STATUS_OK, exception: 0, attempts: 1, registers: [1, 2, 3], at: b.now });
    t.is(b.master.counter(17, STATUS_OK), 1);
    t.is(b.master.counter(17, COUNT_SENT), 1);
  },
  "the next request leaves exactly t3.5 after the reply's last byte"(t) {
    const b = new Rig({});
    b.master.submitRead(1, 3, 0, 2, 1);
    b.master.submitRead(2, 3, 0, 2, 2);
    b.step();
    b.txDone(20000);
    b.rx(readReply(1, 2), 40000);
    b.step();
    t.is(b.sent.length, 2);
    t.is(b.sentAt[1], 40000 + T35);
  },
  "a UART-reported line error (parity/framing) during a reply makes it a CRC fault, even with a good CRC; idle errors do not"(t) {
    const b = new Rig({ retries: 1 });
    b.master.submitRead(1, 3, 0, 2, 1);
    b.master.lineError(b.now); // on the idle line, before anything was sent: no effect on the transaction
    b.step();
    b.txDone(b.now + 8 * CHAR);
    b.master.lineError(b.now + 9000); // the UART flags a character of the reply that follows
    b.rx(readReply(1, 2), b.now + 10000);
    b.step();
    t.is(b.done.length, 0, "the damaged reply is retried");
    t.is(b.master.counter(1, STATUS_CRC), 1);
    if (b.sent.length < 2) b.step(); // the retry waits its gap (it may already have gone out)
    t.is(b.sent.length, 2);
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 10000);
    b.step();
    t.is(b.done.length, 1);
    t.is(b.done[0].status, STATUS_OK, "the flag does not outlive its attempt");
    t.is(b.done[0].attempts, 2);
  },
  "a listener may submit from completed(); the request goes out in the same gap"(t) {
    const b = new Rig({});
    const m = b.master;
    let more = 3;
    (m as any).listener = { completed() { if (more-- > 0) m.submitRead(1, 4, 0, 1, more); } };
    m.submitRead(1, 4, 0, 1, 9);
    b.step();
    for (let i = 0; i < 4; i++) {
      t.is(b.sent.length, i + 1);
      b.txDone(b.now + 8 * CHAR);
      b.rx(readReply(1, 1, 4), b.now + 5000);
      b.step();
    }
    t.is(b.sent.length, 4);
    t.is(m.pending, 0);
    t.is(m.nextDeadline(), NO_DEADLINE);
  },
  "timeout, retries, then failure; counters; the unit goes offline and gets no retries"(t) {
    const b = new Rig({ retries: 2, offlineAfter: 2, turnaroundUs: 10000 });
    const m = b.master;
    for (let k = 0; k < 3; k++) {
      m.submitRead(5, 3, 0, 1, k);
      for (;;) {
        b.step();
        if (m.pending === 0 || b.sent.length === 0) break;
        if (m.nextDeadline() === NO_DEADLINE) b.txDone(b.now + 8 * CHAR);
        if (b.done.length === k + 1) break;
      }
    }
    t.deepEqual(b.done.map((d) => [d.status, d.attempts]), [[STATUS_TIMEOUT, 3], [STATUS_TIMEOUT, 3], [STATUS_TIMEOUT, 1]]);
    t.is(m.counter(5, STATUS_TIMEOUT), 7);
    t.is(m.counter(5, COUNT_SENT), 7);
    t.is(m.counter(5, COUNT_RETRIES), 4);
    t.is(m.counter(5, COUNT_FAILED), 3);
    t.ok(m.isOffline(5));
    t.is(statusName(STATUS_TIMEOUT), "timeout");
  },
  "stray leading 0x00/0xFF are skipped; noise before the reply is skipped"(t) {
    const b = new Rig({});
    b.master.submitRead(1, 3, 0, 2, 1);
    b.step();
    b.txDone(10000);
    b.rx("00 FF 00 " + readReply(1, 2), 30000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    b.master.submitRead(1, 3, 0, 2, 2);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    b.rx("5A " + readReply(1, 2), b.now + 10000);
    b.step();
    t.is(b.done[1].status, STATUS_OK, "resynchronised after a noise byte");
    t.is(b.master.strayBytes, 4);
  },
  "a late reply to a failed attempt is discarded, never attributed to the next request"(t) {
    const b = new Rig({ retries: 0, turnaroundUs: 10000 });
    const m = b.master;
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(2, 3, 0, 2, 2);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    b.step(); // timeout of unit 1
    t.is(b.done[0].status, STATUS_TIMEOUT);
    t.is(b.sent.length, 2, "the line was silent: unit 2 is asked at once");
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 3000); // unit 1 answers late
    t.is(b.done.length, 1, "the late reply ended nothing");
    t.is(m.counter(1, COUNT_LATE), 1);
    t.ok(m.nextDeadline() > b.now + 10000, "still waiting for unit 2 (its response timeout)");
    b.rx(readReply(2, 2), b.now + 5000);
    b.step();
    t.is(b.done[1].status, STATUS_OK);
    t.is(b.done[1].unit, 2);
  },
  "after a timed-out read, another read of the same shape to the same unit waits for the reply window; the late reply is never delivered"(t) {
    const b = new Rig({ retries: 0, turnaroundUs: 10000 });
    const m = b.master;
    const window = m.config.replyWindow(1, 9);
    t.is(window, 2 * m.config.responseTimeout(1, 9), "default window: twice the response timeout");
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(1, 3, 10, 2, 2);
    b.step();
    const end = b.now + 8 * CHAR;
    b.txDone(end);
    b.step(); // timeout
    t.is(b.done[0].status, STATUS_TIMEOUT);
    t.is(b.sent.length, 1, "held back: the first read's reply may still come");
    t.is(m.nextDeadline(), end + window);
    b.rx(readReply(1, 2), end + window - 20000); // the late reply to address 0, heard while waiting
    t.is(b.done.length, 1);
    b.step();
    t.is(b.sentAt[1], end + window, "sent when the window closed");
    t.ok(m.windowWaitUs > 0);
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2, 3).replace(/^01 03 04 00 01 00 02/, "01 03 04 00 0B 00 0C"), b.now + 5000);
    b.rx(frame("01 03 04 00 0B 00 0C"), b.now);
    b.step();
    t.is(b.done[1].status, STATUS_OK);
    t.deepEqual(b.done[1].registers, [11, 12], "the second read's own reply");
  },
  "a copy of the previous reply inside its window is dropped; the read is asked again after that window"(t) {
    const b = new Rig({ retries: 0, turnaroundUs: 10000 });
    const m = b.master;
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(1, 3, 10, 2, 2);
    b.step();
    const end = b.now + 8 * CHAR;
    b.txDone(end);
    b.rx(readReply(1, 2), b.now + 5000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.sent.length, 2, "answered: no wait for the next read of the same shape");
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 5000); // the meter repeats its first reply
    b.step(); // t3.5 of silence confirms the frame
    t.is(m.counter(1, COUNT_LATE), 1, "dropped as a possible copy");
    t.is(b.done.length, 1);
    b.step(); // timeout: the read gets one attempt more, after the first read's window
    t.is(b.done.length, 1, "not failed: one attempt more");
    t.is(m.nextDeadline(), end + m.config.replyWindow(1, 9));
    b.step();
    t.is(b.sent.length, 3);
    t.is(b.sent[2], b.sent[1], "the same read again");
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 5000); // the same bytes, now after the window: it can only be this read's answer
    b.step();
    t.is(b.done[1].status, STATUS_OK);
    t.is(b.done[1].attempts, 2);
    t.deepEqual(b.done[1].registers, [1, 2]);
  },
  "a retry accepts the late reply to its first attempt (same registers); a different read then waits for the retry's window"(t) {
    const b = new Rig({ retries: 1, turnaroundUs: 10000 });
    const m = b.master;
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(1, 3, 10, 2, 2);
    m.submitRead(1, 4, 0, 2, 3);
    b.step();
    const firstEnd = b.now + 8 * CHAR;
    b.txDone(firstEnd);
    b.step(); // timeout; the retry is identical: not held back, sent at once
    t.is(b.sent.length, 2);
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 3000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.done[0].attempts, 2);
    t.is(b.sent.length, 2, "the retry's own answer may still come: the next read of the same shape waits");
    // A unit that queues requests answers the retry only after the first attempt: the retry's window starts where the
    // first attempt's window ends.
    t.is(m.nextDeadline(), firstEnd + 2 * m.config.replyWindow(1, 9));
    b.step();
    t.is(b.sent.length, 3);
  },
  "a dead unit's windows stay bounded: after 30 timed-out attempts, another read waits at most (2 + retries) windows"(t) {
    const b = new Rig({ retries: 1, offlineAfter: 0, turnaroundUs: 10000 });
    const m = b.master;
    for (let i = 0; i < 15; i++) m.submitRead(1, 3, 0, 2, i); // the same read again and again: never held back
    b.step();
    let last = 0;
    while (b.done.length < 15) {
      last = b.now + 8 * CHAR;
      b.txDone(last);
      b.step(); // timeout: the retry or the next (identical) read leaves at once
    }
    t.is(b.sent.length, 30);
    t.is(m.windowWaitUs, 0);
    m.submitRead(1, 3, 10, 2, 99);
    t.ok(m.nextDeadline() <= last + 3 * m.config.replyWindow(1, 9), `held back until ${m.nextDeadline()}, last request ended ${last}`);
    t.ok(m.nextDeadline() > last + m.config.replyWindow(1, 9), "a queueing unit may still be working through them");
  },
  "another function, another unit, or a broadcast is not held back by an open window"(t) {
    const b = new Rig({ retries: 0, turnaroundUs: 10000 });
    const m = b.master;
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(1, 4, 0, 2, 2);
    m.submitRead(2, 3, 0, 2, 3);
    m.submitWriteSingle(0, 6, 1, 5, 4);
    b.step();
    for (let i = 0; i < 3; i++) {
      b.txDone(b.now + 8 * CHAR);
      b.step(); // timeout; the next request leaves at once
    }
    t.is(b.done.length, 3);
    t.is(b.sent.length, 4);
    t.is(m.windowWaitUs, 0);
  },
  "reply window option: checked, per unit, never shorter than the response timeout"(t) {
    throwsNaming(t, () => new MasterConfig({ baud: 9600, replyWindowUs: -1 }), "replyWindowUs");
    throwsNaming(t, () => new MasterConfig({ baud: 9600, units: [{ unit: 3, replyWindowUs: 1.5 }] }), "units[0].replyWindowUs");
    const c = new MasterConfig({ baud: 9600, replyWindowUs: 500000, units: [{ unit: 3, replyWindowUs: 1000 }] });
    t.is(c.replyWindow(1, 9), 500000);
    t.is(c.replyWindow(3, 9), c.responseTimeout(3, 9));
  },
  "a late reply and the current one in one batch: the late one is dropped, the current one accepted"(t) {
    const b = new Rig({ retries: 0, turnaroundUs: 10000, rxIdleDelayUs: 4 * CHAR });
    const m = b.master;
    m.submitRead(1, 3, 0, 2, 1);
    m.submitRead(2, 3, 0, 1, 2);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    b.step(); // timeout of unit 1
    t.is(b.sent.length, 1);
    b.step(); // unit 2 is asked once the host would have handed over anything still on the line
    t.is(b.sent.length, 2);
    t.is(b.sentAt[1], b.done[0].at + 4 * CHAR);
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2) + " " + readReply(2, 1), b.now + 30000);
    // Handed over after 4 characters of silence (> t3.5 at 9600 baud): the frame is confirmed at once.
    t.is(m.counter(1, COUNT_LATE), 1);
    t.is(b.done[1].status, STATUS_OK);
    t.deepEqual(b.done[1].registers, [1]);
  },
  "an unfinished frame handed over by an idle timeout is judged at once; after a full batch the engine waits for more"(t) {
    const b = new Rig({ retries: 0, rxIdleDelayUs: 4 * CHAR, rxBatchBytes: 120 });
    b.master.submitRead(1, 3, 0, 100, 1);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    const reply = fromHex(readReply(1, 100));
    b.now += 200000;
    b.master.received(reply, 0, 120, b.now);
    t.ok(b.master.nextDeadline() > b.now + 80 * CHAR, "a full batch: more may come");
    b.now += 10 * CHAR;
    b.master.received(reply, 120, 10, b.now);
    t.is(b.master.nextDeadline(), b.now - 4 * CHAR + T35, "an idle hand-over: the frame has ended");
    b.step();
    t.is(b.done[0].status, STATUS_TRUNCATED);
  },
  "bytes heard while waiting to send push the gap back (a late reply before we send)"(t) {
    const b = new Rig({});
    b.master.submitRead(1, 3, 0, 2, 1);
    b.rx("01 03 04", 1000);
    t.is(b.master.nextDeadline(), 1000 + T35);
    b.rx("00 01 00 02 AA BB", 4000);
    t.is(b.master.nextDeadline(), 4000 + T35);
    b.step();
    t.is(b.sentAt[0], 4000 + T35);
  },
  "echo of our own request is skipped, even merged with the reply in one batch"(t) {
    const b = new Rig({ echo: true });
    b.master.submitRead(1, 3, 0, 2, 1);
    b.step();
    const req = b.sent[0];
    b.txDone(b.now + 8 * CHAR);
    b.rx(req + " " + readReply(1, 2), b.now + 30000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.master.echoMismatches, 0);
  },
  "every fault kind"(t) {
    const run = (reply: string, options: object = {}) => {
      const b = new Rig({ retries: 0, ...options });
      b.master.submitRead(1, 3, 0, 2, 1);
      b.step();
      b.txDone(b.now + 8 * CHAR);
      if (reply !== "") b.rx(reply, b.now + 10000);
      b.step();
      t.is(b.done.length, 1, reply);
      return b.done[0];
    };
    const good = fromHex(readReply(1, 2));
    good[4] ^= 1;
    t.is(run(toHex(good)).status, STATUS_CRC);
    t.is(run(readReply(2, 2)).status, STATUS_WRONG_UNIT);
    t.is(run(readReply(1, 2, 4)).status, STATUS_WRONG_FUNCTION);
    t.is(run(readReply(1, 3)).status, STATUS_LENGTH);
    t.is(run(readReply(1, 1)).status, STATUS_LENGTH);
    t.is(run("01 03 04 00 01").status, STATUS_TRUNCATED);
    t.is(run(readReply(1, 2) + " 12").status, STATUS_OVERRUN);
    t.is(run("").status, STATUS_TIMEOUT);
    const ex = run(frame("01 83 02"));
    t.is(ex.status, STATUS_EXCEPTION);
    t.is(ex.exception, 2);
  },
  "an exception is an answer: not retried"(t) {
    const b = new Rig({ retries: 3 });
    b.master.submitRead(1, 3, 0, 2, 1);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    b.rx(frame("01 83 02"), b.now + 10000);
    b.step();
    t.is(b.done[0].attempts, 1);
    t.is(b.master.counter(1, STATUS_EXCEPTION), 1);
  },
  "a CRC fault is retried and the retry succeeds"(t) {
    const b = new Rig({ retries: 1 });
    b.master.submitRead(1, 3, 0, 2, 1);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    const bad = fromHex(readReply(1, 2));
    bad[3] ^= 0x40;
    b.rx(toHex(bad), b.now + 10000);
    b.step(); // CRC confirmed by silence; the retry leaves in the same gap
    t.is(b.sent.length, 2);
    t.is(b.sentAt[1], b.now);
    b.txDone(b.now + 8 * CHAR);
    b.rx(readReply(1, 2), b.now + 10000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.done[0].attempts, 2);
    t.is(b.master.counter(1, STATUS_CRC), 1);
  },
  "broadcast: no reply expected, the turnaround delay is kept"(t) {
    const b = new Rig({ broadcastTurnaroundUs: 100000 });
    b.master.submitWriteSingle(0, 6, 1, 3, 7);
    b.master.submitRead(1, 3, 0, 1, 8);
    b.step();
    t.deepEqual(b.sent, ["00 06 00 01 00 03 99 DA"]);
    b.txDone(10000);
    t.is(b.master.nextDeadline(), 110000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.sentAt[1], 110000);
  },
  "batching host: a reply delivered after the idle delay is dated back; a full batch is not"(t) {
    const idle = 4 * 87;
    const b = new Rig({ baud: 115200, rxIdleDelayUs: idle, rxBatchBytes: 120 });
    b.master.submitRead(1, 3, 0, 80, 1);
    b.master.submitRead(2, 3, 0, 80, 2);
    b.step();
    b.txDone(b.now + 700);
    const reply = fromHex(readReply(1, 80));
    b.now += 20000;
    b.master.received(reply, 0, 120, b.now);
    t.is(b.master.nextDeadline(), b.now + new MasterConfig({ baud: 115200, rxIdleDelayUs: idle, rxBatchBytes: 120 }).frameSilenceUs);
    b.now += 45 * 87 + idle;
    b.master.received(reply, 120, 45, b.now);
    t.is(b.master.nextDeadline(), b.now - idle + 1750);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.done[0].registers.length, 80);
    t.is(b.sentAt[1], b.now, "sent t3.5 after the reply's estimated end");
  },
  "bytes that arrive before the host reports the DE drop still count as the reply"(t) {
    const b = new Rig({});
    b.master.submitRead(1, 3, 0, 2, 1);
    b.step();
    b.rx(readReply(1, 2), b.now + 20000);
    b.txDone(b.now);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
  },
  "learned timing: learnTiming sets a unit's budget and silence; the learned timeout adds the reply's air time; windows never shrink"(t) {
    const c = new MasterConfig({ baud: 9600, turnaroundUs: 50000, units: [{ unit: 3, gapUs: 10000 }, { unit: 4 }] });
    t.is(c.learnedTimeout(3, 9), 0, "nothing learned");
    t.ok(c.learnTiming(3, 20000, 40000));
    t.is(c.learnedTimeout(3, 9), 20000 + c.airUs[9] + T35);
    t.is(c.responseTimeout(3, 9), 50000 + c.airUs[9] + T35, "the configured timeout is untouched");
    t.is(c.replyWindow(3, 9), 2 * c.responseTimeout(3, 9), "a shorter learned timeout leaves the window as configured");
    t.ok(c.learnTiming(4, 400000, 0));
    t.is(c.replyWindow(4, 9), 2 * c.learnedTimeout(4, 9), "a longer one widens it");
    t.is(c.gapBefore(3, 3), 40000 + T35, "a learned silence over the configured one");
    c.learnTiming(3, 20000, 5000);
    t.is(c.gapBefore(3, 3), 10000 + T35, "never below the configured one");
    t.ok(!c.learnTiming(9, 20000, 0), "a unit without its own row learns nothing");
    t.is(c.learnedTimeout(9, 9), 0);
    throwsNaming(t, () => c.learnTiming(3, -1, 0), "latencyBudgetUs");
    throwsNaming(t, () => c.learnTiming(3, 0, 61000000), "gapUs");
  },
  "learned timeout: first attempts while the unit answers; a retry, the polls after a failure and a probe wait the configured one"(t) {
    const b = new Rig({ retries: 1, offlineAfter: 2, turnaroundUs: 50000, units: [{ unit: 5 }] });
    const m = b.master;
    const configured = m.config.responseTimeout(5, 9);
    m.config.learnTiming(5, 10000, 0);
    const learned = m.config.learnedTimeout(5, 9);
    t.ok(learned < configured);
    /** Sends one read; returns the timeouts its attempts waited (DE drop to the deadline), unanswered. */
    const silent = (tag: number): number[] => {
      const waits: number[] = [];
      m.submitRead(5, 3, 0, 2, tag);
      while (b.done.length === tag) {
        b.step();
        if (b.done.length === tag && m.nextDeadline() === NO_DEADLINE) {
          b.txDone(b.now + 8 * CHAR);
          waits.push(m.nextDeadline() - b.now);
        }
      }
      return waits;
    };
    // A unit that answered: the first attempt waits the learned timeout.
    m.submitRead(5, 3, 0, 2, 0);
    b.step();
    b.txDone(b.now + 8 * CHAR);
    t.is(m.nextDeadline() - b.now, learned);
    b.rx(readReply(5, 2), b.now + 5000);
    b.step();
    t.is(b.done[0].status, STATUS_OK);
    t.is(b.done[0].attempts, 1);
    // Silent: the first attempt at the learned timeout, its retry at the configured one.
    t.deepEqual(silent(1), [learned, configured]);
    // After a failed poll, every attempt waits the configured one; offline (2 failures), a probe without retry.
    t.deepEqual(silent(2), [configured, configured]);
    t.ok(m.isOffline(5));
    t.deepEqual(silent(3), [configured]);
    // A longer learned timeout is waited by all of them.
    m.config.learnTiming(5, 300000, 0);
    t.deepEqual(silent(4), [m.config.learnedTimeout(5, 9)]);
  },
  "a reply after a retry is given to the attempt it may answer: answeredSentAt is that attempt's end"(t) {
    const got: number[] = [];
    const b = new Rig({ retries: 1, turnaroundUs: 10000 });
    const m = b.master;
    const listener = (m as any).listener;
    const inner = listener.completed;
    listener.completed = (r: MasterResult) => { got.push(r.sentAt, r.answeredSentAt, r.unitOffline ? 1 : 0); inner.call(listener, r); };
    m.submitRead(1, 3, 0, 2, 1);
    b.step();
    const firstEnd = b.now + 8 * CHAR;
    b.txDone(firstEnd);
    b.step(); // timeout; the identical retry goes at once
    const retryEnd = b.now + 8 * CHAR;
    b.txDone(retryEnd);
    b.rx(readReply(1, 2), b.now + 3000);
    b.step();
    t.deepEqual(got, [retryEnd, firstEnd, 0], "the oldest unanswered transmission of the request: the first attempt");
    m.submitRead(1, 4, 0, 2, 2);
    b.step();
    const end = b.now + 8 * CHAR;
    b.txDone(end);
    b.rx(readReply(1, 2, 4), b.now + 3000);
    b.step();
    t.deepEqual(got.slice(3), [end, end, 0]);
  },
};
