/*
 * rc485/uart-rs485 (native side): one ESP32 UART through the ESP-IDF UART driver (driver/uart.h, ESP-IDF v6.0, the
 * version the Moddable SDK builds with), exposed to XS as an ECMA-419-style serial class.
 *
 * Theory of operation:
 *  - The constructor checks the options, installs the ESP-IDF driver with an RX ring buffer (kRxBuffer) and a TX ring
 *    buffer (kTxBuffer, larger than the longest Modbus frame, so one write() takes a whole frame), sets the framing
 *    (8 data bits; parity none/even/odd; 1 or 2 stop bits), the pins, the RX timeout in character times, and, when an
 *    `rts` pin is given, UART_MODE_RS485_HALF_DUPLEX: the driver raises RTS (wired to the transceiver's DE and /RE) when
 *    it starts sending and drops it from its TX-done interrupt, after the last stop bit.
 *  - The driver reports receive events (data after the RX timeout or at the FIFO-full threshold, parity and framing
 *    errors, overflows) on a FreeRTOS queue. One small task per port waits on that queue and posts a one-byte message to
 *    the XS machine for each; the machine runs onReadable(count), onError(bits) or onTransmitted() in its own thread, never
 *    in an interrupt. Errors are reported before the data event that follows them (the driver queues them in that order).
 *  - write() copies the view into the TX ring buffer, or throws "output full" if it does not fit. With onTransmitted,
 *    the first write after an idle period also queues a request for the task, which blocks in uart_wait_tx_done() until
 *    the transmitter is idle (the driver's TX-done interrupt), waits again if more was written meanwhile, and then posts
 *    "transmitted" once (followed by onWritable with the free space). The `transmitted` getter asks the same thing
 *    without waiting (uart_wait_tx_done with a 0 timeout).
 *  - Lifetime: the record is shared by the JS object, the task and every message in flight; a reference count frees it
 *    when the last one lets go. close() (or the destructor) queues a stop request; the task deletes the driver (and its
 *    queue) and then itself, so nothing waits on a deleted queue.
 *  - Reopening (a bus scan closes the port and opens it at another baud or framing at once: hosts/esp32/serial-port.ts):
 *    the driver of the instance just closed may still be installed until its task has run, so the constructor waits,
 *    a tick at a time and at most kReopenWaitTicks, for a deletion of ours that is pending on that port before it
 *    refuses the port as in use.
 */

#include <stddef.h>
#include <stdint.h>

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"			// xsID_* values
#include "builtinCommon.h"

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "driver/uart.h"

#define kRxBuffer (1024)		// driver RX ring buffer, bytes (must exceed the 128-byte hardware FIFO)
#define kTxBuffer (512)			// driver TX ring buffer, bytes (two 256-byte Modbus ADUs)
#define kEventQueueLength (16)
#define kRxFullThreshold (120)	// RX FIFO level that hands bytes over without waiting for the timeout
#define kTaskStack (2560)
#define kTaskPriority (10)
#define kReopenWaitTicks (20)	// longest wait for a closed instance's driver deletion, FreeRTOS ticks

// Per UART: 1 from close() until the task has deleted the driver (written by the JS thread, cleared by the task).
static volatile uint8_t gDeleting[UART_NUM_MAX];

// Requests from the JS thread to the task, on the driver's event queue, beyond the driver's own event types.
#define kRequestTxDone ((int)UART_EVENT_MAX + 1)
#define kRequestStop ((int)UART_EVENT_MAX + 2)

// Messages from the task to the machine (first byte).
enum {
	kMessageReadable = 1,
	kMessageError = 2,
	kMessageTransmitted = 3
};

// onError(bits)
enum {
	kErrorParity = 1,
	kErrorFraming = 2,
	kErrorOverflow = 4
};

typedef struct UartRs485Record UartRs485Record;
typedef UartRs485Record *UartRs485;

struct UartRs485Record {
	xsSlot			obj;
	xsMachine		*the;
	xsSlot			*onReadable;
	xsSlot			*onWritable;
	xsSlot			*onTransmitted;
	xsSlot			*onError;
	QueueHandle_t	events;
	TaskHandle_t	task;
	int32_t			useCount;
	uint32_t		pendingErrors;		// kError* bits seen by the task, not yet delivered
	uint32_t		txRequested;		// a write happened since the task last started waiting for TX done
	uint32_t		txWaiting;			// a TX-done request is queued or being served
	uint32_t		transmit;
	uint32_t		receive;
	uint32_t		rts;
	uint8_t			port;
	uint8_t			format;
	uint8_t			closing;
};

