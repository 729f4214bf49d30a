// The polling loop without a bus: master statuses map to scheduler outcomes, the first due read goes to the port as the
// planned request, and a reply fed back is decoded with the time it ended.
import { STATUS_CRC, STATUS_EXCEPTION, STATUS_LENGTH, STATUS_OK, STATUS_TIMEOUT, STATUS_TRUNCATED, STATUS_WRONG_UNIT } from "../../../modules/master/status";
import { appendCrc } from "../../../modules/rtu/crc16";
import { planSite } from "../../../modules/concentrator/planner";
import { OUTCOME_OF_STATUS, PollLoop } from "../../../modules/concentrator/poll-loop";
import type { Rs485Port } from "../../../modules/port/contract";
import { VALUE_OK } from "../../../modules/concentrator/latest-values";
import { OUTCOME_CRC, OUTCOME_EXCEPTION, OUTCOME_MALFORMED, OUTCOME_OK, OUTCOME_TIMEOUT } from "../../../modules/concentrator/scheduler";
import type { Cases } from "../../harness/check";
import { toHex } from "../../harness/hex";
import { DC_METER } from "../../fixtures/maps";
import { FAULT_TIMEOUT, ReadingsStore } from "../../../modules/concentrator/readings";

class FakePort implements Rs485Port {
  sent: string[] = [];
  transmit(buffer: Uint8Array, offset: number, length: number): void {
    this.sent.push(toHex(buffer, offset, length));
  }
}

/** Hex of a frame with its CRC appended. */
function withCrc(...bytes: number[]): string {
  const b = new Uint8Array(bytes.length + 2);
  b.set(bytes);
  appendCrc(b, 0, bytes.length);
  return toHex(b);
}

export const cases: Cases = {
  "master statuses map to scheduler outcomes"(t) {
    t.is(OUTCOME_OF_STATUS[STATUS_OK], OUTCOME_OK);
    t.is(OUTCOME_OF_STATUS[STATUS_EXCEPTION], OUTCOME_EXCEPTION);
    t.is(OUTCOME_OF_STATUS[STATUS_TIMEOUT], OUTCOME_TIMEOUT);
    t.is(OUTCOME_OF_STATUS[STATUS_CRC], OUTCOME_CRC);
    t.is(OUTCOME_OF_STATUS[STATUS_TRUNCATED], OUTCOME_CRC);
    t.is(OUTCOME_OF_STATUS[STATUS_WRONG_UNIT], OUTCOME_MALFORMED);
    t.is(OUTCOME_OF_STATUS[STATUS_LENGTH], OUTCOME_MALFORMED);
  },
  "the due read is sent, its reply decoded with the reply's time, and the next read follows"(t) {
    const plan = planSite([{ name: "dc", unit: 7, profile: DC_METER, points: [0, 1, 2, 3, 4] }], { baud: 9600, framing: "8N1" });
    const port = new FakePort();
    const store = new ReadingsStore({ meters: [{ name: "dc", profile: DC_METER.id, points: plan.values.map((v) => ({ name: v.name })) }] });
    const loop = new PollLoop(plan, port, { scheduler: { meters: [{ intervalUs: 1_000_000 }] }, master: { baud: 9600, retries: 0 }, store });
    loop.setEpoch(1_700_000_000_000, 0);
    loop.start(0);
    let now = loop.nextDeadline();
    t.ok(now >= 0);
    loop.service(now);
    t.deepEqual(port.sent, [withCrc(7, 3, 0, 0, 0, 14)]);
    now += 9000;
    loop.transmitted(now);
    // The meter's reply: 14 registers, voltage 12345 with 2 decimals (register 1 = 2).
    const reply = new Uint8Array(5 + 28);
    reply.set([7, 3, 28]);
    reply.set([0x30, 0x39, 0x00, 0x02], 3);
    appendCrc(reply, 0, 31);
    now += 40000;
    loop.received(reply, 0, reply.length, now);
    // The frame is complete; the master confirms it after t3.5 of silence.
    for (let i = 0; i < 5 && port.sent.length < 2; i++) {
      const d = loop.nextDeadline();
      if (d > now) now = d;
      loop.service(now);
    }
    t.is(loop.readings.values[0], 123.45);
    t.is(loop.readings.status[0], VALUE_OK);
    t.ok(loop.readings.takenAt(0) >= 49000 && loop.readings.takenAt(0) <= now);
    t.is(loop.scheduler.lastGoodAt[0], loop.readings.takenAt(0));
    t.is(port.sent[1], withCrc(7, 3, 0x9a, 0, 0, 2), "the next planned read");
    t.is(store.meters[0].readings, 0, "the store records whole cycles only");
    // The second read times out: counted as the store's timeout fault; the cycle ends without a record.
    now += 10000;
    loop.transmitted(now);
    for (let i = 0; i < 5 && loop.scheduler.faultCount(0, OUTCOME_TIMEOUT) === 0; i++) {
      const d = loop.nextDeadline();
      if (d > now) now = d;
      loop.service(now);
    }
    t.is(loop.scheduler.faultCount(0, OUTCOME_TIMEOUT), 1);
    t.is(store.meters[0].faults[FAULT_TIMEOUT], 1);
    t.is(store.meters[0].readings, 0);
  },
};
