/*
 * Expected ADU length from the first bytes of a frame, so that a receiver knows where a frame ends before the t3.5
 * silence confirms it (Modbus over Serial Line V1.02 §2.5.1.1 ends frames by silence alone; with a UART that delivers
 * bytes in batches the length rule and the CRC are the dependable signals).
 *
 * Each function returns the total ADU length (unit through CRC) once the bytes received so far fix it, LENGTH_NEED_MORE
 * while they do not yet, LENGTH_INVALID when these bytes cannot begin a frame of this direction, or LENGTH_BY_SILENCE
 * when only silence can end the frame (Diagnostics 00 echo requests of any size, and function codes rc485 has no rule
 * for). Rules: function-codes.ts (Application Protocol V1.1b3 §6); never reads at or beyond `offset + available`.
 */
import { EXCEPTION_FLAG, FUNCTION_KNOWN, MAX_ADU_LENGTH, MEI_READ_DEVICE_IDENTIFICATION, REQUEST_COUNT_AT, REQUEST_FIXED_LENGTH, RESPONSE_COUNT_AT, RESPONSE_FIXED_LENGTH } from "./function-codes";

/** The bytes so far do not yet fix the length: read more. */
export const LENGTH_NEED_MORE = 0;
/** These bytes cannot start a frame of this direction. */
export const LENGTH_INVALID = -1;
/** The frame's length is not in its header: only silence (t3.5) ends it. */
export const LENGTH_BY_SILENCE = -2;

function counted(b: Uint8Array, o: number, available: number, countAt: number): number {
  if (available <= countAt) return LENGTH_NEED_MORE;
  const total = countAt + 3 + b[o + countAt];
  return total > MAX_ADU_LENGTH ? LENGTH_INVALID : total;
}

/** A slave's view: the length of the request that starts at `offset`, given `available` bytes received so far. */
export function expectedRequestLength(buffer: Uint8Array, offset: number, available: number): number {
  if (available < 2) return LENGTH_NEED_MORE;
  const fc = buffer[offset + 1];
  if (fc === 0 || (fc & EXCEPTION_FLAG) !== 0) return LENGTH_INVALID;
  if (FUNCTION_KNOWN[fc] === 0) return LENGTH_BY_SILENCE;
  const fixed = REQUEST_FIXED_LENGTH[fc];
  if (fixed !== 0) return fixed;
  const countAt = REQUEST_COUNT_AT[fc];
  if (countAt !== 0) return counted(buffer, offset, available, countAt);
  // 08 Diagnostics (§6.8): sub-function 00 echoes any number of bytes; every other sub-function carries 2.
  if (available < 4) return LENGTH_NEED_MORE;
  return buffer[offset + 2] === 0 && buffer[offset + 3] === 0 ? LENGTH_BY_SILENCE : 8;
}

/**
 * A master's view: the length of the response that starts at `offset`, given `available` bytes so far, the function code
 * the master sent, and the length of the request ADU it sent (a Diagnostics response is as long as its request; pass 0
 * if unknown). A function code other than the one sent, with or without the exception bit, is LENGTH_INVALID.
 */
export function expectedResponseLength(buffer: Uint8Array, offset: number, available: number, sentFunction: number, sentLength: number): number {
  if (available < 2) return LENGTH_NEED_MORE;
  const fc = buffer[offset + 1];
  if (fc === (sentFunction | EXCEPTION_FLAG)) return 5;
  if (fc !== sentFunction || fc === 0 || (fc & EXCEPTION_FLAG) !== 0) return LENGTH_INVALID;
  if (FUNCTION_KNOWN[fc] === 0) return LENGTH_BY_SILENCE;
  const fixed = RESPONSE_FIXED_LENGTH[fc];
  if (fixed !== 0) return fixed;
  const countAt = RESPONSE_COUNT_AT[fc];
  if (countAt !== 0) return counted(buffer, offset, available, countAt);
  if (fc === 0x08) {
    if (sentLength >= 6 && sentLength <= MAX_ADU_LENGTH) return sentLength;
    if (available < 4) return LENGTH_NEED_MORE;
    return buffer[offset + 2] === 0 && buffer[offset + 3] === 0 ? LENGTH_BY_SILENCE : 8;
  }
  // 2B/0E (§6.21): an 8-byte header, then `count` objects of (id, length, value), then the CRC.
  if (available < 8) return LENGTH_NEED_MORE;
  if (buffer[offset + 2] !== MEI_READ_DEVICE_IDENTIFICATION) return LENGTH_INVALID;
  const count = buffer[offset + 7];
  let p = 8;
  for (let k = 0; k < count; k++) {
    if (p + 2 > available) return LENGTH_NEED_MORE;
    p += 2 + buffer[offset + p + 1];
    if (p + 2 > MAX_ADU_LENGTH) return LENGTH_INVALID;
  }
  return p + 2;
}
