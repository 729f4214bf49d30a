/* rc485 test declarations: FreeRTOS base types as ESP-IDF v6.0 configures them (32-bit ticks). */
#ifndef RC485_DECLS_FREERTOS_H
#define RC485_DECLS_FREERTOS_H
#include <stdint.h>
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
typedef uint32_t TickType_t;
typedef uint32_t configSTACK_DEPTH_TYPE;
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS pdTRUE
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#endif
