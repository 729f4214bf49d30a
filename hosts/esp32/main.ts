/*
 * rc485 on an ESP32: `creation.main`. The role was already started at boot by hosts/esp32/setup-rc485.ts (so the bus
 * never waits for Wi-Fi); main runs once every set-up step is done, which with config.ssid set includes the SDK's Wi-Fi
 * join. See docs/esp32.md.
 */
import { log } from "./platform";

export default function main(): void {
  log("set-up complete");
}
