// CRC-16/MODBUS: rc485's slice-by-8 against the plain byte-table loop and the CRC functions of the npm packages modbus-serial
// and crc. crc's calculator (crc/calculators/crc16modbus) takes any array of bytes, so it runs on XS too; its public wrapper
// (crc/crc16modbus) first copies the input into a Node Buffer, which XS does not have.
import crcCrc16Modbus from "crc/crc16modbus";
import crcCalculatorCrc16Modbus from "crc/calculators/crc16modbus";
import modbusSerialCrc16 from "modbus-serial/utils/crc16.js";
import { crc16 } from "../modules/rtu/crc16";
import type { Bench } from "./harness";

function frame(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + 11) & 0xff;
  return b;
}

const byteTable = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  byteTable[n] = c;
}
function byteTableCrc(b: Uint8Array, off: number, len: number): number {
  let c = 0xffff;
  for (let i = off; i < off + len; i++) c = (c >>> 8) ^ byteTable[(c ^ b[i]) & 0xff];
  return c;
}

const sizes = [8, 256];
export const benches: Bench[] = sizes.flatMap((n): Bench[] => [
  { group: `crc16 (${n}-byte frame)`, name: "rc485 slice-by-8", units: n, unitName: "byte", make: () => { const b = frame(n); return () => crc16(b, 0, n); } },
  { group: `crc16 (${n}-byte frame)`, name: "byte-table loop (baseline)", units: n, unitName: "byte", make: () => { const b = frame(n); return () => byteTableCrc(b, 0, n); } },
  { group: `crc16 (${n}-byte frame)`, name: "peer: modbus-serial utils/crc16", units: n, unitName: "byte", make: () => { const b = frame(n); return () => modbusSerialCrc16(b as any); } },
  { group: `crc16 (${n}-byte frame)`, name: "peer: crc calculators/crc16modbus (Uint8Array)", units: n, unitName: "byte", make: () => { const b = frame(n); return () => crcCalculatorCrc16Modbus(b); } },
  { group: `crc16 (${n}-byte frame)`, name: "peer: crc crc16modbus (Buffer wrapper)", units: n, unitName: "byte", nodeOnly: "copies into a Node Buffer", make: () => { const b = frame(n); return () => crcCrc16Modbus(b as any); } },
]);
