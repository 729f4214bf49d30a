/*
 * Meter profiles: what one meter model publishes, where, and how to read it. The format is documented in docs/profiles.md
 * and mirrored by schemas/profile.schema.json; this module is the portable checker that turns a parsed JSON object into a
 * normalised profile (addresses made 0-based, defaults filled in) or a list of every problem found.
 *
 * Theory of operation. MODBUS Application Protocol V1.1b3 §4.3/§4.4: a read names a 0-based protocol address; manuals
 * often number registers from 1 (and some prefix 3xxxx/4xxxx, which profiles must not use), so a profile states its
 * `addressBase` and the checker subtracts it. §6.1–§6.4 bound one read to 2000 bits (FC01/FC02) or 125 registers
 * (FC03/FC04); meters often allow fewer, and some refuse odd counts or odd start addresses (the NMID30-2 manual §1.1:
 * "All register read requests ... must specify an even number of registers", at most 80 registers). Units and classes use
 * Home Assistant's sensor vocabulary (developers.home-assistant.io, "Sensor entity": device classes, state classes and the
 * units each device class accepts).
 *
 * Point names: in a shipped profile every point is named by a standard key of modules/concentrator/point-keys.ts and carries the manual's
 * own name in `source_name`; its label, unit and Home Assistant classes come from the key table, so every consumer (MQTT,
 * Home Assistant discovery, the JSON API, the status page) shows the same name for the same quantity whatever the meter.
 * A user's own profile folder is checked with `standardKeys: false`: names outside the table then keep their own label,
 * unit and classes (a standard key still follows the table).
 *
 * Error messages name the profile, the point and the field:
 *   eastron-sdm120: points[3] "energy_import": order must be one of ABCD, CDAB, BADC, DCBA (got "ABDC")
 * Checking runs at configuration time and may allocate; nothing here runs per frame.
 */
import { FRAMING_BITS, BAUD_RATES, type Framing } from "../rtu/timing";
import { ORDER_NAMES, TYPE_NAMES, TYPE_WORDS, typeCode, type OrderName, type ValueTypeName } from "./values";
import { isInt, isObject, show } from "../common/json-check";
import { POINT_KEYS, pointKeyIndex } from "./point-keys";

export type FunctionCode = 1 | 2 | 3 | 4;
export type StateClass = "measurement" | "total" | "total_increasing";

export interface Source {
  readonly title: string;
  readonly url: string;
  readonly notes: string;
}

export interface SerialDefaults {
  readonly baud: number;
  readonly framing: Framing;
  readonly unit: number;
}

export interface Limits {
  /** Most registers in one FC03/FC04 read (1..125). */
  readonly maxRegisters: number;
  /** Most bits in one FC01/FC02 read (1..2000; default 2000). */
  readonly maxBits: number;
  readonly evenCountsOnly: boolean;
  readonly evenStartOnly: boolean;
  /** Silence the meter needs between two requests, beyond t3.5 (default 0). */
  readonly minDelayMs: number;
  /** Function codes the meter answers, ascending. */
  readonly functions: readonly FunctionCode[];
  /** Largest active power the meter can see, in W; 0 when the profile does not say (the sanity filter then checks only direction). */
  readonly ratedPowerW: number;
  /** Reply timeout this meter needs, in ms; 0 = computed from the line. */
  readonly responseTimeoutMs: number;
}

/** The decimal-point register a value's power of ten comes from (0-based address). */
export interface ExponentSource {
  readonly function: 3 | 4;
  readonly address: number;
  readonly type: "s16" | "u16";
  readonly sign: 1 | -1;
}

export interface Point {
  /** A standard key (modules/concentrator/point-keys.ts) in every shipped profile; a private name only in a user's own profile folder. */
  readonly name: string;
  /** The key's standard label (a private name: the profile's own label). */
  readonly label: string;
  /** The manual's own name for this value ("" when the profile does not give it). */
  readonly sourceName: string;
  readonly function: FunctionCode;
  /** 0-based protocol address (addressBase already applied). */
  readonly address: number;
  readonly type: ValueTypeName;
  readonly order: OrderName;
  /** Registers spanned (bits for FC01/FC02: 1). */
  readonly words: number;
  /** 0..15 for one bit of a register (type bool on FC03/FC04); -1 otherwise. */
  readonly bit: number;
  readonly scale: number;
  readonly exponent: number;
  readonly exponentFrom: ExponentSource | null;
  readonly invalid: readonly number[];
  readonly unit: string;
  readonly deviceClass: string;
  readonly stateClass: StateClass | "";
}

