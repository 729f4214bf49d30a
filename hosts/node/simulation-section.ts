/*
 * The `simulation` section of a site file (docs/simulator.md), checked like the rest of the site before anything runs:
 * an unknown field or a value of the wrong type or range is one line naming it ($.simulation.meters.barn.loadShare: …),
 * so a typo never runs a simulation that quietly publishes nulls. `rc485 run` ignores the section, but a broken one is
 * still refused there: the file is one configuration.
 *
 *   { seed, tickUs, meters: { NAME: { loadShare, turnaroundMs: [min, max], energyKwh, behindRepeater, baud, framing,
 *                                     maxRegisters, limitSilent, answerBroadcast, rebootBelowMs, wordOrder } },
 *     repeater: { nroots, interleave, noise: { bitErrorRate, burstsPerSecond, burstUs, spuriousPerSecond } } }
 */
import { isObject, show } from "../../modules/common/json-check";

const TOP = ["seed", "tickUs", "meters", "repeater"];
const METER = ["loadShare", "turnaroundMs", "energyKwh", "behindRepeater", "baud", "framing", "maxRegisters", "limitSilent", "answerBroadcast", "rebootBelowMs", "wordOrder"];
const FRAMING_NAMES = ["8N1", "8E1", "8O1", "8N2"];
const ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"];
const REPEATER = ["nroots", "interleave", "noise"];
const NOISE = ["bitErrorRate", "burstsPerSecond", "burstUs", "spuriousPerSecond"];

/** Problems with `section` (already known to be an object), as `$.simulation.…: message (got …)` lines. `meterNames`: the site's meters, or null when the site itself is broken. */
export function checkSimulationSection(section: Record<string, unknown>, meterNames: readonly string[] | null): string[] {
  const errors: string[] = [];
  const bad = (path: string, message: string, ...got: unknown[]) => errors.push(`${path}: ${message}${got.length > 0 ? ` (got ${show(got[0])})` : ""}`);
  const fields = (o: Record<string, unknown>, allowed: readonly string[], path: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`${path}.${k}`, `unknown field; allowed: ${allowed.join(", ")}`);
  };
  const num = (o: Record<string, unknown>, k: string, path: string, min: number, max: number, integer = false) => {
    const v = o[k];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      bad(`${path}.${k}`, `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`, v);
    }
  };
  const path = "$.simulation";
  fields(section, TOP, path);
  num(section, "seed", path, 0, 0xffffffff, true);
  num(section, "tickUs", path, 0, 1000000, true);
  if (section.meters !== undefined) {
    if (!isObject(section.meters)) bad(`${path}.meters`, "must be an object { NAME: { loadShare, turnaroundMs, energyKwh, behindRepeater } }", section.meters);
    else for (const [name, m] of Object.entries(section.meters)) {
      const mp = `${path}.meters.${name}`;
      if (meterNames !== null && !meterNames.includes(name)) { bad(mp, "no meter of that name in $.meters"); continue; }
      if (!isObject(m)) { bad(mp, "must be an object { loadShare, turnaroundMs, energyKwh, behindRepeater }", m); continue; }
      fields(m, METER, mp);
      num(m, "loadShare", mp, 0, 10);
      num(m, "energyKwh", mp, 0, 1e9);
      for (const k of ["behindRepeater", "limitSilent", "answerBroadcast"]) if (m[k] !== undefined && typeof m[k] !== "boolean") bad(`${mp}.${k}`, "must be true or false", m[k]);
      // The meter's own line setting and quirks (docs/simulator.md, "Quirky meters").
      num(m, "baud", mp, 300, 4000000, true);
      if (m.framing !== undefined && !FRAMING_NAMES.includes(m.framing as string)) bad(`${mp}.framing`, `must be one of ${FRAMING_NAMES.join(", ")}`, m.framing);
      num(m, "maxRegisters", mp, 1, 125, true);
      num(m, "rebootBelowMs", mp, 0, 60000);
      if (m.wordOrder !== undefined && !ORDERS.includes(m.wordOrder as string)) bad(`${mp}.wordOrder`, `must be one of ${ORDERS.join(", ")}`, m.wordOrder);
      const t = m.turnaroundMs;
      if (t !== undefined && !(Array.isArray(t) && t.length === 2 && t.every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 10000) && t[0] <= t[1])) {
        bad(`${mp}.turnaroundMs`, "must be [min, max] in ms, 0 ≤ min ≤ max ≤ 10000", t);
      }
    }
  }
  if (section.repeater !== undefined) {
    const rp = `${path}.repeater`;
    if (!isObject(section.repeater)) bad(rp, "must be an object { nroots, interleave, noise }", section.repeater);
    else {
      const r = section.repeater;
      fields(r, REPEATER, rp);
      num(r, "nroots", rp, 2, 16, true);
      num(r, "interleave", rp, 1, 16, true);
      if (r.noise !== undefined) {
        if (!isObject(r.noise)) bad(`${rp}.noise`, "must be an object { bitErrorRate, burstsPerSecond, burstUs, spuriousPerSecond }", r.noise);
        else {
          fields(r.noise, NOISE, `${rp}.noise`);
          num(r.noise, "bitErrorRate", `${rp}.noise`, 0, 1);
          num(r.noise, "burstsPerSecond", `${rp}.noise`, 0, 1e6);
          num(r.noise, "spuriousPerSecond", `${rp}.noise`, 0, 1e6);
          num(r.noise, "burstUs", `${rp}.noise`, 1, 1e9, true);
        }
      }
    }
  }
  return errors;
}
