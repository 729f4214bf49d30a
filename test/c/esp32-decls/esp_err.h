/* rc485 test declarations: esp_err.h (ESP-IDF v6.0, System API → Error Codes). */
#ifndef RC485_DECLS_ESP_ERR_H
#define RC485_DECLS_ESP_ERR_H
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_TIMEOUT 0x107
#endif
