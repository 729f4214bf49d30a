// The R/C repeater over the simulator (Node only): the paper's layouts in short, the noisy-segment target, latency per hop,
// parity bursts never answered by a slave, robustness (noise bursts, collisions with fast slaves), and no allocation.
import test from "ava";
import fc from "fast-check";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { appendCrc, crc16 } from "../modules/rtu/crc16";
import { Master } from "../modules/master/engine";
import type { MasterResult } from "../modules/master/result";
import { Repeater } from "../modules/repeater/engine";
import { checkSlaveTurnaround, resolveRepeaterConfig } from "../modules/repeater/config";
import { FrameEndCandidates, plausibleFrameLength } from "../modules/repeater/frame-end";
import { burstLengthFor, FecLinkCodec } from "../modules/repeater/link";
import { DIRECTION_AB, DIRECTION_BA, STAT_BURSTS_MISSING, STAT_BURSTS_SENT, STAT_BURSTS_SKIPPED, STAT_FRAMES_CORRECTED, STAT_UNCORRECTABLE } from "../modules/repeater/stats";
import { FecTransmitter } from "../modules/fec/link";
import { binomialFailure, bitRateForByteRate, measureLatency, paperTable, runPaper, runPair } from "../hosts/sim/rc-paper";
import { FEEDBACK_CLEAN } from "../modules/fec/adapt";
import { Simulation } from "../hosts/sim/simulation";
import type { LinkStats } from "../modules/forwarding/status-json";

const line = { baud: 19200, framing: "8N1" as const };

test("paper, no R/C: every meter loses many replies to the noise", (t) => {
  const r = runPaper({ topology: "none", seconds: 120, characterErrorRate: 0.01, seed: 41 });
  t.log(paperTable(r));
  for (const row of r.rows) t.true(row.mer > 0.3, `meter ${row.unit} MER ${row.mer}`);
  t.is(r.meterExtraRequests, 0);
});

test("paper test 1 (R/C at the master and at meter 3, one shared noisy bus): meters 1–2 stay bad, meter 3 is clean", (t) => {
  const r = runPaper({ topology: "test1", seconds: 120, characterErrorRate: 0.01, seed: 42 });
  t.log(paperTable(r));
  const [m1, m2, m3] = r.rows;
  t.true(m1.mer > 0.3 && m2.mer > 0.3, `meters 1–2 MER ${m1.mer} ${m2.mer}`);
  t.true(m3.mer < 0.03, `meter 3 MER ${m3.mer}`);
  t.true(m3.timeouts / m3.polls < 0.15, `meter 3 timeouts ${m3.timeouts}/${m3.polls}`);
  t.true(m3.ok / m3.polls > 0.85);
  for (const x of r.repeaters) t.true(x.berEstimate > 3e-4 && x.berEstimate < 3e-3, `${x.name} BER estimate ${x.berEstimate}`);
  t.is(r.meterExtraRequests, 0, "no meter acted on a parity burst");
});

test("paper test 2 (the R/C pair isolates the noisy segment): all three meters clean", (t) => {
  const r = runPaper({ topology: "test2", seconds: 120, characterErrorRate: 0.01, seed: 43 });
  t.log(paperTable(r));
  const [m1, m2, m3] = r.rows;
  for (const m of [m1, m2]) {
    t.is(m.mer, 0, `meter ${m.unit} MER`);
    t.is(m.timeouts, 0, `meter ${m.unit} timeouts`);
  }
  t.true(m3.mer < 0.03, `meter 3 MER ${m3.mer}`);
  t.true(m3.ok / m3.polls > 0.85, `meter 3 good ${m3.ok}/${m3.polls}`);
  const rc2 = r.repeaters[1];
  t.true(rc2.counters["ba.framesCorrected"] > 0);
  t.true(rc2.berEstimate > 3e-4 && rc2.berEstimate < 3e-3, `rc2 BER estimate ${rc2.berEstimate}`);
  t.is(r.meterExtraRequests, 0);
  t.is(r.cleanSideBadFrames, 0, "nothing damaged reaches the clean side");
});

