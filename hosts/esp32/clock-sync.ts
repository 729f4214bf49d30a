/*
 * Sets the wall clock from SNTP once the network is up (the SDK's `sntp` module, RFC 4330), so published readings carry
 * real dates. Until then readings are dated 0 (unknown) and the forwarders publish them as such. Device only.
 */
import config from "mc/config";
import SNTP from "sntp";
import Time from "time";

/** Asks the configured server (config.sntp, default pool.ntp.org) for the time, unless the clock is already set. */
export function syncClock(onSet: () => void, log: (line: string) => void): void {
  if (Date.now() > 1672531200000) {
    onSet();
    return;
  }
  const host = String((config as Record<string, unknown>).sntp ?? "pool.ntp.org");
  new SNTP({ host }, (message, value) => {
    if (message === SNTP.time) {
      Time.set(value as number);
      log(`clock set from ${host}`);
      onSet();
    } else if (message === SNTP.error) {
      log(`clock: no answer from ${host}`);
    }
  });
}
