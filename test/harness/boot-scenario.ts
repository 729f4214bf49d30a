/*
 * The ESP32 role mains booted as the device boots them: `setup/rc485` (hosts/esp32/setup-rc485.ts) with config.role set,
 * its device modules replaced by the fakes of test/harness/device-world.ts on simulated RS-485 segments with emulated
 * meters, run for a few simulated minutes. Portable (no Node API): test/esp32-boot.test.ts bundles it for the XS engine.
 *
 * Concentrator: two profile-built meters, MQTT forwarding and the Modbus TCP gateway on; Wi-Fi joins at ~21 s (the
 * keeper's first join), drops at 90 s and is joined again; a Modbus TCP client asks at 60 s and at 150 s; the status
 * API is read at the end. Repeater: the booted repeater is R/C 1 between a master and a noisy segment, R/C 2 (built
 * directly) and a meter on the far side; the master's reads must come back through both, while Wi-Fi drops and rejoins.
 * Each prints one line `XS-BOOT {json}` whose `ok` says whether every expectation held, and what was seen.
 */
import { parseProfile } from "../../modules/concentrator/profile";
import { Master } from "../../modules/master/engine";
import type { MasterResult } from "../../modules/master/result";
import { STATUS_OK } from "../../modules/master/status";
import { Repeater } from "../../modules/repeater/engine";
import { LineTiming } from "../../modules/rtu/timing";
import { EngineLoop } from "../../hosts/esp32/deadline-timer";
import { RX_TIMEOUT_CHARACTERS, TIMER_TICK_US } from "../../hosts/esp32/io";
import { Esp32SerialPort } from "../../hosts/esp32/serial-port";
import { FakeEsp32 } from "../../hosts/sim/esp32-fakes";
import { Simulation } from "../../hosts/sim/index";
import { LiveMeter } from "../../hosts/sim/live-meter";
import { profileMeter } from "../../hosts/sim/profile-meter";
import { bitRateForCharacterRate } from "../../hosts/sim/rc-paper";
import { wifiEvent, world } from "./device-world";

const out = (line: string) => {
  const p = (globalThis as { print?: (s: string) => void }).print;
  if (p) p(line);
  else console.log(line);
};

/** `setup/rc485`'s default export, passed in by the bundle's entry (the module type-checks against the device typings only). */
export type SetupStep = (done: () => void) => void;

/** Live XS heap (slots, chunk bytes, keys) after a full collection, on the XS memory host; null elsewhere. */
function heap(): number[] | null {
  const m = (globalThis as { xsMemory?: () => number[] }).xsMemory;
  return m === undefined ? null : m().slice(0, 3);
}

function boot(setup: SetupStep): number {
  (globalThis as { trace?: (s: string) => void }).trace = (s: string) => world.logs.push(s.trim());
  let done = 0;
  setup(() => done++);
  return done;
}

/** One Modbus TCP request (MBAP transaction `tid`, unit 1, read 2 input registers at 0: the SDM120's voltage) through the fake listener. */
function gatewayAsk(tid: number) {
  const listener = world.listeners[world.listeners.length - 1];
  const c = listener.connect();
  c.send([tid >> 8, tid & 0xff, 0, 0, 0, 6, 1, 4, 0, 0, 0, 2]);
  return c;
}