void xs_uart_rs485_destructor(void *data);
static void xs_uart_rs485_mark(xsMachine *the, void *it, xsMarkRoot markRoot);
static void uartTask(void *arg);
static void uartDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength);

static const xsHostHooks ICACHE_RODATA_ATTR xsUartRs485Hooks = {
	xs_uart_rs485_destructor,
	xs_uart_rs485_mark,
	NULL
};

static void retain(UartRs485 u)
{
	__atomic_add_fetch(&u->useCount, 1, __ATOMIC_SEQ_CST);
}

/* Drops one reference; returns 1 when the record was freed. */
static int release(UartRs485 u)
{
	if (0 != __atomic_sub_fetch(&u->useCount, 1, __ATOMIC_SEQ_CST))
		return 0;
	c_free(u);
	return 1;
}

static uint32_t optionalPin(xsMachine *the, xsIdentifier id)
{
	if (!xsmcHas(xsArg(0), id))
		return (uint32_t)UART_PIN_NO_CHANGE;
	xsmcGet(xsVar(0), xsArg(0), id);
	return builtinGetPin(the, &xsVar(0));
}

static int optionalInteger(xsMachine *the, xsIdentifier id, int fallback)
{
	if (!xsmcHas(xsArg(0), id))
		return fallback;
	xsmcGet(xsVar(0), xsArg(0), id);
	return builtinGetSignedInteger(the, &xsVar(0));
}

static uart_parity_t parityOption(xsMachine *the)
{
	char name[8];

	if (!xsmcHas(xsArg(0), xsID_parity))
		return UART_PARITY_DISABLE;
	xsmcGet(xsVar(0), xsArg(0), xsID_parity);
	if (xsStringType != xsmcTypeOf(xsVar(0)))
		xsRangeError("invalid parity");
	xsmcToStringBuffer(xsVar(0), name, sizeof(name));
	if (0 == c_strcmp(name, "none"))
		return UART_PARITY_DISABLE;
	if (0 == c_strcmp(name, "even"))
		return UART_PARITY_EVEN;
	if (0 == c_strcmp(name, "odd"))
		return UART_PARITY_ODD;
	xsRangeError("invalid parity");
	return UART_PARITY_DISABLE;
}