test("paper test 2 with adaptive FEC under burst noise: meter 3 protected, nothing spurious reaches the clean side", (t) => {
  // Gilbert–Elliott bursts of 0.5 ms mean (about one character at 19200 baud), 20 per second, also on the idle line.
  const noise = { burstsPerSecond: 20, burstUs: 500, burstShape: "exponential" as const };
  const fixed = runPaper({ topology: "test2", seconds: 120, characterErrorRate: 0, seed: 2019, noise });
  const r = runPaper({ topology: "test2", seconds: 120, characterErrorRate: 0, seed: 2019, noise, adaptive: true });
  t.log(paperTable(r));
  const [m1, m2, m3] = r.rows;
  for (const m of [m1, m2]) {
    t.is(m.ok, m.polls, `meter ${m.unit}: every poll answered`);
    t.is(m.mer, 0);
  }
  t.is(m3.mer, 0, "meter 3: nothing damaged handed to the master");
  t.true(m3.ok > fixed.rows[2].ok, `meter 3: adaptive ${m3.ok} vs fixed nroots 4 ${fixed.rows[2].ok} of ${m3.polls}`);
  t.true(m3.ok / m3.polls > 0.85, `meter 3 good ${m3.ok}/${m3.polls}`);
  t.true(r.repeaters.every((rc) => rc.register[5] > 4), "both stepped above the start setting");
  t.true(r.repeaters[0].counters["ba.burstsMissing"] > 100, "the idle-line noise was heard (and dropped)");
  t.is(r.cleanSideBadFrames, 0, "nothing spurious on the clean side");
  t.is(fixed.cleanSideBadFrames, 0);
  t.is(r.meterExtraRequests, 0);
});

test("target: 85-byte reads at byte error rate 1e-2 fail at most 1.2× the binomial theory through an R/C pair (vs >50% without)", (t) => {
  const p = 0.01;
  const withRc = runPair({ withRc: true, transactions: 1500, byteErrorRate: p, seed: 12 });
  const without = runPair({ withRc: false, transactions: 600, byteErrorRate: p, seed: 12 });
  const theory = 1 - (1 - binomialFailure(8, 4, p)) * (1 - binomialFailure(85, 4, p));
  t.log(`R/C ${withRc.failed}/${withRc.transactions} = ${withRc.failureRate}, theory ${theory}; plain ${without.failureRate}`);
  t.true(withRc.failureRate <= 1.2 * theory, `R/C failure ${withRc.failureRate} vs theory ${theory}`);
  t.true(withRc.failureRate >= 0.5 * theory, "the noise really is there");
  t.true(without.failureRate > 0.5, `plain failure ${without.failureRate}`);
});

test("latency per hop: clean ≤ air time + 1 character; corrected ≤ air time + t3.5 + burst air time + 1 ms", (t) => {
  const rows = measureLatency({ frames: 120, frameLength: 85, byteErrorRate: 0.01, seed: 9 });
  for (const r of rows) {
    t.log(`${r.hop}: ${r.frames} frames, max ${r.maxUs} µs, target ${r.targetUs} µs`);
    t.true(r.frames > 10, `${r.hop}: enough frames`);
    t.true(r.maxUs <= r.targetUs, `${r.hop}: ${r.maxUs} > ${r.targetUs}`);
  }
  t.true(rows[2].meanUs > rows[1].meanUs, "a corrected frame waits for its burst");
});

test("ESP32 UARTs (RX FIFO handed over after 4 characters or at 120 bytes): clean run loses nothing, noisy run stays near theory, latency adds only the hand-over", (t) => {
  const clean = runPair({ withRc: true, transactions: 300, byteErrorRate: 0, seed: 4, rcUart: "esp32" });
  t.is(clean.failed, 0);
  const noisy = runPair({ withRc: true, transactions: 800, byteErrorRate: 0.01, seed: 4, rcUart: "esp32" });
  t.log(`esp32 R/C failure ${noisy.failureRate}`);
  t.true(noisy.failureRate < 0.09 && noisy.failureRate > 0.03, `failure ${noisy.failureRate}`);
  // 255-byte frames: more than one FIFO-full hand-over per frame, and two codewords.
  for (const r of measureLatency({ frames: 40, frameLength: 255, byteErrorRate: 0.003, seed: 2, rcUart: "esp32" })) {
    t.true(r.frames > 5, `${r.hop}: ${r.frames} frames`);
    t.true(r.maxUs <= r.targetUs, `${r.hop}: ${r.maxUs} > ${r.targetUs}`);
  }
});

