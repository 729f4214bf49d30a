// The ESP32 host's serial/DE adapter and timer loop (hosts/esp32) on fake ESP32 platform classes (hosts/sim/esp32-fakes.ts)
// wired to simulated RS-485 segments: an RTU master against meter emulators with frames longer than the FIFOs, and the
// timer's never-early guarantee. Virtual time only; deterministic for a seed.
import test from "ava";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { STATUS_OK, SUBMIT_OK } from "../modules/master/status";
import { NO_DEADLINE } from "../modules/port/contract";
import { Prng } from "../modules/common/prng";
import { EngineLoop, DeadlineTimer } from "../hosts/esp32/deadline-timer";
import { checkEsp32Port, Esp32SerialPort } from "../hosts/esp32/serial-port";
import { RX_TIMEOUT_CHARACTERS } from "../hosts/esp32/io";
import { FakeEsp32 } from "../hosts/sim/esp32-fakes";
import { Simulation } from "../hosts/sim/index";

const WIRING = { uart: 1 as const, txPin: 17, rxPin: 16, dePin: 4 };
const value = (unit: number, i: number) => (unit * 7919 + i * 31) & 0xffff;

function registers(unit: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(value(unit, i));
  return out;
}

for (const baud of [9600, 19200, 115200]) {
  test(`master on the ESP32 adapter at ${baud} baud: long frames in pieces, no truncation, no DE collision, no overrun`, (t) => {
    const sim = new Simulation({ seed: baud });
    const bus = sim.segment({ name: "bus", baud });
    const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }] });
    const units = [1, 2, 3];
    for (const u of units) sim.meter(bus, { unit: u, holding: registers(u, 260), turnaroundUs: [500, 4000] });

    const loop = new EngineLoop(board.io);
    const port = new Esp32SerialPort(board.io, { ...WIRING, baud });
    const charUs = port.timing.characterUs;
    let ok = 0, bad = 0, wrong = 0, writes = 0, k = 0;
    const total = baud === 9600 ? 60 : 150;
    const values = new Uint16Array(123);
    const submitNext = () => {
      const unit = units[k % units.length];
      // Every fourth transaction writes 123 registers (a 255-byte request: two FIFO refills); the others read up to 125
      // registers (a 255-byte reply: two RX FIFO hand-overs at least).
      if (k % 4 === 3) {
        for (let i = 0; i < 123; i++) values[i] = (k * 13 + i) & 0xffff;
        t.is(master.submitWriteRegisters(unit, 130, values, 0, 123, k), SUBMIT_OK);
      } else {
        t.is(master.submitRead(unit, 3, 0, 1 + ((k * 37) % 125), k), SUBMIT_OK);
      }
      k++;
    };
    const master = new Master(
      { baud, retries: 0, rxIdleDelayUs: RX_TIMEOUT_CHARACTERS * charUs + board.latencyUs, rxBatchBytes: 120, offlineAfter: 0 },
      port,
      {
        completed(r: MasterResult) {
          if (r.status !== STATUS_OK) bad++;
          else if (r.functionCode === 16) writes++;
          else {
            ok++;
            for (let i = 0; i < r.registerCount; i++) if (r.registers[i] !== value(r.unit, i)) { wrong++; break; }
          }
          if (k < total) submitNext();
        },
      },
    );
    port.listener = master;
    port.loop = loop;
    loop.attach(master);
    submitNext();
    loop.rearm();
    sim.runUntilTrue(() => ok + bad + writes >= total, 120e6);

    const context = () => `${JSON.stringify({ ...sim.counters(), port: port.counters, board: board.counters })}\n${sim.trace.dump(20)}`;
    t.is(ok + bad + writes, total, context());
    t.is(bad, 0, context());
    t.is(wrong, 0, context());
    t.true(writes > 10);
    t.is(bus.counters.truncated, 0, context());
    t.is(bus.counters.collisions, 0, context());
    t.is(board.uart(1).counters.rxOverflow, 0, context());
    t.is(port.counters.overruns, 0, context());
    t.is(port.counters.txRefused, 0);
    t.is(board.counters.outputFull, 0);
    t.true(port.counters.txRefills >= 2 * writes, "255-byte requests were written in pieces from onWritable");
    t.true(port.counters.rxBatches > ok, "long replies arrived in several FIFO hand-overs");
    // Every registered write reached the meter intact.
    const m = sim.meters[(total - 1) % 3];
    t.true(m.counters.requests > 0);
  });
}

test("an RX FIFO that overflows (callbacks far too late) is seen by the adapter as overruns", (t) => {
  const sim = new Simulation({ seed: 3 });
  const bus = sim.segment({ name: "bus", baud: 115200 });
  // 3 ms from interrupt to script: the FIFO fills (128 bytes ≈ 11 ms … but the full threshold fires at 120) and overflows.
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }], latencyUs: 3000 });
  sim.meter(bus, { unit: 1, holding: registers(1, 130), turnaroundUs: 1000 });
  const loop = new EngineLoop(board.io);
  const port = new Esp32SerialPort(board.io, { ...WIRING, baud: 115200 });
  let done = 0;
  const master = new Master({ baud: 115200, retries: 0, rxIdleDelayUs: 4000, rxBatchBytes: 120, offlineAfter: 0 }, port, { completed() { done++; } });
  port.listener = master;
  port.loop = loop;
  loop.attach(master);
  master.submitRead(1, 3, 0, 125, 0);
  loop.rearm();
  sim.runUntilTrue(() => done === 1, 5e6);
  t.true(board.uart(1).counters.rxOverflow > 0);
  t.true(port.counters.overruns > 0);
});

