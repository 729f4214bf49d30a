/*
 * The concentrator role on an ESP32 (docs/esp32.md): one RS-485 bus polled by profile (modules/concentrator/poll-loop.ts) on the
 * ECMA-419 serial/DE adapter, readings forwarded over MQTT (modules/forwarding/mqtt-session.ts through the SDK's MQTT client) and
 * served over HTTP (status page and JSON, shared with the Node host). The bus starts first, at boot, whatever Wi-Fi
 * does; Wi-Fi is joined and re-joined by the app (WifiKeeper), and the forwarders start when it is up.
 *
 * The site comes from the build (config.site) or from a replacement stored through PUT /api/site; it is validated
 * before use (modules/site/site.ts + the forwarding section) and a bad one is refused while the running one is kept. An
 * accepted site is stored and the device restarts into it.
 *
 * Modbus TCP gateway (docs/gateway.md): when the site has a `gateway` section, the poll loop is built with a guest slot
 * for it, and hosts/esp32/gateway-service.ts builds the engine and its ECMA-419 listener (embedded:io/socket/listener,
 * embedded:io/socket/tcp) when Wi-Fi is first up, stops it when Wi-Fi is lost and listens again when it returns. TCP
 * requests go into the same Master, alternating with the scheduler's polls. The section is checked at boot on its own:
 * a bad one is logged and refused, and the bus runs without the gateway. On the device `bind` defaults to 0.0.0.0.
 */
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import { Server } from "http";
import Preference from "preference";
import Resource from "Resource";
import Flash from "flash";
import { ForwardRing } from "../../modules/forwarding/ring";
import { FlashRingStorage, type FlashLike } from "./ring-flash";
import WiFi from "wifi";
import { syncClock } from "./clock-sync";
import { parseForwarding } from "../../modules/forwarding/config";
import { MqttLayout } from "../../modules/forwarding/mqtt-payload";
import { MqttSession } from "../../modules/forwarding/mqtt-session";
import { LIBRARY_LOOKUP, PROFILE_LIBRARY } from "../../modules/concentrator/profile-library";
import { checkSite, minCapFor, type ProfileLookup } from "../../modules/site/site";
import { planDocument } from "../../modules/forwarding/status-json";
import { HistoryPieces, MetersPieces, healthPieces } from "../../modules/forwarding/status-stream";
import { EngineLoop } from "./deadline-timer";
import { deviceConfig } from "./device-config";
import type { ListenerClass, TcpClass } from "./gateway-listener";
import { bootGateway, deviceGatewayConfig, gatewayProblems, gatewayWarnings, GatewayService } from "./gateway-service";
import { HttpRoutes } from "./http-routes";
import { ScanJob } from "../../modules/commissioning/scan-job";
import { LearnedLimits } from "../../modules/commissioning/learned-limits";
import { loadLearnedPreference, saveLearnedPreference } from "./learned-store";
import { startHttpServer, type HttpServerClass } from "./http-server";
import { MqttForwarder } from "./mqtt-forwarder";
import { mqttPlatform } from "./network";
import { log, platform } from "./platform";
import { restart } from "./restart";
import { LineTiming } from "../../modules/rtu/timing";
import { Esp32SerialPort, rxTimeoutCoveringT35, usesNativeUart } from "./serial-port";
import { sitePoller, type PollerEvents } from "./site-poller";
import { loadSite, storeSite } from "./site-store";
import { WifiKeeper, type WifiClass } from "./wifi-keeper";

/**
 * The store-and-forward ring's byte budget when the site sets none (forwarding.mqtt.ringBytes): the readings that fit
 * in it are kept while the broker is away, at most forwarding.mqtt.ring (docs/esp32.md "Memory budget").
 */
export const DEVICE_RING_BYTES = 16384;

/**
 * Chunk heap budgeted for a PUT /api/site body (the XS heap is not measurable at run time in a release build: the SDK's
 * Instrumentation answers only in instrumented builds): 12,800 of the 81,920 chunk bytes are left after a 4-meter
 * all-points concentrator is built (measured on XS: docs/esp32.md, memory budget).
 */
const BODY_HEAP_BYTES = 12800;

/** Interrupt → message → JS callback delay budgeted for received bytes, µs (not measured on a board: see docs/esp32.md). */
const CALLBACK_LATENCY_US = 1000;

