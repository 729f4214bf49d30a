/*
 * The rc485 command line. Each subcommand lives in its own file under hosts/node/commands/ and exports
 * `run(args): Promise<number>` plus a one-line `summary`. Exit status: 0 ok, 1 runtime fault, 2 bad usage or config;
 * a missing command (or subcommand) is bad usage: the usage text goes to stderr with status 2, while --help prints it to
 * stdout with status 0. `--version` prints the version of package.json.
 */
import { readFileSync } from "node:fs";
import type { Command } from "./commands/command";

const commands: Record<string, () => Promise<Command>> = {
  frame: async () => (await import("./commands/frame")).default,
  fec: async () => (await import("./commands/fec")).default,
  plan: async () => (await import("./commands/plan")).default,
  profiles: async () => (await import("./commands/profiles")).default,
  read: async () => (await import("./commands/read")).default,
  repeat: async () => (await import("./commands/repeat")).default,
  run: async () => (await import("./commands/run")).default,
  sim: async () => (await import("./commands/sim")).default,
};

/** The version in package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

async function usage(): Promise<string> {
  const lines = ["usage: rc485 <command> [options]   (rc485 <command> --help for details; rc485 --version)", "", "commands:"];
  for (const [n, load] of Object.entries(commands)) lines.push(`  ${n.padEnd(8)} ${(await load()).summary}`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(await usage());
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`rc485 ${version()}`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`rc485: unknown command '${name}' (try rc485 --help)`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (e) {
    // Every bad input has its own one-line message; anything that still escapes is reported the same way, never as a
    // stack trace (RC485_DEBUG=1 shows it).
    if (process.env.RC485_DEBUG) console.error(e);
    console.error(`rc485 ${name}: internal error: ${oneLine(e)}`);
    return 1;
  }
}

/** The first line of an error's message. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return text.split("\n")[0].slice(0, 300);
}
