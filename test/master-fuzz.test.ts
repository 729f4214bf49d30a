// Property tests of the master engine (fast-check): whatever bytes arrive, in whatever pieces and at whatever times, the
// engine never throws, never transmits twice without a DE drop in between, never sends before t3.5 of known silence,
// delivers each submitted transaction exactly once with a defined status, and an OK read always carries the register
// values of a frame with a good CRC from the unit asked.
import test from "ava";
import fc from "fast-check";
import { appendCrc } from "../modules/rtu/crc16";
import { Master } from "../modules/master/engine";
import { STATUS_KINDS, STATUS_OK, SUBMIT_OK } from "../modules/master/status";
import { NO_DEADLINE } from "../modules/port/contract";

const event = fc.oneof(
  fc.record({ kind: fc.constant("bytes" as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }), dt: fc.integer({ min: 0, max: 20000 }) }),
  fc.record({ kind: fc.constant("reply" as const), unit: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 4 }), dt: fc.integer({ min: 0, max: 20000 }), corrupt: fc.integer({ min: -1, max: 12 }) }),
  fc.record({ kind: fc.constant("tick" as const), dt: fc.integer({ min: 0, max: 200000 }) }),
);

test("random deliveries: no throw, one result per request, valid statuses, OK data is genuine", (t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), fc.boolean(), fc.boolean(), (events, echo, batching) => {
      let now = 0;
      let sending = false;
      let lastLine = 0;
      const sentAt: number[] = [];
      const results = new Map<number, number>();
      const t35 = 1750;
      const master = new Master({ baud: 115200, retries: 1, echo, turnaroundUs: 20000, rxIdleDelayUs: batching ? 348 : 0, rxBatchBytes: batching ? 120 : 0 }, {
        transmit(_b, _o, length) {
          if (sending) throw new Error("transmit while sending");
          if (now - lastLine < t35 && !(batching)) throw new Error(`sent ${now - lastLine} µs after the line was busy`);
          sending = true;
          sentAt.push(now);
          void length;
        },
      }, {
        completed(r) {
          if (results.has(r.tag)) throw new Error(`tag ${r.tag} completed twice`);
          if (!(r.status >= 0 && r.status < STATUS_KINDS)) throw new Error(`status ${r.status}`);
          if (r.status === STATUS_OK && r.functionCode === 3) {
            for (let i = 0; i < r.registerCount; i++) if (r.registers[i] !== r.unit * 100 + i) throw new Error("OK with wrong data");
          }
          results.set(r.tag, r.status);
        },
      });
      for (let tag = 0; tag < 6; tag++) if (master.submitRead(1 + (tag % 3), 3, 0, 1 + (tag % 4), tag) !== SUBMIT_OK) throw new Error("submit");
      const step = (until: number) => {
        for (let guard = 0; guard < 1000; guard++) {
          if (sending) {
            // The host drops DE one request air time after transmit.
            const drop = sentAt[sentAt.length - 1] + 700;
            if (drop > until) return;
            now = Math.max(now, drop);
            sending = false;
            lastLine = now;
            master.transmitted(now);
            continue;
          }
          const d = master.nextDeadline();
          if (d === NO_DEADLINE || d > until) return;
          now = Math.max(now, d);
          master.service(now);
        }
        throw new Error("engine did not settle");
      };
      const deliver = (bytes: Uint8Array, dt: number) => {
        step(now + dt);
        now += dt;
        lastLine = now;
        master.received(bytes, 0, bytes.length, now);
      };
      for (const e of events) {
        if (e.kind === "tick") {
          step(now + e.dt);
          now += e.dt;
        } else if (e.kind === "bytes") deliver(Uint8Array.from(e.bytes), e.dt);
        else {
          const f = new Uint8Array(16);
          f[0] = e.unit;
          f[1] = 3;
          f[2] = 2 * e.count;
          for (let i = 0; i < e.count; i++) {
            f[3 + 2 * i] = (e.unit * 100 + i) >> 8;
            f[4 + 2 * i] = (e.unit * 100 + i) & 0xff;
          }
          const n = appendCrc(f, 0, 3 + 2 * e.count);
          if (e.corrupt >= 0 && e.corrupt < n) f[e.corrupt] ^= 0x21;
          deliver(f.subarray(0, n), e.dt);
        }
      }
      step(now + 1e9);
      if (results.size !== 6) throw new Error(`only ${results.size} of 6 results`);
      if (master.pending !== 0 || master.nextDeadline() !== NO_DEADLINE) throw new Error("engine not idle at the end");
    }),
    { numRuns: 400, seed: 4242 },
  );
  t.pass();
});
