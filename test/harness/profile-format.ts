/*
 * A structural check of meter-profile data (profiles/<id>.json) against the agreed profile format
 * (docs/profile-points.md / modules/concentrator/point-keys.ts for the point names; the format itself is the one the loader in modules/concentrator/profile.ts enforces).
 * It is test code: it returns every problem as a readable string instead of stopping at the first, so that one run of
 * test/profiles.test.ts lists all the defects of all the files. It checks what the data must satisfy whatever the loader
 * does: unique names, addresses inside the 16-bit register space after the address base, valid types and orders,
 * multi-register values that do not overlap, function codes the meter declares, the Home Assistant vocabulary, energy
 * totals that are total_increasing, and at least one public source with a URL.
 */

export const FUNCTIONS = [1, 2, 3, 4] as const;
export const FRAMINGS = ["8N1", "8E1", "8O1", "8N2"] as const;
export const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
export const ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"] as const;
/** Registers occupied by each type (bool: one bit of a coil/discrete input, or of one register with `bit`). */
export const TYPE_REGISTERS: Readonly<Record<string, number>> = {
  u16: 1, s16: 1, u32: 2, s32: 2, u64: 4, s64: 4, f32: 2, f64: 4, bool: 1,
};
/** Home Assistant sensor device classes an electricity meter can use, with the units HA accepts for each (a "" unit = none). */
export const DEVICE_CLASS_UNITS: Readonly<Record<string, readonly string[]>> = {
  voltage: ["V", "mV", "kV"],
  current: ["A", "mA"],
  power: ["W", "kW", "MW"],
  apparent_power: ["VA", "kVA"],
  reactive_power: ["var", "kvar"],
  power_factor: ["", "%"],
  frequency: ["Hz", "kHz"],
  energy: ["Wh", "kWh", "MWh"],
  reactive_energy: ["varh", "kvarh"],
  temperature: ["°C"],
  duration: ["s", "min", "h"],
};
export const STATE_CLASSES = ["measurement", "total", "total_increasing"] as const;
/** Modbus allows at most 125 registers (FC03/04) or 2000 bits (FC01/02) in one read response. */
export const MAX_REGISTERS_PER_READ = 125;

/** One row of the standard-name table in docs/profile-points.md. */
export interface StandardPoint { label: string; unit: string; deviceClass: string; stateClass: string }

/** Parses the `| name | label | unit | deviceClass | stateClass |` table of docs/profile-points.md. */
export function parsePointTable(markdown: string): Map<string, StandardPoint> {
  const table = new Map<string, StandardPoint>();
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // "| a | b | c | d | e |" splits into ["", a, b, c, d, e, ""].
    if (cells.length !== 7 || cells[1] === "name" || !/^[a-z0-9_]+$/.test(cells[1])) continue;
    table.set(cells[1], { label: cells[2], unit: cells[3], deviceClass: cells[4], stateClass: cells[5] });
  }
  return table;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/**
 * Every problem found in one profile, each naming the profile, the point and the field. `fileId` is the file's base
 * name (the id must equal it); `names`, when given, is the standard-name table the point names must come from.
 */
