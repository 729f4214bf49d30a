// Real peers for the Node host tests: a socat pseudo-terminal pair, the pymodbus RTU slave of
// test/peers/pymodbus-rtu-slave.py on one end, and the rc485 command spawned as a process. Every wait is bounded and every
// child is killed by stop()/kill, whatever the test's outcome.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
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

/** waitFor with a condition that has to ask (an HTTP request); polled every 100 ms, the limit only a hang guard. */
export async function waitForAsync(cond: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether process `pid` has `device` (a path or a link to it) open: a serial peer is serving once it holds the port. */
export function holdsOpen(pid: number, device: string): boolean {
  try {
    const target = realpathSync(device);
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try { if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true; } catch { /* closed meanwhile */ }
    }
  } catch { /* the process or the device is gone */ }
  return false;
}

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  readonly dir: string;
  /** Kills socat (both ends vanish, as an unplugged adapter) and, with `restart`, makes the same links again. */
  unplug(): void;
  replug(): Promise<void>;
  stop(): void;
  /** socat's state for a failure message: running, or how it ended and what it printed. */
  status(): string;
}

/** `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`, once both links exist. */
export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "rc485-pty-"));
  const a = join(dir, "A");
  const b = join(dir, "B");
  let c: ChildProcess;
  let said = "";
  const start = async () => {
    const s = track(spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] }));
    c = s;
    s.stderr!.on("data", (d) => { said += String(d); });
    await waitFor(() => (existsSync(a) && existsSync(b)) || s.exitCode !== null, 30000, "socat links");
    if (s.exitCode !== null) throw new Error(`socat exited ${s.exitCode}: ${said}`);
  };
  await start();
  return {
    a, b, dir,
    unplug: () => { c.kill("SIGTERM"); },
    replug: async () => { await waitFor(() => c.exitCode !== null || c.signalCode !== null, 5000, "socat to exit"); await start(); },
    stop: () => { c.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); },
    status: () => `socat ${c.exitCode === null && c.signalCode === null ? "running" : `ended (${c.exitCode ?? c.signalCode})`}; links ${existsSync(a) ? "A" : "-"}${existsSync(b) ? "B" : "-"}${said ? `; socat said: ${said.trim()}` : ""}`,
  };
}

/**
 * The pymodbus slave (unit 1) on `device`; resolves once the slave holds the device open (it prints "ready" before its
 * server opens the port; from the open on, a request waits in the pty until the server reads it), however long a loaded
 * machine takes to get there (bounded: 30 s).
 */
export async function pymodbusSlave(device: string, baud = 9600, delayMs = 0, broadcast = false): Promise<{ stop(): void; output(): string }> {
  const args = [join(ROOT, "test/peers/pymodbus-rtu-slave.py"), device, String(baud), String(delayMs), ...(broadcast ? ["broadcast"] : [])];
  const c = track(spawn("/usr/bin/python3", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  c.stdout!.on("data", (d) => { out += String(d); });
  c.stderr!.on("data", (d) => { out += String(d); });
  await waitFor(() => (out.includes("ready") && holdsOpen(c.pid!, device)) || c.exitCode !== null, 30000, `pymodbus slave to open ${device}`);
  if (c.exitCode !== null) throw new Error(`pymodbus slave exited: ${out}`);
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
    // A clean stop drains and closes (up to a few seconds on a loaded machine); SIGKILL after 20 s is only a hang guard.
    stop: (signal = "SIGTERM") => new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) { resolve(c.exitCode); return; }
      const hard = setTimeout(() => c.kill("SIGKILL"), 20000);
      c.on("exit", (code) => { clearTimeout(hard); resolve(code); });
      c.kill(signal);
    }),
  };
}

/** The status page's base URL from `rc485 run`'s start line ("… meter on …; status page http://127.0.0.1:PORT/"). */
export function statusUrl(stderr: string): string | null {
  return /status page (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1] ?? null;
}

/** GET a JSON document, or null while it cannot be had (not listening yet, stopping). */
export async function getJson(url: string): Promise<any> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10000) });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

/** One meter of the status page's /api/meters document (the fields the tests wait on). */
export interface MeterStatus { name: string; online: boolean; readings: number; polls: number; failures: number; consecutiveFailures: number; faults: Record<string, number> }

/**
 * `rc485 run ARGS --http-port 0` until `done` holds for the meters of its status page (/api/meters), then SIGTERM: the
 * summary it prints covers as much polling as the test needs, however slowly a loaded machine gets there, instead of a
 * fixed `--duration` of wall-clock time. `limitMs` is only a hang guard: if `done` never holds the run is stopped all
 * the same, and the caller's assertions on the summary say what was missing.
 */
export async function rc485RunUntil(args: readonly string[], done: (meters: MeterStatus[]) => boolean, limitMs = 90000): Promise<Run & { reached: boolean }> {
  const run = rc485Background([...args, "--http-port", "0"]);
  const end = Date.now() + limitMs;
  let reached = false;
  while (Date.now() < end && run.child.exitCode === null) {
    const url = statusUrl(run.stderr());
    const doc = url ? await getJson(`${url}api/meters`) : null;
    if (doc && done(doc.meters as MeterStatus[])) { reached = true; break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  const code = await run.stop("SIGTERM");
  await new Promise<void>((r) => { if (run.child.stdout!.readableEnded) r(); else run.child.stdout!.once("end", () => r()); });
  return { code, stdout: run.stdout(), stderr: run.stderr(), reached };
}
