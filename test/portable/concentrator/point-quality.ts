// Quality per point (modules/concentrator/point-quality.ts): fresh after a plausible reading, invalid for a sentinel (NaN), an
// impossible value or a meter offline, stale when not refreshed within staleCycles intervals; changes are reported once.
// Portable: runs on Node and on XS.
import { plausibleRange, PointQuality, QUALITY_FRESH, QUALITY_INVALID, QUALITY_NONE, QUALITY_STALE } from "../../../modules/concentrator/point-quality";
import { VALUE_OK, VALUE_WITHHELD } from "../../../modules/concentrator/latest-values";
import type { Cases, Check } from "../../harness/check";

function two(): PointQuality {
  return new PointQuality([
    { intervalMs: 1000, ratedPowerW: 10000, points: [{ deviceClass: "voltage", unit: "V" }, { deviceClass: "power", unit: "W" }, { deviceClass: "energy", unit: "kWh" }] },
    { intervalMs: 5000, points: [{ deviceClass: "frequency", unit: "Hz" }] },
  ], 3);
}

export const cases: Cases = {
  "plausible readings are fresh; NaN, 65535 V, power beyond 3 × rated and a negative total are invalid"(t: Check) {
    const q = two();
    t.is(q.of(0, 0), QUALITY_NONE);
    q.recorded(0, [230.1, 1500, 1234.5], 1_000_000);
    t.deepEqual([q.of(0, 0), q.of(0, 1), q.of(0, 2)], [QUALITY_FRESH, QUALITY_FRESH, QUALITY_FRESH]);
    q.recorded(0, [65535, 40000, NaN], 2_000_000);
    t.deepEqual([q.of(0, 0), q.of(0, 1), q.of(0, 2)], [QUALITY_INVALID, QUALITY_INVALID, QUALITY_INVALID]);
    q.recorded(0, [229, -900, -1], 3_000_000);
    t.deepEqual([q.of(0, 0), q.of(0, 1), q.of(0, 2)], [QUALITY_FRESH, QUALITY_FRESH, QUALITY_INVALID]);
    t.is(q.of(1, 0), QUALITY_NONE, "the other meter is untouched");
  },
  "a point not refreshed within staleCycles intervals is stale; a new reading makes it fresh again"(t: Check) {
    const q = two();
    q.recorded(0, [230, 100, 1], 0);
    q.recorded(1, [50], 0);
    q.age(3_000_000);
    t.is(q.of(0, 0), QUALITY_FRESH, "3 intervals: not yet");
    q.age(3_000_001);
    t.is(q.of(0, 0), QUALITY_STALE);
    t.is(q.of(1, 0), QUALITY_FRESH, "its own interval (5 s) counts");
    q.age(15_000_001);
    t.is(q.of(1, 0), QUALITY_STALE);
    q.recorded(0, [230, 100, 1], 16_000_000);
    t.is(q.of(0, 0), QUALITY_FRESH);
  },
  "a meter gone offline makes all its points invalid; a failure while still online changes nothing"(t: Check) {
    const q = two();
    q.recorded(0, [230, 100, 1], 0);
    q.failed(0, true);
    t.is(q.of(0, 1), QUALITY_FRESH);
    q.failed(0, false);
    t.deepEqual([q.of(0, 0), q.of(0, 1), q.of(0, 2)], [QUALITY_INVALID, QUALITY_INVALID, QUALITY_INVALID]);
  },
  "changes are reported once each, for per-entity availability"(t: Check) {
    const q = two();
    const seen: number[][] = [];
    q.recorded(0, [230, 100, 1], 0);
    q.takeChanged((m, p, quality) => seen.push([m, p, quality]));
    t.deepEqual(seen, [[0, 0, 1], [0, 1, 1], [0, 2, 1]]);
    q.recorded(0, [230, 100, NaN], 1);
    seen.length = 0;
    q.takeChanged((m, p, quality) => seen.push([m, p, quality]));
    t.deepEqual(seen, [[0, 2, QUALITY_INVALID]]);
  },
  "plausible ranges scale with the unit's prefix and the rated power"(t: Check) {
    t.deepEqual(plausibleRange({ deviceClass: "power", unit: "kW" }, 10000), [-30, 30]);
    t.deepEqual(plausibleRange({ deviceClass: "voltage", unit: "kV" }), [-1.5, 1.5]);
    t.deepEqual(plausibleRange({ deviceClass: "power_factor", unit: "%" }), [-100, 100]);
    t.throws(() => new PointQuality([], 0), RangeError);
  },
  "a meter's status may be passed as the decoder's whole status array and the meter's first value"(t: Check) {
    const q = two();
    // Two values of another meter first, then this meter's three: the withheld total at index 4 makes point 2 invalid.
    const status = new Uint8Array([VALUE_OK, VALUE_WITHHELD, VALUE_OK, VALUE_OK, VALUE_WITHHELD]);
    q.recorded(0, [230, 100, 1], 1_000_000, status, 2);
    t.deepEqual([q.of(0, 0), q.of(0, 1), q.of(0, 2)], [QUALITY_FRESH, QUALITY_FRESH, QUALITY_INVALID]);
  },
};
