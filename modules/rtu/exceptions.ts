/*
 * Modbus exception codes and their names (MODBUS Application Protocol Specification V1.1b3 §7). An exception response is
 * unit + (function | 0x80) + one exception code + CRC. The names are data, indexed by code.
 */
export const EX_ILLEGAL_FUNCTION = 0x01;
export const EX_ILLEGAL_DATA_ADDRESS = 0x02;
export const EX_ILLEGAL_DATA_VALUE = 0x03;
export const EX_SERVER_DEVICE_FAILURE = 0x04;
export const EX_ACKNOWLEDGE = 0x05;
export const EX_SERVER_DEVICE_BUSY = 0x06;
export const EX_NEGATIVE_ACKNOWLEDGE = 0x07;
export const EX_MEMORY_PARITY_ERROR = 0x08;
export const EX_GATEWAY_PATH_UNAVAILABLE = 0x0a;
export const EX_GATEWAY_TARGET_FAILED = 0x0b;

const NAMES: readonly string[] = Object.freeze([
  "",
  "Illegal Function",
  "Illegal Data Address",
  "Illegal Data Value",
  "Server Device Failure",
  "Acknowledge",
  "Server Device Busy",
  "Negative Acknowledge",
  "Memory Parity Error",
  "",
  "Gateway Path Unavailable",
  "Gateway Target Device Failed to Respond",
]);

/** The spec's name of an exception code; "" for codes the spec does not define (00, 09, above 0B). */
export function exceptionName(code: number): string {
  return code >= 0 && code < NAMES.length ? NAMES[code] : "";
}
