/*
 * A site file brought to life in the simulator (hosts/sim) for `rc485 sim`: one bus segment with the concentrator's port
 * (ideal UART, the host timer given by `tickUs`), one profile-driven meter emulator per site meter
 * (hosts/sim/profile-meter.ts), and — for meters marked `behindRepeater` in the `simulation` section — an R/C repeater pair
 * (modules/repeater/engine.ts) across a noisy segment, with those meters on the far segment. The master's response timeout for
 * them grows by the pair's budget (modules/repeater/config.ts). A passive sniffer on the bus measures the master's bus
 * efficiency: for every transaction answered at the first attempt, the least time it could take (request air time, the
 * meter's actual answer delay, reply air time, the t3.5 that confirms the frame end) against that plus how late the
 * request left after it was due and the line had been quiet for t3.5 (timer ticks, engine delays; not the time a request
 * was held back for a reply window after a meter's fault, which is silence the protocol asks for).
 *
 * `simulation` section (all optional): { seed, tickUs, meters: { NAME: { loadShare, turnaroundMs: [min, max], energyKwh,
 * behindRepeater } }, repeater: { nroots, interleave, noise: { bitErrorRate, burstsPerSecond, burstUs, spuriousPerSecond } } }.
 */
import { Repeater } from "../../modules/repeater/engine";
import { repeaterTimeoutBudgetUs, resolveRepeaterConfig, type RepeaterConfig } from "../../modules/repeater/config";
import { burstLengthFor } from "../../modules/repeater/link";
import type { MasterResult } from "../../modules/master/result";
import type { Site } from "../../modules/site/site";
import type { LinkStats } from "../../modules/forwarding/status-json";
import { Simulation, type NoiseOptions, type Segment } from "../sim/index";
import { LiveMeter } from "../sim/live-meter";
import { UsageError } from "./commands/command";
import { startConcentrator, type NodeConcentrator } from "./concentrator";
import { liveMeterOptions, meterLine, type MeterSim } from "./sim-meter-options";

export interface SimSiteOptions {
  readonly seed?: number;
  /** Wall-clock epoch ms at virtual time 0. */
  readonly epochMs: number;
  readonly http?: { readonly host?: string; readonly port?: number; readonly enabled?: boolean };
  readonly log?: (line: string) => void;
  /** Overrides of the site's gateway section (--gateway-port, --no-gateway). */
  readonly gateway?: { readonly port?: number; readonly enabled?: boolean };
  /** Extra fields for /api/health (rc485 sim: the pacer's report). */
  readonly health?: () => Record<string, unknown>;
}

/** The link name of the simulated R/C pair's noisy segment. */
export const FEC_LINK_NAME = "noisy (R/C pair)";


export interface Efficiency {
  transactions: number;
  idealUs: number;
  actualUs: number;
}

export class SimSite {
  readonly sim: Simulation;
  readonly bus: Segment;
  readonly noisy: Segment | null = null;
  readonly meters: LiveMeter[] = [];
  readonly repeaters: Repeater[] = [];
  readonly efficiency: Efficiency = { transactions: 0, idealUs: 0, actualUs: 0 };
  conc!: NodeConcentrator;
  private reqStart = 0;
  private reqEnd = 0;
  private replyFirst = -1;
  private lineLast = 0;
  private readyAt = 0;
  /** Master.windowWaitUs at the last request. */
  private heldUs = 0;
  /** When the read handed to the master last became due by the schedule (µs). */
  private dueAt = 0;
  /** Transactions completed (every planned read, whatever its outcome). */
  transactions = 0;

  private constructor(readonly site: Site, sim: Simulation, bus: Segment) {
    this.sim = sim;
    this.bus = bus;
  }

