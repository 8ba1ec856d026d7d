import { RECORD_FORMATS } from "../data/records.ts";
import { PURPOSES, type Purpose } from "../data/service/refs.ts";
import { stages as allStages, type Stage, stageFormats } from "../protocol/stages.ts";
import type { PipelineStage, Recipe } from "../protocol/types/recipe.gen.ts";

/** The longest a run may take: its workload token cannot outlive this (identity/workload.ts). */
export const MAX_RUN_DURATION_S = 3 * 86400;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** One problem of a recipe: where (path segments into the document), what, and how to fix it. */
export interface RuleIssue {
  at: readonly (string | number)[];
  /** Point at the key rather than the value (an unknown or duplicated field). */
  atKey?: boolean;
  message: string;
  fix: string;
}

/**
 * The stages of a recipe with the path each sits at, whether it is one stage or a pipeline.
 * @example stagesOf(pipeline).map((s) => s.at) // [["stages", 0], ["stages", 1]]
 */
export function stagesOf(recipe: Recipe): { stage: PipelineStage; at: (string | number)[] }[] {
  if ("stages" in recipe && Array.isArray(recipe.stages))
    return recipe.stages.map((stage, i) => ({ stage, at: ["stages", i] }));
  return [{ stage: recipe as PipelineStage, at: [] }];
}

/**
 * Seconds in a recipe's `max_duration` (24h when absent).
 * @example durationSeconds("6h") // 21600
 */
export function durationSeconds(text: string | undefined): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text ?? "24h");
  return match ? Number(match[1]) * (UNITS[match[2]!] ?? 1) : Number.NaN;
}

/**
 * The dataset purpose a stage reads its data for: the purpose of the stage's name, if datasets
 * can be approved for it (src/data/service/refs.ts PURPOSES).
 * @example purposeOf("sft") // "sft"
 */
export function purposeOf(stage: Stage): Purpose | undefined {
  return (PURPOSES as readonly string[]).includes(stage) ? (stage as Purpose) : undefined;
}

/**
 * Why a recipe cannot run a stage, or undefined when it can: datasets must hold records in a
 * format the stage trains on, and be approvable for it.
 * @example unrunnable("dpo") // "stage dpo trains on preference records; datasets hold text or chat records"
 */
export function unrunnable(stage: Stage): string | undefined {
  const formats = stageFormats(stage);
  if (!formats.some((f) => (RECORD_FORMATS as readonly string[]).includes(f)))
    return `stage ${stage} trains on ${formats.join(" or ")} records; datasets hold ${RECORD_FORMATS.join(" or ")} records`;
  if (purposeOf(stage) === undefined)
    return `no dataset version can be approved for stage ${stage} (purposes: ${PURPOSES.join(", ")})`;
  return undefined;
}

/**
 * The stages a recipe can run.
 * @example recipeStages().includes("sft") // true
 */
export function recipeStages(): Stage[] {
  return allStages().filter((s) => unrunnable(s) === undefined);
}

/**
 * The rules a schema cannot say: shares sum to 1, each dataset once per stage, the first stage
 * names a base, a stage kind once per pipeline, a duration within the cap, only stages whose data
 * datasets can hold. Runs on whatever parts of the document are well-formed, so every problem is
 * reported at once.
 * @example semanticIssues(recipe) // [] for every file in recipes/
 */
export function semanticIssues(recipe: Recipe): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (typeof recipe !== "object" || recipe === null) return issues;
  const seconds = durationSeconds(recipe.max_duration);
  if (typeof recipe.max_duration === "string" && seconds > MAX_RUN_DURATION_S)
    issues.push({
      at: ["max_duration"],
      message: `a run may take at most 3d (${MAX_RUN_DURATION_S} s); ${recipe.max_duration} is longer`,
      fix: "Set max_duration to 3d or less, and split longer training into a pipeline of runs",
    });
  const stages = stagesOf(recipe);
  const seen = new Map<string, number>();
  stages.forEach(({ stage, at }, i) => {
    if (typeof stage !== "object" || stage === null) return;
    if ("stages" in recipe && i === 0 && stage.base === undefined)
      issues.push({
        at: [...at, "base"],
        message: "the first stage of a pipeline names no base",
        fix: "Add `base: nano@mid` (or another registered checkpoint) to the first stage",
      });
    if (typeof stage.stage === "string") {
      const first = seen.get(stage.stage);
      if (first !== undefined)
        issues.push({
          at: [...at, "stage"],
          message: `stage ${stage.stage} appears twice (stages ${first} and ${i}); checkpoints are named by stage`,
          fix: "Merge the two stages into one, or run the second one as its own recipe",
        });
      else seen.set(stage.stage, i);
      const why = allStages().includes(stage.stage) ? unrunnable(stage.stage) : undefined;
      if (why)
        issues.push({
          at: [...at, "stage"],
          message: `a recipe cannot run stage ${stage.stage}: ${why}`,
          fix: `Use one of ${recipeStages().join(", ")}; train ${stage.stage} by giving the trainer a JobSpec (python -m crucible_trainer run --spec)`,
        });
    }
    issues.push(...dataIssues(stage, at));
  });
  return issues;
}

function dataIssues(stage: PipelineStage, at: (string | number)[]): RuleIssue[] {
  if (!Array.isArray(stage.data)) return [];
  const issues: RuleIssue[] = [];
  const names = new Map<string, number>();
  let sum = 0;
  let numeric = true;
  stage.data.forEach((source, j) => {
    if (typeof source?.share === "number") sum += source.share;
    else numeric = false;
    if (typeof source?.dataset !== "string") return;
    const name = source.dataset.split("@")[0]!;
    const first = names.get(name);
    if (first !== undefined)
      issues.push({
        at: [...at, "data", j, "dataset"],
        message: `dataset ${name} is already source ${first} of this stage`,
        fix: "Name each dataset once per stage and give it the combined share",
      });
    else names.set(name, j);
  });
  if (numeric && stage.data.length > 0 && Math.abs(sum - 1) > 1e-6)
    issues.push({
      at: [...at, "data"],
      message: `the shares add up to ${Number(sum.toFixed(9))}, not 1`,
      fix: "Make the shares of this stage's sources add up to 1 (e.g. 0.3 and 0.7)",
    });
  return issues;
}
