/*
 * Outcomes of a master transaction and the per-unit counters the master keeps, as numeric codes (wire faults are never
 * exceptions: design.md §3.6).
 *
 * A transaction ends with exactly one status. OK and EXCEPTION are answers from the device (MODBUS Application Protocol
 * V1.1b3 §7: an exception response is unit + (function | 0x80) + code); every other status is a fault of the exchange on
 * the serial line (Modbus over Serial Line V1.02 §2.5.1: frame, silence and CRC rules). The counter table reuses the status
 * codes as the first indexes and adds a few events that are not final outcomes (late replies, attempts sent, transactions
 * that failed after their retries).
 */

/** The device answered with the data requested. */
export const STATUS_OK = 0;
/** The device answered with an exception response; `exceptionCode` holds its code. */
export const STATUS_EXCEPTION = 1;
/** Nothing that could be a reply arrived before the response timeout. */
export const STATUS_TIMEOUT = 2;
/** A frame of the expected length arrived, but its CRC-16 does not check. */
export const STATUS_CRC = 3;
/** A well-formed frame (good CRC) from another unit than the one asked. */
export const STATUS_WRONG_UNIT = 4;
/** A well-formed frame from the right unit with another function code (neither the request's nor its exception form). */
export const STATUS_WRONG_FUNCTION = 5;
/** Some bytes of a reply arrived, then the line fell silent before the expected length. */
export const STATUS_TRUNCATED = 6;
/** More bytes arrived than the expected reply before the line fell silent (or more than the receive buffer holds). */
export const STATUS_OVERRUN = 7;
/** A well-formed frame from the right unit and function whose length or byte count contradicts the request. */
export const STATUS_LENGTH = 8;

/** Number of statuses (statuses are 0..STATUS_KINDS-1). */
export const STATUS_KINDS = 9;

/** Counter index: a late reply to an earlier attempt, recognised and discarded (charged to the unit that sent it). */
export const COUNT_LATE = 9;
/** Counter index: request frames transmitted (every attempt, broadcasts included). */
export const COUNT_SENT = 10;
/** Counter index: transactions delivered with a fault status after all their retries. */
export const COUNT_FAILED = 11;
/** Counter index: retries (attempts after the first). */
export const COUNT_RETRIES = 12;

/** Counters per unit (indexes 0..COUNTER_KINDS-1: the statuses, then COUNT_*). */
export const COUNTER_KINDS = 13;

const NAMES: readonly string[] = Object.freeze([
  "ok", "exception", "timeout", "crc", "wrong-unit", "wrong-function", "truncated", "overrun", "length",
  "late", "sent", "failed", "retries",
]);

/** Short stable name of a status or counter index ("" when out of range): for logs, JSON and metrics. */
export function statusName(code: number): string {
  return code >= 0 && code < NAMES.length ? NAMES[code] : "";
}

/** 1 where a status ends an attempt that may be retried (faults of the exchange), 0 for device answers. Rules as data. */
export const STATUS_RETRYABLE: Uint8Array = (() => {
  const t = new Uint8Array(STATUS_KINDS);
  for (const s of [STATUS_TIMEOUT, STATUS_CRC, STATUS_WRONG_UNIT, STATUS_WRONG_FUNCTION, STATUS_TRUNCATED, STATUS_OVERRUN, STATUS_LENGTH]) t[s] = 1;
  return t;
})();

/** Values returned by the master's submit methods: 0 queued, negative refused (nothing was queued). */
export const SUBMIT_OK = 0;
/** Every request slot is taken. */
export const SUBMIT_QUEUE_FULL = -1;
/** The unit is not 0 (broadcast) or 1..247. */
export const SUBMIT_BAD_UNIT = -2;
/** The PDU is empty or longer than 253 bytes, or a quantity/value is outside the function's range. */
export const SUBMIT_BAD_REQUEST = -3;
/** A broadcast of a read function (reads have no broadcast form: Serial Line V1.02 §2.1). */
export const SUBMIT_BAD_BROADCAST = -4;