export function bootConcentrator(setup: SetupStep, profiles: Record<string, string>): void {
  world.reset();
  const sim = new Simulation({ seed: 11 });
  const bus = sim.segment({ name: "bus", baud: 9600 });
  world.board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, uart: 2, txPin: 17, rxPin: 16, dePin: 4 }] });
  for (const id of Object.keys(profiles)) world.resources.set(`${id}.json`, profiles[id]);
  const meters = [
    { name: "main", profile: "eastron-sdm120", unit: 1, intervalMs: 10000 },
    { name: "house", profile: "eastron-sdm630", unit: 2, intervalMs: 10000, points: ["voltage_l1_n", "power_active_total", "energy_active_import_total"] },
  ];
  const emulators = meters.map((m) => {
    const p = parseProfile(JSON.parse(profiles[m.profile]), m.profile);
    return sim.meter(bus, { ...profileMeter(p, m.unit, { voltage_l1_n: 230.5, power_active_total: 1200, energy_active_import_total: 4321.5 }).options, turnaroundUs: [2000, 6000] });
  });
  const site = {
    bus: { port: "uart2", baud: 9600, framing: "8N1" },
    meters,
    forwarding: { mqtt: { url: "mqtt://broker.local:1883", site: "home" } },
    gateway: { port: 502 },
  };
  world.config = { role: "concentrator", ssid: "site-wifi", password: "secret", site: JSON.stringify(site), httpPort: 80, adminToken: "", dnsServer: "1.1.1.1", sntp: "pool.ntp.org" };
  const heapBefore = heap();
  const setupDone = boot(setup);
  const heapBooted = heap();

  sim.runUntil(60e6);
  const publishedBeforeDrop = world.mqtt.published;
  const first = gatewayAsk(0x1234);
  sim.runUntil(62e6);
  sim.runUntil(90e6);
  wifiEvent("disconnect");
  sim.runUntil(91e6);
  const publishedAtDrop = world.mqtt.published;
  sim.runUntil(150e6);
  const second = gatewayAsk(0x5678);
  sim.runUntil(180e6);
  const api = world.http.length > 0 ? world.http[0].get("/api/meters") : null;

  const answered = (c: { outbound: number[] }, tid: number) =>
    c.outbound.length === 13 && c.outbound[0] === tid >> 8 && c.outbound[1] === (tid & 0xff) && c.outbound[7] === 4 && c.outbound[8] === 4 && c.outbound.length === 13;
  const seen = {
    role: "concentrator",
    setupDone,
    simulatedSeconds: sim.now / 1e6,
    meterReplies: emulators.map((e) => e.counters.replies),
    wifiInstances: world.wifi.instances,
    wifiEvents: world.wifi.events.join(","),
    mqttClients: world.mqtt.clients.length,
    mqttConnacks: world.mqtt.connacks,
    published: world.mqtt.published,
    publishedBeforeDrop,
    publishedAfterRejoin: world.mqtt.published - publishedAtDrop,
    acked: world.mqtt.acked,
    publishedBytes: world.mqtt.publishedBytes,
    gatewayListeners: world.listeners.length,
    gatewayFirst: answered(first, 0x1234),
    gatewaySecond: answered(second, 0x5678),
    httpStatus: api === null ? 0 : api.status,
    httpBytes: api === null ? 0 : api.body.byteLength,
    restarts: world.restarts,
    heapBefore,
    heapBooted,
    heapEnd: heap(),
  };
  const ok = setupDone === 1 && seen.meterReplies.every((n) => n >= 15) && seen.mqttClients >= 2 && seen.mqttConnacks >= 2 &&
    publishedBeforeDrop > 0 && seen.publishedAfterRejoin > 0 && seen.acked > 0 && seen.wifiEvents.indexOf("disconnect,gotIP") >= 0 &&
    seen.gatewayListeners >= 2 && seen.gatewayFirst && seen.gatewaySecond && seen.httpStatus === 200 && seen.restarts === 0;
  out(`XS-BOOT ${JSON.stringify({ ok, ...seen, log: ok ? undefined : world.logs.slice(-20) })}`);
}

