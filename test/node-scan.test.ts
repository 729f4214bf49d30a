// `rc485 scan` (hosts/node/commands/scan.ts over modules/commissioning/scan.ts): the simulated bench bus of 8 meters of 4 models at
// 2 bauds × 2 framings is found and identified, the meter that answers address 0 is reported, and every site file the
// scan writes passes `rc485 plan` and is polled without a fault in the simulator; on a real serial line (socat pty) a
// pymodbus slave is found at its unit; bad usage is one line with exit status 2.
import test from "ava";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSite, profileTable } from "../modules/site/site";
import { SCAN_DEMO_SITE, sitesFromScan, type ScanSummary } from "../hosts/node/commands/scan";
import { scanSimulated } from "../hosts/node/scan-sim";
import { SimSite } from "../hosts/node/sim-site";
import { readSiteFile } from "../hosts/node/site-file";
import { killAll, ptyPair, pymodbusSlave, rc485 } from "./harness/node-peers";

test.after.always(() => killAll());

const SETTINGS = [{ baud: 9600, framing: "8N1" as const }, { baud: 9600, framing: "8E1" as const }, { baud: 19200, framing: "8N1" as const }, { baud: 19200, framing: "8E1" as const }];

test("the bench bus: 8 meters of 4 models at 2 bauds × 2 framings found and identified; the address-0 responder reported", (t) => {
  const sf = readSiteFile(SCAN_DEMO_SITE);
  if (!sf.site) throw new Error(sf.errors.join("\n"));
  const site = sf.site;
  const simMeters = sf.simulation.meters as Record<string, { baud: number; framing: string; answerBroadcast?: boolean }>;
  t.is(site.meters.length, 8);
  t.is(new Set(site.meters.map((m) => m.profileId)).size, 4);
  const scans = scanSimulated(site, sf.simulation, SETTINGS, sf.profiles, { timeoutUs: 50000 });
  for (const m of site.meters) {
    const line = simMeters[m.name];
    const scan = scans.find((s) => s.setting.baud === line.baud && s.setting.framing === line.framing)!;
    t.true(scan.scanner.found[m.unit] !== 0, `${m.name} found at ${line.baud} ${line.framing}`);
    t.is(scan.scanner.profileFor(m.unit)?.id, m.profileId, `${m.name} identified`);
    for (const other of scans) if (other !== scan) t.is(other.scanner.found[m.unit], 0, `${m.name} not heard at ${other.setting.baud} ${other.setting.framing}`);
  }
  const found = scans.reduce((n, s) => n + s.scanner.units().length, 0);
  t.is(found, 8);
  const zero = site.meters.find((m) => simMeters[m.name].answerBroadcast)!;
  const zs = scans.find((s) => s.setting.baud === simMeters[zero.name].baud && s.setting.framing === simMeters[zero.name].framing)!;
  t.is(zs.scanner.zeroAnswer, zero.unit);
  for (const s of scans) if (s !== zs) t.is(s.scanner.zeroAnswer, -1);
  for (const s of scans) {
    t.is(s.scanner.stoppedAt, 0);
    t.true(s.busUs > 0 && s.busUs <= s.scanner.budgetUs, `bus time ${s.busUs} µs within the budget`);
  }
});

