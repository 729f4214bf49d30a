// The ESP32 concentrator's Modbus TCP gateway wiring (hosts/esp32/gateway-service.ts, the code the concentrator main
// runs) on a fake ESP32 board (hosts/sim/esp32-fakes.ts) polling emulated meters on the simulated bus, with the listener
// over the fakes of the SDK's lwIP socket classes (test/harness/moddable-socket-fakes.ts) and real TCP clients on
// loopback. The simulated bus runs on its virtual clock, stepped 5 ms per 1 ms wall tick while a test talks TCP.
// Asserted: requests reach the meters over the bus and come back with their transaction ids, polls interleave with
// them and keep succeeding, the gateway stops and listens again with Wi-Fi without leaving a listener behind, and the
// device's configuration rules (bind 0.0.0.0 by default, loopback refused, a bad section refused while the bus runs).
import test from "ava";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { GW_FROM_CACHE } from "../modules/gateway/engine";
import type { MasterResult } from "../modules/master/result";
import { checkSite, profileTable } from "../modules/site/site";
import { EngineLoop } from "../hosts/esp32/deadline-timer";
import type { ListenerOptions } from "../hosts/esp32/gateway-listener";
import { bootGateway, deviceGatewayConfig, gatewayProblems, gatewayWarnings, GatewayService } from "../hosts/esp32/gateway-service";
import { Esp32SerialPort } from "../hosts/esp32/serial-port";
import { sitePoller } from "../hosts/esp32/site-poller";
import { WifiKeeper, type WifiClass } from "../hosts/esp32/wifi-keeper";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation } from "../hosts/sim/index";
import { FIXTURE_PROFILES } from "./fixtures/maps";
import { FakeListener, FakeTcp } from "./harness/moddable-socket-fakes";

const W1 = { uart: 1 as const, txPin: 17, rxPin: 16, dePin: 4 };
const TCP_BASE = 7000; // holding registers no poll reads: register TCP_BASE + i of unit u holds u * 100 + i

/** FakeListener that counts the listening sockets left open. */
class CountingListener extends FakeListener {
  static open = 0;
  static made = 0;
  private closed = false;
  constructor(options: ListenerOptions) {
    super(options);
    CountingListener.open++;
    CountingListener.made++;
  }
  override close(): void {
    if (!this.closed) CountingListener.open--;
    this.closed = true;
    super.close();
  }
}

let running: { stop(): void } | null = null;
test.afterEach.always(() => {
  running?.stop();
  running = null;
});

function rig(gateway: Record<string, unknown>, intervalMs = 500, baud = 19200) {
  const json = JSON.parse(readFileSync(new URL("./fixtures/sites/small.json", import.meta.url), "utf8"));
  json.bus.baud = baud;
  delete json.forwarding;
  for (const m of json.meters) { m.intervalMs = intervalMs; delete m.priority; }
  json.gateway = gateway;
  const logs: string[] = [];
  const split = bootGateway(json, (l) => logs.push(l));
  const checked = checkSite(split.site, profileTable(FIXTURE_PROFILES));
  if (!checked.ok) throw new Error(checked.errors.join("\n"));
  const site = checked.site;
  const sim = new Simulation({ seed: 9 });
  const bus = sim.segment({ name: "bus", baud });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...W1 }] });
  for (const m of site.meters) {
    const holding: Record<number, number> = {};
    const input: Record<number, number> = {};
    for (const fn of [3, 4]) {
      const pts = m.profile.points.filter((p) => p.function === fn || p.exponentFrom?.function === fn);
      if (pts.length === 0) continue;
      const lo = Math.min(...pts.map((p) => (p.function === fn ? p.address : p.exponentFrom!.address)));
      const hi = Math.max(...pts.map((p) => (p.function === fn ? p.address + p.words : p.exponentFrom!.address + 1)));
      for (let a = lo; a < hi + 4; a++) (fn === 3 ? holding : input)[a] = 0x0010 + (a & 0xff);
    }
    for (let i = 0; i < 40; i++) holding[TCP_BASE + i] = m.unit * 100 + i;
    sim.meter(bus, {
      unit: m.unit, name: m.name, holding, input, turnaroundUs: [1000, 4000],
      maxRegisters: m.profile.limits.maxRegisters, evenRegisterCount: m.profile.limits.evenCountsOnly,
    });
  }
  const loop = new EngineLoop(board.io);
  const port = new Esp32SerialPort(board.io, { ...W1, baud: site.bus.baud, framing: site.bus.framing });
  const readings = site.meters.map(() => 0);
  const failures = site.meters.map(() => 0);
  const poller = sitePoller(site, port, port.rxIdleUs, board.latencyUs, { reading: (m) => readings[m]++, failure: (m) => failures[m]++ }, split.gateway);
  port.listener = poller.loop;
  port.loop = loop;
  poller.loop.start(sim.now);
  loop.attach(poller.loop);
  // Every master result in order: T (the gateway's) or P (a poll).
  const order: string[] = [];
  const completed = poller.loop.completed.bind(poller.loop);
  poller.loop.completed = (r: MasterResult) => {
    order.push(poller.guest !== null && poller.guest.owns(r.tag) ? "T" : "P");
    completed(r);
  };
  const service = split.gateway === null ? null : new GatewayService(split.gateway, poller, {
    io: board.io, Listener: CountingListener, TCP: FakeTcp, busLoop: loop, units: site.meters.map((m) => m.unit), log: (l) => logs.push(l),
  });
  let pacer: NodeJS.Timeout | null = null;
  running = { stop() { if (pacer) clearInterval(pacer); service?.stop(); } };
  return {
    site, sim, board, port, poller, service, logs, readings, failures, order,
    pace(on: boolean) {
      if (pacer) clearInterval(pacer);
      pacer = on ? setInterval(() => sim.runUntil(sim.now + 5000), 1) : null;
    },
  };
}

