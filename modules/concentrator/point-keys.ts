/*
 * The standard point keys: one name per measured quantity, with its label, unit, Home Assistant classes and plausible range.
 * Every shipped profile (profiles/*.json) names its points from this table and keeps the manual's own wording in
 * `source_name`, so an MQTT topic, a Home Assistant entity, the JSON API and the status page mean the same quantity
 * whichever meter it comes from (docs/profile-points.md explains the scheme; docs/profiles.md lists the profiles).
 *
 * Theory of operation. A key is built `quantity[_kind][_direction][_where]`:
 *   quantity  voltage, current, power, power_factor, energy, frequency, thd (harmonic distortion)
 *   kind      active, reactive, apparent (power and energy)
 *   direction import (taken from the grid), export (fed into it), sum (import + export), net (import - export)
 *   where     l1_n … (phase to neutral), l1_l2 … (line to line), l1 … (one phase's conductor), n (neutral),
 *             total (the whole meter), avg (mean of the phases), t1/t2 (one tariff's register), dc (a DC channel)
 * A single-phase meter reports its phase as l1 (voltage_l1_n, current_l1) and its totals as total, so every meter offers
 * power_active_total and energy_active_import_total. Units are fixed per key (W, never kW; kWh, never Wh): a profile
 * converts with scale/exponent. Home Assistant vocabulary: developers.home-assistant.io "Sensor entity" (device classes,
 * state classes, units per class).
 *
 * The table is plain data (rows of strings and numbers, frozen) so that it can be preloaded into flash and compiled into
 * flash tables; look-ups (pointKeyIndex) run at configuration time only. `min`/`max` bound what a real meter of this
 * kind can plausibly report (used by the emulation test, and available to sanity checks); `typical` is a value such a
 * meter shows on a working installation (what the simulator's emulated meters hold).
 */

export interface PointKey {
  readonly key: string;
  readonly label: string;
  /** The unit every profile publishes this key in ("" = a ratio or a number without unit). */
  readonly unit: string;
  /** Home Assistant sensor device class ("" = none fits, e.g. THD or apparent energy). */
  readonly deviceClass: string;
  /** Home Assistant state class ("" = not a sensor value, e.g. a configuration register). */
  readonly stateClass: "measurement" | "total" | "total_increasing" | "";
  readonly min: number;
  readonly max: number;
  readonly typical: number;
}

const V_LN = [0, 1000, 230] as const;
const V_LL = [0, 1730, 400] as const;
const AMPS = [-100000, 100000, 5] as const;
const WATTS = [-1e8, 1e8, 1150] as const;
const PF = [-1, 1, 0.95] as const;
const KWH = [0, 1e10, 1234.5] as const;
const THD = [0, 1000, 3] as const;

function row(key: string, label: string, unit: string, deviceClass: string, stateClass: PointKey["stateClass"], range: readonly [number, number, number]): PointKey {
  return Object.freeze({ key, label, unit, deviceClass, stateClass, min: range[0], max: range[1], typical: range[2] });
}