  static async create(site: Site, simulation: Record<string, unknown>, o: SimSiteOptions): Promise<SimSite> {
    const seed = o.seed ?? (typeof simulation.seed === "number" ? simulation.seed : 1);
    const tickUs = typeof simulation.tickUs === "number" ? simulation.tickUs : 0;
    const metersSim = (simulation.meters ?? {}) as Record<string, MeterSim>;
    for (const name of Object.keys(metersSim)) {
      if (!site.meters.some((m) => m.name === name)) throw new UsageError(`$.simulation.meters.${name}: no meter of that name in $.meters`);
    }
    const rep = (simulation.repeater ?? {}) as { nroots?: number; interleave?: number; noise?: NoiseOptions };
    const sim = new Simulation({ seed, traceCapacity: 64 });
    const line = { baud: site.bus.baud, framing: site.bus.framing };
    const bus = sim.segment({ name: "bus", ...line });
    const s = new SimSite(site, sim, bus);
    const behind = site.meters.filter((m) => metersSim[m.name]?.behindRepeater);
    let far: Segment = bus;
    const extraTimeoutUs: Record<number, number> = {};
    if (behind.length > 0) {
      const noisy = sim.segment({ name: "noisy", ...line, noise: rep.noise ?? { bitErrorRate: 3e-4 } });
      (s as { noisy: Segment | null }).noisy = noisy;
      far = sim.segment({ name: "far", ...line });
      let cfg: RepeaterConfig;
      try {
        cfg = { nroots: rep.nroots ?? 4, interleave: rep.interleave ?? 1, sideA: line, sideB: line, tickUs };
        resolveRepeaterConfig(cfg);
      } catch (e) { throw new UsageError(`$.simulation.repeater: ${(e as Error).message}`); }
      for (const [name, a] of [["rc1", bus], ["rc2", far]] as const) {
        const host = sim.host({ name, ports: [{ segment: a, name: `${name}.A` }, { segment: noisy, name: `${name}.B` }], tick: tickUs });
        const r = new Repeater(cfg, host.port(0), host.port(1));
        host.attach(r, [r.a, r.b]);
        s.repeaters.push(r);
      }
      const resolved = resolveRepeaterConfig(cfg);
      for (const m of behind) extraTimeoutUs[m.unit] = repeaterTimeoutBudgetUs(resolved, 1, 8, 256, burstLengthFor, 256);
    }
    site.meters.forEach((m, i) => {
      const ms = metersSim[m.name] ?? {};
      const own = meterLine(ms, line);
      const other = own.baud !== line.baud || own.framing !== line.framing;
      s.meters.push(new LiveMeter(sim, ms.behindRepeater ? far : bus, m.profile, liveMeterOptions(m, ms, seed * 7919 + i * 104729, other)));
    });
    const host = sim.host({ name: "concentrator", ports: [{ segment: bus, uart: "ideal" }], tick: tickUs });
    const port = host.port(0);
    // Sniffer: hears every character on the bus at its stop bit.
    const sniffer = sim.host({ name: "sniffer", ports: [{ segment: bus, uart: "ideal" }] });
    const charUs = bus.timing.characterUs;
    sniffer.attach(null, [{
      received: (_b, _o, _l, now) => {
        if (now > s.reqEnd && s.replyFirst < 0) s.replyFirst = now - charUs;
        s.lineLast = now;
      },
      transmitted: () => {},
    }]);
    // The silence the site asks for before each request (never below t3.5) is not the master's overhead.
    const gapUs = Math.max(bus.timing.t35Us, site.bus.interRequestDelayMs * 1000);
    const transmit = port.transmit.bind(port);
    port.transmit = (b: Uint8Array, off: number, len: number) => {
      const now = sim.now;
      // Time the master held this request back for another request's reply window (after a meter's fault, see
      // docs/master.md) is silence the protocol asks for, like the site's gap: not the master's overhead.
      const held = s.conc.loop.master.windowWaitUs - s.heldUs;
      s.heldUs += held;
      s.readyAt = Math.max(s.dueAt, s.lineLast + gapUs) + held;
      s.reqStart = now;
      s.reqEnd = now + bus.timing.airTimeUs(len);
      s.replyFirst = -1;
      transmit(b, off, len);
    };
    const epoch = o.epochMs;
    // Meters behind the R/C pair sit behind its link (named in fecLinks()), unless the site names their segment itself.
    const shown: Site = behind.length === 0 ? site : { ...site, meters: site.meters.map((m) => (behind.includes(m) && m.via === undefined ? { ...m, via: FEC_LINK_NAME } : m)) };
    s.conc = await startConcentrator(shown, port, {
      nowUs: () => sim.now,
      nowMs: () => epoch + Math.floor(sim.now / 1000),
      http: o.http, log: o.log, extraTimeoutUs, gateway: o.gateway, poke: () => sim.poke(), health: o.health,
      extraLinks: () => s.fecLinks(),
      listener: { polled: (read, _outcome, r) => { s.transactions++; s.account(r, read); } },
    });
    // Measurement only: note when each read the scheduler hands out became due (its deadline, or now if later).
    const sch = s.conc.loop.scheduler;
    const next = sch.next.bind(sch);
    sch.next = (now: number) => {
      const due = sch.nextDeadline();
      const read = next(now);
      if (read >= 0) s.dueAt = due >= 0 && due < now ? due : now;
      return read;
    };
    host.attach(s.conc.loop);
    s.conc.loop.start(sim.now);
    return s;
  }