/** The port the last fake listener bound. */
async function listeningPort(): Promise<number> {
  return (await FakeListener.last!.listening).port;
}

function request(tid: number, unit: number, fc: number, address: number, count: number): Buffer {
  return Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, unit, fc, address >> 8, address & 0xff, count >> 8, count & 0xff]);
}

interface Answer { tid: number; unit: number; fc: number; data: number[] }

/** Connects, writes `frames` in one segment, and collects `expect` whole responses. */
function exchange(port: number, frames: Buffer[], expect: number, timeoutMs = 10000): Promise<{ answers: Answer[]; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write(Buffer.concat(frames)));
    let rx = Buffer.alloc(0);
    const answers: Answer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`${answers.length}/${expect} answers`)); }, timeoutMs);
    socket.on("data", (d: Buffer) => {
      rx = Buffer.concat([rx, d]);
      while (rx.length >= 6 && rx.length >= 6 + rx.readUInt16BE(4)) {
        const n = 6 + rx.readUInt16BE(4);
        const f = rx.subarray(0, n);
        rx = rx.subarray(n);
        const data: number[] = [];
        if (f[7] < 0x80) for (let i = 9; i + 1 < n; i += 2) data.push(f.readUInt16BE(i));
        else data.push(f[8]);
        answers.push({ tid: f.readUInt16BE(0), unit: f[6], fc: f[7], data });
      }
      if (answers.length >= expect) { clearTimeout(timer); resolve({ answers, socket }); }
    });
    socket.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

test.serial("a TCP request through the device's listener reaches a meter over the bus, answered with its transaction id, between the polls", async (t) => {
  // Polls every 100 ms: more than the bus can carry, so a poll is always due and each gateway request goes between two.
  const r = rig({ port: 0, maxPerClient: 4, localUnit: 0 }, 100);
  t.deepEqual(r.logs, []);
  t.truthy(r.service);
  const svc = r.service!;
  t.is(svc.config.bind, "0.0.0.0", "a device binds every interface by default");
  r.sim.runUntil(2e6); // polls before Wi-Fi: the gateway is not built yet
  t.is(svc.gateway, null);
  const pollsBefore = r.order.length;
  t.true(pollsBefore > 10 && r.order.every((k) => k === "P"));
  svc.start();
  t.true(svc.running);
  const port = await listeningPort();
  r.pace(true);
  try {
    // Two clients, pipelined reads of every meter, and one read of the concentrator's own registers.
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    for (let i = 0; i < 12; i++) a.push(request(0x1200 + i, 1 + (i % 4), 3, TCP_BASE + i, 2));
    for (let i = 0; i < 8; i++) b.push(request(0x3400 + i, 4 - (i % 4), 3, TCP_BASE + 20 + 2 * i, 2));
    b.push(request(0x34ff, 0, 3, 0, 1));
    const [ra, rb] = await Promise.all([exchange(port, a, 12), exchange(port, b, 9)]);
    ra.socket.destroy();
    rb.socket.destroy();
    // Answers that need no bus (the local unit) go out at once, ahead of bus answers: pair them by transaction id.
    ra.answers.sort((x, y) => x.tid - y.tid);
    rb.answers.sort((x, y) => x.tid - y.tid);
    ra.answers.forEach((x, i) => {
      const unit = 1 + (i % 4);
      t.deepEqual(x, { tid: 0x1200 + i, unit, fc: 3, data: [unit * 100 + i, unit * 100 + i + 1] }, `client A request ${i}`);
    });
    rb.answers.slice(0, 8).forEach((x, i) => {
      const unit = 4 - (i % 4);
      t.deepEqual(x, { tid: 0x3400 + i, unit, fc: 3, data: [unit * 100 + 20 + 2 * i, unit * 100 + 21 + 2 * i] }, `client B request ${i}`);
    });
    const local = rb.answers[8];
    t.is(local.tid, 0x34ff);
    t.is(local.fc, 3, "the local unit answers from the concentrator's registers");
  } finally {
    r.pace(false);
  }
  // 20 bus requests went through the poll loop's master, with polls between them.
  const during = r.order.slice(pollsBefore);
  const first = during.indexOf("T");
  const last = during.lastIndexOf("T");
  t.is(during.filter((k) => k === "T").length, 20);
  t.true(during.slice(first, last).includes("P"), `polls interleave: ${during.join("")}`);
  t.false(during.slice(first, last + 1).join("").includes("TT"), `gateway requests and (always due) polls alternate: ${during.join("")}`);
  t.deepEqual(r.failures, [0, 0, 0, 0]);
  t.true(r.readings.every((n) => n > 0), `readings ${r.readings}`);
  t.is(r.board.uart(1).counters.rxOverflow, 0);
  svc.stop();
  t.is(CountingListener.open, 0);
});

