// The R/C repeater: cost per forwarded frame on both engines (XS computrons, Node ns, bytes allocated), and the Node-only
// reports: the paper's three layouts (Urrea & Morales 2019 §5, Tables 2–3), the noisy-segment target of issue 6, and the
// latency per hop. `npm run bench -- repeater`.
import { appendCrc } from "../modules/rtu/crc16";
import type { Rs485Port } from "../modules/port/contract";
import { Repeater } from "../modules/repeater/engine";
import { FecLinkCodec } from "../modules/repeater/link";
import { binomialFailure, measureLatency, paperTable, runPaper, runPair, type Topology } from "../hosts/sim/rc-paper";
import type { Bench, Report } from "./harness";

const CHAR = 521;
const line = { baud: 19200, framing: "8N1" as const };

function reply(regs: number): Uint8Array {
  const b = new Uint8Array(5 + 2 * regs);
  b[0] = 30;
  b[1] = 3;
  b[2] = 2 * regs;
  for (let i = 0; i < 2 * regs; i++) b[3 + i] = (i * 29 + 7) & 0xff;
  appendCrc(b, 0, 3 + 2 * regs);
  return b;
}

/** A repeater whose ports complete at once (the op plays the host: received → transmit → transmitted → service). */
function rig(): { r: Repeater; clock: { now: number } } {
  const clock = { now: 0 };
  const holder: { r: Repeater | null } = { r: null };
  const portA: Rs485Port = { transmit: () => {} };
  const portB: Rs485Port = { transmit: () => {} };
  const r = new Repeater({ nroots: 4, sideA: line, sideB: line, tickUs: 0 }, portA, portB);
  holder.r = r;
  return { r, clock };
}

/** Keeps the bench clock in V8's small-integer range (a host with a wrapping counter does the same), see Repeater.rebase. */
function tick(r: Repeater, clock: { now: number }): void {
  clock.now += 200000;
  if (clock.now > 500000000) {
    r.rebase(400000000);
    clock.now -= 400000000;
  }
}

function forwardAtoB(): () => unknown {
  const { r, clock } = rig();
  const f = reply(40);
  return () => {
    tick(r, clock);
    r.a.received(f, 0, f.length, clock.now);
    r.b.transmitted(clock.now + f.length * CHAR);
    r.service(r.nextDeadline());
    r.b.transmitted(clock.now + 60000);
    return r.nextDeadline();
  };
}

function forwardBtoA(errors: number): () => unknown {
  const { r, clock } = rig();
  const f = reply(40);
  const link = new FecLinkCodec(4, 1);
  const burst = new Uint8Array(link.maxBurstLength);
  const blen = link.writeBurst(f, 0, f.length, burst, 0);
  const bad = f.slice();
  if (errors > 0) bad[10] ^= 0x21;
  if (errors > 1) bad[60] ^= 0x80;
  return () => {
    tick(r, clock);
    r.b.received(bad, 0, bad.length, clock.now);
    r.b.received(burst, 0, blen, clock.now + 10000);
    r.a.transmitted(clock.now + 60000);
    return r.nextDeadline();
  };
}

