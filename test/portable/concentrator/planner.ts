// The poll planner: block reads within each meter's limits, values never split, gaps bridged only when cheaper, and the
// decode tables (through LatestValues) giving back the values an emulator encoded.
import { paddedSpan, parseProfile, type Profile } from "../../../modules/concentrator/profile";
import { planSite, readBusTimeUs, responseDataBytes, type MeterSpec, type Plan } from "../../../modules/concentrator/planner";
import { LatestValues, VALUE_OK } from "../../../modules/concentrator/latest-values";
import { LineTiming } from "../../../modules/rtu/timing";
import type { Cases, Check } from "../../harness/check";
import { allPoints, DC_METER, NMID30_2, SDM120, SDM630 } from "../../fixtures/maps";

const LINE = { baud: 9600, framing: "8N1" as const };

function meter(profile: Profile, unit = 1, points = allPoints(profile)): MeterSpec {
  return { name: `${profile.id}-${unit}`, unit, profile, points };
}

/** A synthetic profile of u16/f32 points at the given addresses (FC03). */
function synthetic(points: [number, "u16" | "f32"][], limits: Record<string, unknown> = {}): Profile {
  return parseProfile({
    id: "synthetic", manufacturer: "Test", model: "T", sources: [{ title: "t", url: "https://example.invalid/t" }],
    serial: { baud: 9600, framing: "8N1" }, addressBase: 0,
    limits: { maxRegisters: 125, functions: [1, 2, 3], ...limits },
    points: points.map(([address, type], i) => ({ name: `p${i}`, function: 3, address, type })),
  }, undefined, { standardKeys: false });
}

/** Checks the invariants every plan must satisfy. */
function checkInvariants(t: Check, plan: Plan): void {
  for (const rd of plan.reads) {
    const lim = plan.meters[rd.meter].profile.limits;
    t.ok(rd.count >= 1 && rd.count <= (rd.function <= 2 ? lim.maxBits : lim.maxRegisters), `count ${rd.count} within limit`);
    if (rd.function >= 3 && lim.evenCountsOnly) t.is(rd.count % 2, 0, "even count");
    if (rd.function >= 3 && lim.evenStartOnly) t.is(rd.start % 2, 0, "even start");
    t.ok(lim.functions.includes(rd.function), "supported function");
  }
  for (const v of plan.values) {
    const p = plan.meters[v.meter].profile.points[v.point];
    const rd = plan.reads[v.read];
    t.is(rd.function, p.function, `${v.name} function`);
    t.ok(p.address >= rd.start && p.address + p.words <= rd.start + rd.count, `${v.name} whole inside its read`);
    if (p.exponentFrom) {
      const er = plan.reads[v.exponentRead];
      t.ok(er.function === p.exponentFrom.function && p.exponentFrom.address >= er.start && p.exponentFrom.address < er.start + er.count, `${v.name} exponent read`);
    }
  }
}

