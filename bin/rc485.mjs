#!/usr/bin/env node
// The rc485 command: loads the TypeScript command line through tsx, so the same sources run without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../hosts/node/cli.ts");
process.exitCode = await main(process.argv.slice(2));