export function bootRepeater(setup: SetupStep): void {
  const baud = 9600;
  world.reset();
  const sim = new Simulation({ seed: 12 });
  const line = { baud, framing: "8N1" as const };
  const masterSeg = sim.segment({ name: "m", ...line });
  const noisy = sim.segment({ name: "noisy", ...line, noise: { bitErrorRate: bitRateForCharacterRate(0.002) } });
  const far = sim.segment({ name: "far", ...line });
  // R/C 1: the booted firmware (side A on UART2 17/16/4, side B on UART1 26/25/27, the manifest's defaults).
  world.board = new FakeEsp32(sim.queue, { name: "rc1", uarts: [{ segment: masterSeg, uart: 2, txPin: 17, rxPin: 16, dePin: 4 }, { segment: noisy, uart: 1, txPin: 26, rxPin: 25, dePin: 27 }] });
  const site = { repeater: { nroots: 4, interleave: 1, sideA: line, sideB: line }, forwarding: { mqtt: { url: "mqtt://broker.local:1883", site: "home" } } };
  world.config = { role: "repeater", ssid: "site-wifi", password: "secret", site: JSON.stringify(site), httpPort: 80, adminToken: "", dnsServer: "1.1.1.1" };
  const setupDone = boot(setup);
  // R/C 2, built as the firmware builds it, on its own board.
  const rxLatencyUs = RX_TIMEOUT_CHARACTERS * new LineTiming(baud, "8N1").characterUs + 1000;
  const b2 = new FakeEsp32(sim.queue, { name: "rc2", uarts: [{ segment: far, uart: 2, txPin: 17, rxPin: 16, dePin: 4 }, { segment: noisy, uart: 1, txPin: 26, rxPin: 25, dePin: 27 }] });
  const loop2 = new EngineLoop(b2.io);
  const pa = new Esp32SerialPort(b2.io, { uart: 2, txPin: 17, rxPin: 16, dePin: 4, baud });
  const pb = new Esp32SerialPort(b2.io, { uart: 1, txPin: 26, rxPin: 25, dePin: 27, baud });
  const rc2 = new Repeater({ nroots: 4, interleave: 1, sideA: line, sideB: line, tickUs: TIMER_TICK_US, rxLatencyUs }, pa, pb);
  pa.listener = rc2.a;
  pb.listener = rc2.b;
  pa.loop = pb.loop = loop2;
  loop2.attach(rc2);
  const holding: number[] = [];
  for (let i = 0; i < 20; i++) holding.push((i * 2654435761) & 0xffff);
  const meter = sim.meter(far, { unit: 5, holding, turnaroundUs: [2000, 6000] });
  // The master, polling every 2 s through both repeaters.
  const mb = new FakeEsp32(sim.queue, { name: "master", uarts: [{ segment: masterSeg, uart: 2, txPin: 17, rxPin: 16, dePin: 4 }] });
  const mLoop = new EngineLoop(mb.io);
  const mPort = new Esp32SerialPort(mb.io, { uart: 2, txPin: 17, rxPin: 16, dePin: 4, baud });
  let good = 0, failed = 0, wrong = 0;
  const master = new Master({ baud, retries: 1, responseTimeoutUs: 400000, offlineAfter: 0, rxIdleDelayUs: rxLatencyUs, rxBatchBytes: 120 }, mPort, {
    completed(r: MasterResult) {
      if (r.status !== STATUS_OK) { failed++; return; }
      good++;
      for (let i = 0; i < 20; i++) if (r.registers[i] !== holding[i]) { wrong++; break; }
    },
  });
  mPort.listener = master;
  mPort.loop = mLoop;
  mLoop.attach(master);
  let tag = 0;
  const poll = () => { master.submitRead(5, 3, 0, 20, tag++); mLoop.rearm(); };
  mb.io.Timer.set(() => poll(), 2000, 2000);

  sim.runUntil(90e6);
  wifiEvent("disconnect");
  sim.runUntil(180e6);
  const api = world.http.length > 0 ? world.http[0].get("/api/repeater") : null;
  const seen = {
    role: "repeater",
    setupDone,
    simulatedSeconds: sim.now / 1e6,
    polls: tag,
    good,
    failed,
    wrong,
    meterReplies: meter.counters.replies,
    wifiEvents: world.wifi.events.join(","),
    mqttClients: world.mqtt.clients.length,
    published: world.mqtt.published,
    httpStatus: api === null ? 0 : api.status,
    restarts: world.restarts,
  };
  const ok = setupDone === 1 && tag >= 80 && good >= 0.9 * tag - 2 && wrong === 0 && seen.wifiEvents.indexOf("disconnect,gotIP") >= 0 &&
    seen.mqttClients >= 2 && seen.published >= 2 && seen.httpStatus === 200 && seen.restarts === 0;
  out(`XS-BOOT ${JSON.stringify({ ok, ...seen, log: ok ? undefined : world.logs.slice(-20) })}`);
}

