/*
 * The outcome of one master transaction, handed to the MasterListener in one object that the engine allocates once and
 * reuses: a listener copies what it keeps before returning (design.md §3.2, caller-owned memory).
 *
 * Register values of a read (03, 04, 17: MODBUS Application Protocol V1.1b3 §6.3, §6.4, §6.17) are decoded big-endian
 * into `registers`; bits of a coil or input read (01, 02: §6.1, §6.2) are read in place with bit(i); any other reply is
 * available as raw bytes (`frame`, `frameOffset`, `frameLength`: the whole ADU, unit to CRC).
 */
import { STATUS_OK } from "./status";

export const MAX_REGISTERS = 125;

export class MasterResult {
  /** The caller's tag given to submit. */
  tag = 0;
  unit = 0;
  /** Function code of the request. */
  functionCode = 0;
  /** STATUS_* (master/status.ts). */
  status = STATUS_OK;
  /** The exception code when status is STATUS_EXCEPTION, else 0. */
  exceptionCode = 0;
  /** Attempts made (1 + retries used). */
  attempts = 0;
  /**
   * The unit counted as offline when the transaction began: a return-to-service probe (no retries, the configured
   * timeout). Its reply tells that the unit is back, not how quickly it answers when polled (modules/commissioning/learned-limits.ts).
   */
  unitOffline = false;
  /** When the last attempt's request left the wire (our DE drop), µs. */
  sentAt = 0;
  /**
   * When the request this reply answers left the wire (OK and EXCEPTION; else sentAt), µs: the last attempt's, or an
   * earlier identical attempt's when the reply came within that one's window while it was still unanswered (the master
   * gives a reply to the oldest unanswered transmission of the same request: a meter slower than the timeout answers
   * the first attempt while the retry waits). A reply's latency is measured from here (modules/commissioning/learned-limits.ts).
   */
  answeredSentAt = 0;
  /** When the transaction ended, µs. */
  completedAt = 0;
  /** Register values of a successful 03/04/17 read, `registerCount` of them. */
  readonly registers: Uint16Array = new Uint16Array(MAX_REGISTERS);
  registerCount = 0;
  /** The reply ADU of the last attempt (valid for OK and EXCEPTION; for faults, the bytes that arrived, if any). */
  frame: Uint8Array;
  frameOffset = 0;
  frameLength = 0;

  constructor(frame: Uint8Array) {
    this.frame = frame;
  }

  /** Bit `i` (0-based from the first requested coil/input) of a successful 01/02 read: 0 or 1. */
  bit(i: number): number {
    return (this.frame[this.frameOffset + 3 + (i >> 3)] >> (i & 7)) & 1;
  }

  /** Data bytes of the reply PDU (after unit, function and, for reads, the byte count) start here in `frame`. */
  get dataOffset(): number {
    return this.frameOffset + 2;
  }
}