/** One signature check: a point (index into points) whose decoded value must lie in [min, max]. */
export interface SignatureCheck {
  readonly point: number;
  readonly min: number;
  readonly max: number;
}

/**
 * How a bus scan (modules/commissioning/scan.ts) recognises this model: every check's point is read and must decode inside its range.
 * The model whose checks all pass with the most checks wins, so a three-phase meter's profile names the phase registers
 * a single-phase meter of the same family does not have.
 */
export interface Signature {
  readonly checks: readonly SignatureCheck[];
}

/**
 * What a meter that supports Read Device Identification (function 43 / MEI 14, basic objects: MODBUS Application
 * Protocol Specification V1.1b3 §6.21) says it is: its VendorName (object 0) and, when named, its ProductCode (object 1).
 * A scan (modules/commissioning/scan.ts) asks for them when no signature decides; compared without regard to ASCII case.
 */
export interface DeviceIdentification {
  readonly vendor: string;
  /** "" = any product of the vendor. */
  readonly product: string;
}

export interface Profile {
  readonly id: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly description: string;
  readonly sources: readonly Source[];
  readonly serial: SerialDefaults;
  /** As written in the file (0 or 1); every address in this object is already 0-based. */
  readonly addressBase: 0 | 1;
  readonly limits: Limits;
  readonly points: readonly Point[];
  /** null when the profile names no signature (a scan then cannot tell this model). */
  readonly signature: Signature | null;
  /** The VendorName/ProductCode a 43/14 device identification reports (absent or null: not named). */
  readonly identification?: DeviceIdentification | null;
}

export type ProfileResult = { readonly ok: true; readonly profile: Profile } | { readonly ok: false; readonly errors: readonly string[] };

/** Home Assistant sensor device classes a meter profile may use, and the units each accepts ("" = no unit). */
export const DEVICE_CLASS_UNITS: { readonly [deviceClass: string]: readonly string[] } = Object.freeze({
  voltage: Object.freeze(["V", "mV", "kV"]),
  current: Object.freeze(["A", "mA"]),
  power: Object.freeze(["W", "kW"]),
  apparent_power: Object.freeze(["VA", "kVA"]),
  reactive_power: Object.freeze(["var", "kvar"]),
  power_factor: Object.freeze(["", "%"]),
  frequency: Object.freeze(["Hz", "kHz"]),
  energy: Object.freeze(["Wh", "kWh", "MWh"]),
  reactive_energy: Object.freeze(["varh", "kvarh"]),
  temperature: Object.freeze(["°C", "°F", "K"]),
  duration: Object.freeze(["s", "min", "h", "d"]),
  enum: Object.freeze([""]),
});
/** Device classes whose values are running totals: their state class must be total or total_increasing. */
export const TOTAL_DEVICE_CLASSES: readonly string[] = Object.freeze(["energy", "reactive_energy"]);
export const STATE_CLASSES: readonly StateClass[] = Object.freeze(["measurement", "total", "total_increasing"]);
export const FRAMINGS: readonly Framing[] = Object.freeze(Object.keys(FRAMING_BITS) as Framing[]);

/** Protocol bounds (MODBUS Application Protocol §6.1–§6.4). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_EXPONENT = 20;

const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NAME_PATTERN = /^[a-z0-9_]+$/;
const TOP_KEYS = Object.freeze(["id", "manufacturer", "model", "description", "sources", "serial", "addressBase", "limits", "points", "signature", "identification"]);
const SIGNATURE_KEYS = Object.freeze(["checks"]);
const CHECK_KEYS = Object.freeze(["point", "min", "max"]);
const IDENTIFICATION_KEYS = Object.freeze(["vendor", "product"]);
/** Most checks a signature may name (each costs one read per candidate during a scan). */
export const MAX_SIGNATURE_CHECKS = 8;
const SOURCE_KEYS = Object.freeze(["title", "url", "notes"]);
const SERIAL_KEYS = Object.freeze(["baud", "framing", "unit"]);
const LIMIT_KEYS = Object.freeze(["maxRegisters", "maxBits", "evenCountsOnly", "evenStartOnly", "minDelayMs", "functions", "ratedPowerW", "responseTimeoutMs"]);
const POINT_FIELDS = Object.freeze(["name", "source_name", "label", "notes", "function", "address", "type", "order", "bit", "scale", "exponent", "exponentFrom", "invalid", "unit", "deviceClass", "stateClass"]);
const EXPONENT_KEYS = Object.freeze(["function", "address", "type", "sign"]);