test.serial("Wi-Fi lost and back: the gateway stops, closes its clients and its listener, and listens again (never two listeners)", async (t) => {
  CountingListener.made = 0;
  const r = rig({ port: 0 });
  const svc = r.service!;
  // The keeper as the main wires it: onUp starts the gateway, onDown stops it.
  let wifiCallback: ((m: string) => void) | null = null;
  const FakeWiFi = class { constructor(_o: unknown, cb: (m: string) => void) { wifiCallback = cb; } close() {} } as unknown as WifiClass;
  new WifiKeeper(r.board.io, FakeWiFi, "ssid", "pw", () => svc.start(), () => svc.stop(), (l) => r.logs.push(l), 20000);
  wifiCallback!("gotIP");
  wifiCallback!("gotIP"); // a repeated event opens nothing more
  t.is(CountingListener.open, 1);
  t.is(svc.starts, 1);
  const port1 = await listeningPort();
  r.pace(true);
  try {
    const one = await exchange(port1, [request(7, 2, 3, TCP_BASE + 5, 2)], 1);
    t.deepEqual(one.answers, [{ tid: 7, unit: 2, fc: 3, data: [205, 206] }]);
    t.is(svc.gateway!.clients, 1);
    const closed = new Promise<void>((resolve) => one.socket.on("close", () => resolve()));
    wifiCallback!("disconnect");
    t.false(svc.running);
    t.is(svc.gateway!.clients, 0, "connections dropped with Wi-Fi");
    t.is(CountingListener.open, 0, "the listener is closed");
    await closed;
    wifiCallback!("gotIP");
    t.true(svc.running);
    t.is(CountingListener.open, 1);
    t.is(CountingListener.made, 2);
    const two = await exchange(await listeningPort(), [request(8, 3, 3, TCP_BASE + 6, 2)], 1);
    t.deepEqual(two.answers, [{ tid: 8, unit: 3, fc: 3, data: [306, 307] }]);
    two.socket.destroy();
  } finally {
    r.pace(false);
  }
  svc.stop();
  svc.stop();
  t.is(CountingListener.open, 0);
  t.deepEqual(r.failures, [0, 0, 0, 0]);
  t.true(r.logs.some((l) => /gateway: Modbus TCP on port 0, every interface/.test(l)));
});

test.serial("cacheTtlMs on the device: reads of polled registers are answered from the poller's cache", async (t) => {
  const r = rig({ port: 0, cacheTtlMs: 60000 });
  t.truthy(r.poller.cache);
  r.sim.runUntil(2e6);
  r.service!.start();
  const port = await listeningPort();
  // The first planned read of the first meter, as polled.
  const rd = r.poller.plan.reads.find((x) => x.function === 3 || x.function === 4)!;
  r.pace(true);
  try {
    const x = await exchange(port, [request(0x55, rd.unit, rd.function, rd.start, 1)], 1);
    x.socket.destroy();
    t.is(x.answers[0].tid, 0x55);
    t.is(x.answers[0].fc, rd.function);
    t.deepEqual(x.answers[0].data, [0x0010 + (rd.start & 0xff)]);
  } finally {
    r.pace(false);
  }
  t.is(r.service!.gateway!.counters[GW_FROM_CACHE], 1);
  r.service!.stop();
});

