import { EnergyPeriods, energyPointOf, monthOfDay } from "../../../modules/concentrator/energy-periods";
import { ReadingsStore, type MeterMeta } from "../../../modules/concentrator/readings";
import type { Cases } from "../../harness/check";

const METER: MeterMeta = {
  name: "m", profile: "p",
  points: [
    { name: "energy_export_total", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" },
    { name: "power_active_total", unit: "W", deviceClass: "power" },
    { name: "energy_import_total", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" },
  ],
};
const PV: MeterMeta = { name: "pv", profile: "p", points: [{ name: "energy_export_total", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing" }] };
const at = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

export const cases: Cases = {
  "the energy total: an import total preferred; export when only that exists"(t) {
    t.is(energyPointOf(METER), 2);
    const p = new EnergyPeriods([METER, PV, { name: "x", profile: "p", points: [{ name: "voltage", deviceClass: "voltage" }] }]);
    t.deepEqual(Array.from(p.point), [2, 0, -1]);
    t.deepEqual(Array.from(p.exported), [0, 1, 0]);
  },
  "civil months from day counts"(t) {
    t.is(monthOfDay(0), 1970 * 12);
    t.is(monthOfDay(Math.floor(at(2024, 2, 29, 12) / 86_400_000)), 2024 * 12 + 1);
    t.is(monthOfDay(Math.floor(at(2026, 12, 31, 23) / 86_400_000)), 2026 * 12 + 11);
    t.is(monthOfDay(Math.floor(at(2027, 1, 1, 0) / 86_400_000)), 2027 * 12);
  },
  "today and this month: from the first reading after a start, then from the last reading before midnight"(t) {
    const p = new EnergyPeriods([METER]);
    p.update(0, 100, at(2026, 11, 30, 10));
    p.update(0, 103, at(2026, 11, 30, 22));
    t.is(p.today(0, at(2026, 11, 30, 23)), 3, "counted since the start at 10:00");
    t.is(p.todayFromMs(0), at(2026, 11, 30, 10));
    t.is(p.month(0, at(2026, 11, 30, 23)), 3);
    p.update(0, 104, at(2026, 11, 30, 23, 59));
    p.update(0, 105, at(2026, 12, 1, 0, 1));
    t.is(p.today(0, at(2026, 12, 1, 1)), 1, "the new day starts at the last reading of the old one");
    t.is(p.todayFromMs(0), at(2026, 11, 30, 23, 59));
    t.is(p.month(0, at(2026, 12, 1, 1)), 1, "so does the new month");
    t.ok(p.today(0, at(2026, 12, 2, 1)) !== p.today(0, at(2026, 12, 2, 1)), "no reading yet on the next day: NaN");
    p.update(0, 110, at(2026, 12, 3, 8));
    t.is(p.today(0, at(2026, 12, 3, 9)), 0, "after a day without readings, today starts from its first reading");
    t.is(p.month(0, at(2026, 12, 3, 9)), 6, "the month still counts from its start");
  },
  "a total that falls (meter replaced) restarts the periods; NaN is ignored"(t) {
    const p = new EnergyPeriods([METER]);
    p.update(0, 500, at(2026, 6, 1, 8));
    p.update(0, NaN, at(2026, 6, 1, 9));
    p.update(0, 502, at(2026, 6, 1, 10));
    t.is(p.today(0, at(2026, 6, 1, 11)), 2);
    p.update(0, 1, at(2026, 6, 1, 12));
    p.update(0, 1.5, at(2026, 6, 1, 13));
    t.is(p.today(0, at(2026, 6, 1, 14)), 0.5);
    t.is(p.month(0, at(2026, 6, 1, 14)), 0.5);
  },
  "days begin at local midnight"(t) {
    const utc = new EnergyPeriods([METER]);
    const local = new EnergyPeriods([METER], 120);
    for (const [v, h, mi] of [[10, 20, 0], [10.5, 21, 30], [11, 22, 30]]) { utc.update(0, v, at(2026, 7, 1, h, mi)); local.update(0, v, at(2026, 7, 1, h, mi)); }
    t.is(utc.today(0, at(2026, 7, 1, 22, 45)), 1, "in UTC all three readings fall on 1 July");
    t.is(local.today(0, at(2026, 7, 1, 22, 45)), 0.5, "at UTC+2 a new day began at 22:00 UTC, counted from the 21:30 reading");
    t.throws(() => new EnergyPeriods([METER], 900), RangeError);
  },
  "the readings store feeds the periods on record()"(t) {
    const store = new ReadingsStore({ meters: [METER] });
    store.record(0, [7, 1000, 200], 1_000_000, at(2026, 3, 3, 3));
    store.record(0, [7, 1000, 200.25], 2_000_000, at(2026, 3, 3, 4));
    t.is(store.periods.today(0, at(2026, 3, 3, 5)), 0.25);
  },
};