/** Collects messages with a fixed prefix. */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly prefix: string) {}
  add(where: string, message: string, ...got: unknown[]): void {
    this.list.push(`${this.prefix}: ${where}${where ? " " : ""}${message}${got.length > 0 ? ` (got ${show(got[0])})` : ""}`);
  }
  unknownKeys(where: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) this.add(where, `has unknown field ${JSON.stringify(k)}; allowed: ${allowed.join(", ")}`);
  }
}

export interface CheckOptions {
  /**
   * true (the default; every shipped profile): every point name must be a standard key of modules/concentrator/point-keys.ts and carry
   * the manual's wording in `source_name`; label, unit and classes come from the key table. false (a user's own profile
   * folder, test fixtures): a name outside the table keeps its own label, unit and classes; a standard key still follows
   * the table.
   */
  readonly standardKeys?: boolean;
}

/**
 * Checks a parsed profile file. `fileId` (the file name without .json), when given, must equal the profile's id.
 * Never throws on bad data: every problem found is listed.
 */
export function checkProfile(json: unknown, fileId?: string, options: CheckOptions = {}): ProfileResult {
  const strict = options.standardKeys !== false;
  const rawId = isObject(json) && typeof json.id === "string" ? json.id : undefined;
  const p = new Problems(rawId ?? fileId ?? "profile");
  if (!isObject(json)) {
    p.add("", "must be a JSON object", json);
    return { ok: false, errors: p.list };
  }
  p.unknownKeys("", json, TOP_KEYS);

  if (typeof json.id !== "string" || !ID_PATTERN.test(json.id)) p.add("", "id must be lowercase letters, digits and single hyphens", json.id);
  else if (fileId !== undefined && fileId !== json.id) p.add("", `id must equal the file name ${JSON.stringify(fileId)}`, json.id);
  for (const key of ["manufacturer", "model"]) {
    if (typeof json[key] !== "string" || (json[key] as string).trim() === "") p.add("", `${key} must be a non-empty string`, json[key]);
  }
  if (json.description !== undefined && typeof json.description !== "string") p.add("", "description must be a string", json.description);

  const sources: Source[] = [];
  if (!Array.isArray(json.sources) || json.sources.length === 0) p.add("", "sources must be a non-empty list of {title, url, notes?}", json.sources);
  else json.sources.forEach((s, i) => {
    const where = `sources[${i}]`;
    if (!isObject(s)) { p.add(where, "must be an object {title, url, notes?}", s); return; }
    p.unknownKeys(where, s, SOURCE_KEYS);
    if (typeof s.title !== "string" || s.title.trim() === "") p.add(where, "title must be a non-empty string", s.title);
    if (typeof s.url !== "string" || !/^https?:\/\/\S+$/.test(s.url)) p.add(where, "url must be an http(s) address", s.url);
    if (s.notes !== undefined && typeof s.notes !== "string") p.add(where, "notes must be a string", s.notes);
    sources.push({ title: String(s.title), url: String(s.url), notes: typeof s.notes === "string" ? s.notes : "" });
  });

  let serial: SerialDefaults = { baud: 9600, framing: "8N1", unit: 1 };
  if (!isObject(json.serial)) p.add("", "serial must be an object {baud, framing, unit}", json.serial);
  else {
    const s = json.serial;
    p.unknownKeys("serial", s, SERIAL_KEYS);
    if (!BAUD_RATES.includes(s.baud as number)) p.add("", `serial.baud must be one of ${BAUD_RATES.join(", ")}`, s.baud);
    if (!FRAMINGS.includes(s.framing as Framing)) p.add("", `serial.framing must be one of ${FRAMINGS.join(", ")}`, s.framing);
    if (s.unit !== undefined && !isInt(s.unit, 1, 247)) p.add("", "serial.unit must be an integer from 1 to 247", s.unit);
    serial = { baud: s.baud as number, framing: s.framing as Framing, unit: s.unit === undefined ? 1 : (s.unit as number) };
  }

  const base = json.addressBase;
  if (base !== 0 && base !== 1) p.add("", "addressBase must be 0 (protocol addresses) or 1 (manual numbers from 1)", base);
  const addressBase: 0 | 1 = base === 1 ? 1 : 0;

  const limits = checkLimits(json.limits, p);

  const points: Point[] = [];
  if (!Array.isArray(json.points) || json.points.length === 0) p.add("", "points must be a non-empty list", json.points);
  else {
    const seen = new Map<string, number>();
    json.points.forEach((raw, i) => {
      const point = checkPoint(raw, i, addressBase, limits, strict, p);
      if (point !== null) points.push(point);
      const name = isObject(raw) ? raw.name : undefined;
      if (typeof name !== "string") return;
      const first = seen.get(name);
      if (first !== undefined) p.add(`points[${i}] ${JSON.stringify(name)}:`, `name repeats points[${first}]`);
      else seen.set(name, i);
    });
    if (p.list.length === 0) checkOverlaps(points, p);
  }
  const signature = json.signature === undefined ? null : checkSignature(json.signature, points, p);
  const identification = json.identification === undefined ? null : checkIdentification(json.identification, p);

  if (p.list.length > 0) return { ok: false, errors: p.list };
  return {
    ok: true,
    profile: {
      id: json.id as string, manufacturer: json.manufacturer as string, model: json.model as string,
      description: typeof json.description === "string" ? json.description : "", sources, serial, addressBase, limits, points,
      signature, identification,
    },
  };
}

