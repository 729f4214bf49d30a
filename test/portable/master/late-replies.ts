// The late-reply fault run (test/harness/late-reply-run.ts), short: meters that answer late, twice or slowly, polled with
// same-shape reads back to back; no OK result may carry a value other than the meter's value for the register asked
// for. Portable: runs on Node and on XS (the long run is test/master-late-replies.test.ts).
import type { Cases } from "../../harness/check";
import { lateReplyRun } from "../../harness/late-reply-run";

export const cases: Cases = {
  "late, duplicate and slow meters with same-shape reads: no wrong value (ideal UART, exact timer, no retries)"(t) {
    const r = lateReplyRun({ transactions: 1200, seed: 11, retries: 0 });
    t.is(r.transactions, 1200);
    t.is(r.wrong, 0, r.firstWrong);
    t.ok(r.meterLate > 30 && r.meterDuplicates > 50 && r.dropped > 20, `faults happened: ${JSON.stringify(r)}`);
  },
  "late, duplicate and slow meters with same-shape reads: no wrong value (ESP32 UART, 1 ms timer, one retry)"(t) {
    const r = lateReplyRun({ transactions: 1200, seed: 12, uart: "esp32", tick: 1000, retries: 1 });
    t.is(r.transactions, 1200);
    t.is(r.wrong, 0, r.firstWrong);
    t.ok(r.meterLate > 30 && r.meterDuplicates > 50 && r.dropped > 20, `faults happened: ${JSON.stringify(r)}`);
  },
};
