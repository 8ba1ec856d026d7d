import { assertUsableAsBase, resolveCheckpoint } from "../checkpoints/index.ts";
import type { CheckpointRow } from "../checkpoints/rows.ts";
import { CrucibleError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { governed } from "../governed/funnel.ts";
import { recordEdge } from "../lineage/edges.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import { enqueue } from "../queue/queue.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { RecipePlan } from "./recipe.ts";
import { gateRunStart } from "./run-gate.ts";
import { findRun, type RunRow, type RunTarget, runFacts, TERMINAL } from "./run-rows.ts";
import { settleRun } from "./run-state.ts";

export interface StartRunRequest {
  /** Workspace id. */
  workspace: string;
  recipe: RecipePlan;
  target: RunTarget;
  /** torchrun: trainer processes per stage, data-parallel on this machine (default 2). */
  nprocPerNode?: number;
  now?: Date;
}

/** What every stage job of a run carries: how its trainer is launched. */
export interface StagePayload {
  nproc_per_node?: number;
}

/** What `startRun` created. */
export interface StartedRun {
  id: string;
  name: string;
  status: "queued";
  stages: { idx: number; stage: string; base: string | null }[];
  jobId: number;
}

/**
 * Starts a run of a recipe. Before anything is queued: every explicit base must be a checkpoint
 * registered in the workspace (and not tainted or rejected), every dataset version approved for
 * its stage's purpose, unexpired and unrevoked, and `run.start` allowed by policy (audited, allow
 * or deny). Then, in the transaction that audits the allow: the run, its stages, the first stage's
 * job and the lineage edges dataset version → run and base checkpoint → run. The run is named
 * `<recipe name>-<n>`, numbered per workspace, so its checkpoints' names never collide.
 * @example const run = await startRun(db, eli, { workspace, recipe: parseRecipe(text), target: "local" });
 */
export async function startRun(db: Db, caller: Principal, request: StartRunRequest): Promise<StartedRun> {
  if (request.target === "kubernetes")
    throw new CrucibleError("failed_precondition", "Crucible does not submit runs to a cluster itself", {
      field: "target",
      value: request.target,
      fix: "Render the manifests with `crucible run start RECIPE --target kubernetes --dry-run` and apply them, or use --target local or torchrun",
    });
  const nproc = request.nprocPerNode ?? 2;
  if (!Number.isSafeInteger(nproc) || nproc < 1 || nproc > 1024)
    throw new CrucibleError("invalid_argument", "trainer processes per stage must be a whole number from 1", {
      field: "nproc_per_node",
      value: request.nprocPerNode,
      fix: "Give one per GPU, or a share of the CPU cores, e.g. 2",
    });
  const payload: StagePayload = request.target === "torchrun" ? { nproc_per_node: nproc } : {};
  const plan = request.recipe;
  const bases = new Map<number, CheckpointRow>();
  for (const stage of plan.stages) {
    if (stage.base === undefined) continue;
    const field = plan.stages.length > 1 ? `$.stages[${stage.idx}].base` : "$.base";
    try {
      bases.set(
        stage.idx,
        assertUsableAsBase(await resolveCheckpoint(db, request.workspace, stage.base), field),
      );
    } catch (err) {
      if (err instanceof CrucibleError && err.code === "not_found")
        throw new CrucibleError("not_found", err.problem, { ...err.details, field });
      throw err;
    }
  }
  const runId = newId("run");
  const datasets = plan.stages.flatMap((s) =>
    s.sources.map((src) => ({ ref: { name: src.name, version: src.version }, purpose: s.purpose })),
  );
  const gate = {
    workspace: request.workspace,
    runId,
    datasets,
    ...(request.now ? { now: request.now } : {}),
  };
  return gateRunStart(db, caller, gate, async (tx, versions) => {
    const name = await nextRunName(tx, request.workspace, plan.name);
    await tx.query(
      `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
      [
        runId,
        request.workspace,
        name,
        JSON.stringify(plan.recipe),
        plan.digest,
        request.target,
        actorId(caller),
      ],
    );
    for (const stage of plan.stages)
      await tx.query(
        "INSERT INTO run_stages (run_id, idx, stage, base_checkpoint_id) VALUES ($1, $2, $3, $4)",
        [runId, stage.idx, stage.stage, bases.get(stage.idx)?.id ?? null],
      );
    const jobId = await enqueue(tx, {
      workspace: request.workspace,
      kind: "train_stage",
      runId,
      stageIdx: 0,
      payload: { ...payload },
    });
    for (const v of new Map(versions.map((v) => [v.id, v])).values())
      await recordEdge(tx, {
        workspace: request.workspace,
        from: { kind: "dataset_version", id: v.id },
        to: { kind: "run", id: runId },
      });
    for (const base of bases.values())
      await recordEdge(tx, {
        workspace: request.workspace,
        from: { kind: "checkpoint", id: base.id },
        to: { kind: "run", id: runId },
      });
    return {
      id: runId,
      name,
      status: "queued" as const,
      stages: plan.stages.map((s) => ({ idx: s.idx, stage: s.stage, base: bases.get(s.idx)?.name ?? null })),
      jobId,
    };
  });
}

/** `<recipe name>-<n>`, n one more than the runs of that recipe name so far (serialised per name). */
async function nextRunName(tx: Queryable, workspace: string, recipeName: string): Promise<string> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`run-name:${workspace}:${recipeName}`]);
  const { rows } = await tx.query<{ n: number }>(
    "SELECT count(*)::integer AS n FROM runs WHERE workspace_id = $1 AND recipe->>'name' = $2",
    [workspace, recipeName],
  );
  return `${recipeName}-${Number(rows[0]!.n) + 1}`;
}

/**
 * Cancels a run (`run.cancel`, audited allow or deny): records the request; a job still waiting
 * in the queue (or held by a worker whose lease ran out) is cancelled at once, its fence raised,
 * and with it the run; a job a worker holds sees the request at
 * its next heartbeat, its trainer gets SIGTERM, and the worker marks the run cancelled.
 * @example const { status } = await cancelRun(db, eli, { workspace, run: "pipeline-acme-1" });
 */
export async function cancelRun(
  db: Db,
  caller: Principal,
  request: { workspace: string; run: string },
): Promise<{ id: string; name: string; status: RunRow["status"]; cancelRequestedAt: string }> {
  const run = await findRun(db, request.workspace, request.run);
  if (TERMINAL.includes(run.status))
    throw new CrucibleError("failed_precondition", `run ${run.name} already ${run.status}`, {
      field: "run",
      value: run.name,
      fix: "Only a queued or running run can be cancelled",
    });
  const resource = { type: "Run" as const, ...(await runFacts(db, run)) };
  return governed(db, { principal: caller, action: "run.cancel", resource }, async (tx) => {
    const locked = await findRun(tx, request.workspace, run.id, true);
    const { rows } = await tx.query<{ at: Date }>(
      "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, now()) WHERE id = $1 RETURNING cancel_requested_at AS at",
      [run.id],
    );
    const cancelRequestedAt = new Date(rows[0]!.at).toISOString();
    if (TERMINAL.includes(locked.status))
      return { id: run.id, name: run.name, status: locked.status, cancelRequestedAt };
    const waiting = await tx.query(
      `UPDATE jobs SET status = 'cancelled', fence = fence + 1, finished_at = now(), last_error = $2,
         lease_owner = NULL, lease_expires_at = NULL
       WHERE run_id = $1 AND (status = 'pending' OR (status = 'leased' AND lease_expires_at <= now()))
       RETURNING id`,
      [run.id, `cancelled by ${actorId(caller)}`],
    );
    const held = await tx.query("SELECT 1 FROM jobs WHERE run_id = $1 AND status = 'leased'", [run.id]);
    if (waiting.rowCount > 0 && held.rowCount === 0) {
      await settleRun(tx, run.id, { status: "cancelled" });
      return { id: run.id, name: run.name, status: "cancelled" as const, cancelRequestedAt };
    }
    return { id: run.id, name: run.name, status: locked.status, cancelRequestedAt };
  });
}
