/*
 * rc485 on an ESP32: picks the role from the build configuration (manifest config.role, or role=… on the mcconfig
 * command line) and starts it. See docs/esp32.md.
 */
import config from "mc/config";
import { startConcentrator } from "./main-concentrator";
import { startRepeater } from "./main-repeater";

export default function main(): void {
  const role = (config as Record<string, unknown>).role ?? "concentrator";
  if (role === "repeater") startRepeater();
  else if (role === "concentrator") startConcentrator();
  else throw new RangeError(`config.role must be "concentrator" or "repeater", got "${String(role)}"`);
}
