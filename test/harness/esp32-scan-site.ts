/*
 * The scan bench bus on the ESP32 host (test/scan-job-esp32.test.ts, bench/scan.ts): sites/scan-demo.json's meters on a
 * fake ESP32 board (hosts/sim/esp32-fakes.ts) whose UART is wired to one simulated segment per line setting given, a
 * concentrator (hosts/esp32: Esp32SerialPort, EngineLoop, sitePoller, HttpRoutes) polling the meters at the site's own
 * 9600 8N1, and the scan job (modules/commissioning/scan-job.ts) between the port and the poll loop, as main-concentrator.ts wires it.
 * Test and bench tooling (Node only).
 */
import { EngineLoop } from "../../hosts/esp32/deadline-timer";
import { HttpRoutes } from "../../hosts/esp32/http-routes";
import type { Esp32Io } from "../../hosts/esp32/io";
import { Esp32SerialPort } from "../../hosts/esp32/serial-port";
import { deviceGatewayConfig } from "../../hosts/esp32/gateway-service";
import { sitePoller, type SitePoller } from "../../hosts/esp32/site-poller";
import { SCAN_DEMO_SITE } from "../../hosts/node/commands/scan";
import { liveMeterOptions, meterLine, type MeterSim } from "../../hosts/node/sim-meter-options";
import { readSiteFile } from "../../hosts/node/site-file";
import { FakeEsp32 } from "../../hosts/sim/esp32-fakes";
import { Simulation } from "../../hosts/sim/index";
import { LiveMeter } from "../../hosts/sim/live-meter";
import type { Segment } from "../../hosts/sim/segment";
import { ScanJob } from "../../modules/commissioning/scan-job";
import type { Framing } from "../../modules/rtu/timing";
import { checkSite, profileTable } from "../../modules/site/site";

export const SCAN_TOKEN = "0123456789abcdef-scan";
const WIRING = { uart: 2 as const, txPin: 17, rxPin: 16, dePin: 4 };
const CALLBACK_LATENCY_US = 1000;

export interface Esp32ScanSite {
  sim: Simulation;
  port: Esp32SerialPort;
  job: ScanJob;
  routes: HttpRoutes;
  /** Readings and failed reads of the polled site (sitePoller events). */
  polls: { ok: number; failed: number };
  /** The meters on the wired segments: their line setting, unit, profile, and whether they answer address 0. */
  expected: { baud: number; framing: string; unit: number; profile: string; zero: boolean }[];
  poller: SitePoller;
  io: Esp32Io;
  /** The bus side's engine loop (rearm after submitting from outside). */
  loop: EngineLoop;
}

/** The scan-demo bus on a fake ESP32 with segments at `lines` (others left unwired); `native` false: no native UART class. */
export function esp32ScanSite(lines: readonly (readonly [number, Framing])[], native = true, seed = 11, withGateway = false): Esp32ScanSite {
  const sf = readSiteFile(SCAN_DEMO_SITE);
  if (!sf.site) throw new Error(sf.errors.join("\n"));
  const demo = sf.site;
  const metersSim = (sf.simulation.meters ?? {}) as Record<string, MeterSim>;
  const sim = new Simulation({ seed });
  const segments: Segment[] = lines.map(([baud, framing]) => sim.segment({ name: `bus@${baud}/${framing}`, baud, framing }));
  const expected: Esp32ScanSite["expected"] = [];
  demo.meters.forEach((m, i) => {
    const ms = metersSim[m.name] ?? {};
    const own = meterLine(ms, demo.bus);
    const k = lines.findIndex(([b, f]) => b === own.baud && f === own.framing);
    if (k < 0) return;
    new LiveMeter(sim, segments[k], m.profile, liveMeterOptions(m, ms, 7919 + i * 104729));
    expected.push({ baud: own.baud, framing: own.framing, unit: m.unit, profile: m.profile.id, zero: ms.answerBroadcast === true });
  });
  // The site polled: the meters at 9600 8N1, the bus's own setting.
  const polled = demo.meters.filter((m) => { const l = meterLine(metersSim[m.name] ?? {}, demo.bus); return l.baud === 9600 && l.framing === "8N1"; });
  const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters: polled.map((m) => ({ name: m.name, profile: m.profile.id, unit: m.unit, intervalMs: 1000 })) }, profileTable(sf.profiles));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: segments[0], otherSegments: segments.slice(1), ...WIRING }] });
  const io: Esp32Io = native ? board.io : { ...board.io, UartRs485: undefined };
  const port = new Esp32SerialPort(io, { ...WIRING, baud: 9600, framing: "8N1", field: "bus" });
  const loop = new EngineLoop(io);
  const polls = { ok: 0, failed: 0 };
  const gatewayConfig = withGateway ? deviceGatewayConfig({ port: 502 }) : null;
  const poller = sitePoller(r.site, port, port.rxIdleUs, CALLBACK_LATENCY_US, { reading() { polls.ok++; }, failure() { polls.failed++; } }, gatewayConfig);
  const job = new ScanJob(poller.loop, port, { baud: 9600, framing: "8N1" }, () => sf.profiles, () => port.rxIdleUs + CALLBACK_LATENCY_US);
  // As main-concentrator.ts wires it: the gateway holds off while a scan has the line.
  const guest = poller.guest;
  if (guest !== null) job.onBusTaken = (taken, now) => guest.takeBus(taken, now);
  port.listener = job;
  port.loop = loop;
  poller.loop.start(io.now());
  loop.attach(job);
  const routes = new HttpRoutes({
    documents: { "/api/scan": () => JSON.stringify(job.status()) }, adminToken: SCAN_TOKEN, now: io.now, checkSite: () => [], accept: () => {},
    scan: { get running() { return job.running; }, start: (tuning) => { const why = job.start(io.now(), tuning); loop.rearm(); return why; }, status: () => job.status() },
  });
  return { sim, port, job, routes, polls, expected, poller, io, loop };
}

