/* rc485 test declarations: FreeRTOS queues (ESP-IDF v6.0, FreeRTOS API: xQueueSend, xQueueReceive). */
#ifndef RC485_DECLS_QUEUE_H
#define RC485_DECLS_QUEUE_H
#include "freertos/FreeRTOS.h"
typedef struct QueueDefinition *QueueHandle_t;
BaseType_t xQueueSend(QueueHandle_t xQueue, const void *pvItemToQueue, TickType_t xTicksToWait);
BaseType_t xQueueReceive(QueueHandle_t xQueue, void *pvBuffer, TickType_t xTicksToWait);
#endif
