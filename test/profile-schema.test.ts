// schemas/profile.schema.json (run by ajv) and the portable checker in modules/concentrator/profile.ts agree on valid and invalid
// profiles. A few rules need cross-field logic JSON Schema cannot state; those fixtures are marked `checkerOnly` and the
// test asserts that ajv indeed lets them through, so the list of checker-only rules in the schema description stays true.
// Every shipped profile (profiles/*.json) and test fixture must pass both.
import test from "ava";
import Ajv2020 from "ajv/dist/2020.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { checkProfile } from "../modules/concentrator/profile";
import { sampleProfile, standardProfile } from "./portable/concentrator/profile";

const root = new URL("../", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("schemas/profile.schema.json", root), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);

// The format fixtures use a user's own point names (checked with standardKeys false); the standard-key fixtures (first)
// are checked as shipped profiles are: the key table is the checker's (modules/concentrator/point-keys.ts), the schema only knows the field.
type Fixture = { name: string; json: unknown; valid: boolean; checkerOnly?: boolean; shipped?: boolean };
const fixtures: Fixture[] = [
  { name: "shipped-style profile on standard keys", json: standardProfile(), valid: true, shipped: true },
  { name: "shipped: a name outside the key table", json: standardProfile((x) => { x.points[0].name = "volts"; }), valid: false, checkerOnly: true, shipped: true },
  { name: "shipped: no source_name", json: standardProfile((x) => { delete x.points[0].source_name; }), valid: false, checkerOnly: true, shipped: true },
  { name: "shipped: unit differing from the key's", json: standardProfile((x) => { x.points[0].unit = "kV"; }), valid: false, checkerOnly: true, shipped: true },
  { name: "source_name must be text", json: standardProfile((x) => { x.points[0].source_name = 3; }), valid: false, shipped: true },
  { name: "sample", json: sampleProfile(), valid: true },
  { name: "addressBase 1", json: sampleProfile((x) => { x.addressBase = 1; for (const p of x.points) p.address += 1; x.points[4].exponentFrom.address = 2; }), valid: true },
  { name: "coil, discrete input and register bits", json: sampleProfile((x) => {
    x.limits.functions = [1, 2, 3, 4];
    x.points.push({ name: "relay", function: 1, address: 0, type: "bool" }, { name: "tamper", function: 2, address: 3, type: "bool" },
      { name: "alarm", function: 3, address: 10, type: "bool", bit: 3 });
  }), valid: true },
  { name: "power factor without a unit", json: sampleProfile((x) => { x.points.push({ name: "pf", function: 4, address: 30, type: "f32", deviceClass: "power_factor", stateClass: "measurement" }); }), valid: true },
  { name: "all optional limits", json: sampleProfile((x) => { Object.assign(x.limits, { maxBits: 100, responseTimeoutMs: 500, minDelayMs: 20 }); x.description = "d"; }), valid: true },
  { name: "scale, exponent, invalid", json: sampleProfile((x) => { Object.assign(x.points[2], { type: "s32", order: "CDAB", scale: 0.5, exponent: -2, invalid: [-2147483648] }); }), valid: true },

  { name: "not an object", json: [], valid: false },
  { name: "missing sources", json: sampleProfile((x) => { delete x.sources; }), valid: false },
  { name: "empty sources", json: sampleProfile((x) => { x.sources = []; }), valid: false },
  { name: "source url not http", json: sampleProfile((x) => { x.sources[0].url = "ftp://x"; }), valid: false },
  { name: "bad id", json: sampleProfile((x) => { x.id = "SDM_120"; }), valid: false },
  { name: "unknown top-level field", json: sampleProfile((x) => { x.adressBase = 0; }), valid: false },
  { name: "unknown point field", json: sampleProfile((x) => { x.points[0].adress = 3; }), valid: false },
  { name: "bad baud", json: sampleProfile((x) => { x.serial.baud = 1000; }), valid: false },
  { name: "bad framing", json: sampleProfile((x) => { x.serial.framing = "7E1"; }), valid: false },
  { name: "unit 0", json: sampleProfile((x) => { x.serial.unit = 0; }), valid: false },
  { name: "addressBase 2", json: sampleProfile((x) => { x.addressBase = 2; }), valid: false },
  { name: "maxRegisters 126", json: sampleProfile((x) => { x.limits.maxRegisters = 126; }), valid: false },
  { name: "function 5 in limits", json: sampleProfile((x) => { x.limits.functions = [3, 5]; }), valid: false },
  { name: "repeated function", json: sampleProfile((x) => { x.limits.functions = [3, 3, 4]; }), valid: false },
  { name: "ratedPowerW 0", json: sampleProfile((x) => { x.limits.ratedPowerW = 0; }), valid: false },
  { name: "empty points", json: sampleProfile((x) => { x.points = []; }), valid: false },
  { name: "bad order", json: sampleProfile((x) => { x.points[3].order = "ABDC"; }), valid: false },
  { name: "bad type", json: sampleProfile((x) => { x.points[0].type = "float32"; }), valid: false },
  { name: "fractional address", json: sampleProfile((x) => { x.points[0].address = 1.5; }), valid: false },
  { name: "address above 65535", json: sampleProfile((x) => { x.points[0].address = 65536; }), valid: false },
  { name: "scale 0", json: sampleProfile((x) => { x.points[0].scale = 0; }), valid: false },
  { name: "exponent 21", json: sampleProfile((x) => { x.points[0].exponent = 21; }), valid: false },
  { name: "exponentFrom on FC01", json: sampleProfile((x) => { x.points[4].exponentFrom.function = 1; }), valid: false },
  { name: "exponentFrom sign 2", json: sampleProfile((x) => { x.points[4].exponentFrom.sign = 2; }), valid: false },
  { name: "FC02 non-bool", json: sampleProfile((x) => { x.limits.functions = [2, 3, 4]; x.points[0].function = 2; }), valid: false },
  { name: "bool on FC03 without bit", json: sampleProfile((x) => { x.points.push({ name: "b", function: 3, address: 9, type: "bool" }); }), valid: false },
  { name: "bit on a u16", json: sampleProfile((x) => { x.points.push({ name: "b", function: 3, address: 9, type: "u16", bit: 1 }); }), valid: false },
  { name: "bit 16", json: sampleProfile((x) => { x.points.push({ name: "b", function: 3, address: 9, type: "bool", bit: 16 }); }), valid: false },
  { name: "scale on a bool", json: sampleProfile((x) => { x.points.push({ name: "b", function: 3, address: 9, type: "bool", bit: 1, scale: 2 }); }), valid: false },
  { name: "unknown device class", json: sampleProfile((x) => { x.points[0].deviceClass = "volts"; }), valid: false },
  { name: "unit does not fit class", json: sampleProfile((x) => { x.points[0].unit = "kWh"; }), valid: false },
  { name: "unit missing for voltage", json: sampleProfile((x) => { delete x.points[0].unit; }), valid: false },
  { name: "energy as measurement", json: sampleProfile((x) => { x.points[3].stateClass = "measurement"; }), valid: false },
  { name: "bad state class", json: sampleProfile((x) => { x.points[0].stateClass = "increasing"; }), valid: false },
  { name: "address 0 with addressBase 1", json: sampleProfile((x) => { x.addressBase = 1; }), valid: false },

  { name: "signature", json: sampleProfile((x) => { x.signature = { checks: [{ point: "voltage", min: 80, max: 300 }] }; }), valid: true },
  { name: "signature with an unknown field", json: sampleProfile((x) => { x.signature = { checks: [{ point: "voltage", min: 80, max: 300, unit: "V" }] }; }), valid: false },
  { name: "signature without checks", json: sampleProfile((x) => { x.signature = { checks: [] }; }), valid: false },
  { name: "signature naming an unknown point", json: sampleProfile((x) => { x.signature = { checks: [{ point: "volts", min: 80, max: 300 }] }; }), valid: false, checkerOnly: true },
  { name: "signature on a value with exponentFrom", json: sampleProfile((x) => { x.signature = { checks: [{ point: "voltage_dc", min: 0, max: 1000 }] }; }), valid: false, checkerOnly: true },
  { name: "signature range upside down", json: sampleProfile((x) => { x.signature = { checks: [{ point: "voltage", min: 300, max: 80 }] }; }), valid: false, checkerOnly: true },
  { name: "duplicate point names", json: sampleProfile((x) => { x.points[1].name = "voltage"; }), valid: false, checkerOnly: true },
  { name: "function not in limits.functions", json: sampleProfile((x) => { x.limits.functions = [4]; }), valid: false, checkerOnly: true },
  { name: "overlapping values", json: sampleProfile((x) => { x.points[1].address = 1; }), valid: false, checkerOnly: true },
  { name: "value too wide for maxRegisters", json: sampleProfile((x) => { x.limits.maxRegisters = 1; }), valid: false, checkerOnly: true },
  { name: "f64 running past 65535", json: sampleProfile((x) => { x.points[0].type = "f64"; x.points[0].address = 65534; }), valid: false, checkerOnly: true },
];

