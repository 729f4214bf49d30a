// Cross-check of the RTU fixture against a real peer: pymodbus 3.0.0 (Debian python3-pymodbus, /usr/bin/python3) encodes
// the same messages with its RTU framer; every fixture frame must match its pymodbus encoding byte for byte, and rc485
// must parse every pymodbus frame.
import test from "ava";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as rtu from "../modules/rtu/index";
import { fromHex } from "./harness/hex";
import { vectors } from "./portable/rtu/vectors";

const script = fileURLToPath(new URL("./peers/pymodbus-rtu-vectors.py", import.meta.url));

test("every fixture frame equals pymodbus's RTU encoding, and parses", (t) => {
  const lines = execFileSync("/usr/bin/python3", [script], { encoding: "utf8" }).trim().split("\n");
  const peer = new Map(lines.map((l) => l.split("\t") as [string, string]));
  t.is(peer.size, vectors.length);
  const view = new rtu.FrameView();
  for (const v of vectors) {
    const hex = peer.get(v.peer);
    t.is(hex, v.hex.replace(/ /g, ""), `${v.name} (pymodbus: ${v.peer})`);
    const f = fromHex(hex ?? "");
    t.is((v.direction === "request" ? rtu.parseRequest : rtu.parseResponse)(f, 0, f.length, view), rtu.FAULT_NONE, v.name);
  }
});
