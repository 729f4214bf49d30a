// Meter profile checking: normalisation (addressBase, defaults) and error messages naming the profile, point and field.
import { checkProfile, paddedSpan, parseProfile, pointIndex } from "../../../modules/concentrator/profile";
import { POINT_KEYS, pointKeyIndex } from "../../../modules/concentrator/point-keys";
import type { Cases } from "../../harness/check";

const OWN = { standardKeys: false } as const;

/** The same meter as a shipped profile: standard keys, the manual's names in source_name, no labels or classes. */
export function standardProfile(patch?: (p: any) => void): any {
  return sampleProfile((x) => {
    x.points = [
      { name: "voltage_l1_n", source_name: "Voltage", function: 4, address: 0, type: "f32", unit: "V" },
      { name: "current_l1", source_name: "Current", function: 4, address: 6, type: "f32" },
      { name: "power_active_total", source_name: "Active power", function: 4, address: 12, type: "f32", unit: "W", deviceClass: "power", stateClass: "measurement" },
      { name: "energy_active_import_total", source_name: "Import active energy", function: 4, address: 72, type: "f32", unit: "kWh" },
      { name: "power_factor_total", source_name: "Power factor", function: 4, address: 30, type: "f32" },
    ];
    if (patch) patch(x);
  });
}

/**
 * A small valid profile in a user's own folder (names outside the standard key table, checked with standardKeys false):
 * the format rules below do not depend on the key table; the key rules have their own cases and `standardProfile()`.
 */
