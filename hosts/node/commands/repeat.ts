/*
 * `rc485 repeat --site FILE`: the R/C repeater (modules/repeater/engine.ts, docs/fec.md) on two real serial ports: side A plain
 * Modbus RTU, side B the FEC link across the noisy segment, each through the serial host (hosts/node/serial-port.ts) on
 * one shared clock. The configuration is the site file's `repeater` section (other sections are not needed):
 *
 *   "repeater": { "sideA": { "port": "/dev/ttyUSB0", "baud": 9600, "framing": "8N1" },
 *                 "sideB": { "port": "/dev/ttyUSB1", "baud": 9600, "framing": "8N1" },
 *                 "nroots": 4, "interleave": 1, "unitId": 0, "tickUs": 1000, "rxLatencyUs": 0, "queueFrames": 4,
 *                 "adaptive": false }
 *
 * (`rts: true` in a side drives RTS as that port's driver enable.) Prints the link statistics every --every seconds and
 * at the end (SIGINT/SIGTERM or --duration). Exit status: 0 stopped, 2 bad usage, a bad section or a port that cannot be
 * opened at start.
 */
import { Repeater } from "../../../modules/repeater/engine";
import { resolveRepeaterConfig, type RepeaterConfig } from "../../../modules/repeater/config";
import { DIRECTION_AB, DIRECTION_BA, STAT_NAMES } from "../../../modules/repeater/stats";
import { BAUD_RATES, type Framing } from "../../../modules/rtu/timing";
import { show } from "../../../modules/common/json-check";
import { FRAMINGS } from "../../../modules/concentrator/profile";
import { FileReadError, readJsonFile } from "../read-bounded";
import { numberOption, parseOptions, withUsage } from "../options";
import { SerialHost, SerialOpenError } from "../serial-port";
import { UsageError, type Command } from "./command";

const HELP = `usage: rc485 repeat --site FILE [--duration S] [--every S] [--json]

Runs an R/C repeater on two serial ports: side A plain Modbus RTU, side B the FEC link (Reed–Solomon parity after each
frame, docs/fec.md). The site file's "repeater" section names the ports and the code:

  "repeater": { "sideA": { "port": "/dev/ttyUSB0", "baud": 9600, "framing": "8N1" },
                "sideB": { "port": "/dev/ttyUSB1", "baud": 9600, "framing": "8N1" },
                "nroots": 4, "interleave": 1, "unitId": 0, "rxLatencyUs": 4000 }

The other fields are the repeater engine's (docs/fec.md): on a USB adapter set rxLatencyUs to how late it hands received
bytes to Linux (an FTDI adapter's latency timer, 1-16 ms; see docs/linux-gateway.md), or parity bursts may be given up on.
Devices on side A's segment, and repeaters' peers, must answer no sooner than t3.5 + the parity burst after a request.

  --site FILE     the site file with the repeater section
  --duration S    stop after S seconds
  --every S       print the statistics every S seconds (default 60; 0 = only at the end)
  --json          print the final statistics as JSON

exit status: 0 stopped, 2 bad usage, a bad repeater section or a port that cannot be opened`;

interface SideSection { port: string; baud: number; framing: Framing; rts?: boolean }

function side(file: string, v: unknown, name: string): SideSection {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new UsageError(`${file}: $.repeater.${name}: must be an object { port, baud, framing }`);
  const o = v as Record<string, unknown>;
  if (typeof o.port !== "string" || o.port === "") throw new UsageError(`${file}: $.repeater.${name}.port: must be a serial device path`);
  if (o.rts !== undefined && typeof o.rts !== "boolean") throw new UsageError(`${file}: $.repeater.${name}.rts: must be true or false`);
  if (typeof o.baud !== "number" || !BAUD_RATES.includes(o.baud)) throw new UsageError(`${file}: $.repeater.${name}.baud must be one of ${BAUD_RATES.join(", ")} (got ${show(o.baud)})`);
  const framing = o.framing ?? "8N1";
  if (typeof framing !== "string" || !(FRAMINGS as readonly string[]).includes(framing)) throw new UsageError(`${file}: $.repeater.${name}.framing must be one of ${FRAMINGS.join(", ")} (got ${show(framing)})`);
  return { port: o.port, baud: o.baud, framing: framing as Framing, rts: o.rts as boolean | undefined };
}

