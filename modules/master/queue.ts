/*
 * The master's request queue: a ring of preallocated slots, each holding one complete request ADU (unit, PDU, CRC-16:
 * Modbus over Serial Line V1.02 §2.5.1) plus the caller's tag and the expected reply length. Requests are built straight
 * into their slot, so queueing allocates nothing; a full ring refuses with a code (never an exception). The slot at the
 * head is the transaction in progress: it stays in place (the host transmits from it) until the transaction ends.
 */
import { appendCrc } from "../rtu/crc16";
import { MAX_ADU, MAX_UNIT } from "./config";
import { expectedReplyLength } from "./reply-length";
import { SUBMIT_BAD_BROADCAST, SUBMIT_BAD_REQUEST, SUBMIT_BAD_UNIT, SUBMIT_OK, SUBMIT_QUEUE_FULL } from "./status";

/** Quantity limits of the read functions (MODBUS Application Protocol V1.1b3 §6.1-6.4), indexed by function code. */
const READ_MAX = new Uint16Array(256);
READ_MAX[0x01] = 2000;
READ_MAX[0x02] = 2000;
READ_MAX[0x03] = 125;
READ_MAX[0x04] = 125;

export class MasterQueue {
  readonly capacity: number;
  /** capacity × MAX_ADU bytes; slot i's ADU starts at i × MAX_ADU. */
  readonly adu: Uint8Array;
  readonly length: Int16Array;
  readonly expected: Int16Array;
  readonly tag: Float64Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.adu = new Uint8Array(capacity * MAX_ADU);
    this.length = new Int16Array(capacity);
    this.expected = new Int16Array(capacity);
    this.tag = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Slot index of the oldest request (valid when size > 0). */
  get first(): number {
    return this.head;
  }

  /** Releases the oldest request. */
  shift(): void {
    if (this.count === 0) return;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
  }

  /** Drops every queued request (the one in progress included). */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private tail(): number {
    const i = this.head + this.count;
    return i >= this.capacity ? i - this.capacity : i;
  }

  private commit(slot: number, pduLength: number, tag: number): number {
    const base = slot * MAX_ADU;
    const n = appendCrc(this.adu, base, 1 + pduLength);
    this.length[slot] = n;
    this.expected[slot] = expectedReplyLength(this.adu, base, n);
    this.tag[slot] = tag;
    this.count++;
    return SUBMIT_OK;
  }

  /** Writes unit, function code and two big-endian words (the common head of 03/04/05/06/10 requests) into the next slot. */
  private header(unit: number, functionCode: number, first: number, second: number): number {
    const slot = this.tail();
    const base = slot * MAX_ADU;
    const a = this.adu;
    a[base] = unit;
    a[base + 1] = functionCode;
    a[base + 2] = first >> 8;
    a[base + 3] = first & 0xff;
    a[base + 4] = second >> 8;
    a[base + 5] = second & 0xff;
    return slot;
  }

  private check(unit: number): number {
    if (this.count === this.capacity) return SUBMIT_QUEUE_FULL;
    if (!(unit >= 0 && unit <= MAX_UNIT && (unit | 0) === unit)) return SUBMIT_BAD_UNIT;
    return SUBMIT_OK;
  }

  /** Queues the PDU `pdu[offset, offset+length)` (function code + data, 1..253 bytes) for `unit` (0 = broadcast). */
  pushPdu(unit: number, pdu: Uint8Array, offset: number, length: number, tag: number): number {
    const c = this.check(unit);
    if (c !== SUBMIT_OK) return c;
    if (!(length >= 1 && length <= MAX_ADU - 3) || offset < 0 || offset + length > pdu.length) return SUBMIT_BAD_REQUEST;
    const slot = this.tail();
    const base = slot * MAX_ADU;
    this.adu[base] = unit;
    for (let i = 0; i < length; i++) this.adu[base + 1 + i] = pdu[offset + i];
    return this.commit(slot, length, tag);
  }

  /** Queues a read (01, 02, 03, 04) of `quantity` items from `address`. */
  pushRead(unit: number, functionCode: number, address: number, quantity: number, tag: number): number {
    const c = this.check(unit);
    if (c !== SUBMIT_OK) return c;
    if (unit === 0) return SUBMIT_BAD_BROADCAST;
    const max = READ_MAX[functionCode & 0xff];
    if (max === 0 || functionCode !== (functionCode & 0xff) || !(quantity >= 1 && quantity <= max) || (quantity | 0) !== quantity ||
      !(address >= 0 && address + quantity <= 0x10000) || (address | 0) !== address) return SUBMIT_BAD_REQUEST;
    return this.commit(this.header(unit, functionCode, address, quantity), 5, tag);
  }

  /** Queues a single write: 05 (value 0xFF00 on / 0x0000 off) or 06 (any 16-bit value). */
  pushWriteSingle(unit: number, functionCode: number, address: number, value: number, tag: number): number {
    const c = this.check(unit);
    if (c !== SUBMIT_OK) return c;
    if ((functionCode !== 0x05 && functionCode !== 0x06) || !(address >= 0 && address <= 0xffff) || (address | 0) !== address ||
      !(value >= 0 && value <= 0xffff) || (value | 0) !== value || (functionCode === 0x05 && value !== 0xff00 && value !== 0)) return SUBMIT_BAD_REQUEST;
    return this.commit(this.header(unit, functionCode, address, value), 5, tag);
  }

  /** Queues a 10 (Write Multiple Registers) of `count` (1..123) values from `values[offset]`. */
  pushWriteRegisters(unit: number, address: number, values: Uint16Array, offset: number, count: number, tag: number): number {
    const c = this.check(unit);
    if (c !== SUBMIT_OK) return c;
    if (!(count >= 1 && count <= 123) || (count | 0) !== count || offset < 0 || offset + count > values.length ||
      !(address >= 0 && address + count <= 0x10000) || (address | 0) !== address) return SUBMIT_BAD_REQUEST;
    const slot = this.header(unit, 0x10, address, count);
    const base = slot * MAX_ADU;
    const a = this.adu;
    a[base + 6] = 2 * count;
    for (let i = 0; i < count; i++) {
      const v = values[offset + i];
      a[base + 7 + 2 * i] = v >> 8;
      a[base + 8 + 2 * i] = v & 0xff;
    }
    return this.commit(slot, 6 + 2 * count, tag);
  }
}
