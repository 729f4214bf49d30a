/*
 * The MBAP header of Modbus TCP: how a PDU travels on a TCP stream.
 *
 * MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3: an ADU on TCP is a 7-byte MBAP header followed by the PDU
 * (function code + data, at most 253 bytes, Application Protocol V1.1b3 §4.1):
 *
 *   bytes 0-1  transaction identifier  chosen by the client, copied into the response
 *   bytes 2-3  protocol identifier     0 = Modbus
 *   bytes 4-5  length                  number of bytes that follow: unit identifier + PDU (2..254)
 *   byte  6    unit identifier         the device behind a gateway (§4.4.1: a gateway routes on it)
 *
 * so a whole ADU is at most 7 + 253 = 260 bytes. TCP delivers a byte stream, not messages: a receiver reassembles ADUs
 * from the length field (one segment may carry part of an ADU or several ADUs). A header that breaks these rules cannot be
 * resynchronised on (there is no delimiter), so the only safe answer is to close that connection.
 *
 * Readers take (buffer, offset) and never look past the 7 header bytes; the builder writes into (buffer, offset) and
 * returns the ADU length. Nothing allocates.
 */

export const MBAP_HEADER_LENGTH = 7;
/** Largest PDU (function code + data): Application Protocol V1.1b3 §4.1. */
export const MAX_PDU_LENGTH = 253;
/** Largest Modbus TCP ADU: header + largest PDU. */
export const MAX_TCP_ADU_LENGTH = MBAP_HEADER_LENGTH + MAX_PDU_LENGTH;
/** The length field counts the unit identifier and the PDU: at least unit + function code. */
export const MIN_MBAP_LENGTH = 2;
export const MAX_MBAP_LENGTH = 1 + MAX_PDU_LENGTH;
export const MODBUS_PROTOCOL_ID = 0;

/** Verdicts of checkMbapHeader. */
export const MBAP_OK = 0;
/** Protocol identifier is not 0. */
export const MBAP_BAD_PROTOCOL = 1;
/** Length field below 2 (no room for unit + function code). */
export const MBAP_LENGTH_TOO_SHORT = 2;
/** Length field above 254: the ADU would exceed 260 bytes. */
export const MBAP_LENGTH_TOO_LONG = 3;

export const MBAP_VERDICT_NAMES: readonly string[] = Object.freeze(["ok", "protocol-not-0", "length-under-2", "adu-over-260"]);

export function mbapTransactionId(buffer: Uint8Array, offset: number): number {
  return (buffer[offset] << 8) | buffer[offset + 1];
}

export function mbapProtocolId(buffer: Uint8Array, offset: number): number {
  return (buffer[offset + 2] << 8) | buffer[offset + 3];
}

/** The length field: bytes after it (unit identifier + PDU). */
export function mbapLength(buffer: Uint8Array, offset: number): number {
  return (buffer[offset + 4] << 8) | buffer[offset + 5];
}

export function mbapUnit(buffer: Uint8Array, offset: number): number {
  return buffer[offset + 6];
}

/** Checks the 7 header bytes at `offset` (the caller has them all): MBAP_OK or the first rule broken. */
export function checkMbapHeader(buffer: Uint8Array, offset: number): number {
  if (mbapProtocolId(buffer, offset) !== MODBUS_PROTOCOL_ID) return MBAP_BAD_PROTOCOL;
  const n = mbapLength(buffer, offset);
  if (n < MIN_MBAP_LENGTH) return MBAP_LENGTH_TOO_SHORT;
  if (n > MAX_MBAP_LENGTH) return MBAP_LENGTH_TOO_LONG;
  return MBAP_OK;
}

/**
 * Writes an MBAP header for a PDU of `pduLength` bytes (1..253) at `offset`; the PDU itself goes at offset + 7.
 * Returns the whole ADU length (7 + pduLength). RangeError on a PDU length outside 1..253 (a programmer error).
 */
export function writeMbapHeader(buffer: Uint8Array, offset: number, transactionId: number, unit: number, pduLength: number): number {
  if (!(pduLength >= 1 && pduLength <= MAX_PDU_LENGTH)) throw new RangeError(`pduLength must be 1..${MAX_PDU_LENGTH}, got ${pduLength}`);
  buffer[offset] = (transactionId >> 8) & 0xff;
  buffer[offset + 1] = transactionId & 0xff;
  buffer[offset + 2] = 0;
  buffer[offset + 3] = 0;
  const n = pduLength + 1;
  buffer[offset + 4] = n >> 8;
  buffer[offset + 5] = n & 0xff;
  buffer[offset + 6] = unit & 0xff;
  return MBAP_HEADER_LENGTH + pduLength;
}
