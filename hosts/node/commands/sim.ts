/*
 * `rc485 sim`: a site run in the simulator (hosts/node/sim-site.ts) by the same concentrator as `rc485 run`
 * (hosts/node/concentrator.ts), with a live terminal view (meters × latest readings, link statistics with and without
 * correction, faults) redrawn in place on a TTY and printed as periodic summaries otherwise, and the status page over
 * HTTP. Virtual time runs `--speed` times wall-clock time; with `--duration` it stops after that many wall seconds (site
 * time = duration × speed) and prints a summary (JSON with --json). Exit status: 0 ok, 2 bad usage or site file.
 * The simulation advances in bounded slices (hosts/node/sim-pacer.ts) with the event loop free in between, so the
 * status page, the gateway and Ctrl-C stay responsive; when the CPU cannot keep the speed asked for, the view, the
 * summary and /api/health say how far behind it is instead of the process freezing to catch up.
 */
import { performance } from "node:perf_hooks";
import { STATE_NAMES } from "../../../modules/concentrator/scheduler";
import { VALUE_WITHHELD } from "../../../modules/concentrator/latest-values";
import { FAULT_KINDS, type ReadingsStore } from "../../../modules/concentrator/readings";
import type { LinkStats } from "../../../modules/forwarding/status-json";
import { intOption, numberOption, parseOptions, withUsage } from "../options";
import { SimPacer, type PaceReport } from "../sim-pacer";
import { SimSite } from "../sim-site";
import { DEMO_SITE, readSiteFile } from "../site-file";
import { UsageError, type Command } from "./command";
import { count } from "../plural";
import { redrawInPlace } from "../live-view";

const HELP = `usage: rc485 sim [options]

Runs a site in the simulator: the concentrator polls emulated meters (built from their profiles) on a simulated RS-485
bus, one of them behind an R/C repeater pair across a noisy segment in the built-in demo. Shows a live view and serves the
status page; Ctrl-C stops with a summary.

  --site FILE       site file (default: the built-in demo, sites/demo.json); an optional "simulation" section sets
                    emulator loads, answer delays, which meters sit behind the R/C pair and the noise (docs/simulator.md)
  --seed N          simulation seed (default: the site's simulation.seed, else 1)
  --speed X         virtual seconds per wall-clock second (default 1; 60 = an hour a minute)
  --duration S      stop after S wall-clock seconds (site time S × speed) and print a summary (exit 0); a machine
                    too slow for --speed keeps going until it has covered S × speed, says so, and Ctrl-C stops it
  --http-port N     status page port (default: the site's forwarding.http.port, else 8485; 0 = any free port)
  --no-http         no HTTP server
  --gateway-port N  Modbus TCP gateway port when the site has a gateway section (docs/gateway.md; 0 = any free port)
  --no-gateway      do not start the site's Modbus TCP gateway
  --json            print the summary as JSON (with --duration)
  --profiles DIR    also load the meter profiles in DIR (repeatable; a later folder's profile overrides an earlier
                    or shipped one of the same id)`;

interface Summary {
  site: string;
  seed: number;
  siteTimeS: number;
  wallTimeS: number;
  speed: number;
  transactions: number;
  busEfficiency: number;
  efficiencyTransactions: number;
  statusUrl: string | null;
  /** The site time the run was asked to cover (duration × speed), and how the simulation kept pace. */
  requestedSiteTimeS: number | null;
  fellBehind: boolean;
  pace: PaceReport;
  meters: { name: string; profile: string; unit: number; state: string; readings: number; failures: number; faults: Record<string, number>; withheldTotals: number; values: Record<string, number | null> }[];
  links: (LinkStats & { errorRate: number | null; residualRate: number | null })[];
}

