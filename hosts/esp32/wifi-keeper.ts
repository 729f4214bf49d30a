/*
 * Joins Wi-Fi and keeps it joined, without ever blocking the bus side: the role's RS-485 engines start first, at boot
 * (hosts/esp32/setup-rc485.ts), and then a WifiKeeper is created.
 *
 * The SDK's own set-up step (build/devices/esp32/setup/network) also joins when `config.ssid` is set, and it is part of
 * every build that includes the ECMA-419 io manifest. So the keeper first only listens (`new WiFi(undefined, callback)`
 * monitors without connecting) for `firstJoinDelayMs`: if the SDK's step gets an address meanwhile, the keeper just takes
 * over the monitoring. Otherwise it joins itself. On "disconnect" or "lostIP" it closes its station object and joins
 * again after a delay that doubles from 2 s up to 60 s; "gotIP" resets the delay and calls onUp, losing it calls onDown
 * (the forwarders pause). The Wi-Fi class is passed in (the `wifi` module on the device), so this file has no Moddable
 * import and is tested on Node with a fake.
 */
import type { Esp32Io, TimerId } from "./io";

export interface WifiLike {
  close(): void;
}
export type WifiClass = new (options: { ssid: string; password?: string } | undefined, callback: (message: string) => void) => WifiLike;

const PARKED_MS = 0x3fffffff;
const FIRST_DELAY_MS = 2000;
const MAX_DELAY_MS = 60000;

export class WifiKeeper {
  up = false;
  /** Joins this keeper started (not counting the SDK's). */
  joins = 0;
  private wifi: WifiLike | null = null;
  private delayMs = FIRST_DELAY_MS;
  private readonly retry: TimerId;
  private retryPending = false;

  constructor(
    private readonly io: Esp32Io,
    private readonly WiFi: WifiClass,
    private readonly ssid: string,
    private readonly password: string,
    private readonly onUp: () => void,
    private readonly onDown: () => void,
    private readonly log: (line: string) => void,
    firstJoinDelayMs = 20000,
  ) {
    this.retry = io.Timer.set(() => this.join(), PARKED_MS, PARKED_MS);
    io.Timer.schedule(this.retry);
    if (!ssid) {
      log("wifi: no ssid configured (mcconfig … ssid=… password=…); running the bus only");
      return;
    }
    // Listen first: the SDK's set-up step may already be joining with the same credentials.
    this.wifi = new WiFi(undefined, (message) => this.event(message));
    this.later(firstJoinDelayMs);
  }

  private later(ms: number): void {
    this.retryPending = true;
    this.io.Timer.schedule(this.retry, ms, PARKED_MS);
  }

  private join(): void {
    this.io.Timer.schedule(this.retry);
    this.retryPending = false;
    if (this.up) return;
    if (this.wifi !== null) this.wifi.close();
    this.joins++;
    this.log(`wifi: joining ${this.ssid}`);
    this.wifi = new this.WiFi(this.password ? { ssid: this.ssid, password: this.password } : { ssid: this.ssid }, (message) => this.event(message));
  }

  private event(message: string): void {
    if (message === "gotIP") {
      this.io.Timer.schedule(this.retry);
      this.retryPending = false;
      this.up = true;
      this.delayMs = FIRST_DELAY_MS;
      this.log("wifi: up");
      this.onUp();
    } else if (message === "disconnect" || message === "lostIP") {
      const wasUp = this.up;
      this.up = false;
      if (wasUp) this.onDown();
      if (this.retryPending) return; // a join is already planned
      this.log(`wifi: ${message}; joining again in ${this.delayMs} ms`);
      this.later(this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, MAX_DELAY_MS);
    }
  }
}
