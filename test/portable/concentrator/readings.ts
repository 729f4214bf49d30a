import { FAULT_CRC, FAULT_KINDS, FAULT_TIMEOUT, ReadingsStore, type MeterMeta } from "../../../modules/concentrator/readings";
import type { Cases } from "../../harness/check";

const meters: MeterMeta[] = [
  { name: "main", profile: "eastron-sdm630", points: [
    { name: "voltage_l1", unit: "V", deviceClass: "voltage", stateClass: "measurement" },
    { name: "power_l1", unit: "W", deviceClass: "power", stateClass: "measurement" },
    { name: "power_total", unit: "W", deviceClass: "power", stateClass: "measurement" },
  ] },
  { name: "pump", profile: "eastron-sdm120", points: [{ name: "energy_import", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" }] },
];

export const cases: Cases = {
  "record keeps the latest values, times and counters; missing values become NaN"(t) {
    const s = new ReadingsStore({ meters });
    t.is(s.maxPoints, 3);
    s.record(0, [230.1, 100, 300], 5_000_000, 1_700_000_000_000);
    s.record(0, [231], 6_000_000, 1_700_000_001_000);
    const m = s.meters[0];
    t.is(m.values[0], 231);
    t.ok(Number.isNaN(m.values[1]) && Number.isNaN(m.values[2]));
    t.is(m.timeUs, 6_000_000);
    t.is(m.epochMs, 1_700_000_001_000);
    t.is(m.readings, 2);
    t.is(m.polls, 2);
    t.is(s.indexOf("pump"), 1);
    t.is(s.indexOf("nope"), -1);
  },
  "the power point prefers a 'total' power, else the first power, else none"(t) {
    const s = new ReadingsStore({ meters });
    t.is(s.meters[0].powerIndex, 2);
    t.is(s.meters[1].powerIndex, -1);
    const s2 = new ReadingsStore({ meters: [{ ...meters[0], powerPoint: "power_l1" }] });
    t.is(s2.meters[0].powerIndex, 1);
    t.throws(() => new ReadingsStore({ meters: [{ ...meters[0], powerPoint: "nope" }] }), RangeError);
  },
  "health: offline after offlineAfter consecutive failures, online again after a good reading"(t) {
    const s = new ReadingsStore({ meters, offlineAfter: 2 });
    t.ok(!s.online(0), "never read: not online");
    s.record(0, [1, 2, 3], 1_000_000, 0);
    t.ok(s.online(0));
    s.failure(0, FAULT_TIMEOUT, 2_000_000);
    t.ok(s.online(0), "one failure is tolerated");
    s.failure(0, FAULT_CRC, 3_000_000);
    t.ok(!s.online(0));
    const m = s.meters[0];
    t.is(m.consecutiveFailures, 2);
    t.is(m.faults[FAULT_TIMEOUT], 1);
    t.is(m.faults[FAULT_CRC], 1);
    t.is(m.lastFault, FAULT_CRC);
    t.is(m.failures, 2);
    t.is(m.polls, 3);
    s.failure(0, 99, 3_500_000);
    t.is(m.faults[FAULT_KINDS.length - 1], 1, "an unknown kind counts as other");
    s.record(0, [1, 2, 3], 4_000_000, 0);
    t.ok(s.online(0));
    t.is(m.consecutiveFailures, 0);
  },
  "history buckets: mean power, error rate, and old buckets are overwritten after a full turn"(t) {
    const s = new ReadingsStore({ meters, historyBuckets: 4, bucketUs: 1_000_000 });
    s.record(0, [230, 0, 100], 10_100_000, 0);
    s.record(0, [230, 0, 300], 10_200_000, 0);
    s.failure(0, FAULT_TIMEOUT, 10_300_000);
    t.is(s.history(0, 10, 0), 200);
    t.is(s.history(0, 10, 1), 1 / 3);
    t.is(s.history(0, 10, 2), 3);
    t.ok(Number.isNaN(s.history(0, 11, 0)), "empty bucket");
    t.ok(Number.isNaN(s.history(0, 11, 1)));
    t.is(s.history(0, 11, 2), 0);
    s.record(0, [230, 0, 50], 14_500_000, 0); // bucket 14 reuses slot 2 (10 % 4)
    t.ok(Number.isNaN(s.history(0, 10, 0)), "bucket 10 is gone");
    t.is(s.history(0, 14, 0), 50);
    t.is(s.history(0, 14, 1), 0);
    t.is(s.history(1, 14, 2), 0, "other meter untouched");
  },
  "bad configuration names the field"(t) {
    t.throws(() => new ReadingsStore({ meters: {} as never }), TypeError);
    t.is(new ReadingsStore({ meters: [] }).meters.length, 0, "a gateway-only site keeps no readings");
    t.throws(() => new ReadingsStore({ meters: [{ ...meters[0], name: "a/b" }] }), RangeError);
    t.throws(() => new ReadingsStore({ meters: [meters[0], meters[0]] }), RangeError);
    t.throws(() => new ReadingsStore({ meters: [{ ...meters[0], points: [{ name: "Bad Name" }] }] }), RangeError);
    t.throws(() => new ReadingsStore({ meters: [{ ...meters[0], points: [{ name: "a" }, { name: "a" }] }] }), RangeError);
    t.throws(() => new ReadingsStore({ meters, historyBuckets: 1 }), RangeError);
    try { new ReadingsStore({ meters: [{ ...meters[0], name: "a b" }] }); } catch (e) { t.ok(String((e as Error).message).indexOf("meters[0].name") >= 0, "message names the field"); }
  },
  "record and failure reuse the preallocated arrays"(t) {
    const s = new ReadingsStore({ meters });
    const m = s.meters[0];
    const v = m.values, h = s.histPolls;
    for (let i = 0; i < 1000; i++) { s.record(0, [i, i, i], i * 1_000_000, i); s.failure(0, FAULT_CRC, i * 1_000_000 + 1); }
    t.ok(m.values === v && s.histPolls === h);
    t.is(m.values.length, 3);
  },
};
