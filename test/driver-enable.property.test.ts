// Property test of modules/port/driver-enable.ts (fast-check): for every standard baud rate, framing, tick and UART state, the
// computed DE release is never before the last stop bit and stays within the documented bound; the bound is below t3.5
// whenever checkDriverRelease accepts the configuration.
import test from "ava";
import fc from "fast-check";
import { checkDriverRelease, driverHoldBoundUs, driverReleaseTimeUs } from "../modules/port/driver-enable";
import { BAUD_RATES, LineTiming, type Framing } from "../modules/rtu/timing";

const FRAMINGS: Framing[] = ["8N1", "8E1", "8O1", "8N2"];

test("release after the last stop bit, within the bound, and the bound under t3.5 when the configuration is accepted", (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...BAUD_RATES),
      fc.constantFrom(...FRAMINGS),
      fc.constantFrom(0, 100, 1000, 2000, 10000),
      fc.integer({ min: 0, max: 2000 }),
      fc.integer({ min: 0, max: 128 }),
      fc.double({ min: 0.001, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 2_000_000_000 }),
      (baud, framing, tick, jitter, fifo, rest, now) => {
        const timing = new LineTiming(baud, framing);
        const ch = (timing.bitsPerCharacter * 1e6) / baud;
        // The shift register has `rest` of a character to go, `fifo` more characters follow back to back.
        const lastStop = now + rest * ch + fifo * ch;
        const release = driverReleaseTimeUs(now, fifo + 1, timing, tick);
        if (release < lastStop) return false;
        if (release - lastStop > driverHoldBoundUs(timing, tick, 0)) return false;
        let accepted = true;
        try {
          checkDriverRelease(timing, tick, jitter);
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          accepted = false;
        }
        // Accepted: even a timer late by the full jitter releases before a reply starting t3.5 after the last stop bit.
        return !accepted || release + jitter - lastStop < timing.t35Us;
      },
    ),
    { numRuns: 20000 },
  );
  t.pass();
});
