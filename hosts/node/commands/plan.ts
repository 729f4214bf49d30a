// `rc485 plan --site FILE [--json] [--profiles DIR]...`: checks a site file against the profiles and prints the poll plan
// (the block reads per meter and the bus time of one cycle). Bad usage or an invalid site/profile: one line per problem on
// stderr, exit status 2.
import { readSiteFile } from "../site-file";
import { planForSite } from "../../../modules/site/site";
import { UsageError, type Command } from "./command";
import { existsSync } from "node:fs";
import type { LearnedLimits } from "../../../modules/commissioning/learned-limits";
import { loadLearned } from "../learned-state";

const HELP = `usage: rc485 plan --site FILE [--learned STATE] [--json] [--profiles DIR]...

Prints the block reads rc485 makes per polling cycle for the meters of a site file, and their bus time.
  --site FILE      the site configuration (schemas/site.schema.json)
  --learned STATE  plan with the register caps learned by rc485 run --state STATE, and show what was learned
  --json           print the plan as JSON
  --profiles DIR   also load the meter profiles in DIR (repeatable; a later folder's profile overrides an earlier
                   or shipped one of the same id)`;

function parse(args: string[]): { site: string; json: boolean; dirs: string[]; help: boolean; learned?: string } {
  let site = "";
  let learned: string | undefined;
  let json = false;
  let help = false;
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") help = true;
    else if (a === "--json") json = true;
    else if (a === "--site" || a === "--profiles" || a === "--learned") {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--site") site = v; else if (a === "--learned") learned = v; else dirs.push(v);
    } else throw new UsageError(`unknown option ${a} (try rc485 plan --help)`);
  }
  if (!help && !site) throw new UsageError("--site FILE is required (try rc485 plan --help)");
  return { site, json, dirs, help, ...(learned !== undefined ? { learned } : {}) };
}

const command: Command = {
  summary: "print the poll plan (block reads per meter, bus time per cycle) of a site file",
  async run(args) {
    let opts;
    try { opts = parse(args); } catch (e) {
      if (e instanceof UsageError) { console.error(`rc485 plan: ${e.message}`); return 2; }
      throw e;
    }
    if (opts.help) { console.log(HELP); return 0; }
    const { site, errors } = readSiteFile(opts.site, opts.dirs);
    if (!site) { for (const e of errors) console.error(e); return 2; }
    let learned: LearnedLimits | null = null;
    if (opts.learned !== undefined) {
      if (!existsSync(opts.learned)) { console.error(`rc485 plan: ${opts.learned}: no such state file`); return 2; }
      try { learned = loadLearned(site, opts.learned); } catch (e) {
        if (e instanceof UsageError) { console.error(`rc485 plan: ${e.message}`); return 2; }
        throw e;
      }
    }
    let plan;
    try { plan = planForSite(site, learned !== null ? learned.cap : undefined); } catch (e) {
      if (e instanceof RangeError) { console.error(`${opts.site}: ${e.message}`); return 2; }
      throw e;
    }
    const names = site.meters.map((m) => m.name);
    if (opts.json) console.log(JSON.stringify(learned !== null ? { ...(plan.toJSON() as object), learned: learned.toJSON(names) } : plan.toJSON(), null, 2));
    else {
      console.log(plan.format());
      if (learned !== null) {
        console.log("learned (rc485 run --state):");
        site.meters.forEach((m, i) => {
          const l = learned!.meter(i);
          const cap = l.cap > 0 ? `cap ${l.cap} registers (profile ${m.profile.limits.maxRegisters})` : `cap ${m.profile.limits.maxRegisters} (the profile's)`;
          console.log(`  ${m.name}: ${cap}, timeout ${l.timeoutMs > 0 ? `${l.timeoutMs} ms` : "not learned"}, gap ${l.gapMs} ms`);
        });
      }
    }
    return 0;
  },
};
export default command;
