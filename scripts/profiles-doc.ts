// Regenerates the generated parts of docs/profiles.md (the catalogue) and docs/profile-points.md (the standard keys)
// from profiles/*.json and modules/concentrator/point-keys.ts: `npm run docs:profiles`. test/profile-catalogue.test.ts fails when
// the documents differ from what this writes.
import { readFileSync, writeFileSync } from "node:fs";
import { loadProfiles, PROFILES_DIR } from "../hosts/node/config";
import { catalogueMarkdown, pointKeysMarkdown, replaceBetween } from "../hosts/node/profile-catalogue";

const root = new URL("../", import.meta.url);
const { profiles, errors } = loadProfiles([PROFILES_DIR]);
if (errors.length > 0) { console.error(errors.join("\n")); process.exit(2); }
const edit = (file: string, name: string, body: string) => {
  const url = new URL(file, root);
  writeFileSync(url, replaceBetween(readFileSync(url, "utf8"), name, body));
};
edit("docs/profiles.md", "catalogue", catalogueMarkdown(profiles));
edit("docs/profile-points.md", "point-keys", pointKeysMarkdown());
console.log(`docs/profiles.md: ${profiles.length} profiles; docs/profile-points.md: keys written`);
