/*
 * `rc485 scan`: finds the devices on a bus and names their models. For each line setting (baud × framing) it runs the
 * portable scan engine (modules/commissioning/scan.ts) on the serial port (--port) or on the simulator (--sim, the site file's meters
 * emulated at their own settings: scan-sim.ts), prints a table (with a progress bar on a terminal) and can write a site
 * file per line setting that `rc485 plan` and `rc485 run` accept (--write). Exit status: 0 scanned (found or not), 2 bad
 * usage or a port that cannot be opened.
 */
import { writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { AMBIGUOUS, BusScanner, FOUND_LATE, ZERO_GARBLED, ZERO_SILENT } from "../../../modules/commissioning/scan";
import type { Profile } from "../../../modules/concentrator/profile";
import type { Framing } from "../../../modules/rtu/timing";
import { BAUD_RATES } from "../../../modules/rtu/timing";
import { loadProfiles, profileFolders } from "../config";
import { intOption, parseOptions, withUsage } from "../options";
import { SerialHost, SerialOpenError } from "../serial-port";
import { DEMO_SITE, readSiteFile } from "../site-file";
import { SCAN_BAUDS, SCAN_FRAMINGS } from "../../../modules/commissioning/scan-job";
import { scanSimulated, type LineSetting, type ScanTuning, type SettingScan } from "../scan-sim";
import { UsageError, type Command } from "./command";

export const SCAN_DEMO_SITE = join(dirname(DEMO_SITE), "scan-demo.json");

class WriteError extends Error {}

const HELP = `usage: rc485 scan (--port DEVICE | --sim [--site FILE]) [options]

Tries every unit at each line setting, names each responder's model from the profiles' signatures, and prints a table.

  --port DEVICE      the serial port of the bus
  --sim              scan a simulated bus instead: the meters of --site FILE (default sites/scan-demo.json), each at the
                     baud, framing and quirks of its simulation entry
  --bauds LIST       comma-separated line speeds (default 9600,19200,2400,4800,38400)
  --framings LIST    comma-separated framings of 8N1, 8E1, 8O1, 8N2 (default 8N1,8E1)
  --units A-B        units to try (default 1-247)
  --timeout MS       wait for a probe's reply (default 50); identification reads wait 4 times as long
  --budget S         longest time per line setting (default 60); the table says where a setting was cut short
  --no-zero          do not ask address 0 first (a device that answers it is reported)
  --write FILE       write the site found (one file per line setting: FILE-<baud>-<framing>.json when several)
  --json             print the result as JSON
  --profiles DIR     also load the profiles in DIR (repeatable)
  --rts              drive RTS as driver enable while sending

exit status: 0 scanned, 2 bad usage or a port that cannot be opened`;

export interface ScanRow {
  baud: number;
  framing: Framing;
  unit: number;
  profile: string | null;
  candidates?: string[];
  latencyMs: number | null;
  late?: boolean;
  answersAddressZero?: boolean;
  /** The model was told by the meter's 43/14 device identification (VendorName/ProductCode), not by a signature. */
  byDeviceId?: boolean;
  probeException?: number;
}

export interface ScanSummary {
  settings: { baud: number; framing: Framing; busMs: number; requests: number; badFrames: number; stoppedAt?: number; zeroAnswer?: number | "garbled" }[];
  found: ScanRow[];
  busMs: number;
  written?: string[];
}

function list(o: { values: Record<string, string> }, name: string, fallback: string): string[] {
  return (o.values[name] ?? fallback).split(",").map((x) => x.trim()).filter((x) => x !== "");
}

function rowsOf(scans: readonly SettingScan[]): ScanRow[] {
  const rows: ScanRow[] = [];
  for (const { setting, scanner: s } of scans) {
    for (const u of s.units()) {
      const p = s.profileFor(u);
      const row: ScanRow = { baud: setting.baud, framing: setting.framing, unit: u, profile: p ? p.id : null, latencyMs: s.latencyUs[u] >= 0 ? Math.round(s.latencyUs[u] / 100) / 10 : null };
      if (s.profileOf[u] === AMBIGUOUS) row.candidates = s.candidatesFor(u).map((c) => c.id);
      if (s.found[u] === FOUND_LATE) row.late = true;
      if (s.zeroAnswer === u) row.answersAddressZero = true;
      if (s.byDeviceId[u] === 1) row.byDeviceId = true;
      if (s.probeException[u] !== 0) row.probeException = s.probeException[u];
      rows.push(row);
    }
  }
  return rows;
}

export function summarize(scans: readonly SettingScan[]): ScanSummary {
  let busMs = 0;
  const settings = scans.map(({ setting, scanner: s, busUs }) => {
    busMs += busUs / 1000;
    return {
      baud: setting.baud, framing: setting.framing, busMs: Math.round(busUs / 1000), requests: s.requests, badFrames: s.badFrames,
      ...(s.stoppedAt > 0 ? { stoppedAt: s.stoppedAt } : {}),
      ...(s.zeroAnswer !== ZERO_SILENT ? { zeroAnswer: s.zeroAnswer === ZERO_GARBLED ? "garbled" as const : s.zeroAnswer } : {}),
    };
  });
  return { settings, found: rowsOf(scans), busMs: Math.round(busMs) };
}

/** The site files for what a scan found: one per line setting with at least one identified device. */
export function sitesFromScan(summary: ScanSummary, port: string, simulation?: { seed?: number; tickUs?: number; meters: Map<string, Record<string, unknown>> }): { setting: LineSetting; json: Record<string, unknown> }[] {
  const out: { setting: LineSetting; json: Record<string, unknown> }[] = [];
  for (const s of summary.settings) {
    const rows = summary.found.filter((r) => r.baud === s.baud && r.framing === s.framing && r.profile !== null);
    if (rows.length === 0) continue;
    const meters = rows.map((r) => ({ name: `${r.profile}-${r.unit}`, profile: r.profile as string, unit: r.unit, intervalMs: 5000 }));
    const json: Record<string, unknown> = { bus: { port, baud: s.baud, framing: s.framing }, meters };
    if (simulation) {
      const simMeters: Record<string, unknown> = {};
      for (const r of rows) {
        const m = simulation.meters.get(`${s.baud}/${s.framing}/${r.unit}`);
        if (m) simMeters[`${r.profile}-${r.unit}`] = m;
      }
      json.simulation = { ...(simulation.seed !== undefined ? { seed: simulation.seed } : {}), ...(simulation.tickUs !== undefined ? { tickUs: simulation.tickUs } : {}), meters: simMeters };
    }
    out.push({ setting: { baud: s.baud, framing: s.framing }, json });
  }
  return out;
}

function table(summary: ScanSummary): string {
  const lines = ["baud    framing  unit  model                    reply ms  note"];
  for (const r of summary.found) {
    const notes: string[] = [];
    if (r.answersAddressZero) notes.push("also answers address 0 (broadcast)");
    if (r.late) notes.push("answered late (slow device)");
    if (r.candidates) notes.push(`one of ${r.candidates.join(", ")}`);
    if (r.profile === null && !r.candidates) notes.push("model not recognised");
    lines.push(`${String(r.baud).padEnd(8)}${r.framing.padEnd(9)}${String(r.unit).padStart(4)}  ${(r.profile ?? "?").padEnd(25)}${(r.latencyMs === null ? "-" : r.latencyMs.toFixed(1)).padStart(8)}  ${notes.join("; ")}`);
  }
  if (summary.found.length === 0) lines.push("(no device answered)");
  for (const s of summary.settings) {
    const extra: string[] = [];
    if (s.stoppedAt) extra.push(`cut short by --budget at unit ${s.stoppedAt}`);
    if (s.zeroAnswer === "garbled") extra.push("several devices answer address 0 (garbled reply)");
    else if (s.zeroAnswer !== undefined) extra.push(`unit ${s.zeroAnswer} answers address 0`);
    if (s.badFrames > 0) extra.push(`${s.badFrames} damaged frames (another line setting or a collision?)`);
    lines.push(`${s.baud} ${s.framing}: ${s.requests} requests, ${(s.busMs / 1000).toFixed(1)} s${extra.length ? `; ${extra.join("; ")}` : ""}`);
  }
  lines.push(`scanned ${summary.settings.length} line setting${summary.settings.length === 1 ? "" : "s"} in ${(summary.busMs / 1000).toFixed(1)} s of bus time, ${summary.found.length} device${summary.found.length === 1 ? "" : "s"} found`);
  return lines.join("\n");
}

/** A progress bar on stderr when it is a terminal. */
function progressBar(total: number): (index: number, s: BusScanner, setting: LineSetting) => void {
  if (!process.stderr.isTTY) return () => {};
  return (index, s, setting) => {
    const share = (index + s.progress) / total;
    const width = 30;
    const full = Math.round(share * width);
    process.stderr.write(`\r[${"#".repeat(full)}${"-".repeat(width - full)}] ${String(Math.round(share * 100)).padStart(3)}%  ${setting.baud} ${setting.framing}  found ${s.units().length}   `);
  };
}

async function scanSerial(port: string, rts: boolean, settings: readonly LineSetting[], profiles: readonly Profile[], tuning: ScanTuning, bar: ReturnType<typeof progressBar>): Promise<SettingScan[]> {
  const out: SettingScan[] = [];
  // One host, reopened at each line setting (ReconfigurablePort, as the ESP32 scan job does); one scanner per setting.
  const host = new SerialHost({ path: port, baud: settings[0].baud, framing: settings[0].framing, rts });
  await host.open();
  try {
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[i];
      if (i > 0) {
        const why = host.reconfigure(setting.baud, setting.framing);
        if (why !== null) throw new SerialOpenError(why);
      }
      // A USB adapter hands bytes over in batches a few ms apart: allow that much before calling a frame ended.
      const scanner = new BusScanner(host, { ...tuning, baud: setting.baud, framing: setting.framing, profiles, rxIdleDelayUs: 2000 });
      host.attach(scanner, scanner);
      const start = host.now();
      scanner.start(start);
      host.poke();
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          bar(i, scanner, setting);
          if (scanner.done) { clearInterval(t); resolve(); }
        }, 100);
      });
      out.push({ setting, scanner, busUs: scanner.finishedAt - start });
    }
  } finally {
    await host.close();
  }
  return out;
}

