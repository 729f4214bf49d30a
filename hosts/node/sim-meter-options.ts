// One site meter's emulator options from the site file's `simulation.meters.NAME` entry (docs/simulator.md): its load,
// answer delay, line setting and quirks (hosts/sim/meter.ts, "Quirky meters"). Shared by `rc485 sim` (sim-site.ts) and
// `rc485 scan --sim` (scan-sim.ts). A meter set to another baud or framing than the bus it is polled on never decodes a
// request: it is emulated as silent there (`onOtherLine`).
import type { Framing } from "../../modules/rtu/timing";
import type { OrderName } from "../../modules/concentrator/values";
import type { SiteMeter } from "../../modules/site/site";
import type { LiveMeterOptions } from "../sim/live-meter";

export interface MeterSim {
  loadShare?: number;
  turnaroundMs?: [number, number];
  energyKwh?: number;
  behindRepeater?: boolean;
  baud?: number;
  framing?: Framing;
  maxRegisters?: number;
  limitSilent?: boolean;
  answerBroadcast?: boolean;
  rebootBelowMs?: number;
  wordOrder?: OrderName;
}

/** The line setting a simulated meter listens at: its own, else the bus's. */
export function meterLine(ms: MeterSim, bus: { baud: number; framing: Framing }): { baud: number; framing: Framing } {
  return { baud: ms.baud ?? bus.baud, framing: ms.framing ?? bus.framing };
}

export function liveMeterOptions(m: SiteMeter, ms: MeterSim, seed: number, onOtherLine = false): LiveMeterOptions {
  const t = ms.turnaroundMs ?? [3, 8];
  return {
    unit: m.unit, name: m.name, seed, loadShare: ms.loadShare, energyKwh: ms.energyKwh,
    turnaroundUs: [Math.round(t[0] * 1000), Math.round(t[1] * 1000)],
    wordOrder: ms.wordOrder,
    quirks: {
      ...(ms.maxRegisters !== undefined ? { maxRegisters: Math.min(ms.maxRegisters, m.profile.limits.maxRegisters) } : {}),
      ...(ms.limitSilent ? { limitSilent: true } : {}),
      ...(ms.answerBroadcast ? { answerBroadcast: true } : {}),
      ...(ms.rebootBelowMs ? { rebootBelowUs: Math.round(ms.rebootBelowMs * 1000) } : {}),
      ...(onOtherLine ? { dead: true } : {}),
    },
  };
}
