/*
 * writeFrame: encodes a FrameView (as filled by parseRequest/parseResponse, or set by hand) back into an ADU at
 * (buffer, offset) and returns its length. It writes exactly the fields the view's function uses (see frame-view.ts),
 * copies the data bytes from view.buffer, and appends a fresh CRC. Unlike the builders it enforces no quantity limits, so
 * any frame a parser accepted re-encodes to the same bytes: this is what a forwarder (gateway, repeater) and the
 * round-trip tests use. Layouts: MODBUS Application Protocol V1.1b3 §6 and §7. Allocates nothing.
 */
import { checkSpace, copyBytes, finish, putU16 } from "./adu";
import { DIRECTION_REQUEST, DIRECTION_RESPONSE, type FrameView } from "./frame-view";
import { EXCEPTION_FLAG } from "./function-codes";

/** Bytes written before the data for each function, request and response (rules as data, indexed by function code). */
const REQUEST_HEADER = new Uint8Array(256);
const RESPONSE_HEADER = new Uint8Array(256);
for (const [fc, req, res] of [
  [0x01, 6, 3], [0x02, 6, 3], [0x03, 6, 3], [0x04, 6, 3], [0x05, 6, 6], [0x06, 6, 6], [0x07, 2, 3], [0x08, 4, 4],
  [0x0b, 2, 6], [0x0f, 7, 6], [0x10, 7, 6], [0x11, 2, 3], [0x16, 8, 8], [0x17, 11, 3], [0x2b, 5, 8],
]) {
  REQUEST_HEADER[fc] = req;
  RESPONSE_HEADER[fc] = res;
}

export function writeFrame(buffer: Uint8Array, offset: number, view: FrameView): number {
  const b = buffer;
  const o = offset;
  const fc = view.function;
  if (view.direction === DIRECTION_RESPONSE && view.isException) {
    checkSpace(b, o, 5);
    b[o] = view.unit;
    b[o + 1] = fc | EXCEPTION_FLAG;
    b[o + 2] = view.exception;
    return finish(b, o, o + 3);
  }
  const request = view.direction === DIRECTION_REQUEST;
  if (!request && view.direction !== DIRECTION_RESPONSE) throw new RangeError(`view.direction must be 1 (request) or 2 (response), got ${view.direction}`);
  const header = request ? REQUEST_HEADER[fc] : RESPONSE_HEADER[fc];
  if (header === 0) throw new RangeError(`view.function must be a function code rc485 knows, got ${fc}`);
  checkSpace(b, o, header + view.dataLength + 2);
  copyBytes(b, o + header, view.buffer, view.dataOffset, view.dataLength);
  b[o] = view.unit;
  b[o + 1] = fc;
  if (request) {
    switch (fc) {
      case 0x01: case 0x02: case 0x03: case 0x04:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.quantity);
        break;
      case 0x0f: case 0x10:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.quantity);
        b[o + 6] = view.byteCount;
        break;
      case 0x05: case 0x06:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.value);
        break;
      case 0x16:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.andMask);
        putU16(b, o + 6, view.orMask);
        break;
      case 0x17:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.quantity);
        putU16(b, o + 6, view.writeAddress);
        putU16(b, o + 8, view.writeQuantity);
        b[o + 10] = view.byteCount;
        break;
      case 0x08:
        putU16(b, o + 2, view.subFunction);
        break;
      case 0x2b:
        b[o + 2] = view.meiType;
        b[o + 3] = view.readCode;
        b[o + 4] = view.objectId;
        break;
      default:
        break;
    }
  } else {
    switch (fc) {
      case 0x01: case 0x02: case 0x03: case 0x04: case 0x11: case 0x17:
        b[o + 2] = view.byteCount;
        break;
      case 0x05: case 0x06:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.value);
        break;
      case 0x0f: case 0x10:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.quantity);
        break;
      case 0x16:
        putU16(b, o + 2, view.address);
        putU16(b, o + 4, view.andMask);
        putU16(b, o + 6, view.orMask);
        break;
      case 0x07:
        b[o + 2] = view.status;
        break;
      case 0x0b:
        putU16(b, o + 2, view.status);
        putU16(b, o + 4, view.eventCount);
        break;
      case 0x08:
        putU16(b, o + 2, view.subFunction);
        break;
      case 0x2b:
        b[o + 2] = view.meiType;
        b[o + 3] = view.readCode;
        b[o + 4] = view.conformity;
        b[o + 5] = view.moreFollows;
        b[o + 6] = view.nextObjectId;
        b[o + 7] = view.objectCount;
        break;
      default:
        break;
    }
  }
  return finish(b, o, o + header + view.dataLength);
}
