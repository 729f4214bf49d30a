/*
 * Restarts the ESP32 (ESP-IDF esp_restart), called through XS FFI as the Moddable SDK's OTA example does
 * (examples/io/listener/httpserverota: manifest "ffi" → "functions" → "esp_restart"). Device only.
 */
import FFI from "mc/ffi";

const natives = new FFI() as { esp_restart(): void };

export function restart(): void {
  natives.esp_restart();
}
