// The ESP32 host's costs, for the memory and CPU budget in docs/esp32.md:
//  - one master transaction through the real serial/DE adapter (hosts/esp32/serial-port.ts) on a minimal in-memory
//    platform (no simulator, no Node API, so XS meters it too): request written to the "FIFO", DE timer fired, a 165-byte
//    reply read back in two FIFO batches (120 + 45), frame confirmed. XS computrons and Node bytes per transaction;
//  - the memory a concentrator and a repeater hold after construction, measured on XS by the memory host
//    (scripts/xs-memory.mjs, bench/xs-memory-engines.ts): live slots, chunk bytes and runtime keys, and what the
//    manifest's `creation` leaves free beside them.
import { appendCrc } from "../modules/rtu/crc16";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { EngineLoop } from "../hosts/esp32/deadline-timer";
import type { DigitalClass, Esp32Io, SerialClass, SerialOptions, TimerApi, TimerId, UartRs485Class, UartRs485Options } from "../hosts/esp32/io";
import { Esp32SerialPort } from "../hosts/esp32/serial-port";
import type { Bench, Report } from "./harness";

/**
 * A platform that runs in memory. Its clock is an integer below 2^29 (the transaction rebases it), as V8 boxes doubles
 * that cross calls (about 78 bytes per transaction with a raw Float64Array read here); XS keeps numbers inline in slots,
 * so the device's Time.microseconds (a double after 36 minutes of uptime) costs no allocation there.
 * The "UART" takes every write and hands back a prepared reply in FIFO-sized reads.
 */
/** (continued) the "UART" takes every write and hands back a prepared reply in FIFO-sized reads. */
function benchPlatform(reply: Uint8Array) {
  const clock = new Float64Array(1);
  const timers: { cb: () => void; armed: boolean }[] = [];
  let serialOptions: SerialOptions | null = null;
  let rxAt = 0;
  let rxEnd = 0;
  let written = 0;
  let transmittedCallback: (() => void) | null = null;
  class Serial {
    constructor(o: SerialOptions | UartRs485Options) {
      serialOptions = o as SerialOptions;
      transmittedCallback = (o as UartRs485Options).onTransmitted ?? null;
    }
    get transmitted(): boolean { return true; }
    read(buffer: Uint8Array): number | undefined {
      const n = Math.min(buffer.length, rxEnd - rxAt);
      if (n <= 0) return undefined;
      for (let i = 0; i < n; i++) buffer[i] = reply[rxAt + i];
      rxAt += n;
      return n;
    }
    write(buffer: Uint8Array): void { written += buffer.length; }
    close(): void {}
  }
  class Digital {
    static readonly Output = 1;
    constructor(_o: unknown) {}
    write(_v: 0 | 1): void {}
    close(): void {}
  }
  const Timer: TimerApi = {
    set(cb) { const t = { cb: cb as () => void, armed: false }; timers.push(t); return t; },
    schedule(id, interval) { (id as { armed: boolean }).armed = interval !== undefined; },
    clear(id) { if (id) (id as { armed: boolean }).armed = false; },
  };
  const io: Esp32Io = {
    Serial: Serial as unknown as SerialClass, UartRs485: Serial as unknown as UartRs485Class, Digital: Digital as unknown as DigitalClass, Timer,
    now: () => clock[0] | 0,
  };
  return {
    io, clock,
    /** Fires every armed timer (DE drop, engine deadline) at the current clock. */
    fire(): void { for (let i = 0; i < timers.length; i++) if (timers[i].armed) (timers[i].cb as (t: TimerId) => void)(timers[i] as unknown as TimerId); },
    /** The native class's TX-done (DE on RTS): onTransmitted. */
    transmitted(): void { if (transmittedCallback !== null) transmittedCallback(); },
    /** Makes `n` reply bytes readable and signals onReadable. */
    deliver(n: number): void { rxEnd += n; (serialOptions as SerialOptions).onReadable(n); },
    rewind(): void { rxAt = 0; rxEnd = 0; },
    get written(): number { return written; },
  };
}