test("a parity burst never makes a slave answer, whatever its frame-end rule", (t) => {
  const sim = new Simulation({ seed: 3 });
  const a = sim.segment({ name: "a", ...line });
  const b = sim.segment({ name: "b", ...line });
  const host = sim.host({ name: "rc", ports: [{ segment: a }, { segment: b }], tick: 1000 });
  const config = { sideA: line, sideB: line, nroots: 8, interleave: 2 };
  const rc = new Repeater(config, host.port(0), host.port(1));
  host.attach(rc, [rc.a, rc.b]);
  // nroots 8 in two codewords: a 23-byte burst (12 ms) follows every request; slaves must not answer before it is over.
  t.not(checkSlaveTurnaround(resolveRepeaterConfig(config), 8, 12000, burstLengthFor), "", "12 ms is too quick for this burst");
  t.is(checkSlaveTurnaround(resolveRepeaterConfig(config), 8, 16000, burstLengthFor), "");
  const turnaroundUs: [number, number] = [16000, 25000];
  const meters = [
    sim.meter(b, { unit: 1, holding: [1, 2, 3, 4], turnaroundUs }),
    sim.meter(b, { unit: 2, holding: [5, 6, 7, 8], turnaroundUs, frameEnd: "length" }),
    sim.meter(b, { unit: 247, holding: [9], turnaroundUs, strictT15: false }),
  ];
  let done = 0;
  let ok = 0;
  const mh = sim.host({ name: "master", ports: [{ segment: a }], tick: 1000 });
  const master: Master = new Master({ baud: 19200, retries: 0, responseTimeoutUs: 200000 }, mh.port(0), {
    completed(res: MasterResult) {
      done++;
      if (res.status === 0) ok++;
      if (done < 200) master.submitRead(1 + (done % 2), 3, 0, 1 + (done % 4), 0);
    },
  });
  mh.attach(master);
  master.submitRead(1, 3, 0, 1, 0);
  sim.runUntilTrue(() => done >= 200, 200 * 1000000);
  t.is(done, 200);
  t.is(ok, 200, "clean line: every transaction succeeds");
  t.true(rc.stats.get(DIRECTION_AB, STAT_BURSTS_SENT) >= 200, "bursts went out");
  t.is(meters[0].counters.requests, 100);
  t.is(meters[1].counters.requests, 100);
  t.is(meters[0].counters.replies + meters[1].counters.replies, 200);
  t.is(meters[2].counters.requests, 0, "unit 247 never took a burst for a request");
  t.is(meters[2].counters.replies, 0);
});

