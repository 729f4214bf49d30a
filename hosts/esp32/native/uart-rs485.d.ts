/*
 * Types of rc485's native ESP32 UART class (uart-rs485.js / uart-rs485.c): the ECMA-419 serial surface rc485 uses plus
 * parity, stop bits, the RX timeout and RS-485 driver enable on RTS. hosts/esp32/io.ts (UartRs485Options) documents each option.
 */
declare module "rc485/uart-rs485" {
  export interface UartRs485Options {
    port: number;
    receive: number;
    transmit: number;
    rts?: number;
    rtsInverted?: boolean;
    baud: number;
    parity?: "none" | "even" | "odd";
    stop?: 1 | 2;
    data?: 8;
    receiveTimeout?: number;
    format: "buffer";
    onReadable: (this: UartRs485, count: number) => void;
    onWritable?: (this: UartRs485, count: number) => void;
    onTransmitted?: (this: UartRs485) => void;
    onError?: (this: UartRs485, errors: number) => void;
  }
  export default class UartRs485 {
    constructor(options: UartRs485Options);
    read(buffer: ArrayBufferView): number | undefined;
    write(buffer: ArrayBufferView): void;
    close(): void;
    get format(): "buffer";
    set format(value: "buffer");
    readonly transmitted: boolean;
  }
}