const command: Command = {
  summary: "find the devices on a bus (units × bauds × framings), name their models, write a site file",
  run: (args) => withUsage("scan", async () => {
    const o = parseOptions("scan", args, { values: ["port", "site", "bauds", "framings", "units", "timeout", "budget", "write", "profiles"], flags: ["sim", "json", "no-zero", "rts"] });
    if (o.help) { console.log(HELP); return 0; }
    const sim = !!o.flags.sim;
    if (sim === (o.values.port !== undefined)) throw new UsageError("give --port DEVICE or --sim (try rc485 scan --help)");
    if (o.values.site !== undefined && !sim) throw new UsageError("--site describes a simulated bus: use it with --sim");
    const bauds = list(o, "bauds", SCAN_BAUDS.join(",")).map((b) => {
      const n = Number(b);
      if (!BAUD_RATES.includes(n)) throw new UsageError(`--bauds: ${b} is not one of ${BAUD_RATES.join(", ")}`);
      return n;
    });
    const framings = list(o, "framings", SCAN_FRAMINGS.join(",")).map((f) => {
      if (!["8N1", "8E1", "8O1", "8N2"].includes(f)) throw new UsageError(`--framings: ${f} is not one of 8N1, 8E1, 8O1, 8N2`);
      return f as Framing;
    });
    if (bauds.length === 0 || framings.length === 0) throw new UsageError("--bauds and --framings need at least one value");
    const range = /^(\d+)(?:-(\d+))?$/.exec(o.values.units ?? "1-247");
    const first = range ? Number(range[1]) : NaN;
    const last = range ? Number(range[2] ?? range[1]) : NaN;
    if (!(first >= 1 && last <= 247 && first <= last)) throw new UsageError(`--units must be A-B with 1 <= A <= B <= 247 (got '${o.values.units}')`);
    const tuning: ScanTuning = {
      firstUnit: first, lastUnit: last, timeoutUs: intOption(o, "timeout", 1, 10000, 50) * 1000,
      budgetUs: intOption(o, "budget", 1, 3600, 60) * 1_000_000, probeZero: !o.flags["no-zero"],
    };
    const settings: LineSetting[] = [];
    for (const baud of bauds) for (const framing of framings) settings.push({ baud, framing });
    const bar = progressBar(settings.length);

    let scans: SettingScan[];
    let simulation: Parameters<typeof sitesFromScan>[2];
    if (sim) {
      const file = o.values.site ?? SCAN_DEMO_SITE;
      const sf = readSiteFile(file, o.lists.profiles ?? []);
      if (!sf.site) { for (const e of sf.errors) console.error(e); return 2; }
      scans = scanSimulated(sf.site, sf.simulation, settings, sf.profiles, tuning, (i, s) => bar(i, s, settings[i]));
      // The written sites keep each found meter's emulation, so `rc485 sim` can poll them.
      const byLine = new Map<string, Record<string, unknown>>();
      const metersSim = (sf.simulation.meters ?? {}) as Record<string, Record<string, unknown>>;
      for (const m of sf.site.meters) {
        const ms = metersSim[m.name] ?? {};
        byLine.set(`${(ms.baud as number | undefined) ?? sf.site.bus.baud}/${(ms.framing as string | undefined) ?? sf.site.bus.framing}/${m.unit}`, ms);
      }
      simulation = { seed: sf.simulation.seed as number | undefined, tickUs: sf.simulation.tickUs as number | undefined, meters: byLine };
    } else {
      const loaded = loadProfiles(profileFolders(o.lists.profiles ?? []));
      if (loaded.errors.length > 0) { for (const e of loaded.errors) console.error(e); return 2; }
      try {
        scans = await scanSerial(o.values.port as string, !!o.flags.rts, settings, loaded.profiles, tuning, bar);
      } catch (e) {
        if (e instanceof SerialOpenError) { console.error(`rc485 scan: ${e.message}`); return 2; }
        throw e;
      }
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    const summary = summarize(scans);
    if (o.values.write !== undefined) try {
      const target = o.values.write;
      const sites = sitesFromScan(summary, sim ? "sim" : (o.values.port as string), simulation);
      summary.written = sites.map(({ setting, json }) => {
        const file = sites.length === 1 ? target : join(dirname(target), `${basename(target, extname(target))}-${setting.baud}-${setting.framing}${extname(target) || ".json"}`);
        try {
          writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
        } catch (e) {
          throw new WriteError(`cannot write ${file}: ${(e as Error).message}`);
        }
        return file;
      });
    } catch (e) {
      if (e instanceof WriteError) { console.error(`rc485 scan: ${e.message}`); return 1; }
      throw e;
    }
    if (o.flags.json) console.log(JSON.stringify(summary));
    else {
      console.log(table(summary));
      for (const f of summary.written ?? []) console.log(`wrote ${f}`);
      if (o.values.write !== undefined && (summary.written ?? []).length === 0) console.log("nothing identified: no site file written");
    }
    return 0;
  }),
};

export default command;
