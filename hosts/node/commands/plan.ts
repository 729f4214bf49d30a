// `rc485 plan --site FILE [--json] [--profiles DIR]...`: checks a site file against the profiles and prints the poll plan
// (the block reads per meter and the bus time of one cycle). Bad usage or an invalid site/profile: one line per problem on
// stderr, exit status 2.
import { readSiteFile } from "../site-file";
import { planForSite } from "../../../modules/site";
import { UsageError, type Command } from "./command";

const HELP = `usage: rc485 plan --site FILE [--json] [--profiles DIR]...

Prints the block reads rc485 makes per polling cycle for the meters of a site file, and their bus time.
  --site FILE      the site configuration (schemas/site.schema.json)
  --json           print the plan as JSON
  --profiles DIR   also load the meter profiles in DIR (repeatable; a later folder's profile overrides an earlier
                   or shipped one of the same id)`;

function parse(args: string[]): { site: string; json: boolean; dirs: string[]; help: boolean } {
  let site = "";
  let json = false;
  let help = false;
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") help = true;
    else if (a === "--json") json = true;
    else if (a === "--site" || a === "--profiles") {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--site") site = v; else dirs.push(v);
    } else throw new UsageError(`unknown option ${a} (try rc485 plan --help)`);
  }
  if (!help && !site) throw new UsageError("--site FILE is required (try rc485 plan --help)");
  return { site, json, dirs, help };
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
    let plan;
    try { plan = planForSite(site); } catch (e) {
      if (e instanceof RangeError) { console.error(`${opts.site}: ${e.message}`); return 2; }
      throw e;
    }
    console.log(opts.json ? JSON.stringify(plan.toJSON(), null, 2) : plan.format());
    return 0;
  },
};
export default command;