function siteProblems(json: unknown, profiles: ProfileLookup): readonly string[] {
  const r = checkSite(json, profiles);
  if (!r.ok) return r.errors;
  try {
    parseForwarding(r.site.forwarding ?? undefined);
  } catch (e) {
    return [(e as Error).message];
  }
  // The device's own rule on top of checkSite's: bind defaults to 0.0.0.0, loopback refused.
  return gatewayProblems(r.site.gateway);
}

/** How often learned limits are written to the preference (when they changed): NVS wear, not freshness, sets it. */
const LEARNED_SAVE_MS = 30 * 60 * 1000;

export function startConcentrator(): void {
  const device = deviceConfig(config as Record<string, unknown>);
  // The shipped profiles, compiled into preloaded flash data (modules/concentrator/profile-library.ts): nothing parsed at boot.
  const profiles = LIBRARY_LOOKUP;
  const check = (json: unknown) => siteProblems(json, profiles);
  // At boot the gateway section does not decide which site runs (it is checked apart, below); PUT /api/site uses `check`.
  const loaded = loadSite(Preference, device.site, (json) => siteProblems(bootGateway(json, () => {}).site, profiles));
  if (loaded.note) log(loaded.note);
  // The gateway section on its own: a bad one is refused (logged) and the bus runs without it.
  const split = bootGateway(loaded.json, log);
  const result = checkSite(split.site, profiles);
  if (!result.ok) throw new RangeError(result.errors.join("; "));
  const site = result.site;
  const gatewayConfig = split.gateway;
  log(`concentrator: ${site.meters.length} meters at ${site.bus.baud} baud (${loaded.source} site)${gatewayConfig !== null ? `, Modbus TCP gateway on port ${gatewayConfig.port}` : ""}`);

  // The bus first.
  const loop = new EngineLoop(platform);
  // On the native UART class (framing other than 8N1, or DE on RTS) the RX timeout is set so the reply's hand-over comes
  // t3.5 after its last byte: the silence the next request waits for, with no timer on the way (docs/esp32.md).
  const busConfig = { ...device.portA, baud: site.bus.baud, framing: site.bus.framing, field: "bus" };
  const port = new Esp32SerialPort(platform, { ...busConfig, rxTimeoutCharacters: usesNativeUart(busConfig) ? rxTimeoutCoveringT35(new LineTiming(site.bus.baud, site.bus.framing)) : undefined });
  const events: PollerEvents = { reading() {}, failure() {} };
  // Learned limits (register caps, timeouts, gaps: docs/profiles.md) from the preference; written back every 30 minutes.
  const learned = new LearnedLimits(site.meters.length);
  site.meters.forEach((m, i) => { learned.minCap[i] = minCapFor(m); });
  const names = site.meters.map((m) => m.name);
  const restored = loadLearnedPreference(Preference, learned, names);
  if (restored !== null) log(restored);
  let learnedText = "";
  platform.Timer.set(() => { learnedText = saveLearnedPreference(Preference, learned, names, learnedText, log); }, LEARNED_SAVE_MS, LEARNED_SAVE_MS);
  const poller = sitePoller(site, port, port.rxIdleUs, CALLBACK_LATENCY_US, events, gatewayConfig, learned);
  const store = poller.store;
  // The bus scan job (POST /api/scan) sits between the port and the poll loop; it reopens the port at each line setting
  // it tries (and at the site's after), and identifies by every shipped profile (the preloaded library).
  const scanJob = new ScanJob(poller.loop, port, { baud: site.bus.baud, framing: site.bus.framing },
    () => PROFILE_LIBRARY, () => port.rxIdleUs + CALLBACK_LATENCY_US);
  // The Modbus TCP gateway submits to the master on its own: it is told to hold off (exception 0A) while a scan has the line.
  const guest = poller.guest;
  if (guest !== null) scanJob.onBusTaken = (taken, now) => guest.takeBus(taken, now);
  port.listener = scanJob;
  port.loop = loop;
  poller.loop.start(platform.now());
  loop.attach(scanJob);

  // The Modbus TCP gateway: built and started once Wi-Fi is up (the npm typings of the socket classes are older than
  // the lwIP implementation the adapter follows: hosts/esp32/gateway-listener.ts).
  const gateway = gatewayConfig === null ? null : new GatewayService(gatewayConfig, poller, {
    io: platform,
    Listener: Listener as unknown as ListenerClass,
    TCP: TCP as unknown as TcpClass,
    busLoop: loop,
    units: site.meters.map((m) => m.unit),
    log,
  });

  // Forwarding, once the network is up.
  const forwarding = parseForwarding(site.forwarding ?? undefined);
  let mqtt: MqttForwarder | null = null;
  if (forwarding.mqtt) {
    const s = forwarding.mqtt;
    mqtt = new MqttForwarder(platform, mqttPlatform([device.dnsServer], s), s, log);
    const layout = new MqttLayout({ prefix: s.prefix, site: s.site, discoveryPrefix: s.discoveryPrefix }, store.meters.map((m) => m.meta));
    // forwarding.mqtt.ringStore names a flash data partition: the ring survives power cuts (docs/esp32.md, "Persistent ring").
    let forwardRing: ForwardRing | undefined;
    if (s.ringStore !== undefined) {
      try {
        const storage = new FlashRingStorage(new Flash(s.ringStore) as unknown as FlashLike, s.ringBytes);
        forwardRing = new ForwardRing(storage, { maxPoints: store.maxPoints, track: s.window, layoutId: layout.layoutId });
        const r = forwardRing.recovery;
        log(`mqtt: ring in flash partition ${s.ringStore} (${storage.blockCount} sectors): ${r.replay} readings to replay, ${r.torn} torn records skipped`);
      } catch (e) {
        log(`mqtt: ring partition '${s.ringStore}': ${(e as Error).message}; the ring stays in RAM`);
      }
    }
    const session = new MqttSession(store, layout, mqtt, { window: s.window, ring: s.ring, ringBytes: s.ringBytes > 0 ? s.ringBytes : DEVICE_RING_BYTES, retainState: s.retainState, discovery: s.discovery, origin: s.origin, forwardRing, quality: poller.quality });
    mqtt.session = session;
    events.reading = (m) => session.reading(m);
    // After every poll: meter availability, and point availability (a point of any meter may have aged to stale); only
    // changes are sent.
    events.polled = () => session.health();
  }
  let epochKnown = false;
  const nowMs = () => (epochKnown ? Date.now() : 0);
  if (device.adminToken === "") log("http: no adminToken in this build: PUT /api/site is off (docs/esp32.md, site endpoint)");
  const routes = new HttpRoutes({
    adminToken: device.adminToken,
    now: platform.now,
    checkSite: check,
    siteWarnings(json) {
      const section = (json as { gateway?: unknown }).gateway;
      return section === undefined || section === null ? [] : gatewayWarnings(deviceGatewayConfig(section));
    },
    scan: {
      get running() { return scanJob.running; },
      start(tuning) {
        const why = scanJob.start(platform.now(), tuning);
        loop.rearm();
        return why;
      },
      status: () => scanJob.status(),
    },
    accept(text) {
      storeSite(Preference, text);
      log("site replaced through HTTP; restarting");
      platform.Timer.set(() => restart(), 500);
    },
    statusFile: (file) => new Resource(file) as unknown as ArrayBuffer,
    documents: {
      // Written in pieces into the HTTP server's one buffer (modules/forwarding/status-stream.ts); the plan (the planner's own
      // description, asked for rarely) and the scan status stay JSON text.
      "/api/meters": () => new MetersPieces(store, platform.now(), nowMs(), poller.quality),
      "/api/history": () => new HistoryPieces(store, platform.now(), nowMs()),
      "/api/plan": () => JSON.stringify(planDocument({ plan: () => poller.loop.plan.toJSON() }, nowMs())),
      "/api/health": () => healthPieces(store, nowMs(), {
        bus: port.counters, mqtt: mqtt !== null ? mqtt.stats : null, wifiJoins: wifi.joins, scan: scanJob.status(), learned: learned.toJSON(names),
      }),
      "/api/scan": () => JSON.stringify(scanJob.status()),
    },
  });
  let httpStarted = false;
  const wifi: WifiKeeper = new WifiKeeper(platform, WiFi as unknown as WifiClass, device.ssid, device.password, () => {
    if (!epochKnown) {
      syncClock(() => {
        epochKnown = true;
        poller.loop.setEpoch(Date.now(), platform.now());
      }, log);
    }
    if (!httpStarted && forwarding.http.enabled) {
      startHttpServer(routes, { Server: Server as unknown as HttpServerClass, port: device.httpPort, freeHeap: () => BODY_HEAP_BYTES });
      httpStarted = true;
    }
    if (mqtt !== null) mqtt.start();
    if (gateway !== null) gateway.start();
  }, () => {
    if (mqtt !== null) mqtt.stop();
    if (gateway !== null) gateway.stop();
  }, log);
}
