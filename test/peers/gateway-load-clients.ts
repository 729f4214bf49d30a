// Load generator for the gateway load test (run as its own process, so the gateway's memory is measured alone):
//   node --import tsx test/peers/gateway-load-clients.ts PORT CLIENTS REQUESTS SEED
// Each client opens one Modbus TCP connection and sends REQUESTS mixed requests one at a time (a seeded mix of 03 and 04
// reads of 1..40 registers, 06 and 10 writes to the client's own two holding registers followed by reads that must
// return what it wrote, reads of the gateway's local unit 0, reads past the meter's map (exception 02) and of an unrouted
// unit (exception 0A)), and checks every response against its request: transaction id, unit id, function and data.
// Prints one JSON line with the totals, the first mismatches, and latency percentiles (µs).
//
// The site this expects (test/gateway-load.test.ts): meters 5 and 6 with register i of unit u = (u × 1000 + i) & 0xFFFF,
// 200 holding and input registers; TCP unit 105 aliased to RTU 5; local unit 0 with register i = 0xA000 + i; unit 250
// unrouted. Client c owns holding registers 150 + 2c and 151 + 2c of unit 5.
import { connect, type Socket } from "node:net";
import { Prng } from "../../modules/common/prng";

const [portText, clientsText, requestsText, seedText] = process.argv.slice(2);
const port = Number(portText);
const clients = Number(clientsText);
const requests = Number(requestsText);
const seed = Number(seedText ?? 1);

interface Expect { tid: number; unit: number; fc: number; exception: number; registers: number[] | null; echo: number[] | null; sentAt: bigint }

const totals = { sent: 0, answered: 0, mismatches: 0, lost: 0, exceptions: 0, byKind: {} as Record<string, number> };
const mismatchText: string[] = [];
const latencies: number[] = [];

function meter(unit: number, address: number): number {
  return (unit * 1000 + address) & 0xffff;
}

