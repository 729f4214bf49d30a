// The ESP32 host on every framing the Node host supports (8N1, 8E1, 8O1, 8N2) at 9600, 19200 and 115200 baud, with DE on
// a GPIO (8N1: the SDK's ECMA-419 serial; the others: rc485's native UART class with the computed DE timer) and with DE
// on the UART's RTS (native class, RS-485 half-duplex mode, transmitted() from the UART's TX-done): 10,000 master
// transactions each on the fake ESP32 platform over simulated segments, 0 truncations, 0 collisions, every value right.
// Also: a parity error on the wire reaches the master as a fault (never a good reading), and the bus efficiency with
// hardware DE at 115200 on the ESP32 UART model (deterministic, simulated time). Virtual time only.
import test from "ava";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { STATUS_CRC, STATUS_OK, SUBMIT_OK } from "../modules/master/status";
import { LineTiming, type Framing } from "../modules/rtu/timing";
import { EngineLoop } from "../hosts/esp32/deadline-timer";
import { Esp32SerialPort, rxTimeoutCoveringT35, usesNativeUart } from "../hosts/esp32/serial-port";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation, type NoiseOptions } from "../hosts/sim/index";
import { measure } from "../bench/master-efficiency";

const WIRING = { uart: 1 as const, txPin: 17, rxPin: 16, dePin: 4 };
const TRANSACTIONS = 10000;
const value = (unit: number, i: number) => (unit * 7919 + i * 31) & 0xffff;

function registers(unit: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(value(unit, i));
  return out;
}

interface Run {
  ok: number;
  bad: number;
  wrong: number;
  sim: Simulation;
  port: Esp32SerialPort;
  board: FakeEsp32;
  truncated: number;
  collisions: number;
}

function run(framing: Framing, baud: number, driverEnable: "gpio" | "rts", total: number, noise?: NoiseOptions): Run {
  const sim = new Simulation({ seed: baud + framing.charCodeAt(1) });
  const bus = sim.segment({ name: "bus", baud, framing, noise });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }] });
  const units = [1, 2, 3];
  for (const u of units) sim.meter(bus, { unit: u, holding: registers(u, 40), turnaroundUs: [300, 3000] });
  const loop = new EngineLoop(board.io);
  const config = { ...WIRING, baud, framing, driverEnable };
  // On the native class the concentrator sets the RX timeout so the hand-over comes no earlier than t3.5 (main-concentrator.ts).
  const rxTimeoutCharacters = usesNativeUart(config) ? rxTimeoutCoveringT35(new LineTiming(baud, framing)) : undefined;
  const p = new Esp32SerialPort(board.io, { ...config, rxTimeoutCharacters });
  const r: Run = { ok: 0, bad: 0, wrong: 0, sim, port: p, board, truncated: 0, collisions: 0 };
  let k = 0;
  const master = new Master({ baud, framing, retries: 0, rxIdleDelayUs: p.rxIdleUs + board.latencyUs, rxBatchBytes: 120, offlineAfter: 0 }, p, {
    completed(res: MasterResult) {
      if (res.status !== STATUS_OK) r.bad++;
      else {
        r.ok++;
        for (let i = 0; i < res.registerCount; i++) if (res.registers[i] !== value(res.unit, i)) { r.wrong++; break; }
      }
      if (k < total) submit();
    },
  });
  const submit = () => {
    const unit = units[k % units.length];
    if (master.submitRead(unit, 3, 0, 1 + ((k * 7) % 40), k) !== SUBMIT_OK) throw new Error("submit refused");
    k++;
  };
  p.listener = master;
  p.loop = loop;
  loop.attach(master);
  submit();
  loop.rearm();
  sim.runUntilTrue(() => r.ok + r.bad >= total, 1e12);
  r.truncated = bus.counters.truncated;
  r.collisions = bus.counters.collisions;
  return r;
}

