/*
 * The R/C repeater role on an ESP32 (docs/esp32.md): two UARTs with two MAX485 transceivers, side A plain Modbus and
 * side B the Reed–Solomon link (modules/repeater/engine.ts), statistics served over HTTP (/api/repeater) and, with an MQTT
 * broker configured, published every 60 s. The bus sides start at boot; Wi-Fi is joined and re-joined by the app.
 *
 * The configuration is the site's `repeater` section (modules/repeater/config.ts): from the build (config.site) or
 * replaced through PUT /api/site, validated by resolveRepeaterConfig before use.
 */
import config from "mc/config";
import { Server } from "http";
import Preference from "preference";
import Resource from "Resource";
import WiFi from "wifi";
import { parseMqttSettings } from "../../modules/forwarding/config";
import { Repeater } from "../../modules/repeater/engine";
import { resolveRepeaterConfig, type RepeaterConfig } from "../../modules/repeater/config";
import { DIRECTION_AB, DIRECTION_BA, STAT_COUNT, STAT_NAMES } from "../../modules/repeater/stats";
import { EngineLoop } from "./deadline-timer";
import { deviceConfig } from "./device-config";
import { HttpRoutes } from "./http-routes";
import { startHttpServer, type HttpServerClass } from "./http-server";
import { TIMER_TICK_US } from "./io";
import { MqttForwarder } from "./mqtt-forwarder";
import { mqttPlatform } from "./network";
import { log, platform } from "./platform";
import { restart } from "./restart";
import { Esp32SerialPort } from "./serial-port";
import { loadSite, storeSite } from "./site-store";
import { WifiKeeper, type WifiClass } from "./wifi-keeper";

/**
 * Chunk heap budgeted for a PUT /api/site body (the XS heap is not measurable at run time in a release build: the SDK's
 * Instrumentation answers only in instrumented builds): the repeater leaves 75,592 of the 81,920 chunk bytes free (measured on XS: docs/esp32.md, memory budget); 48 KB of it is budgeted.
 */
const BODY_HEAP_BYTES = 49152;

interface RepeaterSite {
  repeater: RepeaterConfig;
  forwarding?: { mqtt?: unknown };
}

function problems(json: unknown): readonly string[] {
  if (json === null || typeof json !== "object" || typeof (json as RepeaterSite).repeater !== "object") return ["$.repeater: must be an object {sideA, sideB, nroots, ...}"];
  try {
    resolveRepeaterConfig((json as RepeaterSite).repeater);
    const f = (json as RepeaterSite).forwarding;
    if (f !== undefined && f.mqtt !== undefined) parseMqttSettings(f.mqtt);
  } catch (e) {
    return [(e as Error).message];
  }
  return [];
}

function statsDocument(r: Repeater): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < STAT_COUNT; i++) {
    out[`ab.${STAT_NAMES[i]}`] = r.stats.get(DIRECTION_AB, i);
    out[`ba.${STAT_NAMES[i]}`] = r.stats.get(DIRECTION_BA, i);
  }
  return out;
}

export function startRepeater(): void {
  const device = deviceConfig(config as Record<string, unknown>);
  const loaded = loadSite(Preference, device.site, problems);
  if (loaded.note) log(loaded.note);
  const site = loaded.json as RepeaterSite;
  const a = site.repeater.sideA;
  const b = site.repeater.sideB;
  const loop = new EngineLoop(platform);
  const portA = new Esp32SerialPort(platform, { ...device.portA, baud: a.baud, framing: a.framing, field: "repeater.sideA" });
  const portB = new Esp32SerialPort(platform, { ...device.portB, baud: b.baud, framing: b.framing, field: "repeater.sideB" });
  // The UART hands bytes over after its RX timeout (character times of each side's own framing), plus the callback path.
  const rxLatencyUs = Math.max(portA.rxIdleUs, portB.rxIdleUs) + 1000;
  const repeater = new Repeater({ ...site.repeater, tickUs: TIMER_TICK_US, rxLatencyUs }, portA, portB);
  portA.listener = repeater.a;
  portB.listener = repeater.b;
  portA.loop = portB.loop = loop;
  loop.attach(repeater);
  log(`repeater: A ${a.baud} baud, B ${b.baud} baud (${loaded.source} site)`);

  if (device.adminToken === "") log("http: no adminToken in this build: PUT /api/site is off (docs/esp32.md, site endpoint)");
  const routes = new HttpRoutes({
    adminToken: device.adminToken,
    now: platform.now,
    checkSite: problems,
    accept(text) {
      storeSite(Preference, text);
      log("site replaced through HTTP; restarting");
      platform.Timer.set(() => restart(), 500);
    },
    statusFile: (file) => new Resource(file) as unknown as ArrayBuffer,
    documents: {
      "/api/repeater": () => JSON.stringify({ stats: statsDocument(repeater), portA: portA.counters, portB: portB.counters }),
    },
  });

  let mqtt: MqttForwarder | null = null;
  let statsTopic = "";
  if (site.forwarding?.mqtt !== undefined) {
    const s = parseMqttSettings(site.forwarding.mqtt);
    mqtt = new MqttForwarder(platform, mqttPlatform([device.dnsServer], s), s, log);
    statsTopic = `${s.prefix}/${s.site}/repeater/${repeater.config.unitId}/stats`;
    platform.Timer.set(() => {
      if (mqtt !== null) mqtt.publish(statsTopic, JSON.stringify(statsDocument(repeater)), 0, false, 0);
    }, 60000, 60000);
  }
  let httpStarted = false;
  new WifiKeeper(platform, WiFi as unknown as WifiClass, device.ssid, device.password, () => {
    if (!httpStarted) {
      startHttpServer(routes, { Server: Server as unknown as HttpServerClass, port: device.httpPort, freeHeap: () => BODY_HEAP_BYTES });
      httpStarted = true;
    }
    if (mqtt !== null) mqtt.start();
  }, () => {
    if (mqtt !== null) mqtt.stop();
  }, log);
}
