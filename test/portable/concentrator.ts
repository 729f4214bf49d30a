// The concentrator engine (modules/concentrator.ts) on an in-memory loopback port: meters answer from register maps
// built from their profiles, a dead meter never answers. Runs on Node and XS.
import { Concentrator } from "../../modules/concentrator";
import { NO_DEADLINE, type Rs485Port } from "../../modules/port";
import { FAULT_TIMEOUT } from "../../modules/readings";
import { buildReadRegistersResponse } from "../../modules/rtu/build-response";
import { LineTiming } from "../../modules/rtu/timing";
import { checkSite, profileTable, type Site } from "../../modules/site";
import type { Cases } from "../harness/check";
import { FIXTURE_PROFILES } from "../fixtures/maps";

const SITE = {
  bus: { port: "uart2", baud: 19200, framing: "8N1", retries: 1 },
  meters: [
    { name: "main", profile: "fixture-sdm630", unit: 1, intervalMs: 10000, points: ["voltage_l1", "voltage_l2", "power", "energy_import"] },
    { name: "heatpump", profile: "fixture-sdm120", unit: 2, intervalMs: 5000 },
    { name: "pv", profile: "fixture-nmid30-2", unit: 3, intervalMs: 5000 },
  ],
};

function site(): Site {
  const r = checkSite(SITE, profileTable(FIXTURE_PROFILES));
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.site;
}

const scratch = new DataView(new ArrayBuffer(4));
/** Register value of unit u at address a: float32 100 + u + (even address) / 1000 in two registers, high word first. */
function register(u: number, a: number): number {
  const even = a - (a & 1);
  scratch.setFloat32(0, 100 + u + even / 1000, false);
  return scratch.getUint16((a & 1) * 2, false);
}

class Loopback implements Rs485Port {
  request = new Uint8Array(256);
  requestLength = 0;
  pending = false;
  transmit(buffer: Uint8Array, offset: number, length: number): void {
    for (let i = 0; i < length; i++) this.request[i] = buffer[offset + i];
    this.requestLength = length;
    this.pending = true;
  }
}

/** Drives the engine until `until` µs: sends, answers (unless the unit is dead), services deadlines. */
function run(c: Concentrator, port: Loopback, until: number, dead: number): number {
  const line = new LineTiming(19200, "8N1");
  const reply = new Uint8Array(300);
  const values: number[] = [];
  let now = 0;
  let served = 0;
  c.start(0);
  while (now < until) {
    if (port.pending) {
      port.pending = false;
      now += line.airTimeUs(port.requestLength);
      c.transmitted(now);
      const q = port.request;
      const unit = q[0];
      if (unit !== dead) {
        const start = (q[2] << 8) | q[3];
        const count = (q[4] << 8) | q[5];
        values.length = 0;
        for (let i = 0; i < count; i++) values.push(register(unit, start + i));
        const n = buildReadRegistersResponse(reply, 0, unit, q[1], values, 0, count);
        now += 3000 + line.airTimeUs(n);
        c.received(reply, 0, n, now);
        served++;
      }
      continue;
    }
    const d = c.nextDeadline();
    if (d === NO_DEADLINE) break;
    if (d > now) now = d;
    c.service(now);
  }
  return served;
}

export const cases: Cases = {
  "every meter is read on its interval and its float values decode to what the meter holds"(t) {
    const port = new Loopback();
    const c = new Concentrator(site(), port);
    const readings = [0, 0, 0];
    c.events = { reading: (m) => readings[m]++, failure: () => t.ok(false, "no failure expected") };
    run(c, port, 60_000_000, -1);
    t.ok(readings[0] >= 6 && readings[0] <= 7, `main: ${readings[0]} readings in 60 s at 10 s`);
    t.ok(readings[1] >= 12 && readings[1] <= 13, `heatpump: ${readings[1]}`);
    t.ok(readings[2] >= 12 && readings[2] <= 13, `pv: ${readings[2]}`);
    let checked = 0;
    for (let m = 0; m < 3; m++) {
      const mr = c.store.meters[m];
      const sm = c.site.meters[m];
      mr.meta.points.forEach((p, k) => {
        const point = sm.profile.points[sm.points[k]];
        if (point.type !== "f32" || point.order !== "ABCD" || point.stateClass !== "measurement") return;
        if ((point.address & 1) !== 0 || (point.scale ?? 1) !== 1 || (point.exponent ?? 0) !== 0) return;
        const want = Math.fround(100 + sm.unit + point.address / 1000);
        checked++;
        t.is(mr.values[k], want, `${sm.name}.${p.name}`);
      });
    }
    t.ok(checked >= 10, `${checked} float values checked`);
  },

  "a dead meter is counted as timeouts and does not stop the others"(t) {
    const port = new Loopback();
    const c = new Concentrator(site(), port);
    const readings = [0, 0, 0];
    const failures = [0, 0, 0];
    c.events = { reading: (m) => readings[m]++, failure: (m) => failures[m]++ };
    run(c, port, 60_000_000, 2);
    t.is(readings[1], 0);
    t.ok(failures[1] > 0);
    t.ok(c.store.meters[1].faults[FAULT_TIMEOUT] > 0, "timeouts counted in the store");
    t.ok(!c.store.online(1), "the dead meter is offline");
    t.ok(readings[0] >= 6 && readings[2] >= 12, `the others keep their cadence: ${readings}`);
  },

  "the plan and the store follow the site's meters, in order"(t) {
    const c = new Concentrator(site(), new Loopback());
    t.deepEqual(c.plan.meters.map((m) => m.unit), [1, 2, 3]);
    t.deepEqual(c.store.meters.map((m) => m.meta.name), ["main", "heatpump", "pv"]);
  },
};