const command: Command = {
  summary: "the demo site (or --site FILE) in the simulator: live view, status page, --duration summary",
  run: (args) => withUsage("sim", async () => {
    const o = parseOptions("sim", args, { values: ["site", "seed", "speed", "duration", "http-port", "profiles", "gateway-port"], flags: ["json", "no-http", "no-gateway"] });
    if (o.help) { console.log(HELP); return 0; }
    const file = o.values.site ?? DEMO_SITE;
    const seedOpt = o.values.seed === undefined ? undefined : intOption(o, "seed", 0, 0x7fffffff, 1);
    const speed = numberOption(o, "speed", 0.001, 100000, 1);
    const duration = o.values.duration === undefined ? Infinity : numberOption(o, "duration", 0.1, 1e7, 10);
    const httpPort = o.values["http-port"] === undefined ? undefined : intOption(o, "http-port", 0, 65535, 8485);
    const loaded = readSiteFile(file, o.lists.profiles ?? []);
    if (!loaded.site) { for (const e of loaded.errors) console.error(e); return 2; }
    const logs: string[] = [];
    const log = (line: string) => { logs.push(line); if (logs.length > 5) logs.shift(); };
    const http = o.flags["no-http"] ? { enabled: false } : httpPort !== undefined ? { port: httpPort } : undefined;
    let s: SimSite;
    const gateway = { enabled: !o.flags["no-gateway"], port: o.values["gateway-port"] === undefined ? undefined : intOption(o, "gateway-port", 0, 65535, 502) };
    let pacer: SimPacer | null = null;
    const health = () => (pacer ? { sim: pacer.report() } : {});
    const create = (h: typeof http) => SimSite.create(loaded.site!, loaded.simulation, { seed: seedOpt, epochMs: Date.now(), http: h, log, gateway, health });
    try {
      try {
        s = await create(http);
      } catch (e) {
        // The default status page port is taken (another rc485 running?): any free port will do, the URL is printed.
        if (httpPort !== undefined || http !== undefined || !/^http: .*EADDRINUSE/.test(String((e as Error).message))) throw e;
        s = await create({ port: 0 });
      }
    } catch (e) {
      if (e instanceof UsageError || e instanceof RangeError || e instanceof TypeError) throw new UsageError(`${file}: ${(e as Error).message}`);
      if (/EADDRINUSE/.test(String((e as Error).message))) {
        throw new UsageError(`${(e as Error).message.split("\n")[0]}; choose another with --http-port N (0 = any free port)`);
      }
      throw e;
    }
    const seed = seedOpt ?? (typeof loaded.simulation.seed === "number" ? loaded.simulation.seed : 1);
    const tty = process.stdout.isTTY === true && !o.flags.json;
    const url = s.conc.forwarding.httpUrl;
    const gwAddr = s.conc.gateway?.address;
    const banner = `rc485 sim: ${file}, seed ${seed}, ${speed}x${url ? `; status page ${url}` : ""}${gwAddr ? `; Modbus TCP gateway ${gwAddr.address}:${gwAddr.port}` : ""}`;
    // Signal handlers before the banner: a supervisor may send SIGTERM as soon as it reads it.
    let stopping = false;
    const stop = () => { stopping = true; };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (o.flags.json) console.error(banner); else console.log(banner);

    const pace = new SimPacer(s, { speed, wallMs: () => performance.now() });
    pacer = pace;
    let lastDraw = 0;
    let drawn = false;
    const drawEvery = tty ? 500 : 10000;
    const draw = () => {
      if (o.flags.json || performance.now() - lastDraw < drawEvery) return;
      lastDraw = performance.now();
      const text = view(s, file, pace, url, logs);
      if (tty) { process.stdout.write(redrawInPlace(text, !drawn, process.stdout.columns, process.stdout.rows)); drawn = true; } else console.log(text + "\n");
    };
    // A slice at a time, yielding to the event loop in between (at once when behind, else after 20 ms).
    while (!stopping && pace.wallS() < duration) {
      const caughtUp = pace.slice();
      draw();
      await new Promise((r) => (caughtUp ? setTimeout(r, 20) : setImmediate(r)));
    }
    // Cover the site time asked for, still in slices (a machine that fell behind stays responsive and says so).
    const goal = duration === Infinity ? 0 : Math.floor(duration * speed * 1e6);
    while (!stopping && s.sim.now < goal) {
      pace.slice(goal);
      draw();
      await new Promise((r) => setImmediate(r));
    }
    const wallTimeS = pace.wallS();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    const sum = summary(s, file, seed, wallTimeS, url, pace, duration === Infinity ? null : goal / 1e6);
    await s.conc.stop(500);
    if (o.flags.json) console.log(JSON.stringify(sum, null, 2));
    else console.log(summaryText(sum));
    return 0;
  }),
};

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const clock = (us: number) => {
  const s = Math.floor(us / 1e6);
  return `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

function pick(store: ReadingsStore, m: number, test: (name: string, dc: string) => boolean): number {
  const meter = store.meters[m];
  const i = meter.meta.points.findIndex((p) => test(p.name, p.deviceClass ?? ""));
  return i < 0 ? NaN : meter.values[i];
}

function linkLine(l: LinkStats): string {
  const pct = (a: number) => (l.frames > 0 ? `${((100 * a) / l.frames).toFixed(2)}%` : "–");
  if (l.kind === "fec") {
    return `  ${l.name.padEnd(18)} frames ${String(l.frames).padStart(7)}  damaged before correction ${String(l.errors).padStart(5)} (${pct(l.errors)})  ` +
      `corrected ${l.corrected}  left damaged ${l.uncorrectable} (${pct(l.uncorrectable)})`;
  }
  return `  ${l.name.padEnd(18)} frames ${String(l.frames).padStart(7)}  damaged replies ${String(l.errors).padStart(5)} (${pct(l.errors)})  timeouts ${l.timeouts} (${pct(l.timeouts)})`;
}

/** "behind by 12.3 s of site time, running at 700x of 4000x", or "" when keeping pace. */
function behindText(p: PaceReport): string {
  return p.behindS > 0 ? `behind by ${fmt(p.behindS, 1)} s of site time, running at ${fmt(p.achievedSpeed, 0)}x of ${p.speed}x` : "";
}

/** The live view's text (exported for its test). */
export function view(s: SimSite, file: string, pace: SimPacer, url: string | null, logs: string[]): string {
  const store = s.conc.store;
  const loop = s.conc.loop;
  const p = pace.report();
  const behind = behindText(p);
  const lines = [
    `rc485 sim  ${file}  site time ${clock(s.sim.now)}  speed ${p.speed}x${behind ? ` (${behind}: the CPU cannot keep up)` : ""}${url ? `  status page ${url}` : ""}`,
    "",
    `${"meter".padEnd(10)} ${"profile".padEnd(20)} ${"unit".padStart(4)} ${"state".padEnd(8)} ${"power W".padStart(9)} ${"energy kWh".padStart(11)} ${"voltage V".padStart(9)} ${"age s".padStart(6)} ${"readings".padStart(8)} ${"faults".padStart(6)}`,
  ];
  store.meters.forEach((m, i) => {
    const power = m.powerIndex >= 0 ? m.values[m.powerIndex] : NaN;
    const energy = pick(store, i, (n, dc) => dc === "energy" && n.includes("import"));
    const volt = pick(store, i, (_n, dc) => dc === "voltage");
    const age = m.hasReading ? (s.sim.now - m.timeUs) / 1e6 : NaN;
    lines.push(`${m.meta.name.padEnd(10)} ${m.meta.profile.padEnd(20)} ${String(m.meta.unit).padStart(4)} ${STATE_NAMES[loop.scheduler.state[i]].padEnd(8)} ` +
      `${fmt(power).padStart(9)} ${fmt(energy, 2).padStart(11)} ${fmt(volt).padStart(9)} ${fmt(age).padStart(6)} ${String(m.readings).padStart(8)} ${String(m.failures).padStart(6)}`);
  });
  // An energy column shows – while the meter has an import total that the sanity filter has not confirmed yet.
  const unconfirmed = store.meters.filter((m) => m.hasReading && m.meta.points.some((p, j) => p.deviceClass === "energy" && p.name.includes("import") && !Number.isFinite(m.values[j]))).map((m) => m.meta.name);
  if (unconfirmed.length > 0) {
    lines.push(`energy – (${unconfirmed.join(", ")}): the total is held back until the sanity filter has confirmed it with ` +
      `${count(loop.readings.sanity.confirmations, "consistent reading")}, so a transient 0 or garbage total is never shown`);
  }
  lines.push("", "links (the bus as the master sees it; the R/C pair's noisy segment before and after Reed–Solomon correction)");
  for (const l of s.conc.links()) lines.push(linkLine(l));
  lines.push("", `master: ${count(s.transactions, "transaction")}, bus efficiency ${fmt(100 * s.busEfficiency(), 2)}% (virtual time)`);
  const faults: string[] = [];
  store.meters.forEach((m) => FAULT_KINDS.forEach((k, j) => { if (m.faults[j] > 0) faults.push(`${m.meta.name} ${k} ${m.faults[j]}`); }));
  lines.push(`faults: ${faults.length > 0 ? faults.join(", ") : "none"}`);
  for (const l of logs) lines.push(`! ${l}`);
  return lines.join("\n");
}

function summary(s: SimSite, file: string, seed: number, wallTimeS: number, url: string | null, pace: SimPacer, requested: number | null): Summary {
  const store = s.conc.store;
  const loop = s.conc.loop;
  const p = pace.report();
  return {
    site: file, seed, siteTimeS: s.sim.now / 1e6, wallTimeS, speed: s.sim.now / 1e6 / wallTimeS,
    requestedSiteTimeS: requested, fellBehind: p.maxBehindS > 0 || (requested !== null && s.sim.now / 1e6 < requested), pace: p,
    transactions: s.transactions, busEfficiency: s.busEfficiency(), efficiencyTransactions: s.efficiency.transactions, statusUrl: url,
    meters: store.meters.map((m, i) => {
      const faults: Record<string, number> = {};
      FAULT_KINDS.forEach((k, j) => { faults[k] = m.faults[j]; });
      const values: Record<string, number | null> = {};
      m.meta.points.forEach((p, j) => { values[p.name] = Number.isFinite(m.values[j]) ? m.values[j] : null; });
      return { name: m.meta.name, profile: m.meta.profile, unit: m.meta.unit ?? 0, state: STATE_NAMES[loop.scheduler.state[i]], readings: m.readings, failures: m.failures, faults, withheldTotals: withheld(s, i), values };
    }),
    links: s.conc.links().map((l) => ({ ...l, errorRate: l.frames > 0 ? l.errors / l.frames : null, residualRate: l.frames > 0 ? l.uncorrectable / l.frames : null })),
  };
}

/** Totals of meter m the sanity filter is withholding now. */
function withheld(s: SimSite, m: number): number {
  const mp = s.conc.plan.meters[m];
  let n = 0;
  for (let v = mp.firstValue; v < mp.firstValue + mp.valueCount; v++) if (s.conc.loop.readings.status[v] === VALUE_WITHHELD) n++;
  return n;
}

function summaryText(x: Summary): string {
  const lines = [
    `summary: ${fmt(x.siteTimeS, 0)} s of site time in ${fmt(x.wallTimeS, 1)} s (${fmt(x.speed, 1)}x), ${count(x.transactions, "transaction")}, ` +
      `master bus efficiency ${fmt(100 * x.busEfficiency, 2)}% over ${count(x.efficiencyTransactions, "first-attempt transaction")}`,
  ];
  if (x.fellBehind) {
    const short = x.requestedSiteTimeS !== null && x.siteTimeS < x.requestedSiteTimeS ? `, ${fmt(x.requestedSiteTimeS - x.siteTimeS, 0)} s of the ${fmt(x.requestedSiteTimeS, 0)} s asked not covered` : "";
    lines.push(`  fell behind: the CPU could not keep ${x.pace.speed}x (at worst ${fmt(x.pace.maxBehindS, 1)} s of site time behind, ${x.pace.slicesBehind} of ${x.pace.slices} slices${short})`);
  }
  for (const m of x.meters) {
    const f = Object.entries(m.faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push(`  ${m.name.padEnd(10)} ${m.state.padEnd(8)} ${count(m.readings, "reading").padStart(14)}, ${count(m.failures, "failed poll")}${f ? ` (${f})` : ""}`);
  }
  for (const l of x.links) lines.push(linkLine(l));
  return lines.join("\n");
}

export default command;
