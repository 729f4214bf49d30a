// Rebasing time (modules/port/time-rebase.ts) changes nothing the concentrator does: the same transactions with and without
// the host lowering its clock every REBASE_US publish the same payload bytes and leave the same counts and readings.
import { makeConcentratorLoopback } from "../../../bench/concentrator-loopback";
import { rebasedTime, REBASE_US } from "../../../modules/port/time-rebase";
import type { Cases } from "../../harness/check";
import { SDM120, SDM630 } from "../../fixtures/maps";

export const cases: Cases = {
  "rebasedTime keeps the never markers and lowers the rest"(t) {
    t.is(rebasedTime(-1, 1000), -1);
    t.is(rebasedTime(-Infinity, 1000), -Infinity);
    t.is(rebasedTime(5000, 1000), 4000);
    t.is(rebasedTime(999, 1000), -2, "no time lands on the marker");
    t.ok(REBASE_US < 2 ** 29 && REBASE_US % 1_000_000 === 0);
  },
  "a concentrator rebased every REBASE_US publishes what an unrebased one publishes"(t) {
    const start = REBASE_US - 3_000_000;
    const plain = makeConcentratorLoopback([SDM630, SDM120], start, 0);
    const rebased = makeConcentratorLoopback([SDM630, SDM120], start, REBASE_US);
    let a = 0, b = 0;
    // About 8 simulated minutes per REBASE_US at these speeds: enough transactions to rebase a few times.
    for (let i = 0; i < 12000; i++) { a = plain.transaction(); b = rebased.transaction(); }
    t.is(b, a, "payload checksum");
    t.deepEqual(Array.from(rebased.counts), Array.from(plain.counts));
    t.ok(plain.counts[0] > 100 && plain.counts[2] > 100, `published ${plain.counts[0]}, gateway answers ${plain.counts[2]}`);
    t.ok(rebased.rebases() >= 2, `rebased ${rebased.rebases()} times`);
  },
};