function client(index: number): Promise<void> {
  return new Promise((resolve) => {
    const rng = new Prng(seed * 1000 + index);
    const own = [150 + 2 * index, 151 + 2 * index];
    const ownValues = [meter(5, own[0]), meter(5, own[1])];
    let done = 0;
    let tid = (index * 4099) & 0xffff;
    let expect: Expect | null = null;
    let rx: Buffer = Buffer.alloc(0);
    let timer: NodeJS.Timeout | null = null;
    const socket: Socket = connect({ port, host: "127.0.0.1", noDelay: true });

    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const fail = (text: string) => {
      totals.mismatches++;
      if (mismatchText.length < 10) mismatchText.push(`client ${index} request ${done}: ${text}`);
    };

    const next = () => {
      if (done === requests) { finish(); return; }
      tid = (tid + 1) & 0xffff;
      const pick = rng.nextRange(0, 99);
      let unit = 5;
      let pdu: number[];
      let e: Omit<Expect, "tid" | "sentAt">;
      let kind: string;
      const readRange = (fc: number, u: number, base: (a: number) => number) => {
        const count = rng.nextRange(1, 40);
        const address = rng.nextRange(0, 149 - count);
        pdu = [fc, address >> 8, address & 0xff, 0, count];
        const regs: number[] = [];
        for (let i = 0; i < count; i++) regs.push(base(address + i));
        unit = u;
        return regs;
      };
      if (pick < 30) {
        kind = "read-holding";
        const u = rng.nextRange(0, 1) === 0 ? 5 : 6;
        e = { unit: u, fc: 3, exception: 0, registers: readRange(3, u, (a) => meter(u, a)), echo: null };
      } else if (pick < 50) {
        kind = "read-input-alias";
        e = { unit: 105, fc: 4, exception: 0, registers: readRange(4, 105, (a) => meter(5, a)), echo: null };
      } else if (pick < 62) {
        kind = "write-single";
        const k = rng.nextRange(0, 1);
        const v = rng.nextRange(0, 0xffff);
        ownValues[k] = v;
        pdu = [6, own[k] >> 8, own[k] & 0xff, v >> 8, v & 0xff];
        e = { unit: 5, fc: 6, exception: 0, registers: null, echo: pdu.slice() };
      } else if (pick < 70) {
        kind = "write-multiple";
        const a = rng.nextRange(0, 0xffff);
        const b = rng.nextRange(0, 0xffff);
        ownValues[0] = a;
        ownValues[1] = b;
        pdu = [0x10, own[0] >> 8, own[0] & 0xff, 0, 2, 4, a >> 8, a & 0xff, b >> 8, b & 0xff];
        e = { unit: 5, fc: 0x10, exception: 0, registers: null, echo: pdu.slice(0, 5) };
      } else if (pick < 82) {
        kind = "read-own";
        pdu = [3, own[0] >> 8, own[0] & 0xff, 0, 2];
        e = { unit: 5, fc: 3, exception: 0, registers: ownValues.slice(), echo: null };
      } else if (pick < 90) {
        kind = "read-local";
        e = { unit: 0, fc: 3, exception: 0, registers: readRange(3, 0, (a) => 0xa000 + a), echo: null };
      } else if (pick < 95) {
        kind = "exception-02";
        pdu = [3, 0, 190, 0, 20];
        e = { unit: 6, fc: 3, exception: 2, registers: null, echo: null };
        unit = 6;
      } else {
        kind = "unrouted-0A";
        pdu = [4, 0, 0, 0, 1];
        e = { unit: 250, fc: 4, exception: 0x0a, registers: null, echo: null };
        unit = 250;
      }
      totals.byKind[kind] = (totals.byKind[kind] ?? 0) + 1;
      const adu = Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, pdu!.length + 1, unit, ...pdu!]);
      expect = { ...e!, tid, sentAt: process.hrtime.bigint() };
      totals.sent++;
      // Sometimes split the request across two writes, to exercise reassembly.
      if (rng.nextRange(0, 9) === 0) {
        const cut = rng.nextRange(1, adu.length - 1);
        socket.write(adu.subarray(0, cut));
        setImmediate(() => socket.write(adu.subarray(cut)));
      } else socket.write(adu);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { totals.lost++; fail(`no response to transaction ${expect!.tid} within 10 s`); finish(); }, 10000);
    };

    const check = (r: Buffer) => {
      const x = expect!;
      expect = null;
      latencies.push(Number(process.hrtime.bigint() - x.sentAt) / 1000);
      totals.answered++;
      const rt = r.readUInt16BE(0);
      const ru = r[6];
      const fc = r[7];
      if (rt !== x.tid) return fail(`transaction id ${rt}, expected ${x.tid}`);
      if (r.readUInt16BE(2) !== 0) return fail("protocol id not 0");
      if (ru !== x.unit) return fail(`unit ${ru}, expected ${x.unit}`);
      if (x.exception !== 0) {
        totals.exceptions++;
        if (fc !== (x.fc | 0x80) || r[8] !== x.exception) return fail(`expected exception ${x.exception} to ${x.fc}, got ${r.subarray(7).toString("hex")}`);
        return;
      }
      if (fc !== x.fc) return fail(`function ${fc}, expected ${x.fc} (${r.subarray(7).toString("hex")})`);
      if (x.registers) {
        if (r[8] !== 2 * x.registers.length) return fail(`byte count ${r[8]}, expected ${2 * x.registers.length}`);
        for (let i = 0; i < x.registers.length; i++) {
          if (r.readUInt16BE(9 + 2 * i) !== x.registers[i]) return fail(`register ${i}: ${r.readUInt16BE(9 + 2 * i)}, expected ${x.registers[i]}`);
        }
      }
      if (x.echo && !r.subarray(7).equals(Buffer.from(x.echo))) return fail(`write answer ${r.subarray(7).toString("hex")}, expected ${Buffer.from(x.echo).toString("hex")}`);
    };

    socket.on("connect", next);
    socket.on("data", (chunk: Buffer) => {
      rx = rx.length ? Buffer.concat([rx, chunk]) : chunk;
      while (rx.length >= 7 && rx.length >= 6 + rx.readUInt16BE(4)) {
        const n = 6 + rx.readUInt16BE(4);
        const frame = rx.subarray(0, n);
        rx = rx.subarray(n);
        if (!expect) { fail(`unexpected response ${frame.toString("hex")}`); continue; }
        check(frame);
        done++;
        setImmediate(next);
      }
    });
    socket.on("error", (e) => { fail(`socket error ${e.message}`); });
    socket.on("close", () => {
      if (!finished && done < requests) { totals.lost += requests - done; fail(`connection closed after ${done} requests`); }
      finish();
    });
  });
}

const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]) : 0);
console.log(JSON.stringify({ ...totals, mismatchText, wallUs: Math.round(wallUs), p50Us: pct(0.5), p99Us: pct(0.99), maxUs: pct(1) }));
