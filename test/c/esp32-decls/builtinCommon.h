/* rc485 test declarations: the ECMA-419 helpers of the Moddable SDK (modules/io/common/builtinCommon.h) that uart-rs485.c uses. */
#ifndef RC485_DECLS_BUILTIN_COMMON_H
#define RC485_DECLS_BUILTIN_COMMON_H
#include <stdint.h>
#include "xs.h"
enum { kIOFormatNumber = 1, kIOFormatBuffer = 2 };
void builtinGetFormat(xsMachine *the, uint8_t format);
uint8_t builtinSetFormat(xsMachine *the);
void builtinInitializeTarget(xsMachine *the);
uint8_t builtinInitializeFormat(xsMachine *the, uint8_t format);
int32_t builtinGetSignedInteger(xsMachine *the, xsSlot *slot);
uint32_t builtinGetUnsignedInteger(xsMachine *the, xsSlot *slot);
xsSlot *builtinGetCallback(xsMachine *the, xsIdentifier id);
#define builtinIsPinFree(pin) builtinArePinsFree(pin >> 5, 1 << (pin & 0x1F))
#define builtinUsePin(pin) builtinUsePins(pin >> 5, 1 << (pin & 0x1F))
#define builtinFreePin(pin) builtinFreePins(pin >> 5, 1 << (pin & 0x1F))
uint8_t builtinArePinsFree(uint32_t bank, uint32_t pin);
uint8_t builtinUsePins(uint32_t bank, uint32_t pin);
void builtinFreePins(uint32_t bank, uint32_t pin);
#define builtinGetPin(the, slot) builtinGetUnsignedInteger(the, slot)
#endif
