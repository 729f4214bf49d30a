/*
 * rc485's start-up step. The Moddable runtime calls every `setup/…` module's default export at boot and runs `main`
 * only when all of them have called `done` (xs/platforms/mc/xsHosts.c, modRunMachineSetup). The SDK's own
 * `setup/network` step waits for Wi-Fi (and SNTP) when config.ssid is set, so a `main` would wait on Wi-Fi too, possibly
 * forever. rc485 therefore starts its role here: the RS-485 side runs from boot, Wi-Fi is joined and re-joined by the
 * role's WifiKeeper, and `done` is called at once. `main` (hosts/esp32/main.ts) has nothing left to do.
 */
import config from "mc/config";
// Absolute specifiers: this module's specifier is "setup/rc485", so "./x" would resolve to "setup/x" on the device.
import { startConcentrator } from "hosts/esp32/main-concentrator";
import { startRepeater } from "hosts/esp32/main-repeater";
import { log } from "hosts/esp32/platform";

export default function setupRc485(done: () => void): void {
  try {
    const role = (config as Record<string, unknown>).role ?? "concentrator";
    if (role === "repeater") startRepeater();
    else if (role === "concentrator") startConcentrator();
    else throw new RangeError(`config.role must be "concentrator" or "repeater", got "${String(role)}"`);
  } catch (e) {
    log(`start-up failed: ${(e as Error).message}`);
    throw e;
  } finally {
    done();
  }
}