test("frame-end candidates byte by byte agree with the length rule on any bytes (property)", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 260 }), (bytes) => {
      const ends = new FrameEndCandidates();
      for (let n = 1; n <= bytes.length; n++) if (ends.next(bytes[n - 1], n) !== plausibleFrameLength(bytes, 0, n)) return false;
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test("burst format: reserved first address and a failing Modbus CRC for any frame and settings (property)", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (frame, half, depth) => {
      const link = new FecLinkCodec(2 * half, depth);
      const out = new Uint8Array(link.maxBurstLength);
      const n = link.writeBurst(frame, 0, frame.length, out, 0);
      return out[0] >= 248 && crc16(out, 0, n) !== 0 && n === link.burstLength(out, 0, 3, 0);
    }),
    { numRuns: 300 },
  );
  // Adaptive (version 2, or feedback only after FEEDBACK_CLEAN): whatever feedback the chooser acted on and whatever strength it picked.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (frame, feedback, own) => {
      const link = new FecLinkCodec(4, 1, { adaptive: true });
      link.chooser.update(feedback);
      for (let i = 0; i < 8; i++) link.estimator.observe(100, own & 7, own >> 5);
      const out = new Uint8Array(link.maxBurstLength);
      const n = link.writeBurst(frame, 0, frame.length, out, 0);
      return n > 0 && out[0] >= 248 && ((out[1] >>> 6) === 2 || out[1] === 0xc0) && crc16(out, 0, n) !== 0 && n === link.burstLength(out, 0, 3, 0) &&
        n === link.burstLength(out, 0, 8, frame.length);
    }),
    { numRuns: 300 },
  );
  // Clean link (the peer reported FEEDBACK_CLEAN): no parity; the feedback-only bursts that still go out obey the same rule.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.integer({ min: 0, max: 255 }), (frame, own) => {
      const link = new FecLinkCodec(4, 1, { adaptive: true });
      link.chooser.update(FEEDBACK_CLEAN);
      for (let i = 0; i < 8; i++) link.estimator.observe(100, own & 7, own >> 5);
      const out = new Uint8Array(link.maxBurstLength);
      const n = link.writeBurst(frame, 0, frame.length, out, 0);
      return n === 10 && out[0] >= 248 && out[1] === 0xc0 && crc16(out, 0, n) !== 0 && n === link.burstLength(out, 0, 3, 0) &&
        n === link.burstLength(out, 0, 8, frame.length);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("adaptive FEC: the pair steps up under noise and repairs what a fixed nroots 4 cannot; a fixed peer (the paper's setting) still works", (t) => {
  const fixed = runPair({ withRc: true, transactions: 800, byteErrorRate: 0.01, seed: 11, registers: 80 });
  const adaptive = runPair({ withRc: true, transactions: 800, byteErrorRate: 0.01, seed: 11, registers: 80, adaptive: true, rc2: { adaptive: true } });
  t.log(`165-byte replies at byte error rate 1e-2: fixed nroots 4 ${fixed.failureRate}, adaptive ${adaptive.failureRate}`);
  t.true(fixed.failureRate > 0.15, `fixed ${fixed.failureRate}`);
  t.true(adaptive.failureRate < 0.02, `adaptive ${adaptive.failureRate}`);
  const [rc1, rc2] = adaptive.engines;
  t.true(rc2.stats.txNroots * rc2.stats.txDepth > 4, `RC2 stepped up to ${rc2.stats.txNroots}/${rc2.stats.txDepth}`);
  t.true(rc1.stats.feedbackHeard >>> 3 > 0 && rc2.stats.feedbackHeard >>> 3 > 0, "each heard the other's feedback");
  t.is(rc1.stats.register(4), 1);
  // Against a fixed peer at the paper's nroots 2: no feedback comes back, the adaptive side steers by its own estimate,
  // and the fixed side's version-1 bursts are still understood.
  const mixed = runPair({ withRc: true, transactions: 500, byteErrorRate: 0.01, seed: 12, registers: 40, nroots: 2, rc2: { adaptive: true, nroots: 4 } });
  const [f1, a2] = mixed.engines;
  t.true(mixed.failureRate < 0.03, `mixed ${mixed.failureRate}`);
  t.is(f1.stats.register(4), 0);
  t.true(a2.stats.txNroots > 2, "the adaptive side protects its replies");
  t.true(f1.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED) > 0, "the fixed side repairs from version-2 bursts");
  t.true(a2.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED) > 0, "the adaptive side repairs from version-1 bursts");
});

