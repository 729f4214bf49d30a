/*
 * `rc485 run --site FILE`: the concentrator on a real serial port (hosts/node/serial-port.ts) — the same runtime as
 * `rc485 sim` (hosts/node/concentrator.ts): polls the site's meters, serves the status page and JSON, forwards over MQTT
 * when configured. Runs until SIGINT/SIGTERM (or --duration S), then prints a summary (JSON with --json). A device that
 * disappears is reported and reopened with backoff while the schedule keeps running. Exit status: 0 stopped normally,
 * 2 bad usage, a bad site file or a device that cannot be opened at start.
 */
import { STATE_NAMES } from "../../../modules/concentrator/scheduler";
import { digitsFor, formatNumber } from "../../../modules/common/json-text";
import { FAULT_KINDS } from "../../../modules/concentrator/readings";
import { startConcentrator, type NodeConcentrator } from "../concentrator";
import { intOption, numberOption, parseOptions, withUsage } from "../options";
import { SerialHost, SerialOpenError } from "../serial-port";
import { loadLearned, saveLearned } from "../learned-state";
import { readSiteFile } from "../site-file";
import { UsageError, type Command } from "./command";
import { count } from "../plural";

const HELP = `usage: rc485 run --site FILE [options]

Runs the concentrator on the serial port of the site file: polls the meters by profile, serves the status page
(http://127.0.0.1:8485/ unless the site's forwarding.http says otherwise) and forwards readings over MQTT when
forwarding.mqtt is set. Stops on Ctrl-C / SIGTERM with a summary.

  --site FILE       site configuration (docs/profiles.md; forwarding: docs/mqtt.md)
  --port DEVICE     serial device instead of the site's bus.port
  --rts             drive RTS as driver enable while sending (adapters without automatic direction control)
  --http-port N     status page port (0 = any free port)
  --gateway-port N  Modbus TCP gateway port when the site has a gateway section (docs/gateway.md; 0 = any free port)
  --no-gateway      do not start the site's Modbus TCP gateway
  --state FILE      learned limits (register caps, timeouts, gaps: docs/profiles.md) read at start and written back
                    every minute and at exit; the plan uses the caps learned by earlier runs
  --duration S      stop after S seconds
  --json            print the summary as JSON
  --profiles DIR    also load the meter profiles in DIR (repeatable; a later folder's profile overrides an earlier
                    or shipped one of the same id)

exit status: 0 stopped, 2 bad usage, bad site file or a device that cannot be opened at start`;

const command: Command = {
  summary: "the concentrator on a real serial port: poll, status page, MQTT (--site FILE)",
  run: (args) => withUsage("run", async () => {
    const o = parseOptions("run", args, { values: ["site", "port", "http-port", "duration", "profiles", "gateway-port", "state"], flags: ["rts", "json", "no-gateway"] });
    if (o.help) { console.log(HELP); return 0; }
    if (!o.values.site) throw new UsageError("--site FILE is required (try rc485 run --help)");
    const duration = o.values.duration === undefined ? Infinity : numberOption(o, "duration", 0.1, 1e9, 10);
    const httpPort = o.values["http-port"] === undefined ? undefined : intOption(o, "http-port", 0, 65535, 8485);
    const loaded = readSiteFile(o.values.site, o.lists.profiles ?? []);
    if (!loaded.site) { for (const e of loaded.errors) console.error(e); return 2; }
    const site = loaded.site;
    const log = (line: string) => console.error(`rc485 run: ${line}`);
    const stateFile = o.values.state;
    const learned = loadLearned(site, stateFile);
    const host = new SerialHost({ path: o.values.port ?? site.bus.port, baud: site.bus.baud, framing: site.bus.framing, rts: !!o.flags.rts, log });
    try {
      await host.open();
    } catch (e) {
      if (e instanceof SerialOpenError) throw new UsageError(e.message);
      throw e;
    }
    const epoch0 = Date.now() - host.now() / 1000;
    let conc: NodeConcentrator;
    try {
      const gateway = { enabled: !o.flags["no-gateway"], port: o.values["gateway-port"] === undefined ? undefined : intOption(o, "gateway-port", 0, 65535, 502) };
      conc = await startConcentrator(site, host, { nowUs: () => host.now(), nowMs: () => Math.floor(epoch0 + (host.now() + host.rebasedUs) / 1000), http: httpPort !== undefined ? { port: httpPort } : undefined, log, gateway, poke: () => host.poke(), busUp: () => host.isOpen,
        learned, health: () => ({ learned: learned.toJSON(site.meters.map((m) => m.name)) }) });
    } catch (e) {
      await host.close();
      if (e instanceof UsageError) throw new UsageError(`${o.values.site}: ${e.message}`);
      throw new UsageError(String((e as Error).message).split("\n")[0]);
    }
    // Signal handlers before the ready line: a supervisor may send SIGTERM as soon as it reads that line.
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const url = conc.forwarding.httpUrl;
    log(`${count(site.meters.length, "meter")} on ${host.settings.path} at ${site.bus.baud} ${site.bus.framing}${url ? `; status page ${url}` : ""}`);
    host.onRebase = (deltaUs) => conc.rebaseTime(deltaUs);
    host.attach(conc.loop, conc.loop);
    conc.loop.start(host.now());
    host.poke();
    const save = () => {
      if (stateFile === undefined) return;
      try { saveLearned(site, learned, stateFile); } catch (e) { log(`cannot write ${stateFile}: ${(e as Error).message}`); }
    };
    const saver = setInterval(save, 60000);
    saver.unref();
    if (duration !== Infinity) setTimeout(stop, duration * 1000);
    await stopped;
    clearInterval(saver);
    save();
    const loop = conc.loop;
    const summary = {
      site: o.values.site, port: host.settings.path, requests: conc.links()[0].frames, serial: host.counters,
      meters: conc.store.meters.map((m, i) => {
        const faults: Record<string, number> = {};
        FAULT_KINDS.forEach((k, j) => { faults[k] = m.faults[j]; });
        const values: Record<string, number | null> = {};
        // As the decoded type holds them: integers exactly, a float32 to its 7 significant digits (json-text.ts).
        m.meta.points.forEach((p, j) => { values[p.name] = Number.isFinite(m.values[j]) ? Number(formatNumber(m.values[j], digitsFor(p.type))) : null; });
        return { name: m.meta.name, unit: m.meta.unit, state: STATE_NAMES[loop.scheduler.state[i]], readings: m.readings, failures: m.failures, faults, values };
      }),
      links: conc.links(),
      mqtt: conc.forwarding.mqttStats(),
      learned: learned.toJSON(site.meters.map((m) => m.name)),
    };
    await host.close();
    await conc.stop(2000);
    if (o.flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`summary: ${count(summary.requests, "request")} sent on ${summary.port}`);
      for (const m of summary.meters) {
        const vals = Object.entries(m.values).map(([k, v]) => `${k}=${v === null ? "–" : String(v)}`).join(" ");
        console.log(`  ${m.name} (unit ${m.unit}) ${m.state}: ${count(m.readings, "reading")}, ${count(m.failures, "failed poll")}; ${vals}`);
      }
      const held = summary.meters.filter((m, i) => m.readings > 0 && conc.store.meters[i].meta.points.some((p) => p.stateClass === "total_increasing" && m.values[p.name] === null));
      if (held.length > 0) {
        console.log(`  – for a total (${held.map((m) => m.name).join(", ")}): held back until the sanity filter has confirmed it with ` +
          `${count(loop.readings.sanity.confirmations, "consistent reading")}, so a transient 0 or garbage total is never published`);
      }
    }
    return 0;
  }),
};

export default command;
