import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { digestOf } from "../core/digest.ts";
import { CrucibleError } from "../core/errors.ts";
import type { Purpose } from "../data/service/refs.ts";
import type { Stage } from "../protocol/stages.ts";
import type { Checkpoint, Hyperparameters, Recipe, Runtime } from "../protocol/types/recipe.gen.ts";
import { durationSeconds, purposeOf, type RuleIssue, semanticIssues, stagesOf } from "./recipe-rules.ts";
import { schemaIssues } from "./recipe-schema.ts";

/** One problem of a recipe, with where it is in the file (when it came from a file) and the fix. */
export interface RecipeIssue {
  /** JSON path into the recipe, e.g. `$.stages[0].data[1].share`. */
  path: string;
  /** 1-based line and column in the YAML text. */
  line?: number;
  column?: number;
  message: string;
  fix: string;
}

/** One stage, resolved from the recipe: what a run_stages row and its job are built from. */
export interface StagePlan {
  idx: number;
  stage: Stage;
  /** The purpose each dataset version must be approved for. */
  purpose: Purpose;
  /** The checkpoint the recipe names; absent: the previous stage's final checkpoint. */
  base?: string;
  sources: { name: string; version: number; share: number }[];
  hyperparameters: Hyperparameters;
  seed: number;
  checkpoint: Checkpoint;
  runtime?: Runtime;
}

/** A recipe that passed every check. */
export interface RecipePlan {
  name: string;
  recipe: Recipe;
  /** SHA-256 of the recipe's canonical JSON: what the run and its checkpoints record. */
  digest: string;
  maxDurationS: number;
  stages: StagePlan[];
}

/**
 * Parses a recipe (YAML, or JSON, which is YAML) and checks it against protocol/recipe.schema.json
 * and the rules a schema cannot say. Every problem is reported at once, each with its YAML path,
 * line:column and fix, in one `invalid_argument` error whose `issues` list them.
 * @example const plan = parseRecipe(readFileSync("recipes/pipeline-acme.yaml", "utf8"), "recipes/pipeline-acme.yaml");
 */
export function parseRecipe(text: string, source = "recipe"): RecipePlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return {
        path: "$",
        line: pos.line,
        column: pos.col,
        message: `YAML: ${e.message.split("\n")[0]}`,
        fix: "Fix the YAML syntax at this place (indentation, quoting, a missing ':' or bracket)",
      };
    });
    throw recipeError(source, issues);
  }
  const value: unknown = doc.toJS();
  const place = (issue: RuleIssue): RecipeIssue => {
    const offset = offsetOf(doc.contents, issue.at, issue.atKey === true);
    const pos = offset === undefined ? undefined : lines.linePos(offset);
    return {
      path: pathText(issue.at),
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      message: issue.message,
      fix: issue.fix,
    };
  };
  return checkRecipe(value, source, place);
}

/**
 * Checks a recipe that arrives as a value (an API body) rather than a file: the same checks, no
 * line numbers.
 * @example const plan = checkRecipe(body.recipe);
 */
export function checkRecipe(
  value: unknown,
  source = "recipe",
  place: (issue: RuleIssue) => RecipeIssue = (issue) => ({
    path: pathText(issue.at),
    message: issue.message,
    fix: issue.fix,
  }),
): RecipePlan {
  const schema = schemaIssues(value);
  const rules = typeof value === "object" && value !== null ? semanticIssues(value as Recipe) : [];
  const issues = [...schema, ...rules]
    .map(place)
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (issues.length > 0) throw recipeError(source, issues);
  const recipe = value as Recipe;
  return {
    name: recipe.name,
    recipe,
    digest: digestOf(recipe),
    maxDurationS: durationSeconds(recipe.max_duration),
    stages: stagesOf(recipe).map(({ stage }, idx) => ({
      idx,
      stage: stage.stage,
      purpose: purposeOf(stage.stage)!, // semanticIssues refused a stage no dataset can be approved for
      ...(stage.base !== undefined ? { base: stage.base } : {}),
      sources: stage.data.map((s) => {
        const [name, version] = s.dataset.split("@v");
        return { name: name!, version: Number(version), share: s.share };
      }),
      hyperparameters: stage.hyperparameters,
      seed: stage.seed ?? 0,
      checkpoint: stage.checkpoint,
      ...(stage.runtime ? { runtime: stage.runtime } : {}),
    })),
  };
}

function recipeError(source: string, issues: RecipeIssue[]): CrucibleError {
  const where = (i: RecipeIssue) => (i.line ? `${i.line}:${i.column} ` : "");
  const list = issues.map((i) => `\n  ${where(i)}${i.path}: ${i.message}. Fix: ${i.fix}`).join("");
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  // each issue carries its own fix; protocol/recipe.schema.json describes every field
  return new CrucibleError("invalid_argument", `the recipe has ${count}:${list}`, { field: source, issues });
}

/** `$.stages[0].data[1]` from path segments. */
export function pathText(at: readonly (string | number)[]): string {
  return `$${at.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("")}`;
}

/** The source offset of the node at `at`, or of the deepest node on the way that exists. */
function offsetOf(root: Node | null, at: readonly (string | number)[], atKey: boolean): number | undefined {
  let node: unknown = root;
  let offset = (root as Node | null)?.range?.[0];
  for (const [i, segment] of at.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      offset = ((atKey && i === at.length - 1) || !value?.range ? key?.range?.[0] : value.range[0]) ?? offset;
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else break;
  }
  return offset;
}
