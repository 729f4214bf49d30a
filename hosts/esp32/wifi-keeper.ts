/*
 * Joins Wi-Fi and keeps it joined, without ever blocking the bus side: the role mains start the RS-485 engines first and
 * then create a WifiKeeper. On "disconnect" or "lostIP" the keeper closes the station and tries again after a delay
 * that doubles from 2 s up to 60 s; "gotIP" resets it and calls onUp, losing it calls onDown (the forwarders pause).
 * The Wi-Fi class is passed in (the `wifi` module on the device) so this file has no Moddable import.
 */
import type { Esp32Io, TimerId } from "./io";

export interface WifiLike {
  close(): void;
}
export type WifiClass = new (options: { ssid: string; password?: string }, callback: (message: string) => void) => WifiLike;

export class WifiKeeper {
  up = false;
  joins = 0;
  private wifi: WifiLike | null = null;
  private delayMs = 2000;
  private readonly retry: TimerId;

  constructor(
    private readonly io: Esp32Io,
    private readonly WiFi: WifiClass,
    private readonly ssid: string,
    private readonly password: string,
    private readonly onUp: () => void,
    private readonly onDown: () => void,
    private readonly log: (line: string) => void,
  ) {
    this.retry = io.Timer.set(() => this.join(), 0x3fffffff, 0x3fffffff);
    io.Timer.schedule(this.retry);
    if (ssid) this.join();
    else log("wifi: no ssid configured (mcconfig … ssid=… password=…); running the bus only");
  }

  private join(): void {
    this.io.Timer.schedule(this.retry);
    this.joins++;
    this.log(`wifi: joining ${this.ssid}`);
    this.wifi = new this.WiFi(this.password ? { ssid: this.ssid, password: this.password } : { ssid: this.ssid }, (message) => this.event(message));
  }

  private event(message: string): void {
    if (message === "gotIP") {
      this.up = true;
      this.delayMs = 2000;
      this.log("wifi: up");
      this.onUp();
    } else if (message === "disconnect" || message === "lostIP") {
      if (this.up) this.onDown();
      this.up = false;
      if (this.wifi !== null) this.wifi.close();
      this.wifi = null;
      this.log(`wifi: ${message}; retry in ${this.delayMs} ms`);
      this.io.Timer.schedule(this.retry, this.delayMs, 0x3fffffff);
      this.delayMs = Math.min(this.delayMs * 2, 60000);
    }
  }
}