export function adapterLoop(registers: number, driverEnable: "gpio" | "rts" = "gpio") {
  const reply = new Uint8Array(5 + 2 * registers);
  reply[0] = 1; reply[1] = 3; reply[2] = 2 * registers;
  for (let i = 0; i < registers; i++) { reply[3 + 2 * i] = (i * 7) >> 8; reply[4 + 2 * i] = (i * 7) & 0xff; }
  appendCrc(reply, 0, 3 + 2 * registers);
  const p = benchPlatform(reply);
  const loop = new EngineLoop(p.io);
  const port = new Esp32SerialPort(p.io, { uart: 2, txPin: 17, rxPin: 16, dePin: 4, baud: 19200, driverEnable });
  const hardwareDe = driverEnable === "rts";
  let sum = 0;
  const master = new Master({ baud: 19200, queueCapacity: 4, rxIdleDelayUs: 2500, rxBatchBytes: 120 }, port, {
    completed(r: MasterResult) { let s = 0; for (let i = 0; i < r.registerCount; i++) s += r.registers[i]; sum = s; },
  });
  port.listener = master;
  port.loop = loop;
  loop.attach(master);
  return {
    transaction(): number {
      if (p.clock[0] > 1 << 29) { master.rebaseTime(1 << 29); p.clock[0] -= 1 << 29; }
      master.submitRead(1, 3, 0, registers, 0);
      loop.rearm();
      p.clock[0] = master.nextDeadline();
      p.fire(); // gap over: the request is written, the DE timer armed
      p.clock[0] += 6000;
      if (hardwareDe) p.transmitted(); // the UART dropped DE: onTransmitted
      else p.fire(); // DE drops: transmitted()
      p.rewind();
      p.clock[0] += 62500;
      p.deliver(reply.length > 120 ? 120 : reply.length);
      p.clock[0] += 25000;
      if (reply.length > 120) p.deliver(reply.length - 120);
      p.clock[0] = master.nextDeadline();
      p.fire(); // silence confirms the frame
      return sum;
    },
  };
}

export const benches: Bench[] = [
  {
    group: "ESP32 adapter transaction (read 80 registers, 165-byte reply in two FIFO reads)",
    name: "Esp32SerialPort + EngineLoop + Master: write, DE drop, 2 × read(buffer), confirm",
    units: 80,
    unitName: "register",
    make: () => {
      const l = adapterLoop(80);
      return () => l.transaction();
    },
  },
  {
    group: "ESP32 adapter transaction (read 80 registers, 165-byte reply in two FIFO reads)",
    name: "Esp32SerialPort on the native UART class, DE on RTS + EngineLoop + Master: write, onTransmitted, 2 × read(buffer), confirm",
    units: 80,
    unitName: "register",
    make: () => {
      const l = adapterLoop(80, "rts");
      return () => l.transaction();
    },
  },
];

// ---- memory held after construction, measured on XS (Node runs the XS memory host) ----

/** Creation sizes large enough for every configuration, so that each is measured whole (the manifest's are compared after). */
const ROOMY = { slots: 400000, chunkBytes: 8 << 20, keys: 4000 };

const XS_MEMORY_MODULE = "../scripts/xs-memory.mjs";

