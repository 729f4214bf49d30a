// Both ESP32 roles' bus sides on fake ESP32 boards (hosts/sim/esp32-fakes.ts) over simulated segments: the concentrator's
// poll loop (hosts/esp32/site-poller.ts over modules/concentrator/poll-loop.ts) polling profile-built meter emulators, and an R/C repeater pair across a noisy segment,
// each at 9600, 19200 and 115200 baud (the concentrator also on 8E1 and 8O1 buses through the native UART class with DE on
// RTS), through the real hosts/esp32 adapters. Asserted: every frame whole (no truncated
// characters), no DE collision, no RX overrun, and correct data. Virtual time only; deterministic for a seed.
import test from "ava";
import { readFileSync } from "node:fs";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { STATUS_OK } from "../modules/master/status";
import { Repeater } from "../modules/repeater/engine";
import { repeaterTimeoutBudgetUs, resolveRepeaterConfig, type RepeaterConfig } from "../modules/repeater/config";
import { burstLengthFor } from "../modules/repeater/link";
import { DIRECTION_BA, STAT_FRAMES_CORRECTED } from "../modules/repeater/stats";
import { checkSite, profileTable } from "../modules/site/site";
import { LineTiming, type Framing } from "../modules/rtu/timing";
import { EngineLoop } from "../hosts/esp32/deadline-timer";
import { RX_TIMEOUT_CHARACTERS } from "../hosts/esp32/io";
import { Esp32SerialPort, rxTimeoutCoveringT35, usesNativeUart } from "../hosts/esp32/serial-port";
import { sitePoller } from "../hosts/esp32/site-poller";
import { plausibleRange, QUALITY_NAMES } from "../modules/concentrator/point-quality";
import { metersDocument } from "../modules/forwarding/status-json";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation, type Segment } from "../hosts/sim/index";
import { bitRateForCharacterRate } from "../hosts/sim/rc-paper";
import { FIXTURE_PROFILES } from "./fixtures/maps";

const W1 = { uart: 1 as const, txPin: 17, rxPin: 16, dePin: 4 };
const W2 = { uart: 2 as const, txPin: 26, rxPin: 25, dePin: 27 };
const BAUDS = [9600, 19200, 115200];

function cleanBus(segments: Segment[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of segments) out[s.name] = { truncated: s.counters.truncated, collisions: s.counters.collisions };
  return out;
}

// The ECMA-419 class at the three bauds; the native UART class with DE on RTS as the concentrator wires it (8E1, 8O1).
const CONCENTRATOR_BUSES: [number, Framing, "gpio" | "rts"][] = [...BAUDS.map((b) => [b, "8N1", "gpio"] as [number, Framing, "gpio" | "rts"]), [19200, "8E1", "rts"], [115200, "8O1", "rts"]];

