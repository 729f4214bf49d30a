/*
 * The on-storage format of the store-and-forward ring (modules/forwarding/ring.ts; docs/mqtt.md "Ring format"), the same
 * bytes in RAM, in the Node host's ring file and in the ESP32's flash partition.
 *
 * Theory of operation. The storage is a row of equal blocks (a flash sector, 4096 bytes on the ESP32). A block is erased
 * to 0xFF and then only appended to, so flash never rewrites a byte: a block header, then records back to back, then
 * 0xFF up to the block's end. Every multi-byte field is little-endian.
 *
 *   block header (12 bytes)   0 'R' 0x52 · 1 '4' 0x34 · 2 format version (1) · 3 reserved 0 · 4..7 generation (u32,
 *                             1, 2, 3 … in the order blocks were opened) · 8..9 layout id (u16: which site layout the
 *                             records belong to) · 10..11 CRC-16 of bytes 0..9
 *   reading record (19 + 8n)  0 kind 0x01 · 1..2 length · 3..6 seq (u32) · 7..8 meter index · 9..16 epoch ms (Float64)
 *                             · 17.. n values (Float64, engineering units, NaN = not available) · last 2: CRC-16
 *   ack record (9 bytes)      0 kind 0x02 · 1..2 length (9) · 3..6 seq: every reading up to it was acknowledged · 7..8 CRC
 *
 * The CRC is CRC-16/MODBUS (modules/rtu/crc16.ts) over the record's bytes before it. A record cut short by a crash (a torn
 * write: its first bytes written, the rest still 0xFF, or garbage after a power cut) fails its length or CRC check; the
 * reader then stops reading that block (nothing can follow a torn record: it was the last write) and goes on with the next.
 * A kind byte of 0xFF is the end of a block's records. A block whose header is invalid is free; one with another format
 * version or layout id is foreign: its records are not replayed, and it is erased when its turn comes.
 */
import { crc16 } from "../rtu/crc16";

export const RING_FORMAT_VERSION = 1;
export const BLOCK_HEADER_BYTES = 12;
export const KIND_READING = 0x01;
export const KIND_ACK = 0x02;
export const KIND_ERASED = 0xff;
/** Reading record bytes before the values. */
export const READING_HEADER_BYTES = 17;
export const ACK_RECORD_BYTES = 9;

/** Bytes of a reading record with `points` values. */
export function readingRecordBytes(points: number): number {
  return READING_HEADER_BYTES + 8 * points + 2;
}

/** Block header states. */
export const BLOCK_FREE = 0;
export const BLOCK_OURS = 1;
export const BLOCK_FOREIGN = 2;

/** Writes a block header into `b` (12 bytes at 0). */
export function encodeBlockHeader(b: Uint8Array, generation: number, layoutId: number): void {
  b[0] = 0x52; b[1] = 0x34; b[2] = RING_FORMAT_VERSION; b[3] = 0;
  putU32(b, 4, generation);
  b[8] = layoutId & 0xff; b[9] = (layoutId >>> 8) & 0xff;
  const c = crc16(b, 0, 10);
  b[10] = c & 0xff; b[11] = c >>> 8;
}

/** Checks the header in `b` (12 bytes at 0): BLOCK_FREE, BLOCK_OURS (same version and layout) or BLOCK_FOREIGN. */
export function blockHeaderState(b: Uint8Array, layoutId: number): number {
  if (b[0] !== 0x52 || b[1] !== 0x34) return BLOCK_FREE;
  const c = crc16(b, 0, 10);
  if (b[10] !== (c & 0xff) || b[11] !== c >>> 8) return BLOCK_FREE;
  if (b[2] !== RING_FORMAT_VERSION || (b[8] | (b[9] << 8)) !== (layoutId & 0xffff)) return BLOCK_FOREIGN;
  return BLOCK_OURS;
}

export function blockGeneration(b: Uint8Array): number {
  return getU32(b, 4);
}

/** Seals a record of `length` bytes already in `b` from 0 (kind, fields): writes the length and the CRC. */
export function sealRecord(b: Uint8Array, length: number): void {
  b[1] = length & 0xff; b[2] = length >>> 8;
  const c = crc16(b, 0, length - 2);
  b[length - 2] = c & 0xff; b[length - 1] = c >>> 8;
}

/** The record length from its first 3 bytes, or 0 when the kind or the length is not a valid record's. */
export function recordLength(b: Uint8Array, maxPoints: number): number {
  const kind = b[0];
  const len = b[1] | (b[2] << 8);
  if (kind === KIND_ACK) return len === ACK_RECORD_BYTES ? len : 0;
  if (kind === KIND_READING) return len >= readingRecordBytes(0) && len <= readingRecordBytes(maxPoints) && (len - readingRecordBytes(0)) % 8 === 0 ? len : 0;
  return 0;
}

/** Whether the whole record of `length` bytes in `b` passes its CRC. */
export function recordIntact(b: Uint8Array, length: number): boolean {
  const c = crc16(b, 0, length - 2);
  return b[length - 2] === (c & 0xff) && b[length - 1] === c >>> 8;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff; b[at + 1] = (v >>> 8) & 0xff; b[at + 2] = (v >>> 16) & 0xff; b[at + 3] = (v >>> 24) & 0xff;
}

export function getU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}
