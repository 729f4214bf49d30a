// Issue 20 item 1: a late or repeated reply is never delivered as another read's reply. The late-reply fault run
// (test/harness/late-reply-run.ts: meters answering late, twice, slowly, or late while queueing requests, each polled with
// same-shape reads back to back) over 100,000 transactions in four set-ups, deterministic seeds, simulated time. Before
// the master's reply windows the same run delivered 4,265 wrong values (599 + 1,680 + 687 + 1,299 in the four set-ups
// below); with windows that are not chained behind a queueing meter's unanswered requests, 4.
import test from "ava";
import { lateReplyRun, type LateRunOptions } from "./harness/late-reply-run";

const setups: [string, Omit<LateRunOptions, "transactions">][] = [
  ["ideal UART, exact timer, one retry", { seed: 1, uart: "ideal", tick: 0, retries: 1 }],
  ["ideal UART, exact timer, no retries", { seed: 2, uart: "ideal", tick: 0, retries: 0 }],
  ["ESP32 UART, 1 ms timer, one retry", { seed: 3, uart: "esp32", tick: 1000, retries: 1 }],
  ["ESP32 UART, 1 ms timer, no retries", { seed: 4, uart: "esp32", tick: 1000, retries: 0 }],
];

let total = 0;
for (const [name, options] of setups) {
  test.serial(`25,000 transactions, ${name}: 0 wrong values`, (t) => {
    const r = lateReplyRun({ transactions: 25000, ...options });
    total += r.transactions;
    t.is(r.transactions, 25000);
    t.is(r.wrong, 0, r.firstWrong);
    // The faults the run is about did happen, in numbers.
    t.true(r.meterLate > 1000, `late answers: ${r.meterLate}`);
    t.true(r.meterDuplicates > 1500, `repeated answers: ${r.meterDuplicates}`);
    t.true(r.meterQueued > 50, `requests a meter kept while busy: ${r.meterQueued}`);
    t.true(r.dropped > 400, `late or repeated replies recognised and dropped: ${r.dropped}`);
    t.true(r.ok > 17000, `OK results: ${r.ok}`);
    t.log(JSON.stringify({ ...r, firstWrong: undefined }));
  });
}

test.serial("the proof covers at least 100,000 transactions", (t) => {
  t.true(total >= 100000, `${total}`);
});