/** `identification`: {vendor, product?}: printable ASCII, 1..64 characters (an object's length is one byte). */
function checkIdentification(v: unknown, p: Problems): DeviceIdentification | null {
  const text = (x: unknown) => typeof x === "string" && x.length >= 1 && x.length <= 64 && /^[\x20-\x7e]+$/.test(x);
  if (!isObject(v) || !text(v.vendor) || (v.product !== undefined && !text(v.product))) {
    p.add("", "identification must be an object {vendor, product?} of printable ASCII strings, 1 to 64 characters", v);
    return null;
  }
  p.unknownKeys("identification", v, IDENTIFICATION_KEYS);
  return { vendor: v.vendor as string, product: typeof v.product === "string" ? v.product : "" };
}

function checkLimits(v: unknown, p: Problems): Limits {
  const fallback: Limits = { maxRegisters: MAX_READ_REGISTERS, maxBits: MAX_READ_BITS, evenCountsOnly: false, evenStartOnly: false, minDelayMs: 0, functions: [1, 2, 3, 4], ratedPowerW: 0, responseTimeoutMs: 0 };
  if (!isObject(v)) { p.add("", "limits must be an object {maxRegisters, functions, ...}", v); return fallback; }
  p.unknownKeys("limits", v, LIMIT_KEYS);
  if (!isInt(v.maxRegisters, 1, MAX_READ_REGISTERS)) p.add("", `limits.maxRegisters must be an integer from 1 to ${MAX_READ_REGISTERS}`, v.maxRegisters);
  if (v.maxBits !== undefined && !isInt(v.maxBits, 1, MAX_READ_BITS)) p.add("", `limits.maxBits must be an integer from 1 to ${MAX_READ_BITS}`, v.maxBits);
  for (const key of ["evenCountsOnly", "evenStartOnly"]) if (v[key] !== undefined && typeof v[key] !== "boolean") p.add("", `limits.${key} must be true or false`, v[key]);
  if (v.minDelayMs !== undefined && !(typeof v.minDelayMs === "number" && v.minDelayMs >= 0 && v.minDelayMs <= 10000)) p.add("", "limits.minDelayMs must be a number from 0 to 10000", v.minDelayMs);
  if (v.ratedPowerW !== undefined && !(typeof v.ratedPowerW === "number" && v.ratedPowerW > 0 && Number.isFinite(v.ratedPowerW))) p.add("", "limits.ratedPowerW must be a positive number of watts", v.ratedPowerW);
  if (v.responseTimeoutMs !== undefined && !isInt(v.responseTimeoutMs, 1, 10000)) p.add("", "limits.responseTimeoutMs must be an integer from 1 to 10000", v.responseTimeoutMs);
  const functions: FunctionCode[] = [];
  if (!Array.isArray(v.functions) || v.functions.length === 0) p.add("", "limits.functions must be a non-empty list of 1, 2, 3, 4", v.functions);
  else for (const f of v.functions) {
    if (f !== 1 && f !== 2 && f !== 3 && f !== 4) p.add("", "limits.functions must contain only 1, 2, 3, 4", f);
    else if (functions.includes(f)) p.add("", "limits.functions must not repeat a code", f);
    else functions.push(f);
  }
  functions.sort((a, b) => a - b);
  return {
    maxRegisters: isInt(v.maxRegisters, 1, MAX_READ_REGISTERS) ? v.maxRegisters : MAX_READ_REGISTERS,
    maxBits: isInt(v.maxBits, 1, MAX_READ_BITS) ? v.maxBits : MAX_READ_BITS,
    evenCountsOnly: v.evenCountsOnly === true,
    evenStartOnly: v.evenStartOnly === true,
    minDelayMs: typeof v.minDelayMs === "number" && v.minDelayMs >= 0 ? v.minDelayMs : 0,
    functions,
    ratedPowerW: typeof v.ratedPowerW === "number" && v.ratedPowerW > 0 ? v.ratedPowerW : 0,
    responseTimeoutMs: isInt(v.responseTimeoutMs, 1, 10000) ? v.responseTimeoutMs : 0,
  };
}

