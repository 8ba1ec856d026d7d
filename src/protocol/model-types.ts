import { loadSchemaFiles } from "./schemas.ts";
import type { ModelType } from "./types/checkpoint-manifest.gen.ts";

export type { ModelType } from "./types/checkpoint-manifest.gen.ts";

let types: readonly ModelType[] | undefined;

/**
 * The Hugging Face model types the trainer loads and trains (protocol/checkpoint-manifest.schema.json
 * `$defs/model_type`): the one list of them; the trainer reads the same one
 * (`crucible_trainer.protocol.model_types`).
 * @example trainableModelTypes().includes("olmo2") // true
 */
export function trainableModelTypes(): readonly ModelType[] {
  types ??= (
    loadSchemaFiles().find((f) => f.name === "checkpoint-manifest")!.schema as unknown as {
      $defs: { model_type: { enum: ModelType[] } };
    }
  ).$defs.model_type.enum;
  return types;
}
