/*
 * `rc485 read`: one read from one device on a real serial port, like mbpoll, through the same master engine
 * (modules/master/engine.ts) and serial host (hosts/node/serial-port.ts) the concentrator uses. Registers are decoded as the
 * chosen type and word order (modules/concentrator/values.ts). Exit status: 0 values read, 1 the device answered with an exception or
 * did not answer (timeout) or the reply was damaged, 2 bad usage or a device that cannot be opened.
 *
 * Addresses: the request carries a 0-based PDU address (Modbus Application Protocol V1.1b3 §4.4: in the PDU each data
 * item is addressed from 0 to 65535, while the data model numbers elements from 1), given with --address. --register takes the 1-based reference number that modpoll and mbpoll
 * take with -r (modpoll -h: "-r # Start reference (1-65536, 1 is default). Use -0 for 0-based references"): PDU address
 * = reference - 1, so `--register N` reads exactly what `modpoll -r N` / `mbpoll -r N` read.
 */
import { Master } from "../../../modules/master/engine";
import { STATUS_EXCEPTION, STATUS_OK, STATUS_TIMEOUT, SUBMIT_OK, statusName } from "../../../modules/master/status";
import type { MasterResult } from "../../../modules/master/result";
import { exceptionName } from "../../../modules/rtu/exceptions";
import type { Framing } from "../../../modules/rtu/timing";
import { readRaw, orderCode, typeCode, TYPE_NAMES, TYPE_WORDS, ORDER_NAMES, TYPE_BOOL, TYPE_F32, type ValueTypeName, type OrderName } from "../../../modules/concentrator/values";
import { choiceOption, intOption, parseOptions, withUsage } from "../options";
import { QUANTITIES, quantityNamed, rankDecodings, type Guess, type Quantity } from "../../../modules/commissioning/decode-guess";
import { SerialHost, SerialOpenError } from "../serial-port";
import { UsageError, type Command } from "./command";

const HELP = `usage: rc485 read --port DEVICE [options]

Reads registers (or coils/inputs) from one Modbus RTU device and prints the decoded values.

  --port DEVICE        serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/usb-... (required)
  --baud N             line speed (default 9600)
  --framing F          8N1 (default), 8E1, 8O1, 8N2
  --unit N             device address 1..247 (default 1)
  --function N         3 holding registers (default), 4 input registers, 1 coils, 2 discrete inputs
  --address N          first PDU address, 0-based, as it goes on the wire (default 0); 0x prefix for hex
  --register N         first register by its 1-based number instead: address N-1, as modpoll -r N and mbpoll -r N
                       (values are then labelled by register number, as mbpoll does)
  --count N            number of values (default 1); a 32-bit value takes 2 registers, a 64-bit value 4
  --type T             ${TYPE_NAMES.join(", ")} (default u16; bool for functions 1 and 2)
  --order O            word/byte order of multi-register values: ABCD (default, high word first), CDAB (low word
                       first), BADC (bytes swapped), DCBA (little-endian)
  --guess Q            for an unknown meter: read --count registers (1-4, default 2) and rank every decoding (type ×
                       word order × power-of-ten scale) by how plausible it is for quantity Q: ${QUANTITIES.map((q) => q.name).join(", ")}
  --timeout MS         response timeout (default 1000)
  --retries N          retries after a timeout or damaged reply (default 0)
  --rts                drive RTS as driver enable while sending
  --json               print one JSON object

addresses: a request carries a 0-based address (0..65535). Manuals often number registers from 1 instead, and the old
"Modicon" style puts the table in the first digit: 40001 is holding register 1 (function 3, address 0), 30001 input
register 1 (function 4, address 0). So "40001" in a manual is --function 3 --register 1 (or --address 0). modpoll and
mbpoll count from 1 too and take the number whole: -r 40001 (and --register 40001) reads address 40000. If a value looks
shifted by one register, the manual is 1-based where you assumed 0-based, or the other way round.

exit status: 0 read, 1 exception, timeout or damaged reply, 2 bad usage or a device that cannot be opened

examples: rc485 read --port /dev/ttyUSB0 --baud 9600 --unit 1 --function 4 --address 0 --count 2 --type f32
          rc485 read --port /dev/ttyUSB0 --register 1 --type f32      (manual's 40001; same as modpoll -r 1 -t 4:f32)
          rc485 read --port /dev/ttyUSB0 --function 4 --address 0 --guess voltage   (which type and word order?)`;

