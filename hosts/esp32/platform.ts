/*
 * The real platform for the adapters (hosts/esp32/io.ts): ECMA-419 Serial and Digital, rc485's native UART class
 * (hosts/esp32/native), the Moddable timer and Time.microseconds (manifest: $(MODULES)/base/microseconds). Device only.
 */
import Digital from "embedded:io/digital";
import Serial from "embedded:io/serial";
import UartRs485 from "rc485/uart-rs485";
import Time from "time";
import Timer from "timer";
import type { DigitalClass, Esp32Io, SerialClass, TimerApi, UartRs485Class } from "./io";

export const platform: Esp32Io = Object.freeze({
  Serial: Serial as unknown as SerialClass,
  UartRs485: UartRs485 as unknown as UartRs485Class,
  Digital: Digital as unknown as DigitalClass,
  Timer: Timer as unknown as TimerApi,
  now: () => Time.microseconds as number,
});

export function log(line: string): void {
  trace(`rc485 ${line}\n`);
}