/** Registers a read must span to hold `words` registers at `address` under the meter's even-start/even-count rules. */
export function paddedSpan(address: number, words: number, limits: Limits): number {
  const start = limits.evenStartOnly && address % 2 === 1 ? address - 1 : address;
  let count = address + words - start;
  if (limits.evenCountsOnly && count % 2 === 1) count++;
  return count;
}

function checkPoint(raw: unknown, i: number, base: number, limits: Limits, strict: boolean, p: Problems): Point | null {
  if (!isObject(raw)) { p.add(`points[${i}]`, "must be an object", raw); return null; }
  const name = typeof raw.name === "string" ? raw.name : "";
  const where = `points[${i}]${name ? ` ${JSON.stringify(name)}` : ""}:`;
  const before = p.list.length;
  p.unknownKeys(where, raw, POINT_FIELDS);
  if (!NAME_PATTERN.test(name)) p.add(where, "name must be lowercase letters, digits and underscores", raw.name);
  for (const key of ["label", "notes", "source_name"]) if (raw[key] !== undefined && typeof raw[key] !== "string") p.add(where, `${key} must be a string`, raw[key]);
  const keyIndex = pointKeyIndex(name);
  const std = keyIndex >= 0 ? POINT_KEYS[keyIndex] : null;
  if (std === null && strict && NAME_PATTERN.test(name)) p.add(where, "name is not a standard point key (modules/concentrator/point-keys.ts, docs/profile-points.md)");
  if (strict && (typeof raw.source_name !== "string" || raw.source_name.trim() === "")) p.add(where, "source_name (the manual's own name for the value) is required");
  if (std !== null && raw.label !== undefined && raw.label !== std.label) {
    p.add(where, `label of ${name} is ${JSON.stringify(std.label)} by the standard key table; keep the manual's wording in source_name`, raw.label);
  }

  const fn = raw.function;
  if (fn !== 1 && fn !== 2 && fn !== 3 && fn !== 4) p.add(where, "function must be one of 1, 2, 3, 4", fn);
  else if (!limits.functions.includes(fn)) p.add(where, `function ${fn} is not in limits.functions [${limits.functions.join(", ")}]`);

  const type = raw.type;
  const tc = typeof type === "string" ? typeCode(type) : -1;
  if (tc < 0) p.add(where, `type must be one of ${TYPE_NAMES.join(", ")}`, type);
  const bitsFn = fn === 1 || fn === 2;
  if (tc >= 0 && bitsFn && type !== "bool") p.add(where, `type must be bool for function ${fn} (coils and discrete inputs are bits)`, type);

  const order = raw.order === undefined ? "ABCD" : raw.order;
  if (!ORDER_NAMES.includes(order as OrderName)) p.add(where, `order must be one of ${ORDER_NAMES.join(", ")}`, order);

  let bit = -1;
  if (raw.bit !== undefined) {
    if (type !== "bool" || bitsFn) p.add(where, "bit is only for type bool on function 3 or 4 (one bit of a register)", raw.bit);
    else if (!isInt(raw.bit, 0, 15)) p.add(where, "bit must be an integer from 0 to 15", raw.bit);
    else bit = raw.bit;
  } else if (type === "bool" && (fn === 3 || fn === 4)) p.add(where, "bit (0..15) is required for type bool on function 3 or 4");

  const words = tc >= 0 ? TYPE_WORDS[tc] : 1;
  const maxAddress = 65535 + base - (words - 1);
  let address = 0;
  if (!isInt(raw.address, base, maxAddress)) {
    p.add(where, `address must be an integer from ${base} to ${maxAddress}${base === 1 ? " (addressBase 1: manual numbering)" : ""}`, raw.address);
  } else {
    address = raw.address - base;
    if (!bitsFn && tc >= 0 && paddedSpan(address, words, limits) > limits.maxRegisters) {
      p.add(where, `needs ${paddedSpan(address, words, limits)} registers in one read but limits.maxRegisters is ${limits.maxRegisters}`);
    }
  }

  const scale = raw.scale === undefined ? 1 : raw.scale;
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale === 0) p.add(where, "scale must be a finite non-zero number", scale);
  const exponent = raw.exponent === undefined ? 0 : raw.exponent;
  if (!isInt(exponent, -MAX_EXPONENT, MAX_EXPONENT)) p.add(where, `exponent must be an integer from ${-MAX_EXPONENT} to ${MAX_EXPONENT}`, exponent);
  if (type === "bool" && (raw.scale !== undefined || raw.exponent !== undefined || raw.exponentFrom !== undefined)) p.add(where, "scale, exponent and exponentFrom do not apply to type bool");

  let exponentFrom: ExponentSource | null = null;
  if (raw.exponentFrom !== undefined) {
    const e = raw.exponentFrom;
    if (!isObject(e)) p.add(where, "exponentFrom must be an object {function, address, type?, sign?}", e);
    else {
      p.unknownKeys(`${where} exponentFrom`, e, EXPONENT_KEYS);
      const efn = e.function;
      if (efn !== 3 && efn !== 4) p.add(where, "exponentFrom.function must be 3 or 4", efn);
      else if (!limits.functions.includes(efn)) p.add(where, `exponentFrom.function ${efn} is not in limits.functions [${limits.functions.join(", ")}]`);
      if (!isInt(e.address, base, 65535 + base)) p.add(where, `exponentFrom.address must be an integer from ${base} to ${65535 + base}`, e.address);
      const et = e.type === undefined ? "s16" : e.type;
      if (et !== "s16" && et !== "u16") p.add(where, "exponentFrom.type must be s16 or u16", e.type);
      const sign = e.sign === undefined ? 1 : e.sign;
      if (sign !== 1 && sign !== -1) p.add(where, "exponentFrom.sign must be 1 or -1", e.sign);
      exponentFrom = { function: efn as 3 | 4, address: (e.address as number) - base, type: et as "s16" | "u16", sign: sign as 1 | -1 };
    }
  }

  const invalid: number[] = [];
  if (raw.invalid !== undefined) {
    if (!Array.isArray(raw.invalid)) p.add(where, "invalid must be a list of raw numbers", raw.invalid);
    else for (const x of raw.invalid) {
      if (typeof x !== "number" || !Number.isFinite(x)) p.add(where, "invalid must contain only finite numbers", x);
      else invalid.push(x);
    }
  }

  if (std !== null) {
    // A standard key fixes unit and classes; a profile may repeat them (as a reading aid) but not differ.
    const fixed: [string, string][] = [["unit", std.unit], ["deviceClass", std.deviceClass], ["stateClass", std.stateClass]];
    for (const [field, want] of fixed) {
      if (raw[field] !== undefined && raw[field] !== want) p.add(where, `${field} of ${name} is ${want === "" ? "(none)" : JSON.stringify(want)} by the standard key table; convert with scale/exponent`, raw[field]);
    }
  }
  const unit = std !== null ? std.unit : raw.unit === undefined ? "" : raw.unit;
  if (typeof unit !== "string") p.add(where, "unit must be a string", unit);
  const deviceClass = std !== null ? std.deviceClass : raw.deviceClass === undefined ? "" : raw.deviceClass;
  const stateClass = std !== null ? std.stateClass : raw.stateClass === undefined ? "" : raw.stateClass;
  if (deviceClass !== "") {
    const units = typeof deviceClass === "string" && Object.prototype.hasOwnProperty.call(DEVICE_CLASS_UNITS, deviceClass) ? DEVICE_CLASS_UNITS[deviceClass] : undefined;
    if (!units) p.add(where, `deviceClass must be one of ${Object.keys(DEVICE_CLASS_UNITS).join(", ")}`, deviceClass);
    else if (typeof unit === "string" && !units.includes(unit)) p.add(where, `unit for deviceClass ${deviceClass} must be one of ${units.map((u) => (u === "" ? "(none)" : u)).join(", ")}`, unit);
    if (units && TOTAL_DEVICE_CLASSES.includes(deviceClass as string) && stateClass !== "total" && stateClass !== "total_increasing") {
      p.add(where, `stateClass must be total or total_increasing for deviceClass ${deviceClass}`, raw.stateClass);
    }
  }
  if (stateClass !== "" && !STATE_CLASSES.includes(stateClass as StateClass)) p.add(where, `stateClass must be one of ${STATE_CLASSES.join(", ")}`, stateClass);

  if (p.list.length > before) return null;
  return {
    name, label: std !== null ? std.label : typeof raw.label === "string" ? raw.label : name,
    sourceName: typeof raw.source_name === "string" ? raw.source_name : "", function: fn as FunctionCode, address, type: type as ValueTypeName,
    order: order as OrderName, words, bit, scale: scale as number, exponent: exponent as number, exponentFrom, invalid,
    unit: unit as string, deviceClass: deviceClass as string, stateClass: stateClass as StateClass | "",
  };
}

