/*
 * The concentrator's steady state without a bus: one op = one transaction on the line, through everything the firmware
 * runs per transaction (issue 21 items 5, 6 and 9):
 *   the poll loop of the ESP32 host (hosts/esp32/site-poller.ts: scheduler, master, decoding, sanity filter, readings
 *   store) → at each finished cycle the MQTT session (store-and-forward ring, state payload written as bytes into the
 *   session's buffer, handed to a publisher that reads them and acknowledges) → and every GATEWAY_EVERY-th transaction a
 *   Modbus TCP request through the gateway engine, sharing the master as the poll loop's guest.
 * The "bus" answers each request at once from a register image (f32 230.5 in every register pair), so every value
 * decodes, and the energy totals stay put (the sanity filter accepts them). Time is a Float64Array clock, the host's.
 *
 * `rebaseAt` > 0 makes the host rebase time (PollLoop.rebaseTime, Gateway.rebaseTime) each time its clock passes that
 * many µs, as the Node serial host does (modules/port/time-rebase.ts); 0 leaves the clock running (XS keeps numbers inline: nothing to rebase there).
 * No simulator and no Node API: it runs on XS too (scripts/xs-memory.mjs measureSteadyOnXs) and on V8
 * (test/concentrator-alloc.test.ts).
 */
import { appendCrc } from "../modules/rtu/crc16";
import { Gateway, type GatewayLink } from "../modules/gateway/engine";
import { GatewayConfig } from "../modules/gateway/config";
import { writeMbapHeader } from "../modules/gateway/mbap";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { MqttSession, type MqttPublisher } from "../modules/forwarding/mqtt-session";
import { NO_DEADLINE, type Rs485Port } from "../modules/port/contract";
import type { Profile } from "../modules/concentrator/profile";
import { checkSite, profileTable } from "../modules/site/site";
import { sitePoller } from "../hosts/esp32/site-poller";

/** One gateway request per this many transactions. */
export const GATEWAY_EVERY = 10;

export interface ConcentratorLoopback {
  /** Runs one transaction on the line; returns a running checksum (so nothing is optimised away). */
  transaction(): number;
  /** State messages published, payload bytes published, gateway responses relayed. */
  readonly counts: Float64Array;
  /** Times the host lowered its clock. */
  rebases(): number;
}

/** A port that answers every read request at once (no timing: the loop drives the clock). */
class AnsweringPort implements Rs485Port {
  readonly reply = new Uint8Array(260);
  replyLength = 0;
  requestLength = 0;
  transmit(buffer: Uint8Array, offset: number, length: number): void {
    const unit = buffer[offset];
    const fc = buffer[offset + 1];
    const count = (buffer[offset + 4] << 8) | buffer[offset + 5];
    const r = this.reply;
    const bytes = fc <= 2 ? (count + 7) >> 3 : 2 * count;
    r[0] = unit;
    r[1] = fc;
    r[2] = bytes;
    for (let i = 0; i < bytes; i += 4) {
      r[3 + i] = 0x43; r[4 + i] = 0x66; r[5 + i] = 0x80; r[6 + i] = 0x00;
    }
    appendCrc(r, 0, 3 + bytes);
    this.replyLength = 5 + bytes;
    this.requestLength = length;
  }
}

/**
 * `profiles` with one meter each (all points), MQTT forwarding and a gateway. `start` is the clock's first value (µs).
 */
export function makeConcentratorLoopback(profiles: readonly Profile[], start = 0, rebaseAt = 0): ConcentratorLoopback {
  const meters = profiles.map((p, i) => ({ name: `m${i + 1}`, profile: p.id, unit: i + 1, intervalMs: 1000 }));
  const r = checkSite({ bus: { port: "uart2", baud: 19200, framing: "8N1" }, meters, gateway: { port: 502, busSlots: 1 } }, profileTable(profiles));
  if (!r.ok) throw new Error(r.errors.join("; "));
  const port = new AnsweringPort();
  const counts = new Float64Array(3);
  let session: MqttSession | null = null;
  const poller = sitePoller(r.site, port, 2000, 1000, {
    reading(m: number) { if (session !== null) session.reading(m); },
    failure(_m: number) { if (session !== null) session.health(); },
  }, new GatewayConfig({ port: 502, busSlots: 1 }, "$.gateway"));
  const { loop, store } = poller;
  let lastToken = 0;
  let checksum = 0;
  const publisher: MqttPublisher = {
    publish() {},
    publishBytes(_topic: string, payload: Uint8Array, length: number, _qos: 0 | 1, _retain: boolean, token: number): boolean {
      let s = 0;
      for (let i = 0; i < length; i++) s += payload[i];
      checksum = (checksum + s) % 65536;
      counts[0]++;
      counts[1] += length;
      lastToken = token;
      return true;
    },
  };
  session = new MqttSession(store, new MqttLayout({ site: "home" }, store.meters.map((m) => m.meta)), publisher, { ring: 64, window: 1 });
  session.connected();
  // The gateway: one client asking the first meter's first planned read (the guest shares the master with the polls).
  const link: GatewayLink = { send: () => { counts[2]++; }, close: () => {}, resume: () => {} };
  const gw = new Gateway(new GatewayConfig({ port: 502, busSlots: 1 }, "$.gateway"), loop.master);
  gw.attach(link);
  poller.guest!.gateway = gw;
  const first = poller.plan.reads[0];
  const request = new Uint8Array(12);
  writeMbapHeader(request, 0, 1, first.unit, 5);
  request[7] = first.function;
  request[8] = first.start >> 8; request[9] = first.start & 0xff;
  request[10] = first.count >> 8; request[11] = first.count & 0xff;
  const clock = new Float64Array(1);
  clock[0] = start;
  const client = gw.accept("127.0.0.1", clock[0]);
  let n = 0;
  let rebases = 0;
  loop.setEpoch(1_795_240_790_120, clock[0]);
  loop.start(clock[0]);

  return {
    counts,
    rebases: () => rebases,
    transaction(): number {
      if (rebaseAt > 0 && clock[0] > rebaseAt) {
        loop.rebaseTime(rebaseAt);
        gw.rebaseTime(rebaseAt);
        if (poller.cache !== null) poller.cache.rebaseTime(rebaseAt);
        clock[0] -= rebaseAt;
        rebases++;
      }
      if (++n % GATEWAY_EVERY === 0) {
        request[1] = n & 0xff;
        gw.received(client, request, 0, 12, clock[0]);
      }
      port.replyLength = 0;
      for (let guard = 0; port.replyLength === 0 && guard < 8; guard++) {
        const d = loop.nextDeadline();
        if (d !== NO_DEADLINE && d > clock[0]) clock[0] = d;
        loop.service(clock[0]);
      }
      clock[0] += 1000 + 573 * port.requestLength;
      loop.transmitted(clock[0]);
      clock[0] += 3000 + 573 * port.replyLength;
      loop.received(port.reply, 0, port.replyLength, clock[0]);
      const d = loop.nextDeadline();
      if (d !== NO_DEADLINE && d > clock[0]) clock[0] = d;
      loop.service(clock[0]);
      if (lastToken !== 0) {
        const t = lastToken;
        lastToken = 0;
        session!.acked(t);
      }
      return checksum;
    },
  };
}
