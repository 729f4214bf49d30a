// The poll scheduler on a deterministic bus model (each read occupies the bus for its planned bus time; a silent meter
// for request + timeout + t3.5): steady cadence without drift, skipped cycles counted not bunched, spacing rules,
// priorities, and a dead meter among five live ones kept to at most 5% of bus time without disturbing the others.
import { NO_DEADLINE } from "../../../modules/port/contract";
import { planSite, type Plan } from "../../../modules/concentrator/planner";
import {
  OUTCOME_CRC, OUTCOME_EXCEPTION, OUTCOME_MALFORMED, OUTCOME_OK, outcomeOfFault, OUTCOME_TIMEOUT, Scheduler, STATE_OFFLINE, STATE_ONLINE, type SchedulerOptions,
} from "../../../modules/concentrator/scheduler";
import { FAULT_CRC, FAULT_NONE, FAULT_WRONG_UNIT } from "../../../modules/rtu/faults";
import type { Cases } from "../../harness/check";
import { allPoints, NMID30_2, SDM120, SDM630 } from "../../fixtures/maps";

const S = 1_000_000;

function sitePlan(count: number, profile = SDM120): Plan {
  const meters = [];
  for (let i = 0; i < count; i++) meters.push({ name: `m${i}`, unit: i + 1, profile, points: allPoints(profile) });
  return planSite(meters, { baud: 9600, framing: "8N1" });
}

type Sent = { read: number; meter: number; at: number; end: number; outcome: number };

/** Runs the scheduler on the bus model until `until` µs; `dead(meter, now)` says whether a meter is silent. */
function simulate(s: Scheduler, until: number, dead: (m: number, now: number) => boolean = () => false, timeoutUs = 500000, outcomeOf?: (read: number, n: number) => number): Sent[] {
  const plan = s.plan;
  const log: Sent[] = [];
  let now = 0;
  s.start(0);
  while (now < until) {
    const r = s.next(now);
    if (r < 0) {
      const d = s.nextDeadline();
      if (d === NO_DEADLINE) break;
      if (d <= now) throw new Error(`nextDeadline ${d} <= now ${now} but next() returned -1`);
      now = d;
      continue;
    }
    const m = plan.reads[r].meter;
    const silent = dead(m, now);
    const dur = silent ? plan.line.airTimeUs(8) + timeoutUs + plan.line.t35Us : plan.reads[r].busTimeUs;
    const at = now;
    now += dur;
    const outcome = silent ? OUTCOME_TIMEOUT : outcomeOf ? outcomeOf(r, log.length) : OUTCOME_OK;
    s.complete(r, outcome, now);
    log.push({ read: r, meter: m, at, end: now, outcome });
  }
  return log;
}

/** Start times of each cycle of meter m (a send of its first read). */
function cycleStarts(plan: Plan, log: Sent[], m: number): number[] {
  return log.filter((e) => e.read === plan.meters[m].firstRead).map((e) => e.at);
}

function options(plan: Plan, intervalUs: number, extra: Partial<SchedulerOptions> = {}): SchedulerOptions {
  return { meters: plan.meters.map(() => ({ intervalUs })), ...extra };
}

