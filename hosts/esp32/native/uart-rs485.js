/*
 * rc485/uart-rs485: an ECMA-419-style serial IO class for the ESP32 UART with the framing and RS-485 options the SDK's
 * embedded:io/serial does not have (parity, two stop bits, driver enable on RTS). Native side: uart-rs485.c; how the
 * firmware uses it: hosts/esp32/serial-port.ts; options and wiring: docs/esp32.md.
 *
 * new UartRs485({ port, transmit, receive, rts?, baud, parity?, stop?, data?, receiveTimeout?, rtsInverted?, format,
 *                 onReadable, onWritable?, onTransmitted?, onError? })
 *   read(buffer) -> count moved, or undefined when nothing is buffered
 *   write(buffer) -> the whole view is queued, or throws "output full"
 *   transmitted   -> true when the transmitter is idle (last stop bit gone)
 *   close()
 */

class UartRs485 @ "xs_uart_rs485_destructor" {
	constructor(options) @ "xs_uart_rs485_constructor";
	close() @ "xs_uart_rs485_close";
	read() @ "xs_uart_rs485_read";
	write() @ "xs_uart_rs485_write";
	get format() @ "xs_uart_rs485_get_format";
	set format(value) @ "xs_uart_rs485_set_format";
	get transmitted() @ "xs_uart_rs485_get_transmitted";
}

export default UartRs485;