void xs_uart_rs485_constructor(xsMachine *the)
{
	UartRs485 u;
	uart_config_t config;
	uint32_t transmit, receive, rts;
	int port, baud, stop, data, timeout, inverted;
	uart_parity_t parity;
	uint8_t format;
	xsSlot *onReadable, *onWritable, *onTransmitted, *onError;
	QueueHandle_t events = NULL;

	xsmcVars(1);

	port = optionalInteger(the, xsID_port, -1);
	if ((port < 1) || (port >= UART_NUM_MAX))
		xsRangeError("invalid port");		// UART0 is the console and the debugger

	transmit = optionalPin(the, xsID_transmit);
	receive = optionalPin(the, xsID_receive);
	rts = optionalPin(the, xsID_rts);
	if (((uint32_t)UART_PIN_NO_CHANGE == transmit) || ((uint32_t)UART_PIN_NO_CHANGE == receive))
		xsRangeError("transmit and receive pins required");
	if ((transmit == receive) || (rts == transmit) || (rts == receive))
		xsRangeError("pins must differ");
	if (!builtinIsPinFree(transmit) || !builtinIsPinFree(receive))
		xsUnknownError("in use");
	if (((uint32_t)UART_PIN_NO_CHANGE != rts) && !builtinIsPinFree(rts))
		xsUnknownError("in use");

	xsmcGet(xsVar(0), xsArg(0), xsID_baud);
	baud = xsmcToInteger(xsVar(0));
	if ((baud <= 0) || (baud > 5000000))
		xsRangeError("invalid baud");

	data = optionalInteger(the, xsID_data, 8);
	if (8 != data)
		xsRangeError("invalid data");		// Modbus RTU characters carry 8 data bits
	stop = optionalInteger(the, xsID_stop, 1);
	if ((1 != stop) && (2 != stop))
		xsRangeError("invalid stop");
	parity = parityOption(the);
	timeout = optionalInteger(the, xsID_receiveTimeout, 4);
	if ((timeout < 1) || (timeout > 126))
		xsRangeError("invalid receiveTimeout");		// uart_set_rx_timeout: 1..126 character times
	inverted = 0;
	if (xsmcHas(xsArg(0), xsID_rtsInverted)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_rtsInverted);
		inverted = xsmcTest(xsVar(0));
	}

	onReadable = builtinGetCallback(the, xsID_onReadable);
	onWritable = builtinGetCallback(the, xsID_onWritable);
	onTransmitted = builtinGetCallback(the, xsID_onTransmitted);
	onError = builtinGetCallback(the, xsID_onError);
	if (!onReadable)
		xsRangeError("onReadable required");

	builtinInitializeTarget(the);
	format = builtinInitializeFormat(the, kIOFormatBuffer);
	if (kIOFormatBuffer != format)
		xsRangeError("invalid format");

	for (int wait = 0; gDeleting[port] && (wait < kReopenWaitTicks); wait++)
		vTaskDelay(1);
	if (uart_is_driver_installed((uart_port_t)port))
		xsRangeError("port in use");

	u = c_malloc(sizeof(UartRs485Record));
	if (!u)
		xsRangeError("no memory");
	c_memset(u, 0, sizeof(UartRs485Record));

	if (ESP_OK != uart_driver_install((uart_port_t)port, kRxBuffer, kTxBuffer, kEventQueueLength, &events, 0)) {
		c_free(u);
		xsUnknownError("uart failed");
	}

	c_memset(&config, 0, sizeof(config));
	config.baud_rate = baud;
	config.data_bits = UART_DATA_8_BITS;
	config.parity = parity;
	config.stop_bits = (2 == stop) ? UART_STOP_BITS_2 : UART_STOP_BITS_1;
	config.flow_ctrl = UART_HW_FLOWCTRL_DISABLE;
	config.rx_flow_ctrl_thresh = 0;
	config.source_clk = UART_SCLK_DEFAULT;

	if ((ESP_OK != uart_param_config((uart_port_t)port, &config))
		|| (ESP_OK != uart_set_pin((uart_port_t)port, (int)transmit, (int)receive,
				((uint32_t)UART_PIN_NO_CHANGE == rts) ? UART_PIN_NO_CHANGE : (int)rts, UART_PIN_NO_CHANGE))
		|| (ESP_OK != uart_set_rx_timeout((uart_port_t)port, (uint8_t)timeout))
		|| (ESP_OK != uart_set_rx_full_threshold((uart_port_t)port, kRxFullThreshold))
		|| (inverted && (ESP_OK != uart_set_line_inverse((uart_port_t)port, UART_SIGNAL_RTS_INV)))
		|| (((uint32_t)UART_PIN_NO_CHANGE != rts) && (ESP_OK != uart_set_mode((uart_port_t)port, UART_MODE_RS485_HALF_DUPLEX)))) {
		uart_driver_delete((uart_port_t)port);
		c_free(u);
		xsUnknownError("uart failed");
	}

	u->obj = xsThis;
	u->the = the;
	u->onReadable = onReadable;
	u->onWritable = onWritable;
	u->onTransmitted = onTransmitted;
	u->onError = onError;
	u->events = events;
	u->port = (uint8_t)port;
	u->format = format;
	u->transmit = transmit;
	u->receive = receive;
	u->rts = rts;
	u->useCount = 2;		// the JS object and the task

	if (pdPASS != xTaskCreate(uartTask, "rc485uart", kTaskStack, u, kTaskPriority, &u->task)) {
		uart_driver_delete((uart_port_t)port);
		c_free(u);
		xsUnknownError("no task");
	}

	xsmcSetHostData(xsThis, u);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsUartRs485Hooks);
	xsRemember(u->obj);

	builtinUsePin(transmit);
	builtinUsePin(receive);
	if ((uint32_t)UART_PIN_NO_CHANGE != rts)
		builtinUsePin(rts);
}

