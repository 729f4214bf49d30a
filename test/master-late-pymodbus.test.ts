// Issue 20 item 1 against a real slave: pymodbus 3.0.0 (test/peers/pymodbus-faulty-slave.py) on one end of a socat
// pseudo-terminal pair answers some requests late (holding up the ones that arrive meanwhile) and some twice; rc485's
// serial host (hosts/node/serial-port.ts) and master on the other end poll it with reads of the same shape at different
// addresses, back to back. No OK result may carry a value other than the slave's value for the register asked for (the
// master before its reply windows delivered 3 wrong values in this run, e.g. input registers 0-1 as registers 10-11).
import test from "ava";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Master } from "../modules/master/engine";
import { COUNT_LATE, STATUS_OK } from "../modules/master/status";
import type { MasterResult } from "../modules/master/result";
import { SerialHost } from "../hosts/node/serial-port";
import { holdsOpen, killAll, ptyPair, ROOT, waitFor, type PtyPair } from "./harness/node-peers";

const READS: [number, number][] = [[3, 0], [3, 10], [3, 20], [3, 30], [4, 0], [4, 10]];
const value = (address: number) => 1000 + 7 * address;

let pty: PtyPair;
test.after.always(() => {
  pty?.stop();
  killAll();
});

test("a pymodbus slave answering late and twice: no wrong value delivered (same-shape reads, real serial line)", async (t) => {
  pty = await ptyPair();
  // Response timeout 200 ms, reply window 800 ms; late answers 250..400 ms, copies 20..100 ms after the first.
  const slave = spawn("/usr/bin/python3", [join(ROOT, "test/peers/pymodbus-faulty-slave.py"), pty.a, "9600", "7", "250", "400", "0.15", "0.2", "20", "100"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  slave.stdout.on("data", (d) => { out += String(d); });
  slave.stderr.on("data", (d) => { out += String(d); });
  const host = new SerialHost({ path: pty.b, baud: 9600, framing: "8N1" });
  try {
    // Serving once it holds the pty open ("ready" comes before its server opens the port); bounded wait.
    await waitFor(() => (out.includes("ready") && holdsOpen(slave.pid!, pty.a)) || slave.exitCode !== null, 30000, `pymodbus slave: ${out}`);
    const total = 120;
    let done = 0;
    let ok = 0;
    let wrong = 0;
    let firstWrong = "";
    let next = 0;
    let master: Master;
    const submit = () => {
      const [fc, address] = READS[next % READS.length];
      master.submitRead(1, fc, address, 2, next);
      next++;
    };
    master = new Master({ baud: 9600, retries: 1, responseTimeoutUs: 200000, replyWindowUs: 800000, offlineAfter: 0 }, host, {
      completed(r: MasterResult) {
        done++;
        if (r.status === STATUS_OK) {
          ok++;
          const address = READS[r.tag % READS.length][1];
          if (r.registerCount !== 2 || r.registers[0] !== value(address) || r.registers[1] !== value(address + 1)) {
            if (wrong++ === 0) firstWrong = `read ${r.tag} (fc ${r.functionCode} address ${address}) got [${r.registers[0]}, ${r.registers[1]}]`;
          }
        }
        if (next < total) submit();
      },
    });
    await host.open();
    host.attach(master, master);
    submit();
    host.poke();
    await waitFor(() => done >= total, 120000, `${total} transactions`);
    const late = out.split("\n").filter((l) => l === "late").length;
    const dups = out.split("\n").filter((l) => l === "dup").length;
    t.log(`${done} transactions, ${ok} OK, ${wrong} wrong; the slave answered ${late} late and ${dups} twice; the master dropped ${master.counter(1, COUNT_LATE)} late or repeated replies and held requests back ${(master.windowWaitUs / 1e6).toFixed(1)} s`);
    t.is(wrong, 0, firstWrong);
    t.true(late >= 8 && dups >= 10, `faults injected: ${late} late, ${dups} repeated`);
    t.true(ok >= 80, `${ok} OK of ${done}`);
  } finally {
    await host.close();
    slave.kill("SIGKILL");
  }
});