function checkSignature(v: unknown, points: readonly Point[], p: Problems): Signature | null {
  if (!isObject(v)) { p.add("", "signature must be an object {checks: [{point, min, max}, ...]}", v); return null; }
  p.unknownKeys("signature", v, SIGNATURE_KEYS);
  const checks: SignatureCheck[] = [];
  if (!Array.isArray(v.checks) || v.checks.length === 0 || v.checks.length > MAX_SIGNATURE_CHECKS) {
    p.add("", `signature.checks must be a list of 1 to ${MAX_SIGNATURE_CHECKS} {point, min, max}`, v.checks);
    return null;
  }
  v.checks.forEach((c, i) => {
    const where = `signature.checks[${i}]`;
    if (!isObject(c)) { p.add(where, "must be an object {point, min, max}", c); return; }
    p.unknownKeys(where, c, CHECK_KEYS);
    let index = -1;
    for (let k = 0; k < points.length; k++) if (points[k].name === c.point) index = k;
    if (index < 0) { p.add(where, "point must name a point of this profile", c.point); return; }
    const pt = points[index];
    if (pt.function < 3 || pt.type === "bool" || pt.exponentFrom !== null) p.add(where, "point must be a register value (function 3 or 4, not bool, no exponentFrom)", c.point);
    const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
    if (!finite(c.min) || !finite(c.max) || (c.min as number) > (c.max as number)) { p.add(where, "min and max must be numbers with min <= max", [c.min, c.max]); return; }
    checks.push({ point: index, min: c.min as number, max: c.max as number });
  });
  return { checks };
}

