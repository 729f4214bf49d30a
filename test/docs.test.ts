// docs/mqtt.md shows examples produced by the code; this fails when the page and the code drift apart.
import test from "ava";
import { readFileSync } from "node:fs";
import { docExamples } from "./harness/doc-examples";

test("docs/mqtt.md shows what the code produces", (t) => {
  const doc = readFileSync(new URL("../docs/mqtt.md", import.meta.url), "utf8");
  const examples = docExamples();
  for (const [name, text] of Object.entries(examples)) t.true(doc.includes(text), `docs/mqtt.md contains the current '${name}' example`);
});