export function sampleProfile(patch?: (p: any) => void): any {
  const p: any = {
    id: "eastron-sdm120", manufacturer: "Eastron", model: "SDM120-Modbus",
    sources: [{ title: "SDM120 Modbus protocol", url: "https://example.invalid/sdm120.pdf", notes: "register table" }],
    serial: { baud: 2400, framing: "8N1", unit: 1 },
    addressBase: 0,
    limits: { maxRegisters: 80, evenCountsOnly: false, evenStartOnly: false, minDelayMs: 0, functions: [3, 4], ratedPowerW: 23000 },
    points: [
      { name: "voltage", label: "Voltage", function: 4, address: 0, type: "f32", order: "ABCD", unit: "V", deviceClass: "voltage", stateClass: "measurement" },
      { name: "current", function: 4, address: 6, type: "f32", order: "ABCD", unit: "A", deviceClass: "current", stateClass: "measurement" },
      { name: "power", function: 4, address: 12, type: "f32", unit: "W", deviceClass: "power", stateClass: "measurement" },
      { name: "energy_import", function: 4, address: 72, type: "f32", order: "ABCD", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" },
      { name: "voltage_dc", function: 3, address: 0, type: "s16", exponentFrom: { function: 3, address: 1, type: "s16", sign: -1 }, unit: "V", deviceClass: "voltage", stateClass: "measurement" },
    ],
  };
  const copy = JSON.parse(JSON.stringify(p));
  if (patch) patch(copy);
  return copy;
}

function errorsOf2(json: unknown, fileId?: string): readonly string[] {
  const r = checkProfile(json, fileId);
  return r.ok ? [] : r.errors;
}

function errorsOf(json: unknown, fileId?: string): readonly string[] {
  const r = checkProfile(json, fileId, OWN);
  return r.ok ? [] : r.errors;
}

export const cases: Cases = {
  "a valid profile is normalised with defaults filled"(t) {
    const r = checkProfile(sampleProfile(), "eastron-sdm120", OWN);
    t.ok(r.ok);
    if (!r.ok) return;
    const p = r.profile;
    t.is(p.description, "");
    t.is(p.limits.maxBits, 2000);
    t.deepEqual(p.limits.functions, [3, 4]);
    t.is(p.points[2].order, "ABCD", "order defaults to ABCD");
    t.is(p.points[2].scale, 1);
    t.is(p.points[2].exponent, 0);
    t.is(p.points[2].label, "power", "label defaults to the name");
    t.is(p.points[3].words, 2);
    t.is(p.points[2].bit, -1);
    t.deepEqual(p.points[4].exponentFrom, { function: 3, address: 1, type: "s16", sign: -1 });
    t.is(pointIndex(p, "energy_import"), 3);
    t.is(pointIndex(p, "nope"), -1);
  },
  "addressBase 1 subtracts one from every address, exponent registers included"(t) {
    const p = parseProfile(sampleProfile((x) => {
      x.addressBase = 1;
      for (const pt of x.points) pt.address += 1;
      x.points[4].exponentFrom.address = 2;
    }), undefined, OWN);
    t.is(p.addressBase, 1);
    t.is(p.points[0].address, 0);
    t.is(p.points[3].address, 72);
    t.is(p.points[4].exponentFrom!.address, 1);
    t.deepEqual(errorsOf(sampleProfile((x) => { x.addressBase = 1; })), ["eastron-sdm120: points[0] \"voltage\": address must be an integer from 1 to 65535 (addressBase 1: manual numbering) (got 0)", "eastron-sdm120: points[4] \"voltage_dc\": address must be an integer from 1 to 65536 (addressBase 1: manual numbering) (got 0)"]);
  },
  "errors name the profile, the point and the field"(t) {
    const errs = errorsOf(sampleProfile((x) => { x.points[3].order = "ABDC"; }));
    t.deepEqual(errs, ['eastron-sdm120: points[3] "energy_import": order must be one of ABCD, CDAB, BADC, DCBA (got "ABDC")']);
  },
  "every problem is listed, not just the first"(t) {
    const errs = errorsOf(sampleProfile((x) => {
      x.serial.baud = 1000;
      x.limits.maxRegisters = 200;
      x.points[0].type = "float";
      x.points[1].name = "Current";
      x.points[2].function = 2;
      x.points.push({ name: "voltage", function: 4, address: 100, type: "u16" });
      x.extra = 1;
    }));
    t.is(errs.length, 8, errs.join("\n"));
    t.ok(errs.some((e) => e.includes("has unknown field \"extra\"")));
    t.ok(errs.some((e) => e.startsWith("eastron-sdm120: serial.baud must be one of")));
    t.ok(errs.some((e) => e.startsWith("eastron-sdm120: limits.maxRegisters must be an integer from 1 to 125 (got 200)")));
    t.ok(errs.some((e) => e.startsWith('eastron-sdm120: points[0] "voltage": type must be one of u16')));
    t.ok(errs.some((e) => e.startsWith('eastron-sdm120: points[1]: name must be lowercase') || e.startsWith('eastron-sdm120: points[1] "Current": name must be lowercase')));
    t.ok(errs.some((e) => e === 'eastron-sdm120: points[2] "power": function 2 is not in limits.functions [3, 4]'));
    t.ok(errs.some((e) => e === 'eastron-sdm120: points[5] "voltage": name repeats points[0]'));
  },
  "the id must match the file name"(t) {
    t.deepEqual(errorsOf(sampleProfile(), "eastron-sdm630"), ['eastron-sdm120: id must equal the file name "eastron-sdm630" (got "eastron-sdm120")']);
    t.ok(errorsOf(sampleProfile((x) => { x.id = "Eastron_SDM"; }))[0].includes("id must be lowercase"));
  },
  "bits: FC01/02 points are bools without bit; bool on FC03/04 needs bit 0..15"(t) {
    const ok = parseProfile(sampleProfile((x) => {
      x.limits.functions = [1, 2, 3, 4];
      x.points.push({ name: "relay", function: 1, address: 0, type: "bool" });
      x.points.push({ name: "alarm", function: 3, address: 10, type: "bool", bit: 3 });
      x.points.push({ name: "fault", function: 3, address: 10, type: "bool", bit: 4 });
    }), undefined, OWN);
    t.is(ok.points[6].bit, 3);
    const bad = errorsOf(sampleProfile((x) => {
      x.limits.functions = [1, 2, 3, 4];
      x.points.push({ name: "relay", function: 1, address: 0, type: "u16" });
      x.points.push({ name: "alarm", function: 3, address: 10, type: "bool" });
      x.points.push({ name: "level", function: 3, address: 11, type: "u16", bit: 2 });
      x.points.push({ name: "flag", function: 3, address: 12, type: "bool", bit: 16 });
    }));
    t.is(bad.length, 4, bad.join("\n"));
  },
  "units must fit the Home Assistant device class; energy must be a total"(t) {
    const errs = errorsOf(sampleProfile((x) => {
      x.points[0].unit = "kWh";
      x.points[3].stateClass = "measurement";
      x.points[2].deviceClass = "watts";
    }));
    t.deepEqual(errs, [
      'eastron-sdm120: points[0] "voltage": unit for deviceClass voltage must be one of V, mV, kV (got "kWh")',
      'eastron-sdm120: points[2] "power": deviceClass must be one of voltage, current, power, apparent_power, reactive_power, power_factor, frequency, energy, reactive_energy, temperature, duration, enum (got "watts")',
      'eastron-sdm120: points[3] "energy_import": stateClass must be total or total_increasing for deviceClass energy (got "measurement")',
    ]);
  },
  "a value that cannot fit one read, and overlapping values, are errors"(t) {
    const errs = errorsOf(sampleProfile((x) => {
      x.limits.maxRegisters = 2;
      x.limits.evenStartOnly = true;
      x.points[1].address = 7;
    }));
    t.deepEqual(errs, ['eastron-sdm120: points[1] "current": needs 3 registers in one read but limits.maxRegisters is 2']);
    const overlap = errorsOf(sampleProfile((x) => { x.points[1].address = 1; }));
    t.deepEqual(overlap, ['eastron-sdm120: points[1] "current": registers 1..2 overlap points[0] "voltage" (0..1, 0-based)']);
  },
  "padded span follows even-start and even-count rules"(t) {
    const lim = (evenStartOnly: boolean, evenCountsOnly: boolean) => ({ maxRegisters: 80, maxBits: 2000, evenStartOnly, evenCountsOnly, minDelayMs: 0, functions: [4] as const, ratedPowerW: 0, responseTimeoutMs: 0 });
    t.is(paddedSpan(5, 1, lim(false, false)), 1);
    t.is(paddedSpan(5, 1, lim(true, false)), 2);
    t.is(paddedSpan(5, 2, lim(true, true)), 4);
    t.is(paddedSpan(4, 1, lim(false, true)), 2);
  },
  "standard keys: label, unit and classes come from the key table; the manual's name is kept as sourceName"(t) {
    const p = parseProfile(standardProfile(), "eastron-sdm120");
    for (const pt of p.points) {
      const k = POINT_KEYS[pointKeyIndex(pt.name)];
      t.is(pt.label, k.label, pt.name);
      t.is(pt.unit, k.unit, pt.name);
      t.is(pt.deviceClass, k.deviceClass, pt.name);
      t.is(pt.stateClass, k.stateClass, pt.name);
    }
    t.is(p.points[1].unit, "A", "a unit left out is the key's");
    t.is(p.points[3].stateClass, "total_increasing");
    t.is(p.points[3].sourceName, "Import active energy");
    t.is(p.points[4].unit, "", "power factor has no unit");
  },
  "standard keys: an unknown key, a missing source_name, a label or a differing unit/class is an error"(t) {
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[0].name = "voltage_l1"; })), ['eastron-sdm120: points[0] "voltage_l1": name is not a standard point key (modules/concentrator/point-keys.ts, docs/profile-points.md)']);
    t.deepEqual(errorsOf2(standardProfile((x) => { delete x.points[1].source_name; })), ['eastron-sdm120: points[1] "current_l1": source_name (the manual\'s own name for the value) is required']);
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[1].label = "Amps"; })), ['eastron-sdm120: points[1] "current_l1": label of current_l1 is "Current L1" by the standard key table; keep the manual\'s wording in source_name (got "Amps")']);
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[1].label = "Current L1"; })), [], "a label may repeat the key's");
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[3].unit = "Wh"; })), ['eastron-sdm120: points[3] "energy_active_import_total": unit of energy_active_import_total is "kWh" by the standard key table; convert with scale/exponent (got "Wh")']);
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[2].stateClass = "total"; })), ['eastron-sdm120: points[2] "power_active_total": stateClass of power_active_total is "measurement" by the standard key table; convert with scale/exponent (got "total")']);
    t.deepEqual(errorsOf2(standardProfile((x) => { x.points[4].unit = "%"; })), ['eastron-sdm120: points[4] "power_factor_total": unit of power_factor_total is (none) by the standard key table; convert with scale/exponent (got "%")']);
    // A user's own folder may name points outside the table, but a standard key there still follows the table.
    t.deepEqual(errorsOf(standardProfile((x) => { x.points[0].name = "volts"; delete x.points[1].source_name; })), []);
    t.is(errorsOf(standardProfile((x) => { x.points[3].unit = "Wh"; })).length, 1);
    t.is(errorsOf(standardProfile((x) => { x.points[3].label = "E"; })).length, 1);
  },
  "every standard key is unique, names its unit consistently and has typical within min..max"(t) {
    const seen = new Set<string>();
    for (const k of POINT_KEYS) {
      t.ok(/^[a-z0-9_]+$/.test(k.key) && !seen.has(k.key), k.key);
      seen.add(k.key);
      t.ok(k.min < k.max && k.typical >= k.min && k.typical <= k.max, k.key);
      if (k.key.startsWith("energy_active")) t.is(k.unit, "kWh", k.key);
      if (k.key.startsWith("power_active")) t.is(k.unit, "W", k.key);
    }
    t.ok(POINT_KEYS.length >= 60);
  },
  "non-objects and missing sections never throw"(t) {
    t.is(errorsOf(null).length, 1);
    t.is(errorsOf([]).length, 1);
    t.ok(errorsOf({}).length >= 7);
    t.ok(errorsOf({ id: "x", points: [null, 3, "a"] }).length >= 3);
    t.throws(() => parseProfile({}), RangeError);
  },
};
