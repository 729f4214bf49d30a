import { formatNumber, isoUtc, jsonString } from "../../../modules/common/json-text";
import type { Cases } from "../../harness/check";

export const cases: Cases = {
  "isoUtc agrees with Date.prototype.toISOString over 1970..2200, leap days included"(t) {
    const probes = [0, 1, 999, 86_399_999, 951_782_400_000 /* 2000-02-29 */, 4_107_542_400_000 /* 2100-03-01 */, Date.UTC(2026, 10, 21, 5, 55, 3, 123)];
    let ms = 0;
    for (let i = 0; i < 400; i++) { ms = (ms * 1_103_515_245 + 12_345 + i * 7_919_000_017) % 7_258_118_400_000; probes.push(ms); }
    for (const p of probes) t.is(isoUtc(p), new Date(p).toISOString(), String(p));
  },
  "isoUtc drops sub-millisecond fractions"(t) {
    t.is(isoUtc(1_000.9), "1970-01-01T00:00:01.000Z");
  },
  "formatNumber: f32 noise is rounded away, integers stay exact, non-finite is null"(t) {
    t.is(formatNumber(Math.fround(230.1), 7), "230.1");
    t.is(formatNumber(Math.fround(0.95), 7), "0.95");
    t.is(formatNumber(18234.56789, 15), "18234.56789");
    t.is(formatNumber(123456789, 7), "123456789");
    t.is(formatNumber(-5, 7), "-5");
    t.is(formatNumber(-0, 7), "0");
    t.is(formatNumber(NaN, 7), "null");
    t.is(formatNumber(Infinity, 7), "null");
    t.is(formatNumber(-Infinity, 15), "null");
    t.is(formatNumber(1.5e-7, 7), "1.5e-7");
    t.is(JSON.parse(formatNumber(1.5e-7, 7)), 1.5e-7);
    t.is(formatNumber(1e300 * 10, 7), "1e+301");
  },
  "jsonString escapes quotes, control and markup characters and round-trips through JSON.parse"(t) {
    const nasty = 'a"b\\c\n\r\t\u0001</script><b>&\u2028\u2029é';
    const s = jsonString(nasty);
    t.is(JSON.parse(s), nasty);
    t.ok(s.indexOf("<") < 0 && s.indexOf(">") < 0 && s.indexOf("&") < 0, "no raw markup characters");
    t.is(jsonString("plain"), '"plain"');
  },
};
