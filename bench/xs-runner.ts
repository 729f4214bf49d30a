// XS side of the bench: one JSON line per bench with the meter count per operation (deterministic).
import type { Bench } from "./harness";

declare function print(...args: unknown[]): void;
declare function resetMeter(limit: number, index: number): number;

const ROUNDS = 20;

export function runXsBenches(all: readonly Bench[]): void {
  for (let i = 0; i < all.length; i++) {
    const b = all[i];
    if (b.nodeOnly) continue;
    try {
      const op = b.make();
      for (let k = 0; k < 3; k++) op();
      resetMeter(0, 0);
      for (let k = 0; k < ROUNDS; k++) op();
      const count = resetMeter(0, 0);
      print(`XS-BENCH ${JSON.stringify({ index: i, perOp: count / ROUNDS })}`);
    } catch (e) {
      print(`XS-BENCH ${JSON.stringify({ index: i, error: String(e) })}`);
    }
  }
  print("XS-BENCH-DONE");
}