void xs_uart_rs485_destructor(void *data)
{
	UartRs485 u = data;
	uart_event_t request;

	if (!u)
		return;

	u->closing = 1;
	gDeleting[u->port] = 1;
	builtinFreePin(u->transmit);
	builtinFreePin(u->receive);
	if ((uint32_t)UART_PIN_NO_CHANGE != u->rts)
		builtinFreePin(u->rts);

	// The task deletes the driver and drops its own reference when it reads this request.
	c_memset(&request, 0, sizeof(request));
	request.type = (uart_event_type_t)kRequestStop;
	xQueueSend(u->events, &request, portMAX_DELAY);

	release(u);
}

void xs_uart_rs485_close(xsMachine *the)
{
	UartRs485 u = xsmcGetHostData(xsThis);
	if (u && xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks)) {
		xsForget(u->obj);
		xsmcSetHostData(xsThis, NULL);
		xsmcSetHostDestructor(xsThis, NULL);
		xs_uart_rs485_destructor(u);
	}
}

void xs_uart_rs485_get_format(xsMachine *the)
{
	UartRs485 u = xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks);
	builtinGetFormat(the, u->format);
}

void xs_uart_rs485_set_format(xsMachine *the)
{
	UartRs485 u = xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks);
	uint8_t format = builtinSetFormat(the);
	if (kIOFormatBuffer != format)
		xsRangeError("unimplemented");
	u->format = format;
}

/* read(buffer): moves min(buffer.byteLength, buffered) bytes, returns that count; undefined when nothing is buffered. */
void xs_uart_rs485_read(xsMachine *the)
{
	UartRs485 u = xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks);
	size_t available = 0;
	void *buffer;
	xsUnsignedValue byteLength;
	int count;

	if ((xsmcArgc < 1) || (xsReferenceType != xsmcTypeOf(xsArg(0))))
		xsTypeError("read(buffer) only");

	if ((ESP_OK != uart_get_buffered_data_len((uart_port_t)u->port, &available)) || (0 == available))
		return;

	xsmcGetBufferWritable(xsArg(0), &buffer, &byteLength);
	if (available > byteLength)
		available = byteLength;
	if (0 == available)
		return;

	count = uart_read_bytes((uart_port_t)u->port, buffer, (uint32_t)available, 0);
	if (count < 0)
		xsUnknownError("read failed");
	xsmcSetInteger(xsResult, count);
}

/* write(buffer): queues the whole view in the TX ring buffer, or throws "output full". */
void xs_uart_rs485_write(xsMachine *the)
{
	UartRs485 u = xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks);
	size_t room = 0;
	void *buffer;
	xsUnsignedValue requested;
	uart_event_t request;

	xsmcGetBufferReadable(xsArg(0), &buffer, &requested);
	if (0 == requested)
		return;
	if ((ESP_OK != uart_get_tx_buffer_free_size((uart_port_t)u->port, &room)) || (requested > room))
		xsUnknownError("output full");
	if ((int)requested != uart_write_bytes((uart_port_t)u->port, buffer, requested))
		xsUnknownError("write failed");

	// One TX-done request serves all the writes of a frame (the pieces written while it waits extend the wait).
	if (u->onTransmitted) {
		__atomic_store_n(&u->txRequested, 1, __ATOMIC_SEQ_CST);
		if (0 == __atomic_exchange_n(&u->txWaiting, 1, __ATOMIC_SEQ_CST)) {
			c_memset(&request, 0, sizeof(request));
			request.type = (uart_event_type_t)kRequestTxDone;
			if (pdTRUE != xQueueSend(u->events, &request, 0)) {
				__atomic_store_n(&u->txWaiting, 0, __ATOMIC_SEQ_CST);
				xsUnknownError("queue full");
			}
		}
	}
}

/* transmitted: true when the transmitter is idle (uart_wait_tx_done without waiting). */
void xs_uart_rs485_get_transmitted(xsMachine *the)
{
	UartRs485 u = xsmcGetHostDataValidate(xsThis, (void *)&xsUartRs485Hooks);
	xsmcSetBoolean(xsResult, ESP_OK == uart_wait_tx_done((uart_port_t)u->port, 0));
}

static void post(UartRs485 u, uint8_t kind)
{
	retain(u);
	if (0 != modMessagePostToMachine(u->the, &kind, 1, uartDeliver, u))
		release(u);
}

