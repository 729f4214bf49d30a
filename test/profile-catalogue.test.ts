// The profile catalogue stays true: docs/profiles.md and docs/profile-points.md hold exactly what the profiles and the key
// table produce (regenerate with `npm run docs:profiles`), and `rc485 profiles` / `rc485 profiles show NAME` print every
// profile and every point with its standard key and the manual's own name; and every shipped point reaches MQTT and Home
// Assistant discovery under its standard key and label.
import test from "ava";
import { readFileSync } from "node:fs";
import { loadProfiles, PROFILES_DIR } from "../hosts/node/config";
import { catalogueMarkdown, pointKeysMarkdown, replaceBetween } from "../hosts/node/profile-catalogue";
import { rc485 } from "./harness/node-peers";
import { checkSite, meterMetaForSite, planForSite, profileTable } from "../modules/site/site";
import { MqttLayout } from "../modules/forwarding/mqtt-payload";
import { discoveryDocument } from "../modules/forwarding/ha-discovery";
import { POINT_KEYS, pointKeyIndex } from "../modules/concentrator/point-keys";

const { profiles } = loadProfiles([PROFILES_DIR]);
const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), "utf8");

test("docs/profiles.md's catalogue and docs/profile-points.md's key table are current (npm run docs:profiles)", (t) => {
  const profilesMd = doc("profiles.md");
  t.is(replaceBetween(profilesMd, "catalogue", catalogueMarkdown(profiles)), profilesMd);
  const pointsMd = doc("profile-points.md");
  t.is(replaceBetween(pointsMd, "point-keys", pointKeysMarkdown()), pointsMd);
  for (const p of profiles) t.true(profilesMd.includes(`| ${p.id} |`), p.id);
});

test("docs/profile-points.md says how far each shipped profile is verified", (t) => {
  const table = doc("profile-points.md").split("## Shipped profiles and how far each is verified")[1] ?? "";
  for (const p of profiles) t.true(new RegExp(`^\\| [a-z0-9, -]*\\b${p.id}\\b[a-z0-9, -]* \\|`, "m").test(table), p.id);
});

test("replaceBetween refuses a document without its markers", (t) => {
  t.throws(() => replaceBetween("no markers here", "catalogue", "x"), { message: /markers/ });
});

test("rc485 profiles lists every profile with its maker, serial default and point count", async (t) => {
  const r = await rc485(["profiles"]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  for (const p of profiles) {
    const line = lines.find((l) => l.startsWith(`${p.id} `));
    t.truthy(line, p.id);
    t.true(line!.includes(p.manufacturer) && line!.includes(`${p.serial.baud} ${p.serial.framing}`) && line!.trimEnd().endsWith(` ${p.points.length}`), line);
  }
  t.regex(r.stdout, new RegExp(`${profiles.length} profiles`));
});

test("rc485 profiles show NAME prints the limits, sources and every point's key, register and manual name", async (t) => {
  const p = profiles.find((x) => x.id === "saia-ale3")!;
  const r = await rc485(["profiles", "show", p.id]);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith(`${p.id}: ${p.manufacturer} ${p.model}`));
  t.regex(r.stdout, /serial default: 19200 baud 8E1, unit 1/);
  t.regex(r.stdout, /profile numbers from 1/);
  for (const s of p.sources) t.true(r.stdout.includes(s.url), s.url);
  for (const pt of p.points) {
    const line = r.stdout.split("\n").find((l) => l.startsWith(`${pt.name} `));
    t.truthy(line, pt.name);
    t.true(line!.includes(`holding ${pt.address} `) && line!.endsWith(pt.sourceName), line);
  }
  const json = await rc485(["profiles", "show", p.id, "--json"]);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(JSON.parse(json.stdout), JSON.parse(JSON.stringify(p)));
});

test("rc485 profiles: an unknown name or a stray word is one line and exit status 2", async (t) => {
  const r = await rc485(["profiles", "show", "eastron-sdm999"]);
  t.is(r.code, 2);
  t.regex(r.stderr.trim(), /^rc485 profiles: unknown profile 'eastron-sdm999' \(known: abb-a43, .*eastron-sdm630, .*\)$/);
  const s = await rc485(["profiles", "list"]);
  t.is(s.code, 2);
  t.regex(s.stderr, /expected 'show NAME'/);
});

test("every shipped profile reaches MQTT state keys and Home Assistant discovery under its standard keys and labels", (t) => {
  const site = checkSite({
    bus: { port: "sim", baud: 9600, framing: "8N1" },
    meters: profiles.map((p, i) => ({ name: `m${i + 1}`, profile: p.id, unit: i + 1, intervalMs: 10000 })),
  }, profileTable(profiles));
  if (!site.ok) { t.fail(site.errors.join("\n")); return; }
  const metas = meterMetaForSite(site.site, planForSite(site.site));
  const layout = new MqttLayout({ prefix: "rc485", site: "home" }, metas);
  metas.forEach((m, i) => {
    const doc = discoveryDocument(layout, i, { name: "rc485" });
    for (const pt of m.points) {
      const k = POINT_KEYS[pointKeyIndex(pt.name)];
      t.truthy(k, `${m.profile} ${pt.name}`);
      t.is(pt.label, k.label);
      const c = doc.cmps[pt.name];
      t.is(c.name, k.label, `${m.profile} ${pt.name}`);
      t.is(c.unique_id, `rc485_home_${m.name}_${pt.name}`);
      t.is(c.unit_of_measurement, k.unit === "" ? undefined : k.unit);
      if (k.deviceClass !== "") t.is(c.device_class, k.deviceClass);
    }
  });
});
