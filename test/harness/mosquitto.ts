// A real mosquitto broker on a loopback port for tests (Debian package mosquitto; design.md §7). Node only.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MOSQUITTO = "/usr/sbin/mosquitto";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: "127.0.0.1", port });
    c.once("connect", () => { c.destroy(); resolve(true); });
    c.once("error", () => resolve(false));
  });
}

export interface Broker {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Starts (or restarts) the broker; resolves when it accepts connections (bounded wait). */
  start(): Promise<void>;
  /** SIGTERM and wait for exit (the broker saves its persistence file on the way out); SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Stops and removes the temp directory; safe to call twice. */
  dispose(): Promise<void>;
  /** Freezes the broker (SIGSTOP): connections stay open, nothing is read or answered until resume() (SIGCONT). */
  pause(): void;
  resume(): void;
  log(): string;
}

/**
 * `extra` lines go into the listener's configuration (e.g. TLS files). Persistence is on (in a temp directory) so a
 * subscriber's persistent session survives a broker restart.
 */
export async function mosquitto(extra: string[] = [], port?: number): Promise<Broker> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "rc485-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [
    `listener ${p} 127.0.0.1`,
    ...extra,
    "allow_anonymous true",
    "persistence true",
    `persistence_location ${dir}/`,
    "autosave_interval 1",
    "user root",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "",
  ].join("\n"));
  let child: ChildProcess | null = null;
  let output = "";
  const broker: Broker = {
    port: p,
    url: `mqtt://127.0.0.1:${p}`,
    dir,
    async start() {
      if (child) return;
      const c = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
      child = c;
      c.stdout?.on("data", (d) => { output += d; });
      c.stderr?.on("data", (d) => { output += d; });
      c.once("exit", () => { if (child === c) child = null; });
      // Bounded by time, not by a count of tries: on a loaded machine each try can take long.
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        if (await canConnect(p)) return;
        if (!child) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`mosquitto did not start on port ${p}: ${output.slice(-500)}`);
    },
    async stop() {
      const c = child;
      if (!c) return;
      const exited = new Promise<void>((r) => c.once("exit", () => r()));
      c.kill("SIGTERM");
      const t = setTimeout(() => c.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
      child = null;
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async dispose() {
      child?.kill("SIGCONT");
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
  await broker.start();
  return broker;
}

/** Polls `cond` every 20 ms until it holds or `ms` pass (a hang guard: tests give loaded machines 30 s); returns whether it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
