/*
 * Modbus function codes rc485 speaks, and their rules as data.
 *
 * MODBUS Application Protocol Specification V1.1b3 §6 gives, per function code, the request and response PDU layout and the
 * quantity limits; Modbus over Serial Line V1.02 §2.5.1 wraps a PDU as ADU = unit (1) + PDU + CRC-16 (2), at most 256 bytes.
 * The tables below are indexed by function code (0..255) and hold, for the ADU on the wire:
 *
 *  - REQUEST_FIXED_LENGTH / RESPONSE_FIXED_LENGTH: the whole ADU length when the function code alone fixes it, else 0;
 *  - REQUEST_COUNT_AT / RESPONSE_COUNT_AT: for frames whose length follows from a byte-count field, the index of that byte
 *    inside the ADU (the ADU is then COUNT_AT + 1 + count + 2 bytes long), else 0;
 *  - QUANTITY_MIN / QUANTITY_MAX: the quantity limits the spec's state diagrams check before answering exception 03
 *    (§6.1 1–2000 bits, §6.3/§6.4 1–125 registers, §6.11 1–1968 coils, §6.12 1–123 registers, §6.17 read 1–125 / write 1–121);
 *  - DATA_TABLE: which of the four primary tables (§4.3) a function addresses, for address-range checks.
 *
 * Three functions need more than a table lookup: 08 (Diagnostics: the echo sub-function 00 carries any number of bytes),
 * 2B/0E (Read Device Identification: the response is a list of objects) and every response whose length is an echo of the
 * request. Those are handled in expected-length.ts and the parsers.
 *
 * The typed-array tables are built once at module top level (a Moddable preload freezes them into flash); engines read
 * them and never write them. (V8 refuses Object.freeze on a typed array with elements, so they are not frozen here.)
 */

export const FC_READ_COILS = 0x01;
export const FC_READ_DISCRETE_INPUTS = 0x02;
export const FC_READ_HOLDING_REGISTERS = 0x03;
export const FC_READ_INPUT_REGISTERS = 0x04;
export const FC_WRITE_SINGLE_COIL = 0x05;
export const FC_WRITE_SINGLE_REGISTER = 0x06;
export const FC_READ_EXCEPTION_STATUS = 0x07;
export const FC_DIAGNOSTICS = 0x08;
export const FC_GET_COMM_EVENT_COUNTER = 0x0b;
export const FC_WRITE_MULTIPLE_COILS = 0x0f;
export const FC_WRITE_MULTIPLE_REGISTERS = 0x10;
export const FC_REPORT_SERVER_ID = 0x11;
export const FC_MASK_WRITE_REGISTER = 0x16;
export const FC_READ_WRITE_MULTIPLE_REGISTERS = 0x17;
export const FC_ENCAPSULATED_INTERFACE = 0x2b;
/** MEI type of Read Device Identification inside function 2B (§6.21). */
export const MEI_READ_DEVICE_IDENTIFICATION = 0x0e;
/** Bit 7 of the function code marks an exception response (§7). */
export const EXCEPTION_FLAG = 0x80;

/** Largest ADU on a serial line (Modbus over Serial Line V1.02 §2.5.1). */
export const MAX_ADU_LENGTH = 256;
/** Smallest ADU: unit + function + CRC. */
export const MIN_ADU_LENGTH = 4;
/** Addresses: 0 broadcast, 1–247 devices, 248–255 reserved (Serial Line V1.02 §2.2). */
export const MAX_UNIT = 247;

/** Coils written by function 05 are ON with 0xFF00 and OFF with 0x0000; any other value is exception 03 (§6.5). */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;

// Diagnostics (08) sub-functions (§6.8.1).
export const DIAG_RETURN_QUERY_DATA = 0x00;
export const DIAG_RESTART_COMMUNICATIONS = 0x01;
export const DIAG_RETURN_DIAGNOSTIC_REGISTER = 0x02;
export const DIAG_CHANGE_ASCII_DELIMITER = 0x03;
export const DIAG_FORCE_LISTEN_ONLY = 0x04;
export const DIAG_CLEAR_COUNTERS = 0x0a;
export const DIAG_BUS_MESSAGE_COUNT = 0x0b;
export const DIAG_BUS_COMMUNICATION_ERROR_COUNT = 0x0c;
export const DIAG_BUS_EXCEPTION_ERROR_COUNT = 0x0d;
export const DIAG_SERVER_MESSAGE_COUNT = 0x0e;
export const DIAG_SERVER_NO_RESPONSE_COUNT = 0x0f;
export const DIAG_SERVER_NAK_COUNT = 0x10;
export const DIAG_SERVER_BUSY_COUNT = 0x11;
export const DIAG_BUS_CHARACTER_OVERRUN_COUNT = 0x12;
export const DIAG_CLEAR_OVERRUN_COUNTER = 0x14;

/** Primary tables (§4.3). */
export const TABLE_NONE = 0;
export const TABLE_COILS = 1;
export const TABLE_DISCRETE_INPUTS = 2;
export const TABLE_HOLDING_REGISTERS = 3;
export const TABLE_INPUT_REGISTERS = 4;

type Rule = readonly [fc: number, name: string, requestFixed: number, requestCountAt: number, responseFixed: number,
  responseCountAt: number, quantityMin: number, quantityMax: number, table: number];

