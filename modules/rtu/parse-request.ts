/*
 * parseRequest: reads one request ADU (a slave's view) from (buffer, offset, length) into a FrameView.
 *
 * Checks, in order: ADU size 4–256 (Modbus over Serial Line V1.02 §2.5.1), CRC (§2.5.1.2; skipped with PARSE_IGNORE_CRC,
 * the verdict is still in view.crcOk), then the request layout of the function code (MODBUS Application Protocol V1.1b3
 * §6): fixed length, or length from the byte count. It checks the frame's shape only: quantities, values and address
 * ranges are the slave's judgement (judge-request.ts), because the spec answers those with exceptions 02/03, not silence.
 * Never throws on wire data, never reads outside the window, allocates nothing. Returns a FAULT_* code (0 = ok).
 */
import { crcMatches } from "./crc16";
import { checkWindow, getU16 } from "./adu";
import { FAULT_BAD_LENGTH, FAULT_CRC, FAULT_NONE, FAULT_TOO_LONG, FAULT_TOO_SHORT, FAULT_UNKNOWN_FUNCTION, FAULT_UNSUPPORTED_MEI } from "./faults";
import { DIRECTION_REQUEST, type FrameView } from "./frame-view";
import { FUNCTION_KNOWN, MAX_ADU_LENGTH, MEI_READ_DEVICE_IDENTIFICATION, MIN_ADU_LENGTH, REQUEST_COUNT_AT, REQUEST_FIXED_LENGTH } from "./function-codes";

/** Flag for the parsers: report the CRC verdict in view.crcOk but parse the fields anyway (for inspection tools). */
export const PARSE_IGNORE_CRC = 1;

export function parseRequest(buffer: Uint8Array, offset: number, length: number, view: FrameView, flags: number = 0): number {
  checkWindow(buffer, offset, length);
  view.reset(buffer, offset, length, DIRECTION_REQUEST);
  if (length < MIN_ADU_LENGTH) return FAULT_TOO_SHORT;
  if (length > MAX_ADU_LENGTH) return FAULT_TOO_LONG;
  const b = buffer;
  const o = offset;
  const fc = b[o + 1];
  view.unit = b[o];
  view.function = fc;
  view.crcOk = crcMatches(b, o, length);
  if (!view.crcOk && (flags & PARSE_IGNORE_CRC) === 0) return FAULT_CRC;
  if (FUNCTION_KNOWN[fc] === 0) return FAULT_UNKNOWN_FUNCTION;

  const fixed = REQUEST_FIXED_LENGTH[fc];
  const countAt = REQUEST_COUNT_AT[fc];
  if (fixed !== 0) {
    if (length !== fixed) return length < fixed ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
  } else if (countAt !== 0) {
    if (length < countAt + 3) return FAULT_TOO_SHORT;
    const count = b[o + countAt];
    if (length !== countAt + 3 + count) return length < countAt + 3 + count ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
    view.byteCount = count;
    view.dataOffset = o + countAt + 1;
    view.dataLength = count;
  }

  switch (fc) {
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x0f: case 0x10:
      view.address = getU16(b, o + 2);
      view.quantity = getU16(b, o + 4);
      break;
    case 0x05: case 0x06:
      view.address = getU16(b, o + 2);
      view.value = getU16(b, o + 4);
      break;
    case 0x16:
      view.address = getU16(b, o + 2);
      view.andMask = getU16(b, o + 4);
      view.orMask = getU16(b, o + 6);
      break;
    case 0x17:
      view.address = getU16(b, o + 2);
      view.quantity = getU16(b, o + 4);
      view.writeAddress = getU16(b, o + 6);
      view.writeQuantity = getU16(b, o + 8);
      break;
    case 0x08: {
      // §6.8: sub-function (2 bytes) + data; 00 echoes any number of bytes, every other sub-function carries 2.
      if (length < 6) return FAULT_TOO_SHORT;
      const sub = getU16(b, o + 2);
      if (sub !== 0 && length !== 8) return length < 8 ? FAULT_TOO_SHORT : FAULT_BAD_LENGTH;
      view.subFunction = sub;
      view.dataOffset = o + 4;
      view.dataLength = length - 6;
      if (length === 8) view.value = getU16(b, o + 4);
      break;
    }
    case 0x2b:
      // §6.21: MEI type 0E, Read Device ID code, Object Id.
      if (b[o + 2] !== MEI_READ_DEVICE_IDENTIFICATION) return FAULT_UNSUPPORTED_MEI;
      view.meiType = b[o + 2];
      view.readCode = b[o + 3];
      view.objectId = b[o + 4];
      break;
    default:
      break; // 07, 0B, 11: function code only.
  }
  return FAULT_NONE;
}
