// Every shipped profile plus the test fixtures, through the same loader `rc485 run` uses; a profile that fails its check
// fails the test that loads it instead of being skipped.
import { fileURLToPath } from "node:url";
import type { Profile } from "../../modules/concentrator/profile";
import { loadProfiles } from "../../hosts/node/config";

export function allProfiles(): Profile[] {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const { profiles, errors } = loadProfiles([`${root}profiles`, `${root}test/fixtures/profiles`]);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return profiles;
}
