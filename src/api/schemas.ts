import type { JsonSchema } from "./route.ts";

/** Small JSON Schema builders for route bodies and responses (they also feed /openapi.json). */
export const str = (extra: JsonSchema = {}): JsonSchema => ({ type: "string", ...extra });
export const int = (extra: JsonSchema = {}): JsonSchema => ({ type: "integer", ...extra });
export const bool: JsonSchema = { type: "boolean" };

/** An object with every listed property required, and nothing else allowed. */
export function obj(
  required: Record<string, JsonSchema>,
  optional: Record<string, JsonSchema> = {},
): JsonSchema {
  return {
    type: "object",
    additionalProperties: false,
    required: Object.keys(required),
    properties: { ...required, ...optional },
  };
}

export const arr = (items: JsonSchema): JsonSchema => ({ type: "array", items });

export const NAME = str({ pattern: "^[a-z][a-z0-9-]{1,62}$" });
export const ROLE = str({
  enum: ["admin", "data-steward", "ml-engineer", "model-approver", "deployer", "auditor"],
});
export const DURATION_S = int({ minimum: 0, maximum: 10 * 365 * 86400 });
