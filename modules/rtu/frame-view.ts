/*
 * FrameView: the fields of one parsed RTU frame, filled in place by parseRequest / parseResponse (no allocation per
 * frame). A view refers to the caller's buffer; data fields (register values, packed bits, objects) are read from that
 * buffer through `dataOffset`/`dataLength` or the register()/bit() accessors, so a view is valid until the caller
 * reuses the buffer.
 *
 * Which fields a function fills (MODBUS Application Protocol Specification V1.1b3 §6; unused fields are 0):
 *   01/02/03/04 request   address, quantity
 *   01/02 response        byteCount, data = packed bits (bit 0 of the first byte is the first coil, §6.1)
 *   03/04/17 response     byteCount, quantity = byteCount / 2, data = big-endian registers
 *   05/06 both            address, value (05: 0xFF00 ON, 0x0000 OFF)
 *   07 response           status (the exception status byte)
 *   08 both               subFunction, data (value = the 16-bit data word when there are exactly 2 data bytes)
 *   0B response           status, eventCount
 *   0F/10 request         address, quantity, byteCount, data;   response: address, quantity
 *   11 response           byteCount, data (server id, run indicator, device specific bytes)
 *   16 both               address, andMask, orMask
 *   17 request            address/quantity (read), writeAddress/writeQuantity, byteCount, data (registers to write)
 *   2B/0E request         meiType, readCode, objectId
 *   2B/0E response        meiType, readCode, conformity, moreFollows, nextObjectId, objectCount, data = objects
 *                         (each: id, length, value bytes)
 *   exception response    isException, function (without bit 7), exception (the code as received; 01–0B defined)
 */

export const DIRECTION_NONE = 0;
export const DIRECTION_REQUEST = 1;
export const DIRECTION_RESPONSE = 2;

const EMPTY = new Uint8Array(0);

export class FrameView {
  /** The buffer last parsed; data fields index into it. */
  buffer: Uint8Array = EMPTY;
  /** Where the ADU starts in `buffer` and its length (unit through CRC). */
  offset = 0;
  length = 0;
  /** DIRECTION_REQUEST or DIRECTION_RESPONSE: which parser filled the view. */
  direction = DIRECTION_NONE;
  unit = 0;
  /** Function code, without the exception bit. */
  function = 0;
  /** True for an exception response (function code with bit 7 set). */
  isException = false;
  /** Exception code of an exception response, else 0. */
  exception = 0;
  /** Whether the CRC matched (always true after a successful parse without PARSE_IGNORE_CRC). */
  crcOk = false;
  address = 0;
  quantity = 0;
  value = 0;
  andMask = 0;
  orMask = 0;
  writeAddress = 0;
  writeQuantity = 0;
  byteCount = 0;
  /** Absolute offset in `buffer` and length of the data bytes (registers, packed bits, diagnostic data, objects). */
  dataOffset = 0;
  dataLength = 0;
  subFunction = 0;
  meiType = 0;
  readCode = 0;
  objectId = 0;
  conformity = 0;
  moreFollows = 0;
  nextObjectId = 0;
  objectCount = 0;
  status = 0;
  eventCount = 0;

  /** Clears every field and points the view at a new frame. */
  reset(buffer: Uint8Array, offset: number, length: number, direction: number): void {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    this.direction = direction;
    this.unit = 0;
    this.function = 0;
    this.isException = false;
    this.exception = 0;
    this.crcOk = false;
    this.address = 0;
    this.quantity = 0;
    this.value = 0;
    this.andMask = 0;
    this.orMask = 0;
    this.writeAddress = 0;
    this.writeQuantity = 0;
    this.byteCount = 0;
    this.dataOffset = 0;
    this.dataLength = 0;
    this.subFunction = 0;
    this.meiType = 0;
    this.readCode = 0;
    this.objectId = 0;
    this.conformity = 0;
    this.moreFollows = 0;
    this.nextObjectId = 0;
    this.objectCount = 0;
    this.status = 0;
    this.eventCount = 0;
  }

  /** Register `i` (0-based) of the data, big-endian; 0 outside the data. */
  register(i: number): number {
    const p = 2 * i;
    if (i < 0 || p + 1 >= this.dataLength) return 0;
    const b = this.buffer;
    const at = this.dataOffset + p;
    return (b[at] << 8) | b[at + 1];
  }

  /** Bit `i` (0-based) of packed bit data (0 or 1); 0 outside the data. */
  bit(i: number): number {
    if (i < 0 || i >> 3 >= this.dataLength) return 0;
    return (this.buffer[this.dataOffset + (i >> 3)] >> (i & 7)) & 1;
  }

  /** Data byte `i`; 0 outside the data. */
  dataByte(i: number): number {
    return i >= 0 && i < this.dataLength ? this.buffer[this.dataOffset + i] : 0;
  }
}
