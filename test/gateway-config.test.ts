// The site's `gateway` section goes through the gateway's own checker when the site is checked (modules/site/site.ts), so a
// mistake there stops rc485 before anything listens, with the field named like every other site error.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSite, profileTable } from "../modules/site/site";
import { FIXTURE_PROFILES } from "./fixtures/maps";
import { ROOT } from "./harness/gateway-peers";

const profiles = profileTable(FIXTURE_PROFILES);
const small = JSON.parse(readFileSync(join(ROOT, "test/fixtures/sites/small.json"), "utf8"));
delete small.forwarding;

test("a good gateway section passes; bad fields are named as $.gateway.<field>", (t) => {
  t.true(checkSite({ ...small, gateway: { port: 1502, localUnit: 255, aliases: { "12": 2 }, allow: ["192.168.1.0/24"], readOnly: true } }, profiles).ok);
  t.true(checkSite({ ...small, gateway: { tls: { certificate: "gw.crt", key: "gw.key", ca: "ca.crt", roles: { ops: { functions: [3, 4] } } } } }, profiles).ok);
  for (const [section, field] of [
    [{ port: 99999 }, "$.gateway.port"],
    [{ allow: ["192.168.1.0/40"] }, "$.gateway.allow[0]"],
    [{ aliases: { "7": 300 } }, "$.gateway.aliases.7"],
    [{ readonly: true }, "$.gateway.readonly"],
    [{ maxPerClient: 0 }, "$.gateway.maxPerClient"],
    [{ tls: { certificate: "gw.crt", key: "gw.key", ca: "ca.crt", roles: { ops: { units: ["9-1"] } } } }, "$.gateway.tls.roles.ops.units"],
    [{ tls: { certificate: "gw.crt", key: "gw.key", roles: { ops: {} } } }, "$.gateway.tls.ca"],
    [{ plain: false }, "$.gateway.plain"],
  ] as const) {
    const r = checkSite({ ...small, gateway: section }, profiles);
    t.false(r.ok, JSON.stringify(section));
    if (!r.ok) t.true(r.errors.some((e) => e.startsWith(field)), `${field}: ${r.errors.join("; ")}`);
  }
});
