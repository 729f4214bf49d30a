// The ESP32 host's costs, for the memory and CPU budget in docs/esp32.md:
//  - one master transaction through the real serial/DE adapter (hosts/esp32/serial-port.ts) on a minimal in-memory
//    platform (no simulator, no Node API, so XS meters it too): request written to the "FIFO", DE timer fired, a 165-byte
//    reply read back in two FIFO batches (120 + 45), frame confirmed. XS computrons and Node bytes per transaction;
//  - the memory a concentrator and a repeater hold after construction (typed-array bytes, objects and properties of the
//    object graph, walked on Node), converted to an XS estimate (16-byte slots on a 32-bit ESP32).
import { appendCrc } from "../modules/crc16";
import { Master } from "../modules/master";
import type { MasterResult } from "../modules/master-result";
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

function adapterLoop(registers: number, driverEnable: "gpio" | "rts" = "gpio") {
  const reply = new Uint8Array(5 + 2 * registers);
  reply[0] = 1; reply[1] = 3; reply[2] = 2 * registers;
  for (let i = 0; i < registers; i++) { reply[3 + 2 * i] = (i * 7) >> 8; reply[4 + 2 * i] = (i * 7) & 0xff; }
  appendCrc(reply, 0, 3 + 2 * registers);
  const p = benchPlatform(reply);
  const loop = new EngineLoop(p.io);
  const port = new Esp32SerialPort(p.io, { uart: 2, txPin: 17, rxPin: 16, dePin: 4, baud: 19200, driverEnable });
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
      if (driverEnable === "rts") p.transmitted(); // the UART dropped DE: onTransmitted
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

// ---- memory held after construction (Node only) ----

interface Footprint { objects: number; properties: number; bufferBytes: number; stringBytes: number; arrays: number; elements: number }

function footprint(root: unknown, exclude: Set<unknown>): Footprint {
  const seen = new Set<unknown>(exclude);
  const seenBuffers = new Set<ArrayBufferLike>();
  const f: Footprint = { objects: 0, properties: 0, bufferBytes: 0, stringBytes: 0, arrays: 0, elements: 0 };
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") { f.stringBytes += v.length + 1; continue; }
    if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v)) continue;
    seen.add(v);
    if (typeof v === "function") continue; // code lives in flash (preloaded)
    if (ArrayBuffer.isView(v)) {
      f.objects++;
      if (!seenBuffers.has(v.buffer)) { seenBuffers.add(v.buffer); f.bufferBytes += v.buffer.byteLength; }
      continue;
    }
    f.objects++;
    if (Array.isArray(v)) { f.arrays++; f.elements += v.length; for (const x of v) stack.push(x); continue; }
    if (v instanceof Map) { for (const [k, x] of v) { f.elements += 2; stack.push(k, x); } continue; }
    if (Object.isFrozen(v) && Object.getPrototypeOf(v) === Object.prototype && exclude.size > 0) { /* frozen tables are preloaded: counted once below */ }
    for (const k of Object.getOwnPropertyNames(v)) {
      f.properties++;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return f;
}

/** XS estimate, 32-bit: one slot (16 B) per object + one per property/element; buffers and strings in the chunk heap. */
function xsEstimate(f: Footprint): { slots: number; chunkBytes: number; totalKb: number } {
  const slots = 2 * f.objects + f.properties + f.elements + 3 * f.arrays;
  const chunkBytes = f.bufferBytes + f.stringBytes + 8 * (f.objects - f.arrays);
  return { slots, chunkBytes, totalKb: Math.round((slots * 16 + chunkBytes) / 102.4) / 10 };
}

const FS_MODULE = "node:fs";

async function memoryReport(): Promise<string> {
  // node:fs by a name esbuild does not bundle (this file is also bundled for XS).
  const { readFileSync } = (await import(FS_MODULE)) as typeof import("node:fs");
  const { checkSite, profileTable } = await import("../modules/site");
  const { parseProfile } = await import("../modules/profile");
  const { sitePoller } = await import("../hosts/esp32/site-poller");
  const { Repeater } = await import("../modules/repeater");
  const profiles: ReturnType<typeof parseProfile>[] = [];
  for (const id of ["eastron-sdm630", "eastron-sdm120", "nmid30-2", "ubs-djz1226"]) {
    profiles.push(parseProfile(JSON.parse(readFileSync(new URL(`../profiles/${id}.json`, import.meta.url), "utf8")), id));
  }
  const lookup = profileTable(profiles);
  // The profiles are shared with the plan; count them separately (they are parsed at boot from flash resources).
  const exclude = new Set<unknown>();
  const sites: [string, number][] = [["4 meters (SDM630, SDM120, NMID30-2, DJZ1226), all points", 1], ["32 meters (8 of each), all points", 8]];
  const rows = ["| engine | configuration | objects | properties + elements | typed-array bytes | string bytes | XS estimate: slots | XS estimate: chunk bytes | XS estimate total |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"];
  for (const [label, copies] of sites) {
    const meters: unknown[] = [];
    let unit = 1;
    for (let c = 0; c < copies; c++) for (const p of profiles) meters.push({ name: `${p.id}-${c}`, profile: p.id, unit: unit++, intervalMs: 10000 });
    const r = checkSite({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters }, lookup);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const c = sitePoller(r.site, { transmit() {} }, 4 * 1042, 1000, null);
    const f = footprint(c, exclude);
    const x = xsEstimate(f);
    rows.push(`| PollLoop + ReadingsStore | ${label} | ${f.objects} | ${f.properties + f.elements} | ${f.bufferBytes} | ${f.stringBytes} | ${x.slots} | ${x.chunkBytes} | ${x.totalKb} KB |`);
  }
  const line = { baud: 9600, framing: "8N1" as const };
  const rep = new Repeater({ nroots: 4, interleave: 1, sideA: line, sideB: line }, { transmit() {} }, { transmit() {} });
  const f = footprint(rep, exclude);
  const x = xsEstimate(f);
  rows.push(`| Repeater | nroots 4, queue 4 frames per side | ${f.objects} | ${f.properties + f.elements} | ${f.bufferBytes} | ${f.stringBytes} | ${x.slots} | ${x.chunkBytes} | ${x.totalKb} KB |`);
  return rows.join("\n") + "\n\nWalked on Node from the engine object after construction (profiles, plan, scheduler, master, latest values, readings store with 120 history buckets; repeater buffers and codec). XS estimate: 2 slots per object and 1 per property or array element (16 bytes each on a 32-bit ESP32), typed-array and string bytes plus 8 bytes per object in the chunk heap. Code and preloaded tables (CRC, GF(256), rule tables) are in flash and not counted. An estimate, not a measurement on XS.";
}

export const reports: Report[] = [{ title: "ESP32: engine memory after construction", run: memoryReport }];
