// Site configuration on Node: schemas/site.schema.json (ajv) agrees with modules/site/site.ts on structure, and the
// `rc485 plan` command prints a plan, or one line per problem with exit status 2.
import test from "ava";
import Ajv2020 from "ajv/dist/2020.js";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSite, profileTable } from "../modules/site/site";
import { FIXTURE_PROFILES } from "./fixtures/maps";

const root = fileURLToPath(new URL("../", import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync(join(root, "schemas/site.schema.json"), "utf8")));
const profiles = profileTable(FIXTURE_PROFILES);
const small = JSON.parse(readFileSync(join(root, "test/fixtures/sites/small.json"), "utf8"));

function variant(patch: (s: any) => void): unknown {
  const s = JSON.parse(JSON.stringify(small));
  patch(s);
  return s;
}

// Structural fixtures: the schema and the checker must agree. (Unknown profiles/points and repeated names or units need
// the loaded profiles or cross-item logic: checker only, tested in test/portable/site/site.ts.)
const fixtures: [string, unknown, boolean][] = [
  ["small site", small, true],
  ["minimal", { bus: { port: "COM1", baud: 19200, framing: "8E1" }, meters: [{ name: "m", profile: "fixture-sdm120", unit: 1, intervalMs: 1000 }] }, true],
  ["all bus options", variant((s) => Object.assign(s.bus, { turnaroundMs: 12.5, retries: 3, timeoutMs: 300, interRequestDelayMs: 5, interUnitDelayMs: 20 })), true],
  ["gateway and repeater sections", variant((s) => { s.gateway = { port: 502 }; s.repeater = {}; }), true],
  ["no bus", variant((s) => { delete s.bus; }), false],
  ["no port", variant((s) => { delete s.bus.port; }), false],
  ["bad baud", variant((s) => { s.bus.baud = 9601; }), false],
  ["bad framing", variant((s) => { s.bus.framing = "7E1"; }), false],
  ["retries 11", variant((s) => { s.bus.retries = 11; }), false],
  ["negative delay", variant((s) => { s.bus.interUnitDelayMs = -1; }), false],
  ["unknown bus field", variant((s) => { s.bus.parity = "E"; }), false],
  ["unknown section", variant((s) => { s.mqtt = {}; }), false],
  ["empty meters", variant((s) => { s.meters = []; }), false],
  ["empty meters with a gateway section (a gateway alone)", variant((s) => { s.meters = []; s.gateway = { port: 502 }; }), true],
  ["unit 248", variant((s) => { s.meters[0].unit = 248; }), false],
  ["interval 50 ms", variant((s) => { s.meters[0].intervalMs = 50; }), false],
  ["fractional interval", variant((s) => { s.meters[0].intervalMs = 1000.5; }), false],
  ["priority -1", variant((s) => { s.meters[0].priority = -1; }), false],
  ["bad meter name", variant((s) => { s.meters[0].name = "main meter"; }), false],
  ["empty points", variant((s) => { s.meters[0].points = []; }), false],
  ["unknown meter field", variant((s) => { s.meters[0].slave = 1; }), false],
  ["forwarding not an object", variant((s) => { s.forwarding = []; }), false],
];

for (const [name, json, valid] of fixtures) {
  test(`${valid ? "valid" : "invalid"}: ${name}`, (t) => {
    const r = checkSite(json, profiles);
    t.is(r.ok, valid, r.ok ? "" : r.errors.join("\n"));
    t.is(validate(json), valid, JSON.stringify(validate.errors));
  });
}

const cli = join(root, "bin/rc485.mjs");
const fixtureProfiles = join(root, "test/fixtures/profiles");

test("rc485 plan prints the plan of a valid site, and --json its data", (t) => {
  const out = execFileSync(process.execPath, [cli, "plan", "--site", join(root, "test/fixtures/sites/small.json"), "--profiles", fixtureProfiles], { encoding: "utf8" });
  t.regex(out, /^plan: 4 meters, 10 reads, 36 values per cycle/);
  t.regex(out, /FC04 {5}0 \+6 {3}registers/);
  const json = JSON.parse(execFileSync(process.execPath, [cli, "plan", "--json", "--site", join(root, "test/fixtures/sites/small.json"), "--profiles", fixtureProfiles], { encoding: "utf8" }));
  t.is(json.meters.length, 4);
  t.deepEqual(json.meters[3].reads[0], { function: 3, start: 0, count: 14, busTimeUs: json.meters[3].reads[0].busTimeUs, points: ["voltage", "current", "power", "energy_forward"] });
});

test("rc485 plan reads the same site files as run and sim (the demo site, with its simulation section)", (t) => {
  const out = execFileSync(process.execPath, [cli, "plan", "--site", join(root, "sites/demo.json")], { encoding: "utf8" });
  t.regex(out, /^plan: 5 meters, \d+ reads/);
});

test("rc485 plan: an invalid site is one line per problem and exit status 2", (t) => {
  const r = spawnSync(process.execPath, [cli, "plan", "--site", join(root, "test/fixtures/sites/bad.json"), "--profiles", fixtureProfiles], { encoding: "utf8" });
  t.is(r.status, 2);
  const lines = r.stderr.trim().split("\n");
  t.is(lines.length, 5, r.stderr);
  // --profiles adds the fixture profiles to the shipped ones.
  t.true(lines.some((l) => /\$\.meters\[1\]\.profile: unknown profile "eastron-sdm999" \(known: .*eastron-sdm630, .*fixture-dc-meter, fixture-nmid30-2, fixture-sdm120, fixture-sdm630.*\)$/.test(l)), r.stderr);
  t.true(lines.some((l) => l.endsWith('$.meters[0].points[1]: unknown point "voltage_l4" in profile fixture-sdm630')));
  t.is(r.stdout, "");
});

test("rc485 plan: usage errors, unreadable files and broken profiles exit 2 with one line each", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rc485-plan-"));
  writeFileSync(join(dir, "broken.json"), "{ not json");
  const cases: [string[], RegExp][] = [
    [["plan"], /--site FILE is required/],
    [["plan", "--site"], /--site needs a value/],
    [["plan", "--bogus"], /unknown option --bogus/],
    [["plan", "--site", join(dir, "missing.json"), "--profiles", fixtureProfiles], /missing\.json: no such file/],
    [["plan", "--site", join(dir, "broken.json"), "--profiles", fixtureProfiles], /broken\.json: not valid JSON/],
    [["plan", "--site", join(root, "test/fixtures/sites/small.json"), "--profiles", dir], /broken\.json: not valid JSON/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
    t.is(r.status, 2, args.join(" "));
    t.regex(r.stderr, re);
    t.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
