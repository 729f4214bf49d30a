import { characterTimeUs, LineTiming, t15Us, t35Us, transmitTimeUs } from "../../../modules/rtu/timing";
import type { Cases } from "../../harness/check";

export const cases: Cases = {
  "8N1 and 11-bit framings at 9600 baud"(t) {
    t.is(characterTimeUs(9600, "8N1"), 1042); // 10 bits / 9600 = 1041.67 µs, rounded up
    t.is(characterTimeUs(9600, "8E1"), 1146); // 11 bits
    t.is(t35Us(9600, "8N1"), 3646);
    t.is(t15Us(9600, "8N1"), 1563);
    t.is(t35Us(9600, "8E1"), 4011);
  },
  "above 19200 baud t1.5 and t3.5 are fixed (Modbus serial line §2.5.1.1)"(t) {
    t.is(t35Us(19200, "8N1"), 1823);
    t.is(t35Us(38400, "8N1"), 1750);
    t.is(t15Us(115200, "8E1"), 750);
    t.is(t35Us(115200, "8N2"), 1750);
  },
  "transmit time of a 256-byte frame"(t) {
    t.is(transmitTimeUs(256, 19200, "8N1"), 133334);
    t.is(transmitTimeUs(0, 19200, "8N1"), 0);
    t.is(new LineTiming(115200, "8N1").airTimeUs(8), 695);
  },
  "bad line settings are RangeErrors"(t) {
    t.throws(() => t35Us(0, "8N1"), RangeError);
    t.throws(() => t35Us(9600.5, "8N1"), RangeError);
    t.throws(() => t35Us(9600, "7N1" as any), RangeError);
  },
};