export interface ReadResult {
  ok: boolean;
  status: string;
  unit: number;
  function: number;
  address: number;
  type?: string;
  order?: string;
  /** Each value's 0-based address (and, with --register, its 1-based register number). */
  values?: { address: number; register?: number; value: number | boolean | null }[];
  registers?: number[];
  exception?: { code: number; name: string };
  attempts: number;
}

const command: Command = {
  summary: "one read from one device on a serial port (like mbpoll), values decoded by type and word order",
  run: (args) => withUsage("read", async () => {
    const o = parseOptions("read", args, { values: ["port", "baud", "framing", "unit", "function", "address", "register", "count", "type", "order", "timeout", "retries", "guess"], flags: ["rts", "json"] });
    if (o.help) { console.log(HELP); return 0; }
    const path = o.values.port;
    if (!path) throw new UsageError("--port DEVICE is required (try rc485 read --help)");
    const baud = intOption(o, "baud", 300, 4_000_000, 9600);
    const framing = choiceOption<Framing>(o, "framing", ["8N1", "8E1", "8O1", "8N2"], "8N1");
    const unit = intOption(o, "unit", 1, 247, 1);
    const fc = intOption(o, "function", 1, 4, 3);
    if (o.values.address !== undefined && o.values.register !== undefined) throw new UsageError("give --address (0-based) or --register (1-based), not both");
    const address = o.values.register !== undefined ? intOption(o, "register", 1, 65536, 1) - 1 : intOption(o, "address", 0, 65535, 0);
    const bits = fc <= 2;
    let guessFor: Quantity | undefined;
    if (o.values.guess !== undefined) {
      guessFor = quantityNamed(o.values.guess);
      if (guessFor === undefined) throw new UsageError(`--guess must be one of ${QUANTITIES.map((q) => q.name).join(", ")} (got '${o.values.guess}')`);
      if (bits) throw new UsageError("--guess reads registers: use --function 3 or 4");
      if (o.values.type !== undefined || o.values.order !== undefined) throw new UsageError("--guess tries every --type and --order itself: leave them out");
    }
    const type = choiceOption<ValueTypeName>(o, "type", TYPE_NAMES, bits ? "bool" : "u16");
    if (bits && type !== "bool") throw new UsageError(`--type must be bool for function ${fc} (got '${type}')`);
    const order = choiceOption<OrderName>(o, "order", ORDER_NAMES, "ABCD");
    const words = bits ? 1 : TYPE_WORDS[typeCode(type)];
    const count = guessFor !== undefined ? intOption(o, "count", 1, 4, 2) : intOption(o, "count", 1, bits ? 2000 : Math.floor(125 / words), 1);
    const quantity = count * words;
    if (address + quantity > 65536) throw new UsageError(`address ${address} + ${quantity} ${bits ? "bits" : "registers"} passes 65535`);
    const timeoutMs = intOption(o, "timeout", 1, 60000, 1000);
    const retries = intOption(o, "retries", 0, 15, 0);

    const host = new SerialHost({ path, baud, framing, rts: !!o.flags.rts });
    let result: ReadResult | null = null;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const master = new Master({ baud, framing, retries, responseTimeoutUs: timeoutMs * 1000, offlineAfter: 0 }, host, {
      completed(r: MasterResult) { result = describe(r, fc, address, count, type, order, bits); done(); },
    });
    try {
      await host.open();
    } catch (e) {
      if (e instanceof SerialOpenError) { console.error(`rc485 read: ${e.message}`); return 2; }
      throw e;
    }
    try {
      host.attach(master, master);
      if (master.submitRead(unit, fc, address, quantity, 0) !== SUBMIT_OK) throw new UsageError("the request is outside Modbus limits");
      host.poke();
      await finished;
    } finally {
      await host.close();
    }
    const r = result as ReadResult | null;
    if (!r) return 1;
    if (o.values.register !== undefined && r.values) for (const v of r.values) v.register = v.address + 1;
    if (guessFor !== undefined && r.ok) {
      const guesses = rankDecodings(r.registers!, r.registers!.length, guessFor, 8);
      if (o.flags.json) console.log(JSON.stringify({ ...r, values: undefined, quantity: guessFor.name, guesses }));
      else printGuesses(r.registers!, guessFor, guesses);
      return 0;
    }
    if (o.flags.json) console.log(JSON.stringify(r));
    // Values are labelled in the numbering the user chose: 0-based addresses, or 1-based register numbers (as mbpoll).
    else if (r.ok) for (const v of r.values!) console.log(`[${v.register ?? v.address}]: ${v.value === null ? "NaN" : String(v.value)}`);
    else if (r.exception) console.log(`exception ${r.exception.code.toString(16).padStart(2, "0")} ${r.exception.name}`);
    else console.log(r.status);
    return r.ok ? 0 : 1;
  }),
};