export function checkProfile(profile: unknown, fileId: string, names?: Map<string, StandardPoint>): string[] {
  const problems: string[] = [];
  const bad = (where: string, what: string) => problems.push(`${fileId}: ${where}: ${what}`);
  if (!isObject(profile)) return [`${fileId}: not a JSON object`];
  const p = profile;

  if (p.id !== fileId) bad("id", `must equal the file name "${fileId}"`);
  if (typeof p.id !== "string" || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.id)) bad("id", "must be lowercase [a-z0-9-]");
  for (const f of ["manufacturer", "model", "description"]) {
    if (typeof p[f] !== "string" || (p[f] as string).length === 0) bad(f, "must be a non-empty string");
  }

  // Sources: at least one; every entry has a title and an http(s) URL (the loader requires both).
  if (!Array.isArray(p.sources) || p.sources.length === 0) bad("sources", "must list at least one source");
  else {
    let withUrl = 0;
    p.sources.forEach((s, i) => {
      if (!isObject(s) || typeof s.title !== "string" || s.title.length === 0) bad(`sources[${i}].title`, "missing");
      else if (typeof s.url !== "string" || !/^https?:\/\/\S+$/.test(s.url)) bad(`sources[${i}].url`, "must be an http(s) URL");
      else withUrl++;
      if (isObject(s) && s.notes !== undefined && typeof s.notes !== "string") bad(`sources[${i}].notes`, "must be a string");
    });
    if (withUrl === 0) bad("sources", "at least one source must have a URL");
  }

  // Serial defaults.
  if (!isObject(p.serial)) bad("serial", "missing");
  else {
    if (!(BAUDS as readonly unknown[]).includes(p.serial.baud)) bad("serial.baud", `must be one of ${BAUDS.join(", ")}`);
    if (!(FRAMINGS as readonly unknown[]).includes(p.serial.framing)) bad("serial.framing", `must be one of ${FRAMINGS.join(", ")}`);
    if (!isInt(p.serial.unit) || p.serial.unit < 1 || p.serial.unit > 247) bad("serial.unit", "must be an integer 1..247");
  }

  const base = p.addressBase;
  if (base !== 0 && base !== 1) bad("addressBase", "must be 0 or 1");

  // Limits.
  let functions: number[] = [];
  let maxRegisters = MAX_REGISTERS_PER_READ;
  if (!isObject(p.limits)) bad("limits", "missing");
  else {
    const l = p.limits;
    if (!isInt(l.maxRegisters) || l.maxRegisters < 1 || l.maxRegisters > MAX_REGISTERS_PER_READ) {
      bad("limits.maxRegisters", `must be an integer 1..${MAX_REGISTERS_PER_READ}`);
    } else maxRegisters = l.maxRegisters;
    for (const f of ["evenCountsOnly", "evenStartOnly"]) if (typeof l[f] !== "boolean") bad(`limits.${f}`, "must be true or false");
    if (!isInt(l.minDelayMs) || l.minDelayMs < 0) bad("limits.minDelayMs", "must be an integer >= 0");
    if (l.responseTimeoutMs !== undefined && (!isInt(l.responseTimeoutMs) || l.responseTimeoutMs <= 0)) {
      bad("limits.responseTimeoutMs", "must be a positive integer");
    }
    if (!Array.isArray(l.functions) || l.functions.length === 0 || !l.functions.every((f) => (FUNCTIONS as readonly unknown[]).includes(f))) {
      bad("limits.functions", "must be a non-empty list of 1, 2, 3, 4");
    } else {
      functions = l.functions as number[];
      if (new Set(functions).size !== functions.length) bad("limits.functions", "lists a function twice");
    }
    if (typeof l.ratedPowerW !== "number" || !(l.ratedPowerW > 0) || !Number.isFinite(l.ratedPowerW)) {
      bad("limits.ratedPowerW", "must be a positive number of watts");
    }
  }

  // Points.
  if (!Array.isArray(p.points) || p.points.length === 0) {
    bad("points", "must list at least one point");
    return problems;
  }
  const seen = new Set<string>();
  // Occupied registers per function code: [first, count, name, bit | -1].
  const spans: { fn: number; first: number; count: number; name: string; bit: number }[] = [];
  p.points.forEach((pt, i) => {
    if (!isObject(pt)) return bad(`points[${i}]`, "not an object");
    const name = typeof pt.name === "string" ? pt.name : `#${i}`;
    const at = `point ${name}`;
    if (typeof pt.name !== "string" || !/^[a-z0-9_]+$/.test(pt.name)) bad(at, "name must be [a-z0-9_]");
    else if (seen.has(pt.name)) bad(at, "name is not unique");
    else seen.add(pt.name);
    if (pt.label !== undefined && typeof pt.label !== "string") bad(at, "label must be a string");

    const fn = pt.function;
    if (!(FUNCTIONS as readonly unknown[]).includes(fn)) bad(at, "function must be 1, 2, 3 or 4");
    else if (!functions.includes(fn as number)) bad(at, `function ${fn} is not in limits.functions`);

    const type = pt.type;
    const count = typeof type === "string" ? TYPE_REGISTERS[type] : undefined;
    if (count === undefined) bad(at, `type must be one of ${Object.keys(TYPE_REGISTERS).join(", ")}`);
    const bitPoint = fn === 1 || fn === 2;
    if (bitPoint && type !== "bool") bad(at, "coils and discrete inputs (FC01/02) are type bool");
    if (pt.bit !== undefined) {
      if (type !== "bool" || bitPoint) bad(at, "bit is only for a bool inside a register (FC03/04)");
      if (!isInt(pt.bit) || pt.bit < 0 || pt.bit > 15) bad(at, "bit must be 0..15");
    } else if (type === "bool" && !bitPoint) bad(at, "a bool in a register needs bit 0..15");
    if (count !== undefined && count > 1) {
      if (!(ORDERS as readonly unknown[]).includes(pt.order)) bad(at, `order must be one of ${ORDERS.join(", ")}`);
    } else if (pt.order !== undefined && !(ORDERS as readonly unknown[]).includes(pt.order)) {
      bad(at, `order must be one of ${ORDERS.join(", ")}`);
    }
    if (count !== undefined && count > maxRegisters) bad(at, `needs ${count} registers, more than limits.maxRegisters`);

    const first = isInt(pt.address) && (base === 0 || base === 1) ? pt.address - base : NaN;
    if (!isInt(pt.address) || Number.isNaN(first) || first < 0 || first + (count ?? 1) - 1 > 0xffff) {
      bad(at, `address must be an integer whose registers lie in 0..65535 after subtracting addressBase`);
    } else if (count !== undefined && isInt(fn)) {
      spans.push({ fn, first, count, name, bit: isInt(pt.bit) ? pt.bit : -1 });
    }

    for (const f of ["scale", "exponent"]) {
      if (pt[f] !== undefined && (typeof pt[f] !== "number" || !Number.isFinite(pt[f]))) bad(at, `${f} must be a finite number`);
    }
    if (pt.exponent !== undefined && !isInt(pt.exponent)) bad(at, "exponent must be an integer");
    if (pt.scale === 0) bad(at, "scale must not be 0");
    if (pt.exponentFrom !== undefined) {
      const e = pt.exponentFrom;
      if (!isObject(e)) bad(at, "exponentFrom must be an object");
      else {
        if (!functions.includes(e.function as number)) bad(at, "exponentFrom.function is not in limits.functions");
        if (e.function !== 3 && e.function !== 4) bad(at, "exponentFrom.function must be 3 or 4");
        if (e.type !== "u16" && e.type !== "s16") bad(at, "exponentFrom.type must be u16 or s16");
        if (e.sign !== 1 && e.sign !== -1) bad(at, "exponentFrom.sign must be 1 or -1");
        const ea = isInt(e.address) && (base === 0 || base === 1) ? e.address - base : NaN;
        if (!isInt(e.address) || Number.isNaN(ea) || ea < 0 || ea > 0xffff) bad(at, "exponentFrom.address out of range");
      }
    }
    if (pt.invalid !== undefined && (!Array.isArray(pt.invalid) || !pt.invalid.every((v) => typeof v === "number"))) {
      bad(at, "invalid must be a list of numbers");
    }

    // Standard keys (modules/concentrator/point-keys.ts, listed in docs/profile-points.md): a shipped point's unit and classes are its
    // key's; the profile may repeat them but not differ, and keeps the manual's own name in source_name.
    const std = names !== undefined && typeof pt.name === "string" ? names.get(pt.name) : undefined;
    if (names !== undefined && typeof pt.name === "string") {
      if (std === undefined) bad(at, "name is not a standard key (docs/profile-points.md)");
      if (typeof pt.source_name !== "string" || pt.source_name.trim() === "") bad(at, "source_name (the manual's name) is missing");
      if (pt.label !== undefined) bad(at, "label comes from the key table, not the profile");
    }
    const dc = pt.deviceClass ?? std?.deviceClass;
    const unit = pt.unit ?? std?.unit ?? "";
    const sc = pt.stateClass ?? std?.stateClass;
    if (std !== undefined) {
      if (std.unit !== unit) bad(at, `unit "${unit}" differs from docs/profile-points.md ("${std.unit}")`);
      if (std.deviceClass !== (dc ?? "")) bad(at, `deviceClass differs from docs/profile-points.md ("${std.deviceClass}")`);
      if (std.stateClass !== (sc ?? "")) bad(at, `stateClass differs from docs/profile-points.md ("${std.stateClass}")`);
    }

    // Home Assistant vocabulary.
    if (pt.unit !== undefined && (typeof pt.unit !== "string" || pt.unit.length === 0)) bad(at, "unit must be a non-empty string when given");
    if (dc !== undefined && dc !== "") {
      const units = typeof dc === "string" ? DEVICE_CLASS_UNITS[dc] : undefined;
      if (units === undefined) bad(at, `deviceClass must be one of ${Object.keys(DEVICE_CLASS_UNITS).join(", ")}`);
      else if (!units.includes(unit as string)) bad(at, `unit "${unit}" is not a Home Assistant unit of ${dc} (${units.join(", ")})`);
    }
    if (sc !== undefined && sc !== "" && !(STATE_CLASSES as readonly unknown[]).includes(sc)) bad(at, `stateClass must be one of ${STATE_CLASSES.join(", ")}`);
    if ((dc === "energy" || dc === "reactive_energy") && sc !== "total_increasing" && !(sc === "total" && /_net_/.test(name))) bad(at, "an energy total must be total_increasing (a net total: total)");
    if (sc === "total_increasing" && dc !== "energy" && dc !== "reactive_energy" && unit !== "kVAh") bad(at, "total_increasing is for energy totals");
  });

  // No two values share a register, except distinct bits of one register.
  spans.sort((a, b) => a.fn - b.fn || a.first - b.first);
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length && spans[j].fn === spans[i].fn && spans[j].first < spans[i].first + spans[i].count; j++) {
      const a = spans[i];
      const b = spans[j];
      const bits = a.bit >= 0 && b.bit >= 0 && a.count === 1 && b.count === 1;
      if (!bits || a.bit === b.bit) bad(`point ${b.name}`, `overlaps point ${a.name} (function ${a.fn}, register ${b.first})`);
    }
  }
  return problems;
}