/**
 * The firmware's own footprint on XS: the concentrator booted with `site` (its meters emulated from their profiles,
 * Wi-Fi up, MQTT acknowledged) for `seconds` of simulated time. Prints `XS-FOOTPRINT {json}` with the live heap
 * (slots, chunk bytes, keys) after full collections: before boot (the simulator alone), after boot, and at the end. The
 * differences are the firmware's plus whatever the simulator itself gained meanwhile (so an upper bound).
 */
export function bootFootprint(setup: SetupStep, profiles: Record<string, string>, siteText: string, seconds: number, label: string): void {
  world.reset();
  const site = JSON.parse(siteText) as { meters: { name: string; profile: string; unit: number }[] } & Record<string, unknown>;
  const sim = new Simulation({ seed: 13 });
  const bus = sim.segment({ name: "bus", baud: Number((site.bus as { baud?: number } | undefined)?.baud ?? 9600) });
  world.board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, uart: 2, txPin: 17, rxPin: 16, dePin: 4 }] });
  for (const id of Object.keys(profiles)) world.resources.set(`${id}.json`, profiles[id]);
  const parsed = new Map<string, ReturnType<typeof parseProfile>>();
  for (const m of site.meters) {
    let p = parsed.get(m.profile);
    if (p === undefined) { p = parseProfile(JSON.parse(profiles[m.profile]), m.profile); parsed.set(m.profile, p); }
    sim.meter(bus, { ...profileMeter(p, m.unit, { voltage_l1_n: 230.5, power_active_total: 1200, energy_active_import_total: 4321.5 }).options, turnaroundUs: [2000, 6000] });
  }
  world.wifi.autoJoinMs = 500;
  world.config = { role: "concentrator", ssid: "site-wifi", password: "secret", site: siteText, httpPort: 80, adminToken: "", dnsServer: "1.1.1.1" };
  const before = heap();
  let error = "";
  let booted: number[] | null = null;
  try {
    boot(setup);
    booted = heap();
    sim.runUntil(seconds * 1e6);
  } catch (e) {
    error = String(e);
  }
  const end = heap();
  const diff = (a: number[] | null) => (a === null || before === null ? null : a.map((x, i) => x - before[i]));
  out(`XS-FOOTPRINT ${JSON.stringify({ label, meters: site.meters.length, seconds, error, published: world.mqtt.published, simulator: before, booted: diff(booted), end: diff(end), logs: error ? world.logs.slice(-5) : undefined })}`);
}

