// Real Modbus TCP clients for the gateway tests: mbpoll and the pymodbus 3.0.0 client of
// test/peers/pymodbus-tcp-client.py, run as child processes with a time limit (killed when it passes, and by killClients()
// whatever the test's outcome). They run asynchronously: the gateway under test lives in the test's own event loop.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children = new Set<ChildProcess>();

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; SIGKILL after limitMs. */
export function run(command: string, args: readonly string[], limitMs = 20000): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    children.add(c);
    let stdout = "";
    let stderr = "";
    c.stdout!.on("data", (d) => { stdout += String(d); });
    c.stderr!.on("data", (d) => { stderr += String(d); });
    const timer = setTimeout(() => c.kill("SIGKILL"), limitMs);
    c.on("close", (code) => { clearTimeout(timer); children.delete(c); resolve({ code, stdout, stderr }); });
  });
}

/** Kills every client still running (call from test.after.always). */
export function killClients(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** `mbpoll -m tcp -p PORT ARGS 127.0.0.1 -1` (one poll); ARGS before the host, values to write after it. */
export function mbpoll(port: number, args: readonly string[], writeValues: readonly string[] = []): Promise<Run> {
  return run("mbpoll", ["-m", "tcp", "-p", String(port), "-o", "3", ...args, "127.0.0.1", ...(writeValues.length ? writeValues : ["-1"])]);
}

/** Values printed by mbpoll ("[ref]: value" lines), in order. */
export function mbpollValues(out: string): number[] {
  const values: number[] = [];
  for (const m of out.matchAll(/^\[\d+\]:\s+(-?\d+)/gm)) values.push(Number(m[1]));
  return values;
}

export type PyOp = ["rh" | "ri", number, number, number] | ["wr", number, number, number] | ["wm", number, number, number[]];
export type PyResult = { registers?: number[]; ok?: boolean; exception?: number; error?: string };

/** Runs the pymodbus TCP client over `ops`; resolves with its per-operation results, or { connect: false }. */
export async function pymodbus(port: number, ops: readonly PyOp[], limitMs = 30000): Promise<PyResult[] | { connect: false }> {
  const r = await run("/usr/bin/python3", [join(ROOT, "test/peers/pymodbus-tcp-client.py"), String(port), JSON.stringify(ops)], limitMs);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`pymodbus client printed no result (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}
