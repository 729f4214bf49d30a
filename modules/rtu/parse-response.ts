/*
 * parseResponse: reads one response ADU (a master's view) from (buffer, offset, length) into a FrameView.
 *
 * Checks, in order: ADU size 4–256 (Modbus over Serial Line V1.02 §2.5.1), CRC (§2.5.1.2; skipped with PARSE_IGNORE_CRC,
 * the verdict is still in view.crcOk), exception responses (function | 0x80 + one code, Application Protocol V1.1b3 §7),
 * then the response layout of the function code (§6): fixed length, length from the byte count (which must be even and
 * non-zero for register data, non-zero for bits), the Diagnostics echo (§6.8) and the object list of Read Device
 * Identification (§6.21). Whether the response answers the request the master sent (unit, function, quantity) is the
 * master's check (see answersRequest in answers-request.ts). Never throws on wire data, never reads outside the window,
 * allocates nothing. Returns a FAULT_* code (0 = ok).
 */
import { crcMatches } from "./crc16";
import { checkWindow, getU16 } from "./adu";
import { FAULT_BAD_BYTE_COUNT, FAULT_BAD_LENGTH, FAULT_CRC, FAULT_NONE, FAULT_TOO_LONG, FAULT_TOO_SHORT, FAULT_UNKNOWN_FUNCTION, FAULT_UNSUPPORTED_MEI } from "./faults";
import { DIRECTION_RESPONSE, type FrameView } from "./frame-view";
import { EXCEPTION_FLAG, FUNCTION_KNOWN, MAX_ADU_LENGTH, MEI_READ_DEVICE_IDENTIFICATION, MIN_ADU_LENGTH, RESPONSE_COUNT_AT, RESPONSE_FIXED_LENGTH } from "./function-codes";
import { PARSE_IGNORE_CRC } from "./parse-request";

/** Exception response length: unit, function | 0x80, code, CRC (§7). */
const EXCEPTION_LENGTH = 5;
/** 2B/0E response: unit, fc, MEI, code, conformity, more follows, next object id, object count, then objects, CRC. */
const DEVICE_ID_HEADER = 8;

export function parseResponse(buffer: Uint8Array, offset: number, length: number, view: FrameView, flags: number = 0): number {
  checkWindow(buffer, offset, length);
  view.reset(buffer, offset, length, DIRECTION_RESPONSE);
  if (length < MIN_ADU_LENGTH) return FAULT_TOO_SHORT;
  if (length > MAX_ADU_LENGTH) return FAULT_TOO_LONG;
  const b = buffer;
  const o = offset;
  const fc = b[o + 1];
  view.unit = b[o];
  view.function = fc & 0x7f;
  view.crcOk = crcMatches(b, o, length);
  if (!view.crcOk && (flags & PARSE_IGNORE_CRC) === 0) return FAULT_CRC;

  if ((fc & EXCEPTION_FLAG) !== 0) {
    view.isException = true;
    if (length !== EXCEPTION_LENGTH) return length < EXCEPTION_LENGTH ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
    view.exception = b[o + 2];
    return FAULT_NONE;
  }
  if (FUNCTION_KNOWN[fc] === 0) return FAULT_UNKNOWN_FUNCTION;

  const fixed = RESPONSE_FIXED_LENGTH[fc];
  const countAt = RESPONSE_COUNT_AT[fc];
  if (fixed !== 0) {
    if (length !== fixed) return length < fixed ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
  } else if (countAt !== 0) {
    const count = b[o + countAt];
    if (length !== countAt + 3 + count) return length < countAt + 3 + count ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
    view.byteCount = count;
    view.dataOffset = o + countAt + 1;
    view.dataLength = count;
  }

  switch (fc) {
    case 0x01: case 0x02:
      if (view.byteCount === 0) return FAULT_BAD_BYTE_COUNT;
      break;
    case 0x03: case 0x04: case 0x17:
      if (view.byteCount === 0 || (view.byteCount & 1) !== 0) return FAULT_BAD_BYTE_COUNT;
      view.quantity = view.byteCount >> 1;
      break;
    case 0x05: case 0x06:
      view.address = getU16(b, o + 2);
      view.value = getU16(b, o + 4);
      break;
    case 0x0f: case 0x10:
      view.address = getU16(b, o + 2);
      view.quantity = getU16(b, o + 4);
      break;
    case 0x16:
      view.address = getU16(b, o + 2);
      view.andMask = getU16(b, o + 4);
      view.orMask = getU16(b, o + 6);
      break;
    case 0x07:
      view.status = b[o + 2];
      break;
    case 0x0b:
      view.status = getU16(b, o + 2);
      view.eventCount = getU16(b, o + 4);
      break;
    case 0x08: {
      if (length < 6) return FAULT_TOO_SHORT;
      const sub = getU16(b, o + 2);
      if (sub !== 0 && length !== 8) return length < 8 ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
      view.subFunction = sub;
      view.dataOffset = o + 4;
      view.dataLength = length - 6;
      if (length === 8) view.value = getU16(b, o + 4);
      break;
    }
    case 0x2b: {
      if (length < DEVICE_ID_HEADER + 2) return FAULT_TOO_SHORT;
      if (b[o + 2] !== MEI_READ_DEVICE_IDENTIFICATION) return FAULT_UNSUPPORTED_MEI;
      const count = b[o + 7];
      const end = o + length - 2;
      let p = o + DEVICE_ID_HEADER;
      for (let k = 0; k < count; k++) {
        if (p + 2 > end) return FAULT_BAD_LENGTH;
        p += 2 + b[p + 1];
      }
      if (p !== end) return FAULT_BAD_LENGTH;
      view.meiType = b[o + 2];
      view.readCode = b[o + 3];
      view.conformity = b[o + 4];
      view.moreFollows = b[o + 5];
      view.nextObjectId = b[o + 6];
      view.objectCount = count;
      view.dataOffset = o + DEVICE_ID_HEADER;
      view.dataLength = end - view.dataOffset;
      break;
    }
    default:
      break; // 11: byte count and data only.
  }
  return FAULT_NONE;
}