for (const [baud, framing, driverEnable] of CONCENTRATOR_BUSES) {
  test(`concentrator on a fake ESP32 at ${baud} baud ${framing}, DE on ${driverEnable}: every meter read, values right, no truncation, collision or overrun`, (t) => {
    const json = JSON.parse(readFileSync(new URL("./fixtures/sites/small.json", import.meta.url), "utf8"));
    json.bus.baud = baud;
    json.bus.framing = framing;
    delete json.forwarding;
    const checked = checkSite(json, profileTable(FIXTURE_PROFILES));
    if (!checked.ok) return t.fail(checked.errors.join("\n"));
    const site = checked.site;

    const sim = new Simulation({ seed: baud + 1 });
    const bus = sim.segment({ name: "bus", baud, framing });
    const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...W1 }] });
    // Meter emulators built from the same profiles: every register of the span each meter's points use is mapped;
    // float32 measurements get distinct values.
    const expected = new Map<string, number>();
    site.meters.forEach((m) => {
      const holding: Record<number, number> = {};
      const input: Record<number, number> = {};
      for (const fn of [3, 4]) {
        const pts = m.profile.points.filter((p) => p.function === fn || p.exponentFrom?.function === fn);
        if (pts.length === 0) continue;
        const lo = Math.min(...pts.map((p) => (p.function === fn ? p.address : p.exponentFrom!.address)));
        const hi = Math.max(...pts.map((p) => (p.function === fn ? p.address + p.words : p.exponentFrom!.address + 1)));
        for (let a = lo; a < hi + 4; a++) (fn === 3 ? holding : input)[a] = 0x0010;
      }
      const meter = sim.meter(bus, {
        unit: m.unit, name: m.name, holding, input, turnaroundUs: [1000, 8000],
        maxRegisters: m.profile.limits.maxRegisters, evenRegisterCount: m.profile.limits.evenCountsOnly,
      });
      m.points.forEach((pi, k) => {
        const p = m.profile.points[pi];
        if (p.type === "f32" && p.stateClass === "measurement" && (p.order === "ABCD" || p.order === "CDAB") && (p.scale ?? 1) === 1 && (p.exponent ?? 0) === 0) {
          const v = 100 + 10 * m.unit + k + 0.25;
          meter.setFloat32(p.function === 3 ? "holding" : "input", p.address, v, p.order);
          expected.set(`${m.name}.${p.name}`, Math.fround(v));
        }
      });
    });

    const loop = new EngineLoop(board.io);
    // As main-concentrator.ts builds it.
    const busConfig = { ...W1, baud: site.bus.baud, framing: site.bus.framing, driverEnable };
    const port = new Esp32SerialPort(board.io, { ...busConfig, rxTimeoutCharacters: usesNativeUart(busConfig) ? rxTimeoutCoveringT35(new LineTiming(baud, framing)) : undefined });
    t.is(port.native, driverEnable === "rts");
    const readings: number[] = site.meters.map(() => 0);
    const failures: number[] = site.meters.map(() => 0);
    const c = sitePoller(site, port, port.rxIdleUs, board.latencyUs, { reading: (m) => readings[m]++, failure: (m) => failures[m]++ });
    port.listener = c.loop;
    port.loop = loop;
    c.loop.start(sim.now);
    loop.attach(c.loop);
    sim.runUntil(60e6);

    const context = () => JSON.stringify({ readings, failures, port: port.counters, ...sim.counters() }) + "\n" + sim.trace.dump(20);
    t.true(expected.size >= 3, "some float measurements are checked");
    site.meters.forEach((m, i) => {
      // A meter polled every intervalMs for 60 s reads about 60000/interval times (the first at t=0).
      t.true(readings[i] >= Math.floor(60000 / m.intervalMs) - 1, `${m.name}: ${readings[i]} readings\n${context()}`);
      t.is(failures[i], 0, `${m.name} failed\n${context()}`);
      const mr = c.store.meters[i];
      mr.meta.points.forEach((p, k) => {
        const want = expected.get(`${m.name}.${p.name}`);
        if (want !== undefined) t.is(mr.values[k], want, `${m.name}.${p.name}`);
        // The device keeps each point's quality (modules/concentrator/point-quality.ts) and /api/meters carries it.
        // (The test's values are 100 + …: fresh where plausible for the point, invalid where not, e.g. a power factor.)
        if (want !== undefined) {
          const [lo, hi] = plausibleRange(p, m.profile.limits.ratedPowerW);
          t.is(QUALITY_NAMES[c.quality.of(i, k)], want >= lo && want <= hi ? "fresh" : "invalid", `${m.name}.${p.name} quality`);
        }
      });
    });
    const doc = metersDocument(c.store, sim.now, 0, c.quality);
    t.true(doc.meters.every((m) => m.points.every((p) => typeof p.quality === "string")), "quality in the device's meters JSON");
    t.deepEqual(cleanBus([bus]), { bus: { truncated: 0, collisions: 0 } }, context());
    t.is(board.uart(1).counters.rxOverflow, 0);
    t.is(port.counters.overruns, 0);
    t.is(board.counters.outputFull, 0);
  });
}

