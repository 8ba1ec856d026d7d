import type { RunDetails } from "./run-read.ts";
import type { RunRow, StageRow } from "./run-rows.ts";

/**
 * A run as `--json` prints it and the HTTP API returns it: one shape for both.
 * @example ctx.out.result({ runs: runs.map(runJson) }, () => runsTable(runs));
 */
export function runJson(run: RunRow & { stages: StageRow[] }) {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    target: run.target,
    recipe_digest: run.recipeDigest,
    started_by: run.startedBy,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    cancel_requested_at: run.cancelRequestedAt,
    failure: run.failureCode ? { code: run.failureCode, reason: run.failureReason } : null,
    stages: run.stages.map((s) => ({
      idx: s.idx,
      stage: s.stage,
      status: s.status,
      base_checkpoint_id: s.baseCheckpointId,
      final_checkpoint_id: s.finalCheckpointId,
      ...("progress" in s ? { progress: s.progress ?? null } : {}),
    })),
  };
}

/**
 * `run show --json`: the run with its checkpoints, datasets (tokens) and base.
 * @example return { body: runDetailsJson(await showRun(db, caller, workspace, id)) };
 */
export function runDetailsJson(run: RunDetails) {
  return {
    ...runJson(run),
    base: run.base,
    datasets: run.datasets,
    checkpoints: run.checkpoints.map((c) => ({
      id: c.id,
      name: c.name,
      stage_idx: c.stageIdx,
      step: c.step,
      final: c.final,
      manifest_digest: c.manifestDigest,
      pruned: c.pruned,
    })),
    last_seq: run.lastSeq,
  };
}