const command: Command = {
  summary: "an R/C repeater on two serial ports (Reed–Solomon parity on side B) (--site FILE)",
  run: (args) => withUsage("repeat", async () => {
    const o = parseOptions("repeat", args, { values: ["site", "duration", "every"], flags: ["json"] });
    if (o.help) { console.log(HELP); return 0; }
    const file = o.values.site;
    if (!file) throw new UsageError("--site FILE is required (try rc485 repeat --help)");
    const duration = o.values.duration === undefined ? Infinity : numberOption(o, "duration", 0.1, 1e9, 10);
    const every = numberOption(o, "every", 0, 86400, 60);
    let json: unknown;
    try { json = readJsonFile(file); } catch (e) {
      if (e instanceof FileReadError) throw new UsageError(e.message);
      throw e;
    }
    const section = (json as Record<string, unknown> | null)?.repeater;
    if (section === null || typeof section !== "object" || Array.isArray(section)) throw new UsageError(`${file}: $.repeater: must be an object { sideA, sideB, nroots, ... }`);
    const { sideA: rawA, sideB: rawB, ...code } = section as Record<string, unknown>;
    const a = side(file, rawA, "sideA");
    const b = side(file, rawB, "sideB");
    const origin = process.hrtime.bigint();
    const clock = () => Number((process.hrtime.bigint() - origin) / 1000n);
    const log = (line: string) => console.error(`rc485 repeat: ${line}`);
    const hostA = new SerialHost({ path: a.port, baud: a.baud, framing: a.framing, rts: a.rts, clock, log });
    const hostB = new SerialHost({ path: b.port, baud: b.baud, framing: b.framing, rts: b.rts, clock, log });
    let r: Repeater;
    const config: RepeaterConfig = { ...(code as Partial<RepeaterConfig>), sideA: { baud: a.baud, framing: a.framing }, sideB: { baud: b.baud, framing: b.framing } };
    try {
      resolveRepeaterConfig(config, "$.repeater.");
      r = new Repeater(config, hostA, hostB);
    } catch (e) {
      if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    try {
      await hostA.open();
      await hostB.open();
    } catch (e) {
      await hostA.close();
      if (e instanceof SerialOpenError) throw new UsageError(e.message);
      throw e;
    }
    hostA.attach(r, r.a);
    hostB.attach(r, r.b);
    // Signal handlers before the ready line: a supervisor may send SIGTERM as soon as it reads that line.
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    log(`side A ${a.port}, side B ${b.port} (FEC: ${r.config.adaptive ? `adaptive up to nroots ${r.config.maxNroots}, interleave ${r.config.maxInterleave}, starting at ` : ""}RS nroots ${r.config.nroots}, interleave ${r.config.interleave})`);
    const stats = () => {
      const out: Record<string, Record<string, number>> = {};
      for (const [name, d] of [["AtoB", DIRECTION_AB], ["BtoA", DIRECTION_BA]] as const) {
        out[name] = {};
        STAT_NAMES.forEach((n, i) => { out[name][n] = r.stats.get(d, i); });
      }
      return out;
    };
    const line = () => {
      const s = stats();
      return `A→B ${s.AtoB.framesReceived} frames forwarded ${s.AtoB.framesForwarded}; B→A ${s.BtoA.framesReceived} frames, ` +
        `damaged ${s.BtoA.crcFailures}, corrected ${s.BtoA.framesCorrected}, uncorrectable ${s.BtoA.uncorrectable}, BER ${(s.BtoA.berPpb / 1e9).toExponential(2)}`;
    };
    const timer = every > 0 ? setInterval(() => log(line()), every * 1000) : null;
    if (duration !== Infinity) setTimeout(stop, duration * 1000);
    await stopped;
    if (timer) clearInterval(timer);
    await hostA.close();
    await hostB.close();
    if (o.flags.json) console.log(JSON.stringify({ sideA: a.port, sideB: b.port, stats: stats(), serial: { a: hostA.counters, b: hostB.counters } }, null, 2));
    else console.log(`summary: ${line()}`);
    return 0;
  }),
};

export default command;
