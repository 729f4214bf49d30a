/*
 * The rc485 command line. Each subcommand lives in its own file under hosts/node/commands/ and exports
 * `run(args): Promise<number>` plus a one-line `summary`. Exit status: 0 ok, 1 runtime fault, 2 bad usage or config.
 */
import type { Command } from "./commands/command";

const commands: Record<string, () => Promise<Command>> = {
  frame: async () => (await import("./commands/frame")).default,
  fec: async () => (await import("./commands/fec")).default,
  plan: async () => (await import("./commands/plan")).default,
  read: async () => (await import("./commands/read")).default,
  repeat: async () => (await import("./commands/repeat")).default,
  run: async () => (await import("./commands/run")).default,
  sim: async () => (await import("./commands/sim")).default,
};

function usage(): string {
  const lines = ["usage: rc485 <command> [options]   (rc485 <command> --help for details)", "", "commands:"];
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const lines = [usage()];
    for (const [n, load] of Object.entries(commands)) lines.push(`  ${n.padEnd(8)} ${(await load()).summary}`);
    console.log(lines.join("\n"));
    return name ? 0 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`rc485: unknown command '${name}' (try rc485 --help)`);
    return 2;
  }
  return (await load()).run(rest);
}
