import { CrucibleError } from "../core/errors.ts";
import type { RunFacts } from "../policy/entities.ts";
import type { Stage } from "../protocol/stages.ts";
import type { Recipe } from "../protocol/types/recipe.gen.ts";
import type { Queryable } from "../store/db.ts";

/** A run's lifecycle: queued → running → succeeded | failed | cancelled (queued → cancelled too). */
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type StageStatus = "pending" | "running" | "succeeded" | "failed" | "cancelled";
export type RunTarget = "local" | "torchrun" | "kubernetes";

/** The statuses a run never leaves. */
export const TERMINAL: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];

/** One run as stored. */
export interface RunRow {
  id: string;
  workspace: string;
  name: string;
  recipe: Recipe;
  recipeDigest: string;
  target: RunTarget;
  status: RunStatus;
  startedBy: string;
  cancelRequestedAt: string | null;
  failureCode: string | null;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One stage of a run as stored. */
export interface StageRow {
  idx: number;
  stage: Stage;
  status: StageStatus;
  baseCheckpointId: string | null;
  finalCheckpointId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(v as string).toISOString();

export const RUN_SELECT = `SELECT id, workspace_id, name, recipe, recipe_digest, target, status, started_by,
    cancel_requested_at, failure_code, failure_reason, created_at, started_at, finished_at
  FROM runs`;

/**
 * Maps a row of RUN_SELECT.
 * @example const runs = (await db.query(`${RUN_SELECT} WHERE workspace_id = $1`, [ws])).rows.map(runRow);
 */
export function runRow(r: Record<string, unknown>): RunRow {
  return {
    id: String(r.id),
    workspace: String(r.workspace_id),
    name: String(r.name),
    recipe: (typeof r.recipe === "string" ? JSON.parse(r.recipe) : r.recipe) as Recipe,
    recipeDigest: String(r.recipe_digest),
    target: r.target as RunTarget,
    status: r.status as RunStatus,
    startedBy: String(r.started_by),
    cancelRequestedAt: iso(r.cancel_requested_at),
    failureCode: (r.failure_code as string | null) ?? null,
    failureReason: (r.failure_reason as string | null) ?? null,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

/**
 * The run a reference names in a workspace: its id (`run_…`) or its name (`pipeline-acme-1`).
 * @example const run = await findRun(db, workspace, "pipeline-acme-1");
 */
export async function findRun(q: Queryable, workspace: string, ref: string, lock = false): Promise<RunRow> {
  const { rows } = await q.query(
    `${RUN_SELECT} WHERE workspace_id = $1 AND (id = $2 OR name = $2)${lock ? " FOR UPDATE" : ""}`,
    [workspace, ref],
  );
  if (!rows[0])
    throw new CrucibleError("not_found", "no such run in this workspace", {
      field: "run",
      value: ref,
      fix: "`crucible run list` shows the runs by name and id",
    });
  return runRow(rows[0]);
}

/**
 * A run's stages in order.
 * @example (await stagesOfRun(db, run.id)).map((s) => s.status) // ["succeeded", "running"]
 */
export async function stagesOfRun(q: Queryable, runId: string): Promise<StageRow[]> {
  const { rows } = await q.query(
    `SELECT idx, stage, status, base_checkpoint_id, final_checkpoint_id, started_at, finished_at
     FROM run_stages WHERE run_id = $1 ORDER BY idx`,
    [runId],
  );
  return rows.map((r) => ({
    idx: Number(r.idx),
    stage: r.stage as StageRow["stage"],
    status: r.status as StageStatus,
    baseCheckpointId: (r.base_checkpoint_id as string | null) ?? null,
    finalCheckpointId: (r.final_checkpoint_id as string | null) ?? null,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  }));
}

/**
 * What policy knows about a run: its starter and the dataset versions it reads (from lineage).
 * @example authorize(policies, { principal, action: "run.cancel", resource: { type: "Run", ...(await runFacts(db, run)) } })
 */
export async function runFacts(q: Queryable, run: RunRow): Promise<RunFacts> {
  const { rows } = await q.query<{ from_id: string }>(
    `SELECT from_id FROM lineage_edges WHERE to_kind = 'run' AND to_id = $1 AND from_kind = 'dataset_version'
     ORDER BY from_id`,
    [run.id],
  );
  return {
    id: run.id,
    workspace: run.workspace,
    starter: run.startedBy,
    datasets: rows.map((r) => r.from_id),
    rewards: [],
  };
}