function runRepeaterPair(baud: number) {
  {
    const sim = new Simulation({ seed: 77 + baud });
    const line = { baud, framing: "8N1" as const };
    const masterSeg = sim.segment({ name: "m", ...line });
    const noisy = sim.segment({ name: "noisy", ...line, noise: { bitErrorRate: bitRateForCharacterRate(0.004) } });
    const far = sim.segment({ name: "far", ...line });
    const charUs = new LineTiming(baud, "8N1").characterUs;
    const latencyUs = 50;
    const rxLatencyUs = RX_TIMEOUT_CHARACTERS * charUs + latencyUs;
    const rcConfig: RepeaterConfig = { nroots: 4, interleave: 1, sideA: line, sideB: line, tickUs: 1000, rxLatencyUs };

    const boards: FakeEsp32[] = [];
    const ports: Esp32SerialPort[] = [];
    const repeaters: Repeater[] = [];
    const addRepeater = (name: string, a: Segment, b: Segment, unitId: number) => {
      const board = new FakeEsp32(sim.queue, { name, latencyUs, uarts: [{ segment: a, ...W1, name: `${name}.A` }, { segment: b, ...W2, name: `${name}.B` }] });
      const loop = new EngineLoop(board.io);
      const pa = new Esp32SerialPort(board.io, { ...W1, baud });
      const pb = new Esp32SerialPort(board.io, { ...W2, baud });
      const r = new Repeater({ ...rcConfig, unitId }, pa, pb);
      pa.listener = r.a;
      pb.listener = r.b;
      pa.loop = pb.loop = loop;
      loop.attach(r);
      boards.push(board);
      ports.push(pa, pb);
      repeaters.push(r);
    };
    addRepeater("rc1", masterSeg, noisy, 201);
    addRepeater("rc2", far, noisy, 202);
    const registers = 40;
    const holding: number[] = [];
    for (let i = 0; i < registers; i++) holding.push((i * 2654435761) & 0xffff);
    sim.meter(far, { unit: 5, holding, turnaroundUs: [2000, 6000] });

    const mBoard = new FakeEsp32(sim.queue, { name: "master", latencyUs, uarts: [{ segment: masterSeg, ...W1 }] });
    boards.push(mBoard);
    const mLoop = new EngineLoop(mBoard.io);
    const mPort = new Esp32SerialPort(mBoard.io, { ...W1, baud });
    ports.push(mPort);
    const replyLength = 5 + 2 * registers;
    const responseTimeoutUs = 6000 + new LineTiming(baud, "8N1").airTimeUs(replyLength) +
      repeaterTimeoutBudgetUs(resolveRepeaterConfig(rcConfig), 1, 8, replyLength, burstLengthFor) + 20000;
    let ok = 0, failed = 0, wrong = 0, sent = 0;
    const total = 200;
    const master: Master = new Master({ baud, retries: 0, responseTimeoutUs, offlineAfter: 0, rxIdleDelayUs: rxLatencyUs, rxBatchBytes: 120 }, mPort, {
      completed(r: MasterResult) {
        if (r.status === STATUS_OK) {
          ok++;
          for (let i = 0; i < registers; i++) if (r.registers[i] !== holding[i]) { wrong++; break; }
        } else failed++;
        if (sent < total) { sent++; master.submitRead(5, 3, 0, registers, sent); }
      },
    });
    mPort.listener = master;
    mPort.loop = mLoop;
    mLoop.attach(master);
    sent++;
    master.submitRead(5, 3, 0, registers, 0);
    mLoop.rearm();
    sim.runUntilTrue(() => ok + failed >= total, 600e6);

    const corrected = repeaters.reduce((s, r) => s + r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), 0);
    const context = () => JSON.stringify({ ok, failed, corrected, ...sim.counters() }) + "\n" + sim.trace.dump(30);
    let overflow = 0;
    for (const b of boards) for (const [n] of b.uarts) overflow += b.uart(n).counters.rxOverflow;
    let overruns = 0;
    for (const p of ports) overruns += p.counters.overruns;
    return { ok, failed, wrong, total, corrected, noisy, segments: [masterSeg, noisy, far], overflow, overruns, context };
  }
}

for (const baud of BAUDS) {
  test(`R/C repeater pair on fake ESP32 boards at ${baud} baud across a noisy segment: frames corrected, none truncated, no DE collision, no overrun`, (t) => {
    const r = runRepeaterPair(baud);
    t.is(r.ok + r.failed, r.total, r.context());
    t.log(`${r.ok}/${r.total} transactions good, ${r.corrected} frames corrected by the repeaters`);
    t.is(r.wrong, 0, "a repeated reply is the meter's reply, byte for byte");
    t.true(r.noisy.counters.noisyCharacters > 0, "the segment was noisy");
    t.true(r.corrected > 0, `frames corrected by Reed–Solomon: ${r.corrected}\n${r.context()}`);
    t.true(r.ok >= 0.95 * r.total, `${r.ok}/${r.total} transactions good\n${r.context()}`);
    t.deepEqual(cleanBus(r.segments), { m: { truncated: 0, collisions: 0 }, noisy: { truncated: 0, collisions: 0 }, far: { truncated: 0, collisions: 0 } }, r.context());
    t.is(r.overflow, 0);
    t.is(r.overruns, 0);
  });
}
