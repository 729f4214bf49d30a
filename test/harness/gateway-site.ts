// A simulated RS-485 site behind a real Modbus TCP listener, for tests with real clients (mbpoll, pymodbus): meter
// emulators and the master run on the simulator's virtual clock, paced against the wall clock (virtual µs = wall µs ×
// speed), and the gateway's Node server (hosts/node/gateway-server.ts) listens on loopback. Node-only.
//
// Pacing: a 1 ms interval timer, and every TCP input first, bring the simulation up to the present; the gateway's
// deadlines are served on the same virtual clock. Holding and input register i of unit u hold (u × 1000 + i) & 0xFFFF
// (test/harness/master-site.ts).
import type { AddressInfo } from "node:net";
import { Gateway, type LocalRegisters } from "../../modules/gateway/engine";
import type { GatewayOptions } from "../../modules/gateway/config";
import type { MasterOptions } from "../../modules/master/config";
import type { PollCache } from "../../modules/gateway/poll-cache";
import { NO_DEADLINE } from "../../modules/port/contract";
import type { MeterOptions } from "../../hosts/sim/index";
import { GatewayServer } from "../../hosts/node/gateway-server";
import { GatewayListener } from "../../hosts/esp32/gateway-listener";
import { FakeListener, FakeTcp } from "./moddable-socket-fakes";
import { Site } from "./master-site";

export interface GatewaySiteOptions {
  baud: number;
  meters: MeterOptions[];
  gateway: GatewayOptions;
  master?: Partial<MasterOptions>;
  /** Virtual µs per wall µs (default 1: real time). */
  speed?: number;
  local?: LocalRegisters;
  cache?: PollCache;
  /** Record the silence before each master request (Site.gaps). */
  measureGaps?: boolean;
  /** The TCP side: the Node server (default) or the ESP32 listener adapter over fakes of the Moddable socket classes. */
  host?: "node" | "esp32";
}

export class GatewaySite {
  readonly site: Site;
  readonly gateway: Gateway;
  readonly server: GatewayServer | null = null;
  readonly listener: GatewayListener | null = null;
  private fake: FakeListener | null = null;
  readonly speed: number;
  address: AddressInfo | null = null;
  private wall0 = 0n;
  private virtual0 = 0;
  private interval: NodeJS.Timeout | null = null;
  private syncing = false;

  constructor(o: GatewaySiteOptions) {
    this.speed = o.speed ?? 1;
    this.site = new Site({ baud: o.baud, meters: o.meters, keep: false, traceCapacity: 64, measureGaps: o.measureGaps, master: { queueCapacity: 32, ...o.master } });
    this.gateway = new Gateway({ port: 0, ...o.gateway }, this.site.master, o.local ?? null, o.cache ?? null);
    this.site.onResult = (r) => {
      if (this.gateway.owns(r.tag)) this.gateway.completed(r);
      else this.gateway.pump(r.completedAt);
    };
    if (o.host === "esp32") {
      this.listener = new GatewayListener(this.gateway, { Listener: FakeListener, TCP: FakeTcp, now: () => this.now(), onInput: () => this.site.sim.poke() });
    } else {
      this.server = new GatewayServer(this.gateway, { now: () => this.now(), afterInput: () => this.site.sim.poke(), timer: false });
    }
  }

  async start(): Promise<AddressInfo> {
    this.wall0 = process.hrtime.bigint();
    this.virtual0 = this.site.sim.now;
    if (this.listener) {
      this.listener.start();
      this.fake = FakeListener.last!;
      this.address = await this.fake.listening;
    } else this.address = await this.server!.listen();
    this.interval = setInterval(() => this.sync(), 1);
    return this.address;
  }

  /** The virtual clock, brought up to the present first. */
  now(): number {
    this.sync();
    return this.site.sim.now;
  }

  /** Runs the simulation (and the gateway's timers) up to the present. */
  sync(): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const target = this.virtual0 + Math.floor(Number(process.hrtime.bigint() - this.wall0) / 1000 * this.speed);
      const sim = this.site.sim;
      for (;;) {
        const d = this.gateway.nextDeadline();
        if (d !== NO_DEADLINE && d <= target) {
          if (d > sim.now) sim.runUntil(d);
          this.gateway.service(sim.now);
          continue;
        }
        if (target > sim.now) sim.runUntil(target);
        break;
      }
    } finally {
      this.syncing = false;
    }
  }

  async stop(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    this.interval = null;
    if (this.listener) {
      this.listener.stop();
      this.fake?.close();
    } else await this.server!.stop();
  }
}