for (const framing of ["8N1", "8E1", "8O1", "8N2"] as const) {
  for (const driverEnable of ["gpio", "rts"] as const) {
    test(`ESP32 host, ${framing}, DE on ${driverEnable === "gpio" ? "a GPIO" : "RTS"}: ${TRANSACTIONS} transactions at 9600, 19200 and 115200 baud, no truncation, no collision`, (t) => {
      for (const baud of [9600, 19200, 115200]) {
        const r = run(framing, baud, driverEnable, TRANSACTIONS);
        const context = `${framing} ${baud} ${driverEnable}: ${JSON.stringify({ port: r.port.counters, board: r.board.counters })}`;
        t.is(r.port.native, framing !== "8N1" || driverEnable === "rts", context);
        t.is(r.ok + r.bad, TRANSACTIONS, context);
        t.is(r.bad, 0, context);
        t.is(r.wrong, 0, context);
        t.is(r.truncated, 0, context);
        t.is(r.collisions, 0, context);
        t.is(r.port.counters.overruns, 0, context);
        t.is(r.port.counters.lineErrors, 0, context);
        t.is(r.board.counters.serialTransmitted > 0, driverEnable === "rts", context);
        t.log(`${framing} ${baud} baud, DE ${driverEnable}: ${r.ok} ok, ${(r.sim.now / 1e6).toFixed(1)} s of bus time`);
      }
    });
  }
}

test("a reply whose parity bit alone was hit (data and CRC intact) is flagged by the UART and faulted by the master", (t) => {
  const sim = new Simulation({ seed: 7 });
  const bus = sim.segment({ name: "bus", baud: 19200, framing: "8E1" });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }] });
  sim.meter(bus, { unit: 1, holding: registers(1, 10), turnaroundUs: 1000 });
  // Invert the parity bit (bit 9 of an 8E1 character) of the 13th character on the line: the 5th of the first reply.
  let characters = 0;
  const corrupt = bus.noise.corrupt.bind(bus.noise);
  bus.noise.corrupt = (v: number, start: number, end: number) => (++characters === 13 ? corrupt(v, start, end) ^ 0x200 : corrupt(v, start, end));
  const port = new Esp32SerialPort(board.io, { ...WIRING, baud: 19200, framing: "8E1", driverEnable: "rts" });
  const loop = new EngineLoop(board.io);
  const statuses: number[] = [];
  const master = new Master({ baud: 19200, framing: "8E1", retries: 0, rxIdleDelayUs: port.rxIdleUs + board.latencyUs, rxBatchBytes: 120, offlineAfter: 0 }, port, {
    completed(r: MasterResult) { statuses.push(r.status); },
  });
  port.listener = master;
  port.loop = loop;
  loop.attach(master);
  master.submitRead(1, 3, 0, 10, 1);
  master.submitRead(1, 3, 0, 10, 2);
  loop.rearm();
  sim.runUntilTrue(() => statuses.length === 2, 10e6);
  t.deepEqual(statuses, [STATUS_CRC, STATUS_OK]);
  t.is(bus.counters.parityErrors, 1);
  t.is(port.counters.lineErrors, 1);
  t.is(board.counters.serialErrors, 1);
});

test("noise on an 8E1 bus: parity errors reach the master as faults, never as a wrong reading", (t) => {
  const r = run("8E1", 19200, "rts", 3000, { bitErrorRate: 2e-4 });
  t.is(r.wrong, 0);
  t.true(r.port.counters.lineErrors > 0, JSON.stringify(r.port.counters));
  t.true(r.bad >= r.port.counters.lineErrors / 2, `${r.bad} faults for ${r.port.counters.lineErrors} line errors`);
  t.true(r.ok > 2500);
});

test("bus efficiency at 115200 on the ESP32 UART model with a 1 ms timer tick: >= 99.5% with DE on RTS (native class), 96.9% with the GPIO timer", (t) => {
  const native = measure(115200, "esp32-native", 1000);
  const gpio = measure(115200, "esp32", 1000);
  t.log(`native + RTS: ${(100 * native.ratio).toFixed(2)}%, ECMA-419 + GPIO: ${(100 * gpio.ratio).toFixed(2)}%`);
  t.true(native.ratio >= 0.995, `native ${native.ratio}`);
  t.is(native.faults + native.collisions + native.truncated, 0);
  t.true(gpio.ratio < 0.975, `gpio ${gpio.ratio}`);
});
