#!/usr/bin/env node
// The rc485 command: loads the TypeScript command line through tsx, so the same sources run without a build step.
import { register } from "tsx/esm/api";

register();
const { main, oneLine } = await import("../hosts/node/cli.ts");
// A fault in a callback after start-up (a timer, a socket) is one line and exit status 1, like every other error.
const fatal = (e) => {
  if (process.env.RC485_DEBUG) console.error(e);
  console.error(`rc485: internal error: ${oneLine(e)}`);
  process.exit(1);
};
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);
process.exitCode = await main(process.argv.slice(2));