/** The ASCII text of a response body (the JSON documents are ASCII). */
function text(body: ArrayBuffer): string {
  const b = new Uint8Array(body);
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * The bus scan job on the booted concentrator (hosts/esp32/main-concentrator.ts): the site polls an SDM120 at 9600 8N1;
 * an EM340 at 19200 8E1 (not in the site) is on the same wires (the fake board's second segment). POST /api/scan with
 * the admin token tries 9600 and 19200 × 8N1 and 8E1: the port is closed and reopened at each (the ECMA-419 class for
 * 8N1, the native class for 8E1) and back at 9600 8N1, both meters are found and identified, polling goes on, nothing
 * restarts. Prints `XS-SCAN {json}` with `ok`, and the live heap (slots, chunk bytes, keys) before the scan, during it,
 * at its end and after polling resumed.
 */
export function bootScan(setup: SetupStep, profiles: Record<string, string>): void {
  world.reset();
  const sim = new Simulation({ seed: 14 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  const other = sim.segment({ name: "bus@19200/8E1", baud: 19200, framing: "8E1" });
  // The same wires heard at the two settings no meter uses: silent.
  const silent = [sim.segment({ name: "bus@9600/8E1", baud: 9600, framing: "8E1" }), sim.segment({ name: "bus@19200/8N1", baud: 19200, framing: "8N1" })];
  world.board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, otherSegments: [other, ...silent], uart: 2, txPin: 17, rxPin: 16, dePin: 4 }] });
  for (const id of Object.keys(profiles)) world.resources.set(`${id}.json`, profiles[id]);
  const polled = new LiveMeter(sim, bus, parseProfile(JSON.parse(profiles["eastron-sdm120"]), "eastron-sdm120"), { unit: 1, seed: 1, turnaroundUs: [2000, 6000] });
  new LiveMeter(sim, other, parseProfile(JSON.parse(profiles["carlo-gavazzi-em340"]), "carlo-gavazzi-em340"), { unit: 12, seed: 2, turnaroundUs: [3000, 8000] });
  const token = "0123456789abcdef-boot-scan";
  const site = { bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: [{ name: "main", profile: "eastron-sdm120", unit: 1, intervalMs: 5000 }] };
  world.wifi.autoJoinMs = 500;
  world.config = { role: "concentrator", ssid: "site-wifi", password: "secret", site: JSON.stringify(site), httpPort: 80, adminToken: token, dnsServer: "1.1.1.1", sntp: "pool.ntp.org" };
  const setupDone = boot(setup);
  // The Wi-Fi keeper's first join comes at about 21 s; the HTTP server starts then.
  sim.runUntil(30e6);
  const server = world.http.length > 0 ? world.http[0] : null;
  const repliesBefore = polled.emulator.counters.replies;
  const heapBefore = heap();
  const refused = server === null ? 0 : server.send("POST", "/api/scan?bauds=9600,19200&framings=8N1,8X1", `Bearer ${token}`).status;
  const started = server === null ? 0 : server.send("POST", "/api/scan?bauds=9600,19200&framings=8N1,8E1&last=20&timeoutMs=30", `Bearer ${token}`).status;
  sim.runUntil(31e6);
  const mid = server === null ? null : JSON.parse(text(server.get("/api/scan").body)) as { state: string; progress: number };
  const heapDuring = heap();
  type Status = { state: string; found: { baud: number; framing: string; unit: number; profile: string | null }[]; settings: { state: string; busMs: number }[]; restoreError?: string };
  const status = (): Status | null => {
    for (let s = 32; s <= 150 && server !== null; s++) {
      sim.runUntil(s * 1e6);
      const st = JSON.parse(text(server.get("/api/scan").body)) as Status;
      if (st.state === "done") return st;
    }
    return null;
  };
  const done = status();
  const heapScanned = heap();
  const repliesScanEnd = polled.emulator.counters.replies;
  sim.runUntil(sim.now + 30e6);
  const repliesAfter = polled.emulator.counters.replies;
  const found = done === null ? [] : done.found.map((f) => `${f.baud}/${f.framing}/${f.unit}/${f.profile}`);
  const seen = {
    setupDone, refused, started, midState: mid === null ? "" : mid.state, found,
    settings: done === null ? [] : done.settings.map((x) => x.state), busMs: done === null ? [] : done.settings.map((x) => x.busMs),
    restoreError: done === null ? null : done.restoreError ?? null,
    pollsAfter: repliesAfter - repliesScanEnd, pollsBefore: repliesBefore,
    restarts: world.restarts, heapBefore, heapDuring, heapScanned, heapAfter: heap(),
  };
  const ok = setupDone === 1 && refused === 400 && started === 202 && seen.midState === "scanning" &&
    found.join(",") === "9600/8N1/1/eastron-sdm120,19200/8E1/12/carlo-gavazzi-em340" && seen.settings.join(",") === "done,done,done,done" &&
    seen.restoreError === null && seen.pollsBefore > 0 && seen.pollsAfter > 0 && seen.restarts === 0;
  out(`XS-SCAN ${JSON.stringify({ ok, ...seen, log: ok ? undefined : world.logs.slice(-40) })}`);
}