test("the device's gateway configuration: bind 0.0.0.0 by default, loopback and names refused, a bad section refused while the bus runs", (t) => {
  const d = deviceGatewayConfig({});
  t.deepEqual([d.bind, d.port, d.maxClients, d.maxPerClient, d.busSlots], ["0.0.0.0", 502, 4, 2, 1]);
  t.deepEqual([deviceGatewayConfig({ maxClients: 8, maxPerClient: 4 }).maxClients, deviceGatewayConfig({ maxClients: 8, maxPerClient: 4 }).maxPerClient], [8, 4]);
  t.is(deviceGatewayConfig({ bind: "192.168.1.20", port: 1502 }).bind, "192.168.1.20");
  t.throws(() => deviceGatewayConfig({ bind: "127.0.0.1" }), { message: /\$\.gateway\.bind must be "0\.0\.0\.0"/ });
  t.throws(() => deviceGatewayConfig({ bind: "localhost" }), { message: /\$\.gateway\.bind/ });
  t.throws(() => deviceGatewayConfig({ bind: "300.1.1.1" }), { message: /\$\.gateway\.bind/ });
  t.throws(() => deviceGatewayConfig({ port: 70000 }), { message: /\$\.gateway\.port must be an integer from 0 to 65535/ });
  t.throws(() => deviceGatewayConfig([]), { message: /\$\.gateway must be an object/ });
  t.throws(() => deviceGatewayConfig({ tls: { certificate: "c", key: "k", ca: "a", roles: { ops: {} } } }), { message: /^\$\.gateway\.tls: Modbus\/TCP Security \(TLS on port 802\) is offered by the Node gateway only/ });
  t.deepEqual(gatewayProblems(undefined), []);
  t.deepEqual(gatewayProblems({ port: 502 }), []);
  t.is(gatewayProblems({ bind: "127.0.0.1" }).length, 1);

  const logs: string[] = [];
  const split = bootGateway({ bus: { baud: 9600 }, meters: [], gateway: { port: 70000 } }, (l) => logs.push(l));
  t.is(split.gateway, null);
  t.false("gateway" in (split.site as object), "the site runs without its gateway section");
  t.is(logs.length, 1);
  t.regex(logs[0], /^gateway: refused, the bus runs without it: \$\.gateway\.port/);
  t.deepEqual(bootGateway({ meters: [] }, (l) => logs.push(l)), { site: { meters: [] }, gateway: null });

  // A site with a refused gateway section still polls (the bus side is built without a guest).
  const r = rig({ port: 0, bogus: 1 });
  t.is(r.service, null);
  t.is(r.poller.guest, null);
  t.regex(r.logs[0], /\$\.gateway\.bogus is not a gateway option/);
  r.sim.runUntil(3e6);
  t.true(r.readings.every((n) => n > 0));
  t.deepEqual(r.failures, [0, 0, 0, 0]);
  // The service needs a poller built with the configuration.
  t.throws(() => new GatewayService(deviceGatewayConfig({}), r.poller, { io: r.board.io, Listener: FakeListener, TCP: FakeTcp, busLoop: { rearm() {} }, units: [] }), { message: /no gateway guest/ });
});

test.serial("bind is not enforced by lwIP's listener: a warning at boot, the listener takes every interface, and `allow` is what keeps clients out", async (t) => {
  t.deepEqual(gatewayWarnings(deviceGatewayConfig({})), []);
  t.regex(gatewayWarnings(deviceGatewayConfig({ bind: "192.168.1.20" }))[0], /bind "192\.168\.1\.20" is not enforced on an ESP32.*any client can connect/);
  // 192.168.1.20 is not an address of this machine: a listener that honoured it could not even open.
  const r = rig({ port: 0, bind: "192.168.1.20", allow: ["10.0.0.0/8"] });
  t.regex(r.logs[0], /^gateway: warning: \$\.gateway\.bind "192\.168\.1\.20" is not enforced .*restricted by \$\.gateway\.allow \(10\.0\.0\.0\/8\)/);
  r.service!.start();
  t.is(FakeListener.last!.requestedAddress, "192.168.1.20");
  const port = await listeningPort();
  r.pace(true);
  try {
    // 127.0.0.1 reaches it (every interface), and the app's allowlist closes the connection without an answer.
    const closed = await new Promise<{ bytes: number }>((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" }, () => socket.write(request(1, 1, 3, TCP_BASE, 2)));
      let bytes = 0;
      socket.on("data", (d: Buffer) => { bytes += d.length; });
      socket.on("close", () => resolve({ bytes }));
      socket.on("error", () => {});
      setTimeout(() => { socket.destroy(); reject(new Error("not closed")); }, 5000);
    });
    t.is(closed.bytes, 0);
  } finally {
    r.pace(false);
  }
  r.service!.stop();
  // The same listener with 127.0.0.1 allowed answers.
  const ok = rig({ port: 0, bind: "192.168.1.20", allow: ["127.0.0.1"] });
  ok.service!.start();
  const port2 = await listeningPort();
  ok.pace(true);
  try {
    const { answers, socket } = await exchange(port2, [request(7, ok.site.meters[0].unit, 3, TCP_BASE, 2)], 1);
    socket.destroy();
    t.is(answers[0].tid, 7);
    t.is(answers[0].fc, 3);
  } finally {
    ok.pace(false);
  }
  ok.service!.stop();
});