test("every site file the scan writes checks, plans, and is polled for 60 s of bus time without a fault", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rc485-scan-"));
  try {
    const r = await rc485(["scan", "--sim", "--bauds", "9600,19200", "--framings", "8N1,8E1", "--json", "--write", join(dir, "site.json")], 120000);
    t.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as ScanSummary;
    t.is(summary.found.length, 8);
    t.is(summary.written!.length, 4);
    t.true(summary.found.some((x) => x.answersAddressZero));
    let meters = 0;
    for (const file of summary.written!) {
      const plan = await rc485(["plan", "--site", file]);
      t.is(plan.code, 0, plan.stderr);
      const sf = readSiteFile(file);
      if (!sf.site) throw new Error(sf.errors.join("\n"));
      meters += sf.site.meters.length;
      const s = await SimSite.create(sf.site, sf.simulation, { epochMs: Date.UTC(2026, 11, 3), http: { enabled: false } });
      try {
        s.runUntil(60_000_000);
        for (const m of s.conc.store.meters) {
          t.true(m.readings >= 10, `${file} ${m.meta.name}: ${m.readings} readings`);
          t.is(m.failures, 0, `${file} ${m.meta.name}: no failed poll`);
        }
      } finally {
        await s.conc.stop(0);
      }
    }
    t.is(meters, 8);
    // The table form names the address-0 responder and the bus time.
    const table = await rc485(["scan", "--sim", "--bauds", "9600", "--framings", "8N1", "--units", "1-10"]);
    t.is(table.code, 0, table.stderr);
    t.regex(table.stdout, /eastron-sdm120 .*also answers address 0/);
    t.regex(table.stdout, /scanned 1 line setting in [\d.]+ s of bus time, 2 devices found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sitesFromScan leaves out what was not identified, and its sites pass the site checker", (t) => {
  const sf = readSiteFile(SCAN_DEMO_SITE);
  const summary: ScanSummary = {
    settings: [{ baud: 9600, framing: "8N1", busMs: 1, requests: 1, badFrames: 0 }, { baud: 2400, framing: "8N1", busMs: 1, requests: 1, badFrames: 0 }],
    found: [
      { baud: 9600, framing: "8N1", unit: 3, profile: "eastron-sdm120", latencyMs: 4 },
      { baud: 9600, framing: "8N1", unit: 4, profile: null, latencyMs: 4 },
      { baud: 2400, framing: "8N1", unit: 9, profile: null, latencyMs: 4 },
    ],
    busMs: 2,
  };
  const sites = sitesFromScan(summary, "/dev/ttyUSB0");
  t.is(sites.length, 1);
  const r = checkSite(sites[0].json, profileTable(sf.profiles));
  t.true(r.ok, JSON.stringify(r));
  t.deepEqual((sites[0].json.meters as { unit: number }[]).map((m) => m.unit), [3]);
});

test("a pymodbus slave on a serial line (socat pty) is found at unit 1 and nowhere else, at each setting the port is reopened at", async (t) => {
  const pty = await ptyPair();
  const slave = await pymodbusSlave(pty.b, 9600);
  try {
    // A pty has no baud rate: the slave answers at both settings, each tried after the host reopened the device. A 1.5 s
    // response timeout: on a loaded 2-core machine the Python slave can take longer than a meter would.
    const r = await rc485(["scan", "--port", pty.a, "--bauds", "9600,19200", "--framings", "8N1", "--units", "1-3", "--timeout", "1500", "--json"], 120000);
    t.is(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as ScanSummary;
    t.deepEqual(s.found.map((x) => [x.baud, x.unit]), [[9600, 1], [19200, 1]], r.stdout);
    t.deepEqual(s.settings.map((x) => x.requests >= 4), [true, true]);
  } finally {
    slave.stop();
    pty.stop();
  }
});

test("bad usage: one line, exit status 2", async (t) => {
  for (const [args, re] of [
    [["scan"], /--port DEVICE or --sim/],
    [["scan", "--sim", "--bauds", "1234"], /--bauds: 1234/],
    [["scan", "--sim", "--framings", "7E1"], /--framings: 7E1/],
    [["scan", "--sim", "--units", "0-5"], /--units/],
    [["scan", "--port", "/dev/null", "--site", "x.json"], /--site describes a simulated bus/],
  ] as [string[], RegExp][]) {
    const r = await rc485(args);
    t.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    t.regex(r.stderr, re);
    t.is(r.stderr.trim().split("\n").length, 1);
  }
  const missing = await rc485(["scan", "--port", "/nonexistent/tty", "--bauds", "9600", "--framings", "8N1"]);
  t.is(missing.code, 2, missing.stderr);
  t.is(readFileSync(SCAN_DEMO_SITE, "utf8").length > 0, true);
});
