/* rc485 test declarations: the property identifiers mcconfig generates in mc.xs.h (numbers here are placeholders). */
#ifndef RC485_DECLS_MC_XS_H
#define RC485_DECLS_MC_XS_H
#include "xs.h"
enum {
	xsID_baud = 1, xsID_data, xsID_onError, xsID_onReadable, xsID_onTransmitted, xsID_onWritable, xsID_parity, xsID_port,
	xsID_receive, xsID_receiveTimeout, xsID_rts, xsID_rtsInverted, xsID_stop, xsID_transmit,
};
/* mcconfig also declares the host functions named in the modules' `@ "..."` clauses. */
void xs_uart_rs485_destructor(void *data);
void xs_uart_rs485_constructor(xsMachine *the);
void xs_uart_rs485_close(xsMachine *the);
void xs_uart_rs485_read(xsMachine *the);
void xs_uart_rs485_write(xsMachine *the);
void xs_uart_rs485_get_format(xsMachine *the);
void xs_uart_rs485_set_format(xsMachine *the);
void xs_uart_rs485_get_transmitted(xsMachine *the);
#endif
