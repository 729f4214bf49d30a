/*
 * The engine configurations of the ESP32 memory budget, measured on XS by the memory host (scripts/xs-memory.mjs):
 * a concentrator's bus side (hosts/esp32/site-poller.ts: plan, scheduler, master, latest values, readings store) for 4
 * meters with all points, 32 meters with the typical selection of bench/core.bench.ts and with all points, and an R/C
 * repeater. The bundle's body is the preload step (code, tables,
 * the compiled profile library: flash on the device); `measureEngines` runs in the machine built with the manifest's
 * `creation` and does at run time what the device does at boot: look the profiles up, check the site, build the engine.
 * One configuration per run (`only`): a full collection before and after building it, the difference printed as
 * `XS-MEMORY {json}` (live slots, chunk bytes, runtime keys, collections XS ran on its own). Ends with `XS-MEMORY-DONE`.
 */
import type { Profile } from "../modules/concentrator/profile";
import { LIBRARY_LOOKUP, libraryProfile } from "../modules/concentrator/profile-library";
import { Repeater } from "../modules/repeater/engine";
import { checkSite } from "../modules/site/site";
import { sitePoller } from "../hosts/esp32/site-poller";

declare function print(...args: unknown[]): void;
declare function xsMemory(): [slots: number, chunkBytes: number, keys: number, collections: number, slotBytes: number];

export interface XsMemoryRow {
  name: string;
  slots: number;
  chunkBytes: number;
  keys: number;
  collections: number;
  slotBytes: number;
}

/** The four profiles of the bench's sites, in order. */
export const MEMORY_PROFILES = ["eastron-sdm630", "eastron-sdm120", "nmid30-2", "ubs-djz1226"];

/**
 * The typical selection of bench/core.bench.ts by profile (three-phase: phase V/I/P, totals, frequency, energies; DC
 * meter: 4 values with their decimal-point registers; the others: every point). Names a profile does not map are skipped.
 */
const TYPICAL_SELECTION: Record<string, readonly string[]> = {
  "eastron-sdm630": ["voltage_l1_n", "voltage_l2_n", "voltage_l3_n", "current_l1", "current_l2", "current_l3", "power_active_l1",
    "power_active_l2", "power_active_l3", "power_active_total", "power_apparent_total", "power_reactive_total", "power_factor_total",
    "frequency", "energy_active_import_total", "energy_active_export_total", "energy_reactive_import_total", "energy_reactive_export_total",
    "energy_active_sum_total", "energy_active_import_l1", "energy_active_import_l2", "energy_active_import_l3"],
  "ubs-djz1226": ["voltage_dc", "current_dc", "power_dc", "energy_active_import_total"],
};

/** The engine configurations: name → builder (returns what must stay alive). */
function configurations(profileTexts: readonly string[]): [string, () => unknown][] {
  const concentrator = (copies: number, typical: boolean) => () => {
    // The shipped profiles are preloaded flash data (modules/concentrator/profile-library.ts): looked up, not parsed.
    const profiles: Profile[] = MEMORY_PROFILES.map((id) => libraryProfile(id)!);
    const meters: unknown[] = [];
    let unit = 1;
    for (let c = 0; c < copies; c++) for (const p of profiles) {
      const wanted = typical ? TYPICAL_SELECTION[p.id] : undefined;
      const points = wanted === undefined ? undefined : wanted.filter((n) => p.points.some((q) => q.name === n));
      meters.push({ name: `${p.id}-${c}`, profile: p.id, unit: unit++, intervalMs: 10000, ...(points !== undefined && points.length > 0 ? { points } : {}) });
    }
    const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters }, LIBRARY_LOOKUP);
    if (!r.ok) throw new Error(r.errors.join("; "));
    return sitePoller(r.site, { transmit() {} }, 4 * 1042, 1000, null); // rxIdleUs: 4 characters at 9600 8N1
  };
  const line = { baud: 9600, framing: "8N1" as const };
  return [
    ["concentrator, 4 meters (SDM630, SDM120, NMID30-2, DJZ1226), all points", concentrator(1, false)],
    ["concentrator, 32 meters (8 of each), typical selection (bench/core.bench.ts)", concentrator(8, true)],
    ["concentrator, 32 meters (8 of each), all points", concentrator(8, false)],
    ["repeater, nroots 4, queue 4 frames per side", () => new Repeater({ nroots: 4, interleave: 1, sideA: line, sideB: line }, { transmit() {} }, { transmit() {} })],
  ];
}

function row(name: string, before: readonly number[], after: readonly number[]): XsMemoryRow {
  return { name, slots: after[0] - before[0], chunkBytes: after[1] - before[1], keys: after[2] - before[2], collections: after[3] - before[3], slotBytes: after[4] };
}

/** The number of configurations (each is run in a fresh machine: keys, once made, are never freed). */
export const ENGINE_CONFIGURATIONS = 4;

export function measureEngines(profileTexts: readonly string[], only: number): void {
  const boot = xsMemory();
  print(`XS-MEMORY ${JSON.stringify({ name: "empty machine", slots: boot[0], chunkBytes: boot[1], keys: boot[2], collections: boot[3], slotBytes: boot[4] })}`);
  let alive: unknown = null;
  const list = configurations(profileTexts);
  if (list.length !== ENGINE_CONFIGURATIONS) throw new Error("ENGINE_CONFIGURATIONS is stale");
  for (const [name, build] of [list[only]]) {
    const before = xsMemory();
    alive = build();
    const after = xsMemory();
    print(`XS-MEMORY ${JSON.stringify(row(name, before, after))}`);
  }
  if (alive === null) throw new Error("nothing was built");
  print("XS-MEMORY-DONE");
}

/**
 * Steady state on XS: `count` master transactions through the real ESP32 serial adapter (bench/esp32.bench.ts
 * adapterLoop: 80 registers, a 165-byte reply in two FIFO reads) after a warm-up; prints `XS-STEADY {json}` with the
 * live heap change (slots, chunk bytes) between full collections and the collections XS ran on its own meanwhile.
 */
export function measureSteadyState(count: number, make: () => { transaction(): number }): void {
  const loop = make();
  for (let i = 0; i < 100; i++) loop.transaction();
  const before = xsMemory();
  for (let i = 0; i < count; i++) loop.transaction();
  const after = xsMemory();
  print(`XS-STEADY ${JSON.stringify({ transactions: count, slots: after[0] - before[0], chunkBytes: after[1] - before[1], collections: after[3] - before[3] })}`);
}
