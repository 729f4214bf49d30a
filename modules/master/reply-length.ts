/*
 * How long the reply to a request will be, decided from the request alone, so the master can find the end of a reply by
 * its length (and confirm it by silence and CRC) instead of by silence alone, which batching UARTs make unreliable
 * (design.md §4, §6).
 *
 * MODBUS Application Protocol V1.1b3 §6 fixes each normal response's layout; as an RTU ADU (unit + PDU + CRC, Serial
 * Line V1.02 §2.5.1) that gives, per function code:
 *   01/02 (§6.1, §6.2)      5 + ceil(quantity / 8)      quantity = request bytes 4..5
 *   03/04 (§6.3, §6.4)      5 + 2 * quantity
 *   17 (§6.17)              5 + 2 * read quantity        (read quantity is also at request bytes 4..5)
 *   05/06/0F/10 (§6.5-6.12) 8                            07 (§6.7) 5    0B (§6.9) 8    16 (§6.16) 10
 *   08 (§6.8)               an echo: the request's own length
 *   0C, 11 (§6.10, §6.13)   5 + the byte count at reply byte 2
 *   others (e.g. 2B/0E)     unknown: the reply ends by silence
 * An exception response (§7) is always 5 bytes. The rules are a table indexed by function code.
 */

/** Reply length rule kinds. */
const RULE_SILENCE = 0;
const RULE_FIXED = 1;
const RULE_BITS = 2;
const RULE_REGISTERS = 3;
const RULE_ECHO = 4;
const RULE_COUNT_AT_2 = 5;

const RULE = new Uint8Array(256);
const FIXED = new Uint16Array(256);
for (const [fc, rule, fixed] of [
  [0x01, RULE_BITS, 0], [0x02, RULE_BITS, 0], [0x03, RULE_REGISTERS, 0], [0x04, RULE_REGISTERS, 0],
  [0x05, RULE_FIXED, 8], [0x06, RULE_FIXED, 8], [0x07, RULE_FIXED, 5], [0x08, RULE_ECHO, 0], [0x0b, RULE_FIXED, 8],
  [0x0c, RULE_COUNT_AT_2, 0], [0x0f, RULE_FIXED, 8], [0x10, RULE_FIXED, 8], [0x11, RULE_COUNT_AT_2, 0],
  [0x16, RULE_FIXED, 10], [0x17, RULE_REGISTERS, 0],
] as const) {
  RULE[fc] = rule;
  FIXED[fc] = fixed;
}

/** Returned when the reply's length follows from its byte count at index 2 (ADU = 5 + that count). */
export const REPLY_LENGTH_FROM_COUNT = -1;
/** Returned when only silence can end the reply. */
export const REPLY_LENGTH_UNKNOWN = 0;
/** Length of every exception response ADU (§7). */
export const EXCEPTION_REPLY_LENGTH = 5;

/**
 * Expected reply ADU length (> 0) for the request ADU `request[offset, offset+length)` (unit, PDU, CRC), or
 * REPLY_LENGTH_FROM_COUNT, or REPLY_LENGTH_UNKNOWN. Reads only inside the request; never throws.
 */
export function expectedReplyLength(request: Uint8Array, offset: number, length: number): number {
  if (length < 4) return REPLY_LENGTH_UNKNOWN;
  const fc = request[offset + 1];
  const rule = RULE[fc];
  if (rule === RULE_FIXED) return FIXED[fc];
  if (rule === RULE_ECHO) return length;
  if (rule === RULE_COUNT_AT_2) return REPLY_LENGTH_FROM_COUNT;
  if (rule === RULE_SILENCE || length < 8) return REPLY_LENGTH_UNKNOWN;
  const quantity = (request[offset + 4] << 8) | request[offset + 5];
  const n = rule === RULE_BITS ? 5 + ((quantity + 7) >> 3) : 5 + 2 * quantity;
  return n <= 256 ? n : REPLY_LENGTH_UNKNOWN;
}
