// A tiny pure loopback for the master engine: one op = one full transaction (submit an 80-register read, the engine
// builds the request and asks the port to transmit it, DE drops, the prepared 165-byte reply arrives in one piece, the
// silence confirms it, the engine checks the CRC and hands the 80 values to the listener). No simulator and no Node API,
// so it runs on XS too (bench meter counts) and allocates nothing per transaction.
import { appendCrc } from "../modules/rtu/crc16";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import type { Rs485Port } from "../modules/port/contract";

const REBASE_AT = 1 << 29;

export interface Loopback {
  /** Runs one transaction; returns the sum of the registers handed over (so nothing is optimised away). */
  transaction(): number;
  readonly master: Master;
}

export function makeLoopback(registers = 80, baud = 19200, start = 0, rebase = true): Loopback {
  const reply = new Uint8Array(5 + 2 * registers);
  reply[0] = 1;
  reply[1] = 3;
  reply[2] = 2 * registers;
  for (let i = 0; i < registers; i++) {
    reply[3 + 2 * i] = (i * 7) >> 8;
    reply[4 + 2 * i] = (i * 7) & 0xff;
  }
  appendCrc(reply, 0, 3 + 2 * registers);

  let sum = 0;
  const port: Rs485Port = { transmit() {} };
  const listener = {
    completed(r: MasterResult) {
      let s = 0;
      for (let i = 0; i < r.registerCount; i++) s += r.registers[i];
      sum = s;
    },
  };
  const master = new Master({ baud, queueCapacity: 4 }, port, listener);
  const requestUs = master.config.airUs[8];
  const replyUs = master.config.airUs[reply.length];
  const clock = new Float64Array(1);
  clock[0] = start;

  return {
    master,
    transaction(): number {
      if (rebase && clock[0] > REBASE_AT) {
        // Keep times in V8's small-integer range (see Master.rebaseTime): past 2^30 µs each time passed across a call is boxed.
        master.rebaseTime(REBASE_AT);
        clock[0] -= REBASE_AT;
      }
      master.submitRead(1, 3, 0, registers, 0);
      clock[0] = master.nextDeadline();
      master.service(clock[0]); // the gap has passed: the request goes out
      clock[0] += requestUs;
      master.transmitted(clock[0]);
      clock[0] += 2000 + replyUs;
      master.received(reply, 0, reply.length, clock[0]);
      clock[0] = master.nextDeadline();
      master.service(clock[0]); // t3.5 of silence confirms the frame: the result is delivered
      return sum;
    },
  };
}
