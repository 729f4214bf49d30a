/*
 * Wire faults: what the RTU parsers return instead of throwing. 0 is success; every other value names the first rule a
 * frame broke, checked in this order: ADU size (Serial Line V1.02 §2.5.1: 4–256 bytes), CRC (§2.5.1.2), then the layout
 * the function code prescribes (Application Protocol V1.1b3 §6).
 */
export const FAULT_NONE = 0;
/** Fewer than 4 bytes, or fewer than the layout's fixed part. */
export const FAULT_TOO_SHORT = 1;
/** More than 256 bytes. */
export const FAULT_TOO_LONG = 2;
/** The last two bytes are not the CRC-16 of the rest. */
export const FAULT_CRC = 3;
/** The length differs from what the function code and its byte count give. */
export const FAULT_BAD_LENGTH = 4;
/** rc485 has no rule for this function code (in this direction). */
export const FAULT_UNKNOWN_FUNCTION = 5;
/** A byte-count field contradicts the layout (e.g. odd for registers, 0 where data is required). */
export const FAULT_BAD_BYTE_COUNT = 6;
/** 2B with a MEI type other than 0E. */
export const FAULT_UNSUPPORTED_MEI = 7;
// Returned by answersRequest (a well-formed response that does not answer the request the master sent):
/** The response comes from another unit. */
export const FAULT_WRONG_UNIT = 8;
/** The response is for another function code. */
export const FAULT_WRONG_FUNCTION = 9;
/** The response carries another amount of data than the request asked for. */
export const FAULT_WRONG_QUANTITY = 10;
/** An echoing response (05, 06, 08, 0F, 10, 16) does not repeat the request's fields. */
export const FAULT_WRONG_ECHO = 11;

const NAMES: readonly string[] = Object.freeze([
  "ok", "too short", "too long", "CRC mismatch", "bad length", "unknown function", "bad byte count", "unsupported MEI type", "wrong unit", "wrong function",
  "wrong quantity", "wrong echo",
]);

/** A short name for a fault code. */
export function faultName(fault: number): string {
  return fault >= 0 && fault < NAMES.length ? NAMES[fault] : "unknown fault";
}
