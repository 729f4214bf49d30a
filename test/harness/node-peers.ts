// Real peers for the Node host tests: a socat pseudo-terminal pair, the pymodbus RTU slave of
// test/peers/pymodbus-rtu-slave.py on one end, and the rc485 command spawned as a process. Every wait is bounded and every
// child is killed by stop()/kill, whatever the test's outcome.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "bin/rc485.mjs");
const children = new Set<ChildProcess>();

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on("exit", () => children.delete(c));
  return c;
}

/** Kills every child this module started (call from test.after.always). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

export async function waitFor(cond: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  readonly dir: string;
  /** Kills socat (both ends vanish, as an unplugged adapter) and, with `restart`, makes the same links again. */
  unplug(): void;
  replug(): Promise<void>;
  stop(): void;
}

/** `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`, once both links exist. */
export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "rc485-pty-"));
  const a = join(dir, "A");
  const b = join(dir, "B");
  let c: ChildProcess;
  const start = async () => {
    c = track(spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" }));
    await waitFor(() => existsSync(a) && existsSync(b), 5000, "socat links");
  };
  await start();
  return {
    a, b, dir,
    unplug: () => { c.kill("SIGTERM"); },
    replug: async () => { await waitFor(() => c.exitCode !== null || c.signalCode !== null, 5000, "socat to exit"); await start(); },
    stop: () => { c.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** The pymodbus slave (unit 1) on `device`; resolves about 1 s after it says it is ready. */
export async function pymodbusSlave(device: string, baud = 9600, delayMs = 0, broadcast = false): Promise<{ stop(): void; output(): string }> {
  const args = [join(ROOT, "test/peers/pymodbus-rtu-slave.py"), device, String(baud), String(delayMs), ...(broadcast ? ["broadcast"] : [])];
  const c = track(spawn("/usr/bin/python3", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  c.stdout!.on("data", (d) => { out += String(d); });
  c.stderr!.on("data", (d) => { out += String(d); });
  await waitFor(() => out.includes("ready") || c.exitCode !== null, 10000, "pymodbus slave");
  if (c.exitCode !== null) throw new Error(`pymodbus slave exited: ${out}`);
  await new Promise((r) => setTimeout(r, 1000));
  return { stop: () => c.kill("SIGKILL"), output: () => out };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `rc485 ARGS` to completion (killed after limitMs). */
export function rc485(args: readonly string[], limitMs = 30000): Promise<Run> {
  return new Promise((resolve) => {
    const c = track(spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT }));
    let stdout = "";
    let stderr = "";
    c.stdout!.on("data", (d) => { stdout += String(d); });
    c.stderr!.on("data", (d) => { stderr += String(d); });
    const timer = setTimeout(() => c.kill("SIGKILL"), limitMs);
    c.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Starts `rc485 ARGS` in the background; the caller stops it. */
export function rc485Background(args: readonly string[]): { child: ChildProcess; stdout(): string; stderr(): string; stop(signal?: NodeJS.Signals): Promise<number | null> } {
  const c = track(spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT }));
  let stdout = "";
  let stderr = "";
  c.stdout!.on("data", (d) => { stdout += String(d); });
  c.stderr!.on("data", (d) => { stderr += String(d); });
  return {
    child: c,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: (signal = "SIGTERM") => new Promise((resolve) => {
      if (c.exitCode !== null) { resolve(c.exitCode); return; }
      const hard = setTimeout(() => c.kill("SIGKILL"), 5000);
      c.on("exit", (code) => { clearTimeout(hard); resolve(code); });
      c.kill(signal);
    }),
  };
}
