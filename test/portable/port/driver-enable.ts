import { bitTimeUs, checkDriverRelease, driverHoldBoundUs, driverReleaseTimeUs } from "../../../modules/port/driver-enable";
import { LineTiming, type Framing } from "../../../modules/rtu/timing";
import type { Cases } from "../../harness/check";

// The real UART, in exact (fractional) microseconds: a character is bits/baud seconds and the first start bit of a write
// to an idle UART begins up to one bit time late. Returns the worst (smallest) and largest margins seen.
function sweep(baud: number, framing: Framing, tick: number): { minAfterStop: number; maxAfterStop: number } {
  const timing = new LineTiming(baud, framing);
  const ch = (timing.bitsPerCharacter * 1000000) / baud;
  const bit = 1000000 / baud;
  let minAfterStop = Infinity, maxAfterStop = -Infinity;
  const note = (release: number, lastStop: number) => {
    const d = release - lastStop;
    if (d < minAfterStop) minAfterStop = d;
    if (d > maxAfterStop) maxAfterStop = d;
  };
  for (let now = 0; now < 3000; now += 137) {
    // A whole frame of n bytes written into an idle UART at `now`: the shift register loads one, the FIFO holds n-1.
    for (let n = 1; n <= 128; n += 7) {
      for (let lat = 0; lat < 1; lat += 0.25) {
        const lastStop = now + lat * bit + n * ch;
        note(driverReleaseTimeUs(now, n - 1 + 1, timing, tick), lastStop);
      }
    }
    // The last piece written while the UART is busy: `fifo` bytes queued, `rest` of the shift-register character to go.
    for (let fifo = 0; fifo <= 128; fifo += 5) {
      for (let rest = 0.01; rest <= 1; rest += 0.07) {
        const lastStop = now + rest * ch + fifo * ch;
        note(driverReleaseTimeUs(now, fifo + 1, timing, tick), lastStop);
      }
    }
  }
  return { minAfterStop, maxAfterStop };
}

export const cases: Cases = {
  "1 ms tick: DE drops after the last stop bit and before a reply t3.5 later, at 9600, 19200 and 115200"(t) {
    for (const baud of [9600, 19200, 115200]) {
      for (const framing of ["8N1", "8E1"] as Framing[]) {
        const timing = new LineTiming(baud, framing);
        const { minAfterStop, maxAfterStop } = sweep(baud, framing, 1000);
        t.ok(minAfterStop >= 0, `${baud} ${framing}: released ${minAfterStop} µs after the last stop bit`);
        t.ok(maxAfterStop < timing.t35Us, `${baud} ${framing}: held ${maxAfterStop} µs, t3.5 = ${timing.t35Us}`);
        t.ok(maxAfterStop <= driverHoldBoundUs(timing, 1000, 0), `${baud} ${framing}: within the documented bound`);
        checkDriverRelease(timing, 1000, 0); // must not throw
      }
    }
  },
  "exact timer: never early, at most one character and one bit late"(t) {
    for (const baud of [9600, 19200, 115200]) {
      const timing = new LineTiming(baud, "8N1");
      const { minAfterStop, maxAfterStop } = sweep(baud, "8N1", 0);
      t.ok(minAfterStop >= 0, `${baud}: ${minAfterStop}`);
      t.ok(maxAfterStop <= timing.characterUs + bitTimeUs(timing) + 2, `${baud}: ${maxAfterStop}`);
    }
  },
  "the release is a whole number of ticks after the write, the earliest one after the last stop bit"(t) {
    const timing = new LineTiming(9600, "8N1");
    // 8 bytes at 9600 8N1: 8333.3 µs + one bit (105 µs) -> 8439 µs -> 9 ticks of 1 ms.
    t.is(driverReleaseTimeUs(500, 8, timing, 1000), 9500);
    t.is(driverReleaseTimeUs(500, 8, timing, 0), 500 + 8334 + 105);
    t.is(driverReleaseTimeUs(500, 0, timing, 1000), 500);
  },
  "a tick too coarse for the baud is a RangeError naming tick and t3.5"(t) {
    t.throws(() => checkDriverRelease(new LineTiming(115200, "8N1"), 2000, 0), RangeError);
    t.throws(() => checkDriverRelease(new LineTiming(115200, "8N1"), 1000, 700), RangeError);
    t.throws(() => checkDriverRelease(new LineTiming(9600, "8N1"), -1, 0), RangeError);
    checkDriverRelease(new LineTiming(9600, "8N1"), 2000, 0);
  },
};
