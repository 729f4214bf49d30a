/*
 * Where a frame ends, for an engine that sees requests and replies of any function mixed on one line (the repeater).
 *
 * Theory of operation. Modbus over Serial Line V1.02 §2.5.1.1 ends a frame with t3.5 of silence, but waiting for it adds
 * 3.5 characters to every hop and a batching UART hides silences. The repeater therefore ends a frame as soon as (1) the
 * CRC-16 register over every byte so far is zero (the CRC appended low byte first makes the residue zero, §2.5.1.2) and
 * (2) the length is one that function's request or reply can have (fixed lengths and byte-count fields, MODBUS
 * Application Protocol V1.1b3 §6; exception replies are 5 bytes, §7). Requiring both makes a false early end about
 * 2^-16 per candidate length instead of 2^-16 per byte. Everything else ends at silence.
 *
 * The length rules are the function-code tables of modules/rtu/function-codes.ts.
 */
import { REQUEST_COUNT_AT, REQUEST_FIXED_LENGTH, RESPONSE_COUNT_AT, RESPONSE_FIXED_LENGTH } from "../rtu/function-codes";

/** True when `length` bytes of `buffer` from `offset` (already known to end in a matching CRC) have a length that the
 * frame's function code allows for a request or a reply. Reads only inside the range. */
export function plausibleFrameLength(buffer: Uint8Array, offset: number, length: number): boolean {
  if (length < 4) return false;
  const fc = buffer[offset + 1];
  if ((fc & 0x80) !== 0) return length === 5;
  if (REQUEST_FIXED_LENGTH[fc] === length || RESPONSE_FIXED_LENGTH[fc] === length) return true;
  const rq = REQUEST_COUNT_AT[fc];
  if (rq > 0 && length > rq + 2 && length === rq + 1 + buffer[offset + rq] + 2) return true;
  const rs = RESPONSE_COUNT_AT[fc];
  if (rs > 0 && length > rs + 2 && length === rs + 1 + buffer[offset + rs] + 2) return true;
  return false;
}

/**
 * The same rule, byte by byte, for an engine that assembles a frame: fed each byte with its 1-based position, it says
 * whether a frame may end there, so the CRC is folded (with the fast slice-by-8 routine) only at those few lengths instead
 * of a CRC step per byte. Four candidates at most: request fixed length, reply fixed length, request byte count (at
 * index 6 or 10), reply byte count (index 2); an exception reply is 5 bytes.
 */
export class FrameEndCandidates {
  /** The candidate lengths (0 = none), settled once the byte-count positions are past (index 10 at most). */
  fixedRequest = 0;
  fixedReply = 0;
  byRequestCount = 0;
  byReplyCount = 0;
  private requestCountAt = 0;
  private replyCountAt = 0;

  /** Returns true when a frame of `n` bytes, whose n-th byte is `value`, has a length its function code allows. */
  next(value: number, n: number): boolean {
    if (n <= 2) {
      if (n === 2) {
        const exception = (value & 0x80) !== 0;
        this.fixedRequest = exception ? 5 : REQUEST_FIXED_LENGTH[value];
        this.fixedReply = exception ? 0 : RESPONSE_FIXED_LENGTH[value];
        this.requestCountAt = exception ? 0 : REQUEST_COUNT_AT[value];
        this.replyCountAt = exception ? 0 : RESPONSE_COUNT_AT[value];
        this.byRequestCount = 0;
        this.byReplyCount = 0;
      }
      return false;
    }
    if (n === this.requestCountAt + 1) this.byRequestCount = n + 2 + value;
    if (n === this.replyCountAt + 1) this.byReplyCount = n + 2 + value;
    return n >= 4 && (n === this.fixedRequest || n === this.fixedReply || n === this.byRequestCount || n === this.byReplyCount);
  }
}
