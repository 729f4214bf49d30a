// `rc485 scan --sim`: the scan (modules/commissioning/scan.ts) run over the simulator (hosts/sim) instead of a serial port. The bus is
// the site file's meters, each an emulator of its profile at its own line setting and with its quirks from the
// `simulation` section (sim-meter-options.ts). One simulated segment is built per line setting tried, holding the meters
// that listen at that setting: a meter at another baud or framing never decodes a frame, so it is left off. The scanner's
// port is moved from setting to setting with reconfigure(), the port interface's way to reopen a UART. The time
// reported is virtual bus time, deterministic for a seed.
import { BusScanner, type ScanOptions } from "../../modules/commissioning/scan";
import type { Site } from "../../modules/site/site";
import type { Framing } from "../../modules/rtu/timing";
import type { Profile } from "../../modules/concentrator/profile";
import { Simulation } from "../sim/index";
import { LiveMeter } from "../sim/live-meter";
import { liveMeterOptions, meterLine, type MeterSim } from "./sim-meter-options";

export interface LineSetting {
  readonly baud: number;
  readonly framing: Framing;
}

export interface SettingScan {
  readonly setting: LineSetting;
  readonly scanner: BusScanner;
  /** Bus time the setting took, µs. */
  readonly busUs: number;
}

export type ScanTuning = Omit<ScanOptions, "baud" | "framing" | "profiles">;

/** Scans each setting in turn over a simulated bus built from `site` + `simulation`; `progress(i, scanner)` is called as it goes. */
export function scanSimulated(site: Site, simulation: Record<string, unknown>, settings: readonly LineSetting[], profiles: readonly Profile[], tuning: ScanTuning, progress?: (index: number, scanner: BusScanner) => void): SettingScan[] {
  const seed = typeof simulation.seed === "number" ? simulation.seed : 1;
  const tickUs = typeof simulation.tickUs === "number" ? simulation.tickUs : 0;
  const metersSim = (simulation.meters ?? {}) as Record<string, MeterSim>;
  const out: SettingScan[] = [];
  if (settings.length === 0) return out;
  // One simulated segment per line setting tried, holding the meters that listen at it; the scanner's port moves from
  // one to the next with reconfigure() (ReconfigurablePort), as a serial port is reopened at each setting.
  const sim = new Simulation({ seed, traceCapacity: 16 });
  const segments = settings.map((setting) => sim.segment({ name: `bus@${setting.baud}/${setting.framing}`, baud: setting.baud, framing: setting.framing }));
  site.meters.forEach((m, i) => {
    const ms = metersSim[m.name] ?? {};
    const own = meterLine(ms, site.bus);
    const k = settings.findIndex((s) => s.baud === own.baud && s.framing === own.framing);
    if (k >= 0) new LiveMeter(sim, segments[k], m.profile, liveMeterOptions(m, ms, seed * 7919 + i * 104729));
  });
  const host = sim.host({ name: "scanner", ports: [{ segment: segments[0], otherSegments: segments.slice(1), uart: "ideal" }], tick: tickUs });
  const port = host.port(0);
  settings.forEach((setting, index) => {
    const why = port.reconfigure(setting.baud, setting.framing);
    if (why !== null) throw new RangeError(why);
    const scanner = new BusScanner(port, { ...tuning, baud: setting.baud, framing: setting.framing, profiles });
    host.attach(scanner);
    const start = sim.now;
    scanner.start(start);
    const limit = start + scanner.budgetUs + 60_000_000;
    const step = 1_000_000;
    while (!scanner.done && sim.now < limit) {
      sim.runUntilTrue(() => scanner.done, Math.min(limit, sim.now + step));
      progress?.(index, scanner);
    }
    out.push({ setting, scanner, busUs: (scanner.done ? scanner.finishedAt : sim.now) - start });
  });
  return out;
}