function printGuesses(registers: number[], q: Quantity, guesses: Guess[]): void {
  console.log(`registers: ${registers.map((x) => x.toString(16).padStart(4, "0")).join(" ")}  (as ${q.name}, ${q.min}..${q.max} ${q.unit})`);
  if (guesses.length === 0) {
    console.log(`no decoding gives a plausible ${q.name}: check the address (0- or 1-based?), the function (3 or 4) and the unit`);
    return;
  }
  console.log("rank  type  order  scale    value           score");
  guesses.forEach((g, i) => {
    console.log(`${String(i + 1).padStart(4)}  ${g.type.padEnd(5)} ${g.order}   ${`10^${g.exponent}`.padEnd(7)}  ${`${g.value} ${q.unit}`.padEnd(15)} ${g.score}`);
  });
  const b = guesses[0];
  console.log(`profile point: "type": "${b.type}"${b.type.endsWith("16") ? "" : `, "order": "${b.order}"`}${b.exponent !== 0 ? `, "exponent": ${b.exponent}` : ""}${b.type.endsWith("16") && b.order === "BADC" ? " (bytes swapped: no profile order for a 16-bit value; check the meter's settings)" : ""}`);
}

function describe(r: MasterResult, fc: number, address: number, count: number, type: string, order: string, bits: boolean): ReadResult {
  const base = { unit: r.unit, function: fc, address, attempts: r.attempts };
  if (r.status === STATUS_EXCEPTION) {
    return { ok: false, status: "exception", ...base, exception: { code: r.exceptionCode, name: exceptionName(r.exceptionCode) } };
  }
  if (r.status !== STATUS_OK) return { ok: false, status: r.status === STATUS_TIMEOUT ? "timeout" : statusName(r.status), ...base };
  const values: { address: number; value: number | boolean | null }[] = [];
  if (bits) {
    for (let i = 0; i < count; i++) values.push({ address: address + i, value: r.bit(i) });
    return { ok: true, status: "ok", ...base, type: "bool", values };
  }
  const t = typeCode(type);
  const ord = orderCode(order);
  const words = TYPE_WORDS[t];
  const bytes = new Uint8Array(2 * r.registerCount);
  for (let i = 0; i < r.registerCount; i++) { bytes[2 * i] = r.registers[i] >> 8; bytes[2 * i + 1] = r.registers[i] & 0xff; }
  for (let i = 0; i < count; i++) {
    const raw = readRaw(t, ord, bytes, 2 * words * i);
    // A float32 carries about 7 significant digits: print those, not the binary expansion.
    const v = t === TYPE_BOOL ? raw !== 0 : t === TYPE_F32 && Number.isFinite(raw) ? Number(raw.toPrecision(7)) : raw;
    values.push({ address: address + i * words, value: typeof v === "number" && !Number.isFinite(v) ? null : v });
  }
  return { ok: true, status: "ok", ...base, type, order, values, registers: Array.from(r.registers.subarray(0, r.registerCount)) };
}

export default command;