test("adaptive FEC on a clean link: no parity once each side reported the link clean, at most 2 added bytes per frame", (t) => {
  // targetFer 1e-2: the link counts as clean after 100 frames in a row without a bad character.
  const r = runPair({ withRc: true, transactions: 400, byteErrorRate: 0, seed: 13, registers: 40, adaptive: true, rc2: { adaptive: true }, targetFer: 1e-2, countFrom: 200 });
  t.is(r.failed, 0);
  for (const rc of r.engines) {
    t.is(rc.stats.txNroots, 0, "no parity");
    t.is(rc.stats.feedbackHeard, FEEDBACK_CLEAN);
  }
  // Each transaction is an 8-byte request and an 85-byte reply on the FEC segment; what the repeaters add on top of them
  // (feedback-only bursts once per 64 frames) stays within the paper's 2 characters per frame.
  const added = r.noisyCharacters / r.countedTransactions - (8 + 85);
  t.log(`clean link: ${added.toFixed(2)} characters added per transaction (two frames)`);
  t.true(added >= 0 && added <= 4, `added ${added}`);
  // Noise comes back: the first damaged frames go unrepaired, then the feedback brings the parity back.
  const noisy = runPair({ withRc: true, transactions: 600, byteErrorRate: 0, seed: 14, registers: 40, adaptive: true, rc2: { adaptive: true }, targetFer: 1e-2,
    noise: { bitErrorRate: bitRateForByteRate(1e-2) }, countFrom: 100 });
  t.true(noisy.engines.every((rc) => rc.stats.txNroots > 0), "parity under noise");
});

test("adaptive FEC against a fixed peer on a clean link: the fixed peer keeps getting parity (never a clean report from silence)", (t) => {
  const r = runPair({ withRc: true, transactions: 300, byteErrorRate: 0, seed: 15, registers: 40, nroots: 2, rc2: { adaptive: true, nroots: 4 }, targetFer: 1e-2 });
  t.is(r.failed, 0);
  const [fixed, adaptive] = r.engines;
  t.is(fixed.stats.txNroots, 2);
  t.is(adaptive.stats.txNroots, 2, "the weakest setting against a fixed peer is the paper's");
});

test("robustness: noise bursts longer than the code corrects, spurious characters and fast slaves colliding with bursts", (t) => {
  const sim = new Simulation({ seed: 8, traceCapacity: 16 });
  const m = sim.segment({ name: "m", ...line });
  // Bursts of 12 characters (far beyond 2 correctable bytes), 3 per second, and stray characters on the idle line.
  const noisy = sim.segment({ name: "noisy", ...line, noise: { burstsPerSecond: 3, burstUs: 12 * 521, spuriousPerSecond: 2, bitErrorRate: 2e-4 } });
  const s = sim.segment({ name: "s", ...line });
  const rcs: Repeater[] = [];
  for (const [name, segA] of [["rc1", m], ["rc2", s]] as const) {
    const host = sim.host({ name, ports: [{ segment: segA }, { segment: noisy }], tick: 1000 });
    const r = new Repeater({ sideA: line, sideB: line }, host.port(0), host.port(1));
    host.attach(r, [r.a, r.b]);
    rcs.push(r);
  }
  sim.meter(s, { unit: 3, holding: new Array(40).fill(7), turnaroundUs: [10000, 20000] });
  // A slave on the FEC segment that answers 0–1 ms after the request: it starts while RC1's burst is due.
  const fast = sim.meter(noisy, { unit: 4, holding: [1, 2], turnaroundUs: [0, 1000] });
  let done = 0;
  const ok = [0, 0];
  const mh = sim.host({ name: "master", ports: [{ segment: m }], tick: 1000 });
  const master: Master = new Master({ baud: 19200, retries: 0, responseTimeoutUs: 300000 }, mh.port(0), {
    completed(res: MasterResult) {
      done++;
      if (res.status === 0) ok[res.unit === 3 ? 0 : 1]++;
      if (done < 600) master.submitRead(done % 3 === 0 ? 4 : 3, 3, 0, done % 3 === 0 ? 2 : 40, 0);
    },
  });
  mh.attach(master);
  master.submitRead(3, 3, 0, 40, 0);
  sim.runUntilTrue(() => done >= 600, 600 * 2000000);
  t.is(done, 600, "the site kept running");
  const rc1 = rcs[0];
  t.log(JSON.stringify({ ok, fast: fast.counters.replies, skipped: rc1.stats.get(DIRECTION_AB, STAT_BURSTS_SKIPPED), uncorrectable: rc1.stats.get(DIRECTION_BA, STAT_UNCORRECTABLE), corrected: rc1.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED), noise: sim.counters()["segment noisy"] }));
  t.true(rc1.stats.get(DIRECTION_BA, STAT_UNCORRECTABLE) > 0, "some bursts were beyond repair");
  const link: LinkStats = rc1.stats.linkStats("noisy"); // the status API's shape (type-checked here)
  t.is(link.corrected, rc1.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED));
  t.true(rc1.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED) > 0, "others were repaired");
  t.true(rc1.stats.get(DIRECTION_AB, STAT_BURSTS_SKIPPED) > 0, "bursts skipped when the fast slave was already answering");
  // A 12-character burst hits roughly a third of the 150 ms transactions; the rest must go through.
  t.true(ok[0] / 400 > 0.5, `meter 3 good replies ${ok[0]}/400`);
  t.true(ok[1] / 200 > 0.5, `fast slave good replies ${ok[1]}/200`);
});

