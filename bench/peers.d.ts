declare module "modbus-serial/utils/crc16.js" { const crc16: (buffer: Uint8Array) => number; export default crc16; }