/** Two whole values that share a register are a mapping mistake (bits of one register may share it). */
function checkOverlaps(points: Point[], p: Problems): void {
  const spans = points.map((pt, i) => ({ pt, i })).filter((x) => x.pt.type !== "bool").sort((a, b) => a.pt.function - b.pt.function || a.pt.address - b.pt.address || a.i - b.i);
  for (let k = 1; k < spans.length; k++) {
    const a = spans[k - 1];
    const b = spans[k];
    if (a.pt.function === b.pt.function && b.pt.address < a.pt.address + a.pt.words) {
      p.add(`points[${b.i}] ${JSON.stringify(b.pt.name)}:`, `registers ${b.pt.address}..${b.pt.address + b.pt.words - 1} overlap points[${a.i}] ${JSON.stringify(a.pt.name)} (${a.pt.address}..${a.pt.address + a.pt.words - 1}, 0-based)`);
    }
  }
}

/** Like checkProfile() but throws a RangeError listing every problem (for code that loads a known-good profile). */
export function parseProfile(json: unknown, fileId?: string, options: CheckOptions = {}): Profile {
  const r = checkProfile(json, fileId, options);
  if (!r.ok) throw new RangeError(r.errors.join("\n"));
  return r.profile;
}

/** Index of a point by name, or -1. */
export function pointIndex(profile: Profile, name: string): number {
  for (let i = 0; i < profile.points.length; i++) if (profile.points[i].name === name) return i;
  return -1;
}