test("DeadlineTimer never fires before its deadline on a 1 ms timer that fires early, and fires within a loop pass or two", (t) => {
  const sim = new Simulation({ seed: 9 });
  const bus = sim.segment({ baud: 9600 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }], loopUs: 20 });
  const prng = new Prng(5);
  const lateness: number[] = [];
  let deadline = 0;
  const timer = new DeadlineTimer(board.io, (now) => {
    t.true(now >= deadline, `fired at ${now} before ${deadline}`);
    lateness.push(now - deadline);
  });
  let earlyRawTimer = 0;
  for (let i = 0; i < 300; i++) {
    sim.runFor(prng.nextRange(0, 3000));
    deadline = sim.now + prng.nextRange(0, 5000);
    timer.arm(deadline);
    // The raw timer, armed for the rounded-up milliseconds, for comparison.
    const armedAt = sim.now;
    const ms = Math.ceil((deadline - armedAt) / 1000);
    board.io.Timer.set(() => { if (sim.now < armedAt + ms * 1000) earlyRawTimer++; }, ms);
    sim.runFor(8000);
  }
  t.is(lateness.length, 300);
  t.true(Math.max(...lateness) <= 2 * board.loopUs + 1, `worst lateness ${Math.max(...lateness)} µs`);
  t.true(timer.early > 0, "the 1 ms timer did fire early and was corrected");
  t.true(earlyRawTimer > 0, "the fake's raw Timer fires early like the device's");
  timer.arm(NO_DEADLINE);
  t.is(timer.armed, NO_DEADLINE);
});

test("fake Timer: a fired one-shot cannot be rescheduled; a repeating timer can be paused and re-armed", (t) => {
  const sim = new Simulation({ seed: 1 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [] });
  let n = 0;
  const one = board.io.Timer.set(() => n++, 2);
  sim.runFor(5000);
  t.is(n, 1);
  t.throws(() => board.io.Timer.schedule(one, 1, 0));
  const rep = board.io.Timer.set(() => n++, 1, 1);
  sim.runFor(3500);
  t.true(n >= 4);
  board.io.Timer.schedule(rep);
  const before = n;
  sim.runFor(5000);
  t.is(n, before);
});

test("port configuration is checked before any pin is touched: framing, UART, pins", (t) => {
  const base = { ...WIRING, baud: 9600 };
  t.notThrows(() => checkEsp32Port(base));
  // Every framing the Node host supports is accepted (all but 8N1 run on the native UART class); others are refused.
  for (const framing of ["8N1", "8E1", "8O1", "8N2"]) t.is(checkEsp32Port({ ...base, framing }).framing as string, framing);
  const framing = t.throws(() => checkEsp32Port({ ...base, framing: "7E1", field: "bus" }), { instanceOf: RangeError });
  t.regex(framing!.message, /bus\.framing must be one of 8N1, 8E1, 8O1, 8N2, got "7E1"/);
  t.throws(() => checkEsp32Port({ ...base, driverEnable: "uart", field: "bus" }), { message: /bus\.driverEnable must be "gpio" .* or "rts" .*got "uart"/ });
  t.notThrows(() => checkEsp32Port({ ...base, driverEnable: "rts" }));
  t.throws(() => checkEsp32Port({ ...base, rxTimeoutCharacters: 20 }), { message: /RX timeout is fixed at 4 characters/ });
  t.notThrows(() => checkEsp32Port({ ...base, framing: "8E1", rxTimeoutCharacters: 20 }));
  t.throws(() => checkEsp32Port({ ...base, driverEnable: "rts", rxTimeoutCharacters: 127 }), { message: /rxTimeoutCharacters must be an integer 1–126/ });
  t.throws(() => checkEsp32Port({ ...base, uart: 0 }), { message: /uart must be 1 or 2/ });
  t.throws(() => checkEsp32Port({ ...base, txPin: 35 }), { message: /txPin.*input only/ });
  t.throws(() => checkEsp32Port({ ...base, dePin: 7 }), { message: /dePin.*flash/ });
  t.notThrows(() => checkEsp32Port({ ...base, rxPin: 36 }));
  t.throws(() => checkEsp32Port({ ...base, dePin: 16 }), { message: /three different GPIOs/ });
  t.throws(() => checkEsp32Port({ ...base, baud: 0 }), { instanceOf: RangeError });
  // The fake board refuses a baud other than the bus's, and UART0.
  const sim = new Simulation({ seed: 1 });
  const bus = sim.segment({ baud: 9600 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [{ segment: bus, ...WIRING }] });
  t.throws(() => new Esp32SerialPort(board.io, { ...WIRING, baud: 19200 }), { message: /19200 baud on a 9600-baud bus/ });
});
