import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { Recipe } from "../protocol/types/recipe.gen.ts";
import { parseRecipe } from "../runs/recipe.ts";
import { showRun } from "../runs/run-read.ts";
import { startRun } from "../runs/runs.ts";
import { driveRun, type InProcessWorker } from "../runs/work-in-process.ts";
import type { Db } from "../store/db.ts";

/** What one demo run did, as the platform recorded it. */
export interface DemoRun {
  run: string;
  id: string;
  status: string;
  /** Tokens each dataset version fed the run (lineage edges, from the trainer's own counts). */
  tokens_by_source: Record<string, number>;
  stages: { stage: string; final_loss: number | null; wall_s: number; checkpoint: string }[];
  /** The last stage's final checkpoint: the run's candidate. */
  checkpoint: string;
}

/**
 * Trains one recipe the way a user does: the document is written to `<dir>/<name>.yaml`, read
 * back through the recipe parser, started as eli through startRun (policy, approvals and lineage
 * checked and recorded before anything is queued), and worked by an in-process worker (the
 * embedded store admits one process) while its events are followed from the store. A run that
 * does not succeed ends the demo with its reason.
 * @example const custom = await trainRecipe(db, eli, { workspace, recipe, dir, worker: runtime.worker, onEvent });
 */
export async function trainRecipe(
  db: Db,
  caller: Principal,
  input: {
    workspace: string;
    recipe: Recipe;
    dir: string;
    /** The in-process worker's lease owner and handlers (the demo's runtime has them). */
    worker: InProcessWorker;
    /** Each training event, labelled `<run name>/<stage>`. */
    onEvent?: (label: string, event: TrainerEvent) => void;
  },
): Promise<DemoRun> {
  const file = join(input.dir, `${input.recipe.name}.yaml`);
  writeFileSync(file, stringify(input.recipe));
  const plan = parseRecipe(readFileSync(file, "utf8"), file);
  const started = await startRun(db, caller, { workspace: input.workspace, recipe: plan, target: "local" });
  const finished = new Map<number, Extract<TrainerEvent, { type: "finished" }>>();
  await driveRun(db, started.id, input.worker, {
    onEvent: ({ stageIdx, event }) => {
      if (event.type === "finished") finished.set(stageIdx, event);
      input.onEvent?.(`${started.name}/${plan.stages[stageIdx]?.stage ?? stageIdx}`, event);
    },
  });
  const details = await showRun(db, caller, input.workspace, started.id);
  if (details.status !== "succeeded")
    throw new CrucibleError(
      "failed_precondition",
      `run ${details.name} ${details.status}${details.failureReason ? `: ${details.failureReason}` : ""}`,
      {
        field: "run",
        value: details.name,
        fix: `See the trainer's log: \`crucible run logs ${details.name}\``,
      },
    );
  const finalOf = (idx: number) => details.checkpoints.find((c) => c.stageIdx === idx && c.final)?.name ?? "";
  return {
    run: details.name,
    id: details.id,
    status: details.status,
    tokens_by_source: Object.fromEntries(details.datasets.map((d) => [d.ref, d.tokens ?? 0])),
    stages: details.stages.map((s) => ({
      stage: s.stage,
      final_loss: finished.get(s.idx)?.final_loss ?? null,
      wall_s: Math.round((finished.get(s.idx)?.wall_s ?? 0) * 10) / 10,
      checkpoint: finalOf(s.idx),
    })),
    checkpoint: finalOf(details.stages.length - 1),
  };
}