export const cases: Cases = {
  "one meter: every cycle starts exactly on its grid over 10,000 cycles (no drift)"(t) {
    const plan = sitePlan(1);
    const s = new Scheduler(plan, options(plan, 1 * S));
    const log = simulate(s, 10000 * S);
    const starts = cycleStarts(plan, log, 0);
    t.is(starts.length, 10000);
    let exact = 0;
    for (let k = 0; k < starts.length; k++) if (starts[k] === k * S) exact++;
    t.is(exact, 10000);
    t.is(s.cyclesDone[0], 10000);
    t.is(s.cyclesSkipped[0], 0);
    t.is(log.length, 10000 * plan.meters[0].readCount, "every read of every cycle");
  },
  "a shared bus delays cycles but never shifts the grid: deadlines stay k × interval"(t) {
    const plan = sitePlan(6, SDM630); // about 6 × 0.56 s of reads per cycle
    const s = new Scheduler(plan, options(plan, 5 * S));
    const log = simulate(s, 3600 * S);
    for (let m = 0; m < 6; m++) {
      const starts = cycleStarts(plan, log, m);
      t.is(starts.length, 720, `meter ${m} cycles`);
      let onGrid = 0;
      for (let k = 0; k < starts.length; k++) if (starts[k] >= k * 5 * S && starts[k] < k * 5 * S + 5 * S) onGrid++;
      t.is(onGrid, 720, `meter ${m} each cycle inside its own period`);
      t.is(s.cyclesSkipped[m], 0);
      // The last meter waits for the five before it, the same amount every cycle: lateness does not grow.
      t.is(starts[719] - 719 * 5 * S, starts[1] - 5 * S, `meter ${m} same lateness at the end as at the start`);
    }
  },
  "cycles missed while the bus was blocked are counted, not bunched"(t) {
    const plan = sitePlan(2);
    const s = new Scheduler(plan, { meters: [{ intervalUs: 0.1 * S, priority: 0 }, { intervalUs: 10 * S, priority: 1 }] });
    // Meter 1's reads are made to last 1.05 s each (a very slow meter) by the model below.
    const log: Sent[] = [];
    let now = 0;
    s.start(0);
    while (now < 20 * S) {
      const r = s.next(now);
      if (r < 0) { now = s.nextDeadline(); continue; }
      const m = plan.reads[r].meter;
      const at = now;
      now += m === 1 ? 1.05 * S : plan.reads[r].busTimeUs;
      s.complete(r, OUTCOME_OK, now);
      log.push({ read: r, meter: m, at, end: now, outcome: OUTCOME_OK });
    }
    const starts = cycleStarts(plan, log, 0);
    // No two cycles of meter 0 closer than its interval minus its own cycle time: nothing bunched.
    let bunched = 0;
    for (let i = 1; i < starts.length; i++) if (starts[i] - starts[i - 1] < 0.1 * S - 1) bunched++;
    t.is(bunched, 0);
    t.ok(s.cyclesSkipped[0] > 50, `skipped ${s.cyclesSkipped[0]}`);
    t.is(s.cyclesDone[0] + s.cyclesSkipped[0] + (s.deadline[0] > 20 * S ? 0 : 1) >= 199, true);
    t.is(s.deadline[0] % (0.1 * S) < 1 || s.deadline[0] % (0.1 * S) > 0.1 * S - 1, true, "deadline still on the grid");
  },
  "a dead meter among five live ones: others stay on cadence; it costs at most 5% of bus time once backed off"(t) {
    const plan = sitePlan(6);
    const timeoutUs = 1 * S;
    const s = new Scheduler(plan, options(plan, 2 * S, { timeoutUs }));
    const DEAD = 3;
    const log = simulate(s, 3 * 3600 * S, (m) => m === DEAD, timeoutUs);
    t.is(s.state[DEAD], STATE_OFFLINE);
    // Bus time taken by the dead meter in the last two hours (backoff reached long before).
    const from = 3600 * S;
    const to = 3 * 3600 * S;
    let dead = 0;
    for (const e of log) if (e.meter === DEAD && e.at >= from && e.at < to) dead += e.end - e.at;
    const share = dead / (to - from);
    t.ok(share > 0 && share <= 0.05, `dead share ${(share * 100).toFixed(2)}%`);
    t.ok(s.probes[DEAD] > 10, "it keeps being probed");
    for (let m = 0; m < 6; m++) {
      if (m === DEAD) continue;
      t.is(s.cyclesSkipped[m], 0, `meter ${m} skipped none`);
      t.is(s.state[m], STATE_ONLINE);
      const starts = cycleStarts(plan, log, m);
      t.is(starts.length, 3 * 3600 / 2, `meter ${m} ran every cycle`);
      // Worst lateness: one dead probe (request + 1 s timeout + t3.5) plus the other meters' reads of one cycle.
      let worst = 0;
      for (let k = 0; k < starts.length; k++) worst = Math.max(worst, starts[k] - k * 2 * S);
      t.ok(worst <= s.probeCostUs(DEAD) + plan.busTimePerCycleUs, `meter ${m} worst lateness ${worst} µs`);
    }
  },
  "a probe timeout set while running (learned timing) moves the dead meter's probe cost and so its probe delay"(t) {
    const plan = sitePlan(2);
    const s = new Scheduler(plan, options(plan, 1 * S, { timeoutUs: 200000, retries: 1 }));
    const before = s.probeCostUs(1);
    t.is(before, 2 * (plan.line.airTimeUs(8) + 200000 + plan.line.t35Us));
    s.setProbeTimeout(1, 800000);
    t.is(s.probeCostUs(1), 2 * (plan.line.airTimeUs(8) + 800000 + plan.line.t35Us));
    t.is(s.probeCostUs(0), before, "the other meter keeps its own");
    // Dead from the start with the longer timeout: probes never closer than probe cost / 5%.
    const log = simulate(s, 600 * S, (m) => m === 1, 800000);
    const probes = log.filter((e) => e.meter === 1).map((e) => e.at);
    for (let k = 4; k < probes.length; k++) t.ok(probes[k] - probes[k - 1] >= s.probeCostUs(1) / 0.05 - 1, `probe gap ${probes[k] - probes[k - 1]}`);
    t.throws(() => s.setProbeTimeout(1, 0), RangeError);
  },
  "a meter that comes back is online again with its grid phase kept"(t) {
    const plan = sitePlan(2);
    const s = new Scheduler(plan, options(plan, 1 * S, { timeoutUs: 200000 }));
    const log = simulate(s, 600 * S, (m, now) => m === 1 && now > 10 * S && now < 100 * S, 200000);
    t.is(s.state[1], STATE_ONLINE);
    const starts = cycleStarts(plan, log, 1).filter((x) => x > 200 * S);
    t.ok(starts.length >= 390);
    for (const x of starts) t.ok(x % S < plan.meters[0].busTimeUs + plan.meters[1].busTimeUs, `start ${x} near the grid`);
    t.ok(s.faultCount(1, OUTCOME_TIMEOUT) >= 3);
    t.ok(s.lastGoodAt[1] > 590 * S);
  },
  "spacing: inter-request, inter-unit and the meter's own minimum delay"(t) {
    const prof = { ...NMID30_2, limits: { ...NMID30_2.limits, minDelayMs: 30 } };
    const plan = planSite([{ name: "a", unit: 1, profile: prof, points: allPoints(prof) }, { name: "b", unit: 2, profile: SDM120, points: allPoints(SDM120) }], { baud: 9600, framing: "8N1" });
    const s = new Scheduler(plan, options(plan, 1 * S, { interRequestDelayUs: 5000, interUnitDelayUs: 20000 }));
    const log = simulate(s, 60 * S);
    let checked = 0;
    for (let i = 1; i < log.length; i++) {
      const gap = log[i].at - log[i - 1].end;
      const sameUnit = log[i].meter === log[i - 1].meter;
      t.ok(gap >= (sameUnit ? 5000 : 20000), `gap ${gap} same unit ${sameUnit}`);
      if (sameUnit && log[i].meter === 0) t.ok(log[i].at - log[i - 1].at >= 30000);
      checked++;
    }
    t.ok(checked > 300);
  },
  "priority: among meters due together, the lower number goes first"(t) {
    const plan = sitePlan(3);
    const s = new Scheduler(plan, { meters: [{ intervalUs: S, priority: 2 }, { intervalUs: S, priority: 0 }, { intervalUs: S, priority: 1 }] });
    const log = simulate(s, 0.9 * S);
    const order = log.filter((e, i) => i === 0 || log[i - 1].meter !== e.meter).map((e) => e.meter);
    t.deepEqual(order, [1, 2, 0]);
  },
  "faults other than silence continue the cycle and are counted by kind"(t) {
    const plan = sitePlan(1);
    const s = new Scheduler(plan, options(plan, S));
    simulate(s, 10 * S, () => false, 500000, (_r, n) => (n % 3 === 1 ? OUTCOME_CRC : n % 3 === 2 ? OUTCOME_EXCEPTION : OUTCOME_OK));
    t.is(s.cyclesDone[0], 10);
    t.is(s.faultCount(0, OUTCOME_CRC), 10);
    t.is(s.faultCount(0, OUTCOME_EXCEPTION), 10);
    t.is(s.faultCount(0, OUTCOME_OK), 10);
    t.is(s.state[0], STATE_ONLINE);
  },
  "RTU faults map to outcomes"(t) {
    t.is(outcomeOfFault(FAULT_NONE), OUTCOME_OK);
    t.is(outcomeOfFault(FAULT_CRC), OUTCOME_CRC);
    t.is(outcomeOfFault(FAULT_WRONG_UNIT), OUTCOME_MALFORMED);
  },
  "misuse is a RangeError"(t) {
    const plan = sitePlan(1);
    t.throws(() => new Scheduler(plan, { meters: [] }), RangeError);
    t.throws(() => new Scheduler(plan, { meters: [{ intervalUs: 0 }] }), RangeError);
    const s = new Scheduler(plan, options(plan, S));
    t.throws(() => s.next(0), RangeError);
    s.start(0);
    const r = s.next(0);
    t.is(s.next(0), -1, "one read in flight at a time");
    t.is(s.nextDeadline(), NO_DEADLINE);
    t.throws(() => s.complete(r + 1, OUTCOME_OK, 10), RangeError);
    t.throws(() => s.complete(r, 9, 10), RangeError);
  },
  "setPlan between reads: a meter in mid-cycle starts it again with the new reads; refused in flight or for other meters"(t) {
    const plan = sitePlan(1, SDM630);
    const small = { ...SDM630, limits: { ...SDM630.limits, maxRegisters: 20 } };
    const capped = planSite([{ name: "m0", unit: 1, profile: small, points: allPoints(SDM630) }], { baud: 9600, framing: "8N1" });
    t.ok(capped.meters[0].readCount > plan.meters[0].readCount && plan.meters[0].readCount >= 2);
    const s = new Scheduler(plan, options(plan, 1 * S));
    s.start(0);
    const r = s.next(0);
    t.throws(() => s.setPlan(capped), RangeError);
    s.complete(r, OUTCOME_OK, 1000);
    t.is(s.next(1000), plan.meters[0].firstRead + 1, "mid-cycle");
    s.complete(plan.meters[0].firstRead + 1, OUTCOME_OK, 2000);
    s.setPlan(capped);
    t.is(s.plan, capped);
    const sent: number[] = [];
    let now = 2000;
    for (let k = 0; k < capped.meters[0].readCount; k++) {
      const x = s.next(now);
      sent.push(x);
      s.complete(x, OUTCOME_OK, now += 1000);
    }
    t.deepEqual(sent, Array.from({ length: capped.meters[0].readCount }, (_, k) => k), "the cycle again, with the new reads");
    t.is(s.cyclesDone[0], 1);
    t.throws(() => s.setPlan(sitePlan(2, SDM630)), RangeError);
  },
};
