import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { PROTOCOL_DIR } from "../../../src/protocol/schemas.ts";

/**
 * recipes/pipeline-acme.yaml as shipped, with its cpt stage's budget and cadence changed and a
 * single-threaded CPU runtime on every stage (bitwise-reproducible weights), as YAML text.
 * @example writeFileSync(file, pipelineRecipe({ cptSteps: 48, every: 4 }));
 */
export function pipelineRecipe(
  options: { cptSteps?: number; sftSteps?: number; every?: number; batch?: number; name?: string } = {},
): string {
  const doc = parseDocument(readFileSync(join(PROTOCOL_DIR, "..", "recipes", "pipeline-acme.yaml"), "utf8"));
  if (options.name) doc.set("name", options.name);
  for (const idx of [0, 1]) {
    doc.setIn(["stages", idx, "runtime"], { device: "cpu", threads: 1 });
    if (options.every) doc.setIn(["stages", idx, "checkpoint", "every_steps"], options.every);
    if (options.batch) doc.setIn(["stages", idx, "hyperparameters", "batch_size"], options.batch);
  }
  if (options.cptSteps) doc.setIn(["stages", 0, "hyperparameters", "budget", "steps"], options.cptSteps);
  if (options.sftSteps) doc.setIn(["stages", 1, "hyperparameters", "budget", "steps"], options.sftSteps);
  return doc.toString();
}