export const cases: Cases = {
  "meters of one profile and selection share a layout: the same reads at their own unit, values decoded per meter"(t) {
    const some = [0, 1, 2];
    const specs = [meter(SDM120, 1), meter(SDM630, 2), meter(SDM120, 3), meter(SDM120, 4, some), meter(SDM630, 5)];
    const plan = planSite(specs, LINE);
    checkInvariants(t, plan);
    t.is(plan.layoutCount, 3, "SDM120 all points, SDM630 all points, SDM120 three points");
    t.deepEqual(Array.from(plan.meterLayout), [0, 1, 0, 2, 1]);
    const reads = (m: number) => plan.reads.slice(plan.meters[m].firstRead, plan.meters[m].firstRead + plan.meters[m].readCount);
    t.deepEqual(reads(2).map((r) => [r.function, r.start, r.count]), reads(0).map((r) => [r.function, r.start, r.count]));
    t.ok(reads(2).every((r) => r.unit === 3 && r.meter === 2));
    // Each value's meter, point and read are its own meter's, as with one layout per meter.
    for (const v of plan.values) {
      t.is(plan.meterOf(plan.values.indexOf(v)), v.meter);
      t.is(specs[v.meter].points[plan.values.indexOf(v) - plan.meters[v.meter].firstValue], v.point);
      t.is(plan.reads[v.read].meter, v.meter);
    }
  },
  "request cost: 8 bytes out, 5 + data back, two t3.5, turnaround, delay"(t) {
    const line = new LineTiming(9600, "8N1");
    // 8 chars = 8334 µs, t3.5 = 3646 µs, 7 chars = 7292 µs.
    t.is(readBusTimeUs(line, 3, 1, 5000, 0), 8334 + 3646 + 5000 + 7292 + 3646);
    t.is(readBusTimeUs(line, 3, 1, 5000, 1000), 8334 + 3646 + 5000 + 7292 + 3646 + 1000);
    t.is(responseDataBytes(1, 9), 2);
    t.is(responseDataBytes(4, 9), 18);
  },
  "a full SDM630-like map: 85 values in 5 reads of at most 80 registers, least bus time"(t) {
    const plan = planSite([meter(SDM630)], LINE);
    checkInvariants(t, plan);
    t.is(plan.values.length, 85);
    t.deepEqual(plan.reads.map((r) => [r.start, r.count]), [[0, 68], [70, 38], [200, 8], [224, 46], [334, 48]]);
    // Four reads are possible (200..270 in one) but bridging that 16-register gap costs more than the fifth request.
    const line = new LineTiming(9600, "8N1");
    t.ok(readBusTimeUs(line, 4, 70, 5000, 0) > readBusTimeUs(line, 4, 8, 5000, 0) + readBusTimeUs(line, 4, 46, 5000, 0));
    // With a slower meter (turnaround 20 ms) the extra request costs more than the gap: four reads.
    const slow = planSite([meter(SDM630)], { ...LINE, turnaroundUs: 20000 });
    t.deepEqual(slow.reads.map((r) => [r.start, r.count]), [[0, 68], [70, 38], [200, 70], [334, 48]]);
  },
  "NMID30-2-like meter (even counts only) never gets an odd count, even for single-register points"(t) {
    const plan = planSite([meter(NMID30_2)], LINE);
    checkInvariants(t, plan);
    for (const r of plan.reads) t.is(r.count % 2, 0);
    const odd = synthetic([[1, "u16"], [5, "u16"], [8, "u16"], [200, "u16"], [203, "f32"]], { maxRegisters: 80, evenCountsOnly: true });
    const p2 = planSite([meter(odd)], LINE);
    checkInvariants(t, p2);
    t.deepEqual(p2.reads.map((r) => [r.start, r.count]), [[1, 8], [200, 6]]);
    const both = synthetic([[1, "u16"], [7, "f32"]], { maxRegisters: 80, evenCountsOnly: true, evenStartOnly: true });
    t.deepEqual(planSite([meter(both)], LINE).reads.map((r) => [r.start, r.count]), [[0, 10]]);
  },
  "a gap is bridged exactly when reading it costs less than a separate request"(t) {
    // Two u16 values g registers apart at 9600 8N1, turnaround 5 ms: separate reads cost 2 × 27918 µs; one read of g + 2
    // registers costs 20626 µs + the air time of 9 + 2g characters. Bridging pays up to g = 12.
    const line = new LineTiming(9600, "8N1");
    for (let g = 0; g <= 40; g++) {
      const plan = planSite([meter(synthetic([[100, "u16"], [101 + g, "u16"]]))], LINE);
      const cheaper = readBusTimeUs(line, 3, g + 2, 5000, 0) < 2 * readBusTimeUs(line, 3, 1, 5000, 0);
      t.is(plan.reads.length, cheaper ? 1 : 2, `gap ${g}`);
      t.is(plan.reads.length, g <= 12 ? 1 : 2, `gap ${g} threshold`);
    }
  },
  "never more than the limit; a value is never split across reads"(t) {
    const pts: [number, "u16" | "f32"][] = [];
    for (let a = 0; a < 300; a += 2) pts.push([a, "f32"]);
    for (const max of [2, 3, 7, 10, 80, 125]) {
      const plan = planSite([meter(synthetic(pts, { maxRegisters: max }))], LINE);
      checkInvariants(t, plan);
      t.is(plan.reads.length, Math.ceil(300 / (max - (max % 2))), `max ${max}`);
    }
  },
  "decimal-point registers are planned and applied; readings carry their time"(t) {
    const plan = planSite([meter(DC_METER)], LINE);
    checkInvariants(t, plan);
    t.deepEqual(plan.reads.map((r) => [r.function, r.start, r.count]), [[3, 0, 14], [3, 0x9a00, 2], [3, 0xa001, 1]]);
    // Emulate the meter: encode every value into the read's response data with the profile's own codecs.
    const readings = new LatestValues(plan, { confirmations: 1 });
    const data = new Uint8Array(2 * 14);
    const want: Record<string, number> = { voltage: 123.45, current: -4.5, power: 2.25, energy_forward: 1234.567 };
    const dps: Record<number, number> = { 1: 2, 3: 1, 9: 2 };
    for (const reg of Object.keys(dps)) data[2 * Number(reg) + 1] = dps[Number(reg)];
    for (const v of plan.values) {
      if (v.read !== 0) continue;
      const p = DC_METER.points[v.point];
      const extra = p.exponentFrom ? -dps[p.exponentFrom.address] : 0;
      v.codec.encode(want[v.name], data, v.offset, extra);
    }
    t.is(readings.update(0, data, 0, data.length, 1_000_000), 4);
    for (const v of plan.values) {
      if (v.read !== 0) continue;
      const i = plan.values.indexOf(v);
      t.is(readings.values[i], want[v.name], v.name);
      t.is(readings.takenAt(i), 1_000_000);
      t.is(readings.status[i], VALUE_OK);
    }
    t.is(readings.update(0, data, 0, data.length - 1, 2), -1, "short data is refused");
  },
  "bits: coils and discrete inputs are planned with maxBits"(t) {
    const prof = parseProfile({
      id: "bits", manufacturer: "T", model: "T", sources: [{ title: "t", url: "https://example.invalid/" }], serial: { baud: 9600, framing: "8N1" },
      addressBase: 0, limits: { maxRegisters: 10, maxBits: 16, functions: [1, 2] },
      points: [0, 5, 15, 16, 40].map((a, i) => ({ name: `c${i}`, function: 1, address: a, type: "bool" })).concat([{ name: "di", function: 2, address: 3, type: "bool" }]),
    }, undefined, { standardKeys: false });
    const plan = planSite([meter(prof)], LINE);
    checkInvariants(t, plan);
    t.deepEqual(plan.reads.map((r) => [r.function, r.start, r.count]), [[1, 0, 6], [1, 15, 2], [1, 40, 1], [2, 3, 1]]);
    const readings = new LatestValues(plan);
    t.is(readings.update(0, Uint8Array.of(0x21), 0, 1, 5), 2);
    t.is(readings.update(1, Uint8Array.of(0x02), 0, 1, 5), 2);
    t.deepEqual(Array.from(readings.values.subarray(0, 4)), [1, 1, 0, 1]);
  },
  "30-meter site, every point: ≥ 5× fewer requests and ≥ 3× less bus time than one value per request"(t) {
    const site: MeterSpec[] = [];
    let unit = 1;
    for (const [p, n] of [[SDM630, 10], [SDM120, 10], [NMID30_2, 5], [DC_METER, 5]] as const) for (let i = 0; i < n; i++) site.push(meter(p, unit++));
    const plan = planSite(site, LINE);
    let naiveReads = 0;
    let naiveUs = 0;
    for (const m of site) for (const i of m.points) {
      const p = m.profile.points[i];
      for (const [fn, address, words] of p.exponentFrom ? [[p.function, p.address, p.words], [p.exponentFrom.function, p.exponentFrom.address, 1]] : [[p.function, p.address, p.words]]) {
        naiveReads++;
        naiveUs += readBusTimeUs(plan.line, fn, paddedSpan(address, words, m.profile.limits), 5000, 0);
      }
    }
    t.is(plan.reads.length, 110);
    t.ok(naiveReads / plan.reads.length >= 5, `${naiveReads} vs ${plan.reads.length} requests`);
    t.ok(naiveUs / plan.busTimePerCycleUs >= 3, `${naiveUs} vs ${plan.busTimePerCycleUs} µs`);
  },
  "plans are deterministic and list meters in site order"(t) {
    const site = [meter(SDM630, 1), meter(SDM120, 2), meter(NMID30_2, 3), meter(DC_METER, 4)];
    const a = JSON.stringify(planSite(site, LINE).toJSON());
    const b = JSON.stringify(planSite(site, LINE).toJSON());
    t.is(a, b);
    const plan = planSite(site, LINE);
    t.deepEqual(plan.meters.map((m) => m.unit), [1, 2, 3, 4]);
    t.is(plan.meters[1].firstRead, plan.meters[0].readCount);
    t.ok(plan.format().includes("FC04     0 +68"));
    t.throws(() => planSite([meter(SDM630, 1, [999])], LINE), RangeError);
  },
};
