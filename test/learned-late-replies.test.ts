// Issue 20's guarantee with learned timing applied live (issue 14): the late-reply fault run of
// test/master-late-replies.test.ts (meters answering late, twice, slowly, late while queueing requests) with a learned
// reply-latency budget in force for every unit, shorter than the configured turnaround budget (first attempts of a
// unit that answers wait less) and longer than it. A late or repeated reply is still never delivered as another read's
// reply: reply windows are computed from the longer of the configured and the learned timeout (modules/master/config.ts).
import test from "ava";
import { lateReplyRun } from "./harness/late-reply-run";

for (const [name, learnedBudgetUs, seed, uart, tick] of [
  ["learned budget 5 ms (configured 20 ms), ideal UART, exact timer", 5000, 11, "ideal", 0],
  ["learned budget 5 ms (configured 20 ms), ESP32 UART, 1 ms timer", 5000, 12, "esp32", 1000],
  ["learned budget 60 ms (configured 20 ms), ideal UART, exact timer", 60000, 13, "ideal", 0],
] as const) {
  test(`20,000 transactions, one retry, ${name}: 0 wrong values`, (t) => {
    const r = lateReplyRun({ transactions: 20000, seed, uart, tick, retries: 1, learnedBudgetUs });
    t.is(r.transactions, 20000);
    t.is(r.wrong, 0, r.firstWrong);
    t.true(r.meterLate > 500, `late answers: ${r.meterLate}`);
    t.true(r.meterDuplicates > 1000, `repeated answers: ${r.meterDuplicates}`);
    t.true(r.dropped > 100, `late or repeated replies recognised and dropped: ${r.dropped}`);
    t.log(JSON.stringify({ ...r, firstWrong: undefined }));
  });
}