/*
 * Serves a TX-done request: uart_wait_tx_done returns at the driver's TX-done interrupt (in RS-485 half-duplex mode RTS,
 * the DE line, has dropped by then). A write during the wait means more to send: wait again. A write racing the end
 * either is waited for here or has queued its own request, which then posts.
 */
static void waitTransmitted(UartRs485 u)
{
	for (;;) {
		__atomic_store_n(&u->txRequested, 0, __ATOMIC_SEQ_CST);
		if (ESP_OK != uart_wait_tx_done((uart_port_t)u->port, portMAX_DELAY)) {
			__atomic_store_n(&u->txWaiting, 0, __ATOMIC_SEQ_CST);
			return;
		}
		if (__atomic_load_n(&u->txRequested, __ATOMIC_SEQ_CST))
			continue;
		__atomic_store_n(&u->txWaiting, 0, __ATOMIC_SEQ_CST);
		if (__atomic_exchange_n(&u->txRequested, 0, __ATOMIC_SEQ_CST)) {
			if (0 == __atomic_exchange_n(&u->txWaiting, 1, __ATOMIC_SEQ_CST))
				continue;
			return;		// that write queued its own request
		}
		post(u, kMessageTransmitted);
		return;
	}
}

static void uartTask(void *arg)
{
	UartRs485 u = arg;
	uart_event_t event;

	for (;;) {
		if (pdTRUE != xQueueReceive(u->events, &event, portMAX_DELAY))
			continue;

		if (kRequestStop == (int)event.type)
			break;

		if (u->closing)
			continue;

		switch ((int)event.type) {
			case UART_DATA:
				post(u, kMessageReadable);
				break;
			case UART_PARITY_ERR:
				__atomic_or_fetch(&u->pendingErrors, kErrorParity, __ATOMIC_SEQ_CST);
				post(u, kMessageError);
				break;
			case UART_FRAME_ERR:
				__atomic_or_fetch(&u->pendingErrors, kErrorFraming, __ATOMIC_SEQ_CST);
				post(u, kMessageError);
				break;
			case UART_FIFO_OVF:
			case UART_BUFFER_FULL:
				__atomic_or_fetch(&u->pendingErrors, kErrorOverflow, __ATOMIC_SEQ_CST);
				post(u, kMessageError);
				break;
			case kRequestTxDone:
				waitTransmitted(u);
				break;
			default:
				break;
		}
	}

	uart_driver_delete((uart_port_t)u->port);
	gDeleting[u->port] = 0;
	release(u);
	vTaskDelete(NULL);
}

static void uartDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = (xsMachine *)theIn;
	UartRs485 u = (UartRs485)refcon;
	uint8_t kind = messageLength ? message[0] : 0;
	size_t count = 0;
	uint32_t errors;

	if (u->closing) {
		release(u);
		return;
	}

	xsBeginHost(the);
	switch (kind) {
		case kMessageReadable:
			if ((ESP_OK == uart_get_buffered_data_len((uart_port_t)u->port, &count)) && count) {
				xsmcSetInteger(xsResult, (xsIntegerValue)count);
				xsCallFunction1(xsReference(u->onReadable), u->obj, xsResult);
			}
			break;
		case kMessageError:
			errors = __atomic_exchange_n(&u->pendingErrors, 0, __ATOMIC_SEQ_CST);
			if (errors && u->onError) {
				xsmcSetInteger(xsResult, (xsIntegerValue)errors);
				xsCallFunction1(xsReference(u->onError), u->obj, xsResult);
			}
			break;
		case kMessageTransmitted:
			if (u->onTransmitted)
				xsCallFunction0(xsReference(u->onTransmitted), u->obj);
			if (!u->closing && u->onWritable && (ESP_OK == uart_get_tx_buffer_free_size((uart_port_t)u->port, &count)) && count) {
				xsmcSetInteger(xsResult, (xsIntegerValue)count);
				xsCallFunction1(xsReference(u->onWritable), u->obj, xsResult);
			}
			break;
		default:
			break;
	}
	xsEndHost(the);

	release(u);
}

static void xs_uart_rs485_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	UartRs485 u = it;

	if (u->onReadable)
		(*markRoot)(the, u->onReadable);
	if (u->onWritable)
		(*markRoot)(the, u->onWritable);
	if (u->onTransmitted)
		(*markRoot)(the, u->onTransmitted);
	if (u->onError)
		(*markRoot)(the, u->onError);
}