// fc, name, request fixed ADU length, request byte-count index, response fixed ADU length, response byte-count index,
// quantity min, max, table. Lengths include unit and CRC. 0 = not fixed by the function code / no byte-count field.
const RULES: readonly Rule[] = [
  [0x01, "Read Coils", 8, 0, 0, 2, 1, 2000, TABLE_COILS], // §6.1
  [0x02, "Read Discrete Inputs", 8, 0, 0, 2, 1, 2000, TABLE_DISCRETE_INPUTS], // §6.2
  [0x03, "Read Holding Registers", 8, 0, 0, 2, 1, 125, TABLE_HOLDING_REGISTERS], // §6.3
  [0x04, "Read Input Registers", 8, 0, 0, 2, 1, 125, TABLE_INPUT_REGISTERS], // §6.4
  [0x05, "Write Single Coil", 8, 0, 8, 0, 1, 1, TABLE_COILS], // §6.5
  [0x06, "Write Single Register", 8, 0, 8, 0, 1, 1, TABLE_HOLDING_REGISTERS], // §6.6
  [0x07, "Read Exception Status", 4, 0, 5, 0, 0, 0, TABLE_NONE], // §6.7
  [0x08, "Diagnostics", 0, 0, 0, 0, 0, 0, TABLE_NONE], // §6.8 (length by sub-function)
  [0x0b, "Get Comm Event Counter", 4, 0, 8, 0, 0, 0, TABLE_NONE], // §6.9
  [0x0f, "Write Multiple Coils", 0, 6, 8, 0, 1, 1968, TABLE_COILS], // §6.11
  [0x10, "Write Multiple Registers", 0, 6, 8, 0, 1, 123, TABLE_HOLDING_REGISTERS], // §6.12
  [0x11, "Report Server ID", 4, 0, 0, 2, 0, 0, TABLE_NONE], // §6.13
  [0x16, "Mask Write Register", 10, 0, 10, 0, 1, 1, TABLE_HOLDING_REGISTERS], // §6.16
  [0x17, "Read/Write Multiple Registers", 0, 10, 0, 2, 1, 125, TABLE_HOLDING_REGISTERS], // §6.17 (read part; write below)
  [0x2b, "Read Device Identification", 7, 0, 0, 0, 0, 0, TABLE_NONE], // §6.21 (MEI type 0x0E only)
];

/** 17 (Read/Write Multiple Registers): the write quantity is 1–121 (§6.17). */
export const RW_WRITE_QUANTITY_MAX = 121;
/** Address + quantity may not pass the end of the 16-bit address space (state diagrams of §6). */
export const ADDRESS_SPACE = 0x10000;

function table(column: number): Int16Array {
  const t = new Int16Array(256);
  for (const r of RULES) t[r[0]] = r[column] as number;
  return t;
}

/** 1 for function codes rc485 knows, else 0. */
export const FUNCTION_KNOWN: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const r of RULES) t[r[0]] = 1;
  return t;
})();
export const REQUEST_FIXED_LENGTH = table(2);
export const REQUEST_COUNT_AT = table(3);
export const RESPONSE_FIXED_LENGTH = table(4);
export const RESPONSE_COUNT_AT = table(5);
export const QUANTITY_MIN = table(6);
export const QUANTITY_MAX = table(7);
export const DATA_TABLE = table(8);

const NAMES: string[] = [];
for (let i = 0; i < 256; i++) NAMES.push("");
for (const r of RULES) NAMES[r[0]] = r[1];
Object.freeze(NAMES);

/** The spec's name of a function code ("" when rc485 does not know it). */
export function functionName(fc: number): string {
  return NAMES[fc & 0xff];
}

const DIAG_NAMES: string[] = [];
for (let i = 0; i < 256; i++) DIAG_NAMES.push("");
for (const [k, v] of [
  [0x00, "Return Query Data"], [0x01, "Restart Communications Option"], [0x02, "Return Diagnostic Register"],
  [0x03, "Change ASCII Input Delimiter"], [0x04, "Force Listen Only Mode"], [0x0a, "Clear Counters and Diagnostic Register"],
  [0x0b, "Return Bus Message Count"], [0x0c, "Return Bus Communication Error Count"], [0x0d, "Return Bus Exception Error Count"],
  [0x0e, "Return Server Message Count"], [0x0f, "Return Server No Response Count"], [0x10, "Return Server NAK Count"],
  [0x11, "Return Server Busy Count"], [0x12, "Return Bus Character Overrun Count"], [0x14, "Clear Overrun Counter and Flag"],
] as const) DIAG_NAMES[k] = v;
Object.freeze(DIAG_NAMES);

/** 1 for the Diagnostics sub-functions of §6.8.1 (all carry exactly 2 data bytes except 00, which carries any number). */
export const DIAG_SUBFUNCTION_KNOWN: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) if (DIAG_NAMES[i] !== "") t[i] = 1;
  return t;
})();

/** The spec's name of a Diagnostics sub-function ("" when unknown or above 0xFF). */
export function diagnosticName(sub: number): string {
  return sub >= 0 && sub < 256 ? DIAG_NAMES[sub] : "";
}