export const benches: Bench[] = [
  { group: "repeater (85-byte reply)", name: "A→B: forward + encode and send its burst", units: 85, unitName: "byte", make: forwardAtoB },
  { group: "repeater (85-byte reply)", name: "B→A: clean frame forwarded, burst verified", units: 85, unitName: "byte", make: () => forwardBtoA(0) },
  { group: "repeater (85-byte reply)", name: "B→A: 2 bad bytes corrected, then forwarded", units: 85, unitName: "byte", make: () => forwardBtoA(2) },
];

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export const reports: Report[] = [
  {
    title: "R/C repeater: the paper's test layouts (1 h of polling, 3 meters, 40-register reads, 19200 8N1, 1% of characters hit on the noisy segment)",
    run() {
      const out: string[] = [];
      for (const topology of ["none", "test1", "test2"] as Topology[]) {
        const r = runPaper({ topology, seconds: 3600, characterErrorRate: 0.01, seed: 2019 });
        out.push(`**${topology}** (master response timeout ${(r.responseTimeoutUs / 1000).toFixed(0)} ms; ${pct(r.measuredCharacterErrorRate)} of characters on the noisy segment hit; meters acting on anything but their polls: ${r.meterExtraRequests})\n`);
        out.push(paperTable(r));
        if (topology === "test2") out.push(`\nbad chunks seen by the meters on the clean side: ${r.cleanSideBadFrames}`);
        for (const x of r.repeaters) {
          const c = x.counters;
          out.push(`\n${x.name}: BER estimate ${x.berEstimate.toExponential(2)}; B→A frames ${c["ba.framesReceived"]}, CRC failures ${c["ba.crcFailures"]}, corrected ${c["ba.framesCorrected"]} (${c["ba.bytesCorrected"]} bytes, ${c["ba.bitsCorrected"]} bits), uncorrectable ${c["ba.uncorrectable"]}, bursts missing ${c["ba.burstsMissing"]} / orphaned ${c["ba.burstsOrphaned"]}; A→B frames ${c["ab.framesForwarded"]}, bursts sent ${c["ab.burstsSent"]} / skipped ${c["ab.burstsSkipped"]}, dropped (queue full) ${c["ab.droppedBusy"] + c["ba.droppedBusy"]}`);
        }
        out.push("");
      }
      return out.join("\n");
    },
  },
  {
    title: "R/C repeater target: reads across a noisy segment at a byte error rate of 1e-2, nroots 4 (40 registers: the issue's 85-byte figures; 80 registers: its literal read)",
    run() {
      const n = 5000;
      const p = 0.01;
      // Theory for a frame of `len` bytes split into `depth` interleaved codewords: it fails when any codeword has more
      // than nroots/2 bad symbols (binomial per codeword, independent byte errors).
      const frameFailure = (len: number, depth: number): number => {
        let ok = 1;
        for (let j = 0; j < depth; j++) ok *= 1 - binomialFailure(Math.ceil((len - j) / depth), 4, p);
        return 1 - ok;
      };
      const rows = [
        "| read | reply bytes | layout | transactions | failed | measured | binomial theory | measured / theory |",
        "|---|--:|---|--:|--:|--:|--:|--:|",
      ];
      const notes: string[] = [];
      for (const [registers, interleave] of [[40, 1], [80, 1], [80, 2]] as const) {
        const reply = 5 + 2 * registers;
        const withRc = runPair({ withRc: true, transactions: n, byteErrorRate: p, seed: 11, registers, interleave });
        if (interleave === 1) {
          const without = runPair({ withRc: false, transactions: n, byteErrorRate: p, seed: 11, registers });
          const theoryPlain = 1 - Math.pow(1 - p, 8 + reply);
          rows.push(`| ${registers} registers | ${reply} | no R/C | ${without.transactions} | ${without.failed} | ${pct(without.failureRate)} | ${pct(theoryPlain)} | ${(without.failureRate / theoryPlain).toFixed(2)} |`);
          notes.push(`${registers} registers: measured byte error rate on the noisy segment ${without.measuredByteErrorRate.toExponential(2)}, RC1's own BER estimate ${withRc.repeater!.berEstimate.toExponential(2)}.`);
        }
        const theoryRc = 1 - (1 - frameFailure(8, interleave)) * (1 - frameFailure(reply, interleave));
        rows.push(`| ${registers} registers | ${reply} | R/C pair, interleave ${interleave} | ${withRc.transactions} | ${withRc.failed} | ${pct(withRc.failureRate)} | ${pct(theoryRc)} | ${(withRc.failureRate / theoryRc).toFixed(2)} |`);
      }
      return `${rows.join("\n")}\n\n${notes.join(" ")} ` +
        `Theory: a transaction fails when its 8-byte request or its reply has, in any of its codewords, more than nroots/2 = 2 bad symbols among the codeword's n + 4 (binomial); without R/C, when any byte is hit. ` +
        `Target (issue 6): measured ≤ 1.2 × theory.`;
    },
  },
  {
    title: "R/C repeater: the paper's test 2 layout with adaptive FEC (10 min of polling, 3 meters, 40-register reads, 19200 8N1; the paper's white noise, 1% of characters hit, and Gilbert–Elliott bursts of 0.5 ms mean, 20 per second, on the noisy segment; docs/fec.md §9.6)",
    run() {
      const out: string[] = [];
      const bursts = { burstsPerSecond: 20, burstUs: 500, burstShape: "exponential" as const };
      for (const [noiseName, noise] of [["white noise 1%", undefined], ["bursts 20/s", bursts]] as const) for (const adaptive of [false, true]) {
        const r = runPaper({ topology: "test2", seconds: 600, characterErrorRate: 0.01, seed: 2019, adaptive, noise });
        out.push(`**test2, ${noiseName}, ${adaptive ? "adaptive" : "fixed nroots 4"}** (master response timeout ${(r.responseTimeoutUs / 1000).toFixed(0)} ms; ${pct(r.measuredCharacterErrorRate)} of characters on the noisy segment hit; meters acting on anything but their polls: ${r.meterExtraRequests}; bad chunks seen by the meters on the clean side: ${r.cleanSideBadFrames})\n`);
        out.push(paperTable(r));
        for (const x of r.repeaters) {
          const c = x.counters;
          out.push(`\n${x.name}: B→A frames ${c["ba.framesReceived"]}, corrected ${c["ba.framesCorrected"]}, uncorrectable ${c["ba.uncorrectable"]}, bursts missing ${c["ba.burstsMissing"]} / orphaned ${c["ba.burstsOrphaned"]}; A→B bursts sent ${c["ab.burstsSent"]}; last burst sent nroots ${x.register[5]}, depth ${x.register[6]}; feedback sent 0x${x.register[7].toString(16)}, heard 0x${x.register[8].toString(16)}`);
        }
        out.push("");
      }
      return out.join("\n");
    },
  },
  {
    title: "R/C repeater latency per hop (19200 8N1, 1 ms host tick, 1% byte errors on the FEC segment)",
    run() {
      const out = ["| frame | repeater UART | hop | frames | air time µs | added µs (mean) | added µs (max) | target µs | added − air (max) |", "|---|---|---|--:|--:|--:|--:|--:|--:|"];
      for (const [frameLength, rcUart] of [[85, "ideal"], [8, "ideal"], [85, "esp32"], [255, "esp32"]] as const) {
        for (const r of measureLatency({ frames: 400, frameLength, byteErrorRate: 0.01, rcUart })) {
          out.push(`| ${frameLength} B | ${rcUart} | ${r.hop} | ${r.frames} | ${r.airUs} | ${r.meanUs} | ${r.maxUs} | ≤ ${r.targetUs} | ${r.maxUs - r.airUs} |`);
        }
      }
      return `${out.join("\n")}\n\nTargets (issue 6): clean ≤ air time + 1 character per hop; corrected ≤ air time + t3.5 + burst air time + 1 ms; with the ESP32 UART both plus its hand-over delay (4 characters, a property of the host).`;
    },
  },
];
