import { loadSchemaFiles } from "./schemas.ts";
import type { Stage } from "./types/stage.gen.ts";

export type { Stage } from "./types/stage.gen.ts";

interface StageSchema {
  enum: Stage[];
  $defs: { formats: { const: Record<Stage, string[]> } };
}

let schema: StageSchema | undefined;

function stageSchema(): StageSchema {
  schema ??= loadSchemaFiles().find((f) => f.name === "stage")!.schema as unknown as StageSchema;
  return schema;
}

/**
 * The training stages the trainer implements, in protocol/stage.schema.json's order: the one list
 * of them (the `Stage` type is generated from the same file).
 * @example stages()[0] // "cpt"
 */
export function stages(): readonly Stage[] {
  return stageSchema().enum;
}

/**
 * The record formats a stage trains on (protocol/stage.schema.json `$defs/formats`).
 * @example stageFormats("sft") // ["text", "chat"]
 */
export function stageFormats(stage: Stage): readonly string[] {
  return stageSchema().$defs.formats.const[stage];
}
