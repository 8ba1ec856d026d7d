import type { ErrorObject } from "ajv/dist/2020.js";
import { schemaErrors } from "../protocol/validate.ts";
import { type RuleIssue, recipeStages } from "./recipe-rules.ts";

/**
 * Every schema problem of a recipe, each with its path segments and a fix. The recipe is checked
 * against the pipeline definition when it has `stages`, else against the single-stage one, so the
 * errors speak of the shape the user meant; inside a `oneOf` (budget, adapter) only the errors of
 * the branch that came closest are kept.
 * @example schemaIssues({ name: "x" }) // [{ at: ["stage"], message: "is missing", ... }, ...]
 */
export function schemaIssues(value: unknown): RuleIssue[] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return [
      {
        at: [],
        message: "a recipe is a mapping of fields (name, stage, base, data, ...)",
        fix: "Start from one of the examples in recipes/",
      },
    ];
  const definition = "stages" in value ? "pipeline" : "single";
  return closestBranches(schemaErrors("recipe", value, definition)).map(toIssue);
}

/**
 * Drops the errors of `oneOf` branches other than the closest one, and the `oneOf` error itself.
 * Ajv reports a `oneOf`'s branch errors just before the `oneOf` error, so they are gathered until it.
 */
function closestBranches(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  let pending: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword !== "oneOf") {
      (/\/oneOf\/\d+\//.test(e.schemaPath) ? pending : out).push(e);
      continue;
    }
    const mine = pending.filter((p) => p.schemaPath.startsWith(`${e.schemaPath}/`));
    pending = pending.filter((p) => !mine.includes(p));
    const branches = new Map<string, ErrorObject[]>();
    for (const p of mine) {
      const branch = p.schemaPath.slice(e.schemaPath.length + 1).split("/")[0]!;
      branches.set(branch, [...(branches.get(branch) ?? []), p]);
    }
    // a branch whose discriminating constant (adapter kind) failed is the wrong branch
    const score = (errs: ErrorObject[]) => (errs.some((x) => x.keyword === "const") ? 1000 : 0) + errs.length;
    const best = [...branches.values()].sort((a, b) => score(a) - score(b))[0];
    out.push(...(best ?? [e]));
  }
  return [...out, ...pending];
}

function segments(pointer: string): (string | number)[] {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function toIssue(e: ErrorObject): RuleIssue {
  const at = segments(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return {
        at: [...at, String(p.missingProperty)],
        message: `the required field ${p.missingProperty} is missing`,
        fix: `Add ${p.missingProperty} (see protocol/recipe.schema.json)`,
      };
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return {
        at: [...at, String(p.additionalProperty)],
        atKey: true,
        message: `unknown field ${p.additionalProperty}`,
        fix: `Remove it or fix its spelling; allowed here: ${allowed.join(", ")}`,
      };
    }
    case "enum":
      return {
        at,
        message: `is ${JSON.stringify(e.data)}, not one of ${(p.allowedValues as unknown[]).join(", ")}`,
        fix: hintFor(at) ?? `Use one of ${(p.allowedValues as unknown[]).join(", ")}`,
      };
    case "const":
      return { at, message: `must be ${JSON.stringify(p.allowedValue)}`, fix: `Set it to ${p.allowedValue}` };
    case "pattern":
      return {
        at,
        message: `does not match ${p.pattern}`,
        fix: hintFor(at) ?? `Write a value matching ${p.pattern}`,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        at,
        message: `must be ${p.comparison} ${p.limit}`,
        fix: `Use a value ${p.comparison} ${p.limit}`,
      };
    case "minItems":
      return { at, message: `needs at least ${p.limit} item(s)`, fix: `List at least ${p.limit}` };
    case "type":
      return { at, message: `must be a ${p.type}`, fix: `Write a ${p.type} here` };
    default:
      return {
        at,
        message: e.message ?? "is invalid",
        fix: "See protocol/recipe.schema.json for this field",
      };
  }
}

function hintFor(at: (string | number)[]): string | undefined {
  const last = at.at(-1);
  if (last === "dataset") return "Pin the version: NAME@vN, e.g. acme-handbook@v2";
  if (last === "name") return "Use lower-case letters, digits and '-', starting with a letter";
  if (last === "max_duration") return "Write a whole number and a unit s, m, h or d, e.g. 6h";
  if (last === "base") return "Name a registered checkpoint, e.g. nano@mid";
  if (last === "stage") return `Use a stage a recipe can run: ${recipeStages().join(", ")}`;
  return undefined;
}
