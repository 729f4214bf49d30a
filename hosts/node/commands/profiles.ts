// `rc485 profiles [--profiles DIR]...` lists the meter profiles (model, maker, framing default, points);
// `rc485 profiles show NAME` prints one profile in full (serial defaults, limits, sources, every point with its register
// and the manual's own name). Unknown NAME: one line naming the known ids, exit status 2.
import { loadProfiles, profileFolders } from "../config";
import { profileDetail, profileList } from "../profile-catalogue";
import { parseOptions, withUsage } from "../options";
import { UsageError, type Command } from "./command";

const HELP = `usage: rc485 profiles [show NAME] [--json] [--profiles DIR]...

Lists the meter profiles rc485 knows (docs/profiles.md is the catalogue), or shows one.
  show NAME        one profile in full: serial defaults, limits, sources, every point (standard key, register, manual's name)
  --json           print the profile(s) as JSON (after checking: 0-based addresses, defaults filled in)
  --profiles DIR   also load the meter profiles in DIR (repeatable)`;

const command: Command = {
  summary: "list the meter profiles, or show one (rc485 profiles show NAME)",
  run: (args) => withUsage("profiles", async () => {
    const positional: string[] = [];
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "--profiles" && i + 1 < args.length) { rest.push(args[i], args[i + 1]); i++; }
      else if (args[i].startsWith("-")) rest.push(args[i]);
      else positional.push(args[i]);
    }
    const o = parseOptions("profiles", rest, { values: ["profiles"], flags: ["json"] });
    if (o.help) { console.log(HELP); return 0; }
    if (positional.length > 0 && (positional[0] !== "show" || positional.length !== 2)) {
      throw new UsageError(`expected 'show NAME' (got '${positional.join(" ")}'; try rc485 profiles --help)`);
    }
    const { profiles, errors } = loadProfiles(profileFolders(o.lists.profiles ?? []));
    if (errors.length > 0) { for (const e of errors) console.error(e); return 2; }
    if (positional.length === 0) {
      console.log(o.flags.json ? JSON.stringify(profiles, null, 2) : profileList(profiles));
      return 0;
    }
    const name = positional[1];
    const p = profiles.find((x) => x.id === name);
    if (!p) throw new UsageError(`unknown profile '${name}' (known: ${profiles.map((x) => x.id).sort().join(", ")})`);
    console.log(o.flags.json ? JSON.stringify(p, null, 2) : profileDetail(p));
    return 0;
  }),
};
export default command;