for (const mode of ["fixed", "adaptive", "clean"] as const) test(`no allocation in steady state: forwarding frames both ways, ${mode === "clean" ? "adaptive on a clean link: frames without parity, feedback-only bursts, bad frames without a burst" : `with and without correction${mode === "adaptive" ? " (adaptive: feedback changing every frame)" : ""}`}`, (t) => {
  const adaptive = mode !== "fixed";
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const f = new Uint8Array(85);
  f[0] = 30;
  f[1] = 3;
  f[2] = 80;
  for (let i = 3; i < 83; i++) f[i] = (i * 29 + 7) & 0xff;
  appendCrc(f, 0, 83);
  const link = new FecLinkCodec(4, 1, { adaptive });
  const burst = new Uint8Array(link.maxBurstLength), burst2 = new Uint8Array(link.maxBurstLength);
  for (let i = 0; i < 20; i++) link.estimator.observe(200, 3, 2);
  const blen = link.writeBurst(f, 0, f.length, burst, 0);
  for (let i = 0; i < 200; i++) link.estimator.observe(200, 0, 0);
  let blen2 = link.writeBurst(f, 0, f.length, burst2, 0);
  if (mode === "clean") blen2 = new FecTransmitter().encodeFeedbackOnly(f.length, FEEDBACK_CLEAN, burst2, 0);
  const bad = f.slice();
  bad[20] ^= 0x11;
  bad[70] ^= 0x02;
  const r = new Repeater({ sideA: line, sideB: line, tickUs: 1000, unitId: 9, adaptive }, { transmit() {} }, { transmit() {} });
  let now = 0;
  const op = (k: number) => {
    now += 200000;
    if (now > 500000000) {
      r.rebase(400000000);
      now -= 400000000;
    }
    r.a.received(f, 0, f.length, now);
    r.b.transmitted(now + 45000);
    r.service(r.nextDeadline());
    r.b.transmitted(now + 60000);
    const frame = k & 1 ? bad : f;
    r.b.received(frame, 0, frame.length, now + 100000);
    if (mode === "clean") {
      if ((k & 6) === 0) r.b.received(burst2, 0, blen2, now + 110000);
    } else if (adaptive && (k & 2) !== 0) r.b.received(burst2, 0, blen2, now + 110000);
    else r.b.received(burst, 0, blen, now + 110000);
    r.service(r.nextDeadline());
    r.a.transmitted(now + 150000);
  };
  for (let k = 0; k < 20000; k++) op(k);
  const perChunk: number[] = [];
  for (let c = 0; c < 15; c++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 2000; k++) op(k);
    perChunk.push((process.memoryUsage().heapUsed - before) / 2000);
  }
  perChunk.sort((x, y) => x - y);
  const median = perChunk[7];
  t.log(`bytes per round trip (median of 15 chunks): ${median.toFixed(2)}`);
  if (mode === "clean") {
    t.is(r.stats.txNroots, 0, "the peer's clean report: no parity");
    t.true(r.stats.get(DIRECTION_BA, STAT_BURSTS_MISSING) >= 15000, `bad frames without a burst: ${r.stats.get(DIRECTION_BA, STAT_BURSTS_MISSING)}`);
  } else t.true(r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED) >= 25000, `the corrected path ran: ${r.stats.get(DIRECTION_BA, STAT_FRAMES_CORRECTED)}`);
  t.true(median < 1, `allocates ${median} bytes per forwarded frame pair`);
});