async function memoryReport(): Promise<string> {
  // By a name esbuild does not bundle (this file is also bundled for XS).
  const { measureEnginesOnXs, measureSteadyOnXs, manifestCreation } = (await import(XS_MEMORY_MODULE)) as typeof import("../scripts/xs-memory.mjs");
  const r = await measureEnginesOnXs(ROOMY);
  if (r.status !== 0 || !r.done) throw new Error(`the XS memory host failed (status ${r.status}): ${r.stderr}`);
  const c = manifestCreation();
  const [empty, ...engines] = r.rows;
  const kb = (b: number) => (b / 1024).toFixed(1);
  const rows = [
    `| configuration | live slots | slot bytes | chunk bytes | total | runtime keys | free under the manifest's creation (${c.slots} slots, ${c.chunkBytes} chunk bytes, ${c.keys} keys) |`,
    "|---|--:|--:|--:|--:|--:|---|",
    `| empty machine (the clone before the app runs) | ${empty.slots} | ${empty.slots * empty.slotBytes} | ${empty.chunkBytes} | ${kb(empty.slots * empty.slotBytes + empty.chunkBytes)} KB | ${empty.keys} | |`,
  ];
  for (const e of engines) {
    const freeSlots = c.slots - empty.slots - e.slots;
    const freeChunk = c.chunkBytes - empty.chunkBytes - e.chunkBytes;
    const freeKeys = c.keys - empty.keys - e.keys;
    const fits = freeSlots >= 0 && freeChunk >= 0 && freeKeys >= 0;
    rows.push(`| ${e.name} | ${e.slots} | ${e.slots * e.slotBytes} | ${e.chunkBytes} | ${kb(e.slots * e.slotBytes + e.chunkBytes)} KB | ${e.keys} | ${fits ? "" : "**does not fit**: "}${freeSlots} slots (${kb(freeSlots * e.slotBytes)} KB), ${freeChunk} chunk bytes (${kb(freeChunk)} KB), ${freeKeys} keys |`);
  }
  const steady = await measureSteadyOnXs(10000);
  if (steady.result === null) throw new Error(`the XS steady-state run failed: ${steady.stderr}`);
  const st = steady.result;
  const whole = await measureSteadyOnXs(10000, "concentrator");
  if (whole.result === null) throw new Error(`the XS concentrator steady-state run failed: ${whole.stderr}`);
  const wh = whole.result;
  rows.push("", "| steady state on XS, within the manifest's creation | transactions | live slots change | live chunk bytes change | collections |", "|---|--:|--:|--:|--:|",
    `| concentrator (SDM120 + NMID30-2, all points): polling, readings store, MQTT payload bytes, a gateway request every tenth (bench/concentrator-loopback.ts) | ${wh.transactions} | ${wh.slots} | ${wh.chunkBytes} | ${wh.collections} |`,
    `| Esp32SerialPort + EngineLoop + Master, 80 registers per read | ${st.transactions} | ${st.slots} | ${st.chunkBytes} | ${st.collections} |`);
  return rows.join("\n") + `\n\nMeasured on XS (${r.bits}-bit build${r.bits === 32 ? ", 16-byte slots as on the ESP32" : ": 64-bit figures, slots are larger than the ESP32's 16 bytes"}) by the memory host (scripts/xs-memory): the bundle's body is the preload step (code and tables, flash on the device), each configuration is built at run time in a machine cloned from it (profiles looked up in the preloaded library, site checked, engine constructed) and measured alone as the difference of two full collections: live slots, chunk bytes in use (headers included), keys created at run time. Code and preloaded tables are not counted. Steady state: the live heap between full collections before and after the transactions (the change is the measuring array itself), and the collections XS ran on its own meanwhile.`;
}

async function bootReport(): Promise<string> {
  const { measureBootsOnXs, manifestCreation } = (await import(XS_MEMORY_MODULE)) as typeof import("../scripts/xs-memory.mjs");
  const c = manifestCreation();
  const kb = (b: number) => (b / 1024).toFixed(1);
  const rows = [
    `| site | at boot: slots | chunk bytes | keys | after 120 s (upper bound): slots | chunk bytes | keys | free at boot under the creation (${c.slots} slots, ${c.chunkBytes} chunk bytes, ${c.keys} keys) |`,
    "|---|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of await measureBootsOnXs(120)) {
    const x = r.result;
    if (r.status !== 0 || x === null || x.booted === null || x.end === null || x.error) throw new Error(`${r.label}: the boot failed on XS (status ${r.status}) ${x?.error ?? ""} ${r.stderr}`);
    const [s, ch, k] = x.booted;
    const fs = c.slots - s, fc = c.chunkBytes - ch, fk = c.keys - k;
    const fits = fs >= 0 && fc >= 0 && fk >= 0;
    rows.push(`| ${r.label} | ${s} | ${ch} | ${k} | ${x.end[0]} | ${x.end[1]} | ${x.end[2]} | ${fits ? "" : "**does not fit**: "}${fs} slots (${kb(fs * 16)} KB), ${fc} chunk bytes (${kb(fc)} KB), ${fk} keys |`);
  }
  return rows.join("\n") + "\n\nThe whole concentrator booted from `setup/rc485` on XS (32-bit) with the device modules faked (test/harness/device-world.ts), its meters emulated from their profiles, Wi-Fi up and MQTT acknowledged: live heap added by the boot, and after 120 simulated seconds of polling and publishing. The simulator shares the machine, so the second figure also holds what the simulator gained (an upper bound). The store-and-forward ring is sized by its byte budget (16 KB on the device, `forwarding.mqtt.ringBytes`).";
}

export const reports: Report[] = [
  { title: "ESP32: engine memory after construction, measured on XS", run: memoryReport },
  { title: "ESP32: the firmware booted on XS (setup/rc485, MQTT on)", run: bootReport },
];
