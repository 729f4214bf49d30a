/* rc485 test declarations: the Moddable ESP32 runtime helpers uart-rs485.c uses (Moddable SDK xs/platforms/esp/xsHost.h). */
#ifndef RC485_DECLS_XSHOST_H
#define RC485_DECLS_XSHOST_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xs.h"
#define ICACHE_RODATA_ATTR
#define c_malloc malloc
#define c_free free
#define c_memset memset
#define c_strcmp strcmp
typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);
#endif
