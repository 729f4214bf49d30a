import { reports } from "./bench/repeater.bench";
import { runPaper, paperTable } from "./hosts/sim/rc-paper";
const r = runPaper({ topology: "test2", seconds: 3600, characterErrorRate: 0.01, seed: 2019 });
console.log(paperTable(r));
console.log("clean side bad", r.cleanSideBadFrames, "extra", r.meterExtraRequests, "timeout", r.responseTimeoutUs, r.measuredCharacterErrorRate);
for (const x of r.repeaters) { const c = x.counters; console.log(`\n${x.name}: BER estimate ${x.berEstimate.toExponential(2)}; B→A frames ${c["ba.framesReceived"]}, CRC failures ${c["ba.crcFailures"]}, corrected ${c["ba.framesCorrected"]} (${c["ba.bytesCorrected"]} bytes, ${c["ba.bitsCorrected"]} bits), uncorrectable ${c["ba.uncorrectable"]}, bursts missing ${c["ba.burstsMissing"]} / orphaned ${c["ba.burstsOrphaned"]}; A→B frames ${c["ab.framesForwarded"]}, bursts sent ${c["ab.burstsSent"]} / skipped ${c["ab.burstsSkipped"]}, dropped (queue full) ${c["ab.droppedBusy"] + c["ba.droppedBusy"]}`); }
console.log("\n=== 9.6 ===\n");
console.log(reports[2].run());
