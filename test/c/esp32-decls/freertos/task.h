/* rc485 test declarations: FreeRTOS tasks (ESP-IDF v6.0, FreeRTOS API: xTaskCreate, vTaskDelete, vTaskDelay). */
#ifndef RC485_DECLS_TASK_H
#define RC485_DECLS_TASK_H
#include "freertos/FreeRTOS.h"
typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);
BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char *const pcName, const configSTACK_DEPTH_TYPE uxStackDepth,
	void *const pvParameters, UBaseType_t uxPriority, TaskHandle_t *const pxCreatedTask);
void vTaskDelete(TaskHandle_t xTaskToDelete);
void vTaskDelay(const TickType_t xTicksToDelay);
#endif