const PHASES = ["l1", "l2", "l3"] as const;
const rows: PointKey[] = [];
for (const p of PHASES) rows.push(row(`voltage_${p}_n`, `Voltage ${p.toUpperCase()}-N`, "V", "voltage", "measurement", V_LN));
rows.push(row("voltage_ln_avg", "Voltage L-N, average", "V", "voltage", "measurement", V_LN));
for (const [a, b] of [["l1", "l2"], ["l2", "l3"], ["l3", "l1"]]) rows.push(row(`voltage_${a}_${b}`, `Voltage ${a.toUpperCase()}-${b.toUpperCase()}`, "V", "voltage", "measurement", V_LL));
rows.push(row("voltage_ll_avg", "Voltage L-L, average", "V", "voltage", "measurement", V_LL));
for (const p of PHASES) rows.push(row(`current_${p}`, `Current ${p.toUpperCase()}`, "A", "current", "measurement", AMPS));
rows.push(row("current_n", "Current N", "A", "current", "measurement", [-100000, 100000, 0.5]));
rows.push(row("current_avg", "Current, average", "A", "current", "measurement", AMPS));
rows.push(row("current_total", "Current, sum of phases", "A", "current", "measurement", [-300000, 300000, 15]));
for (const [kind, unit, dc, range] of [["active", "W", "power", WATTS], ["reactive", "var", "reactive_power", [-1e8, 1e8, 120]], ["apparent", "VA", "apparent_power", [0, 1e8, 1200]]] as const) {
  for (const p of PHASES) rows.push(row(`power_${kind}_${p}`, `${kind[0].toUpperCase()}${kind.slice(1)} power ${p.toUpperCase()}`, unit, dc, "measurement", range));
  rows.push(row(`power_${kind}_total`, `${kind[0].toUpperCase()}${kind.slice(1)} power, total`, unit, dc, "measurement", [range[0] * 3, range[1] * 3, range[2] * 3]));
}
for (const p of PHASES) rows.push(row(`power_factor_${p}`, `Power factor ${p.toUpperCase()}`, "", "power_factor", "measurement", PF));
rows.push(row("power_factor_total", "Power factor, total", "", "power_factor", "measurement", PF));
rows.push(row("power_active_import_total", "Active power import, total", "W", "power", "measurement", [0, 3e8, 3450]));
rows.push(row("power_active_export_total", "Active power export, total", "W", "power", "measurement", [0, 3e8, 3450]));
rows.push(row("frequency", "Frequency", "Hz", "frequency", "measurement", [40, 70, 50]));
rows.push(row("power_active_demand_total", "Active power demand, total", "W", "power", "measurement", [-3e8, 3e8, 3450]));
for (const dir of ["import", "export", "sum"] as const) {
  const what = dir === "sum" ? "import + export" : dir;
  rows.push(row(`energy_active_${dir}_total`, `Active energy ${what}, total`, "kWh", "energy", "total_increasing", KWH));
  for (const p of PHASES) rows.push(row(`energy_active_${dir}_${p}`, `Active energy ${what} ${p.toUpperCase()}`, "kWh", "energy", "total_increasing", KWH));
}
for (const t of ["t1", "t2"]) {
  rows.push(row(`energy_active_import_${t}`, `Active energy import, tariff ${t.slice(1)}`, "kWh", "energy", "total_increasing", KWH));
  rows.push(row(`energy_active_export_${t}`, `Active energy export, tariff ${t.slice(1)}`, "kWh", "energy", "total_increasing", KWH));
}
rows.push(row("energy_active_net_total", "Active energy import - export, total", "kWh", "energy", "total", [-1e10, 1e10, 1234.5]));
for (const dir of ["import", "export", "sum"] as const) {
  const what = dir === "sum" ? "import + export" : dir;
  rows.push(row(`energy_reactive_${dir}_total`, `Reactive energy ${what}, total`, "kvarh", "reactive_energy", "total_increasing", KWH));
}
rows.push(row("energy_apparent_total", "Apparent energy, total", "kVAh", "", "total_increasing", KWH));
for (const p of PHASES) rows.push(row(`thd_voltage_${p}`, `Voltage THD ${p.toUpperCase()}`, "%", "", "measurement", THD));
for (const p of PHASES) rows.push(row(`thd_current_${p}`, `Current THD ${p.toUpperCase()}`, "%", "", "measurement", THD));
rows.push(row("voltage_dc", "Voltage DC", "V", "voltage", "measurement", [-2000, 2000, 48]));
rows.push(row("current_dc", "Current DC", "A", "current", "measurement", [-10000, 10000, 12.5]));
rows.push(row("power_dc", "Power DC", "W", "power", "measurement", [-2e7, 2e7, 600]));
rows.push(row("modbus_address", "Modbus unit id (configured)", "", "", "", [1, 247, 1]));

/** Every standard key, in the order docs/profile-points.md lists them. */
export const POINT_KEYS: readonly PointKey[] = Object.freeze(rows);

/** Index of `key` in POINT_KEYS, or -1 (configuration time only: a linear scan). */
export function pointKeyIndex(key: string): number {
  for (let i = 0; i < POINT_KEYS.length; i++) if (POINT_KEYS[i].key === key) return i;
  return -1;
}