for (const f of fixtures) {
  test(`${f.valid ? "valid" : "invalid"}: ${f.name}`, (t) => {
    const checker = checkProfile(f.json, undefined, { standardKeys: f.shipped === true });
    const schemaOk = validate(f.json);
    t.is(checker.ok, f.valid, checker.ok ? "checker accepted" : checker.errors.join("\n"));
    if (f.checkerOnly) t.true(schemaOk, "the schema cannot express this rule; if it now can, drop checkerOnly");
    else t.is(schemaOk, f.valid, JSON.stringify(validate.errors));
  });
}

const dirs = ["profiles", "test/fixtures/profiles"].map((d) => new URL(`${d}/`, root)).filter((d) => existsSync(d));
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".json")).map((f) => ({ dir: d, f })));
test("every profile file and fixture passes the schema and the checker, with id = file name", (t) => {
  t.true(files.length >= 4);
  for (const { dir, f } of files) {
    const json = JSON.parse(readFileSync(new URL(f, dir), "utf8"));
    const r = checkProfile(json, f.replace(/\.json$/, ""), { standardKeys: dir.pathname.endsWith("/profiles/") && !dir.pathname.includes("fixtures") });
    t.true(r.ok, `${f}: ${r.ok ? "" : r.errors.join("; ")}`);
    t.true(validate(json), `${f}: ${JSON.stringify(validate.errors)}`);
  }
});