  private account(r: MasterResult, _read: number): void {
    if (r.status !== 0 || r.attempts !== 1 || this.replyFirst < 0) return;
    const t = this.bus.timing;
    const ideal = (this.reqEnd - this.reqStart) + Math.max(0, this.replyFirst - this.reqEnd) + t.airTimeUs(r.frameLength) + t.t35Us;
    // The master's own cost: how long after the read was due and the line had been quiet for t3.5 the request started.
    // (The frame end it confirms during that t3.5 is included in the ideal; the next request's delay is charged to it.)
    const late = Math.max(0, this.reqStart - this.readyAt);
    this.efficiency.transactions++;
    this.efficiency.idealUs += ideal;
    this.efficiency.actualUs += ideal + late;
  }

  /**
   * The R/C pair's noisy segment: the two repeaters' FEC sides (RepeaterStats.linkStats) summed — frames received on
   * the segment, damaged on arrival, repaired from their parity, left damaged.
   */
  fecLinks(): LinkStats[] {
    if (this.repeaters.length === 0) return [];
    let frames = 0;
    let errors = 0;
    let corrected = 0;
    let uncorrectable = 0;
    for (const r of this.repeaters) {
      const l = r.stats.linkStats("noisy");
      frames += l.frames;
      errors += l.errors;
      corrected += l.corrected;
      uncorrectable += l.uncorrectable;
    }
    return [{ name: FEC_LINK_NAME, kind: "fec", frames, errors, corrected, uncorrectable, timeouts: 0 }];
  }

  /** Advances virtual time to `untilUs`, moving every emulator's load model each virtual second. */
  runUntil(untilUs: number): void {
    const step = 1_000_000;
    while (this.sim.now < untilUs) {
      const next = Math.min(untilUs, (Math.floor(this.sim.now / step) + 1) * step);
      this.sim.runUntil(next);
      if (next % step === 0) for (const m of this.meters) m.update(next);
    }
  }

  /** The virtual clock (µs). */
  get now(): number {
    return this.sim.now;
  }

  /**
   * Like runUntil, but runs at most `maxEvents` simulator events (bounded work: hosts/node/sim-pacer.ts); returns how
   * many ran. The clock reaches `untilUs` only when no event up to it is left. `resume`: this call continues one that
   * was cut short (the engines' deadlines are then not reread, as one runUntil would not).
   */
  advance(untilUs: number, maxEvents: number, resume = false): number {
    const step = 1_000_000;
    const q = this.sim.queue;
    const start = q.fired;
    let poke = !resume;
    while (this.sim.now < untilUs) {
      const left = maxEvents - (q.fired - start);
      if (left <= 0) break;
      const next = Math.min(untilUs, (Math.floor(this.sim.now / step) + 1) * step);
      const done = this.sim.runUntilBounded(next, left, poke);
      poke = true;
      if (!done) break;
      if (next % step === 0) for (const m of this.meters) m.update(next);
    }
    return q.fired - start;
  }

  /** Master bus efficiency so far (0..1), or NaN before the first transaction. */
  busEfficiency(): number {
    const e = this.efficiency;
    return e.actualUs > 0 ? e.idealUs / e.actualUs : NaN;
  }
}
