// The shape of one rc485 subcommand (see hosts/node/cli.ts).
export interface Command {
  /** One line for `rc485 --help`. */
  readonly summary: string;
  /** Runs with the arguments after the command name; resolves to the exit status (0 ok, 1 runtime fault, 2 bad usage). */
  run(args: string[]): Promise<number>;
}

/** A usage error: printed as one line, exit status 2. */
export class UsageError extends Error {}
