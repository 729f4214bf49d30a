declare module "modbus-serial/utils/crc16.js" { const crc16: (buffer: Uint8Array) => number; export default crc16; }
declare module "reedsolomon" {
  export class GenericGF { static QR_CODE_FIELD_256(): GenericGF; }
  export class ReedSolomonEncoder { constructor(field: GenericGF); encode(message: Int32Array, ecBytes: number): void; }
  export class ReedSolomonDecoder { constructor(field: GenericGF); decode(received: Int32Array, twoS: number): void; }
  const pkg: { GenericGF: typeof GenericGF; ReedSolomonEncoder: typeof ReedSolomonEncoder; ReedSolomonDecoder: typeof ReedSolomonDecoder };
  export default pkg;
}
