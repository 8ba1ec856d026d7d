import { CrucibleError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { recordEdge } from "../lineage/edges.ts";
import type { CheckpointManifest } from "../protocol/types/checkpoint-manifest.gen.ts";
import type { Queryable } from "../store/db.ts";
import { runCheckpointName } from "./names.ts";
import { CHECKPOINT_SELECT, type CheckpointKind, type CheckpointRow, checkpointRow } from "./rows.ts";
import { verifyCheckpointDir } from "./verify.ts";

/** What a checkpoint row is made of, its manifest already verified against the directory. */
export interface VerifiedCheckpoint {
  workspace: string;
  kind: CheckpointKind;
  name: string;
  runId: string | null;
  stageIdx: number | null;
  step: number | null;
  final: boolean;
  path: string;
  manifestDigest: string;
  parentId: string | null;
  registeredBy: string;
  manifest: CheckpointManifest;
}

/**
 * Inserts a checkpoint whose directory `verifyCheckpointDir` has just verified, plus the lineage edge parent checkpoint → checkpoint. Idempotent on (workspace, name)
 * with the same manifest digest: the existing row is returned; another digest under the same
 * name is `already_exists`.
 * @example const row = await insertVerified(tx, { workspace, kind: "base", name: "nano@pre", ...(await verifyCheckpointDir(dir)) });
 */
export async function insertVerified(q: Queryable, input: VerifiedCheckpoint): Promise<CheckpointRow> {
  const { rows } = await q.query(
    `INSERT INTO checkpoints (id, workspace_id, kind, name, run_id, stage_idx, step, final, path,
       manifest_digest, manifest, parent_id, registered_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (workspace_id, name) DO NOTHING
     RETURNING id`,
    [
      newId("ckpt"),
      input.workspace,
      input.kind,
      input.name,
      input.runId,
      input.stageIdx,
      input.step,
      input.final,
      input.path,
      input.manifestDigest,
      JSON.stringify(input.manifest),
      input.parentId,
      input.registeredBy,
    ],
  );
  const existing = await q.query(`${CHECKPOINT_SELECT} WHERE workspace_id = $1 AND name = $2`, [
    input.workspace,
    input.name,
  ]);
  const row = checkpointRow(existing.rows[0]!);
  if (rows.length === 0 && row.manifestDigest !== input.manifestDigest)
    throw new CrucibleError(
      "already_exists",
      `checkpoint ${input.name} is already registered with manifest ${row.manifestDigest}`,
      {
        field: "name",
        value: input.name,
        fix: "A checkpoint name is bound to one manifest for good: register this one under another name",
      },
    );
  if (input.parentId)
    await recordEdge(q, {
      workspace: input.workspace,
      from: { kind: "checkpoint", id: input.parentId },
      to: { kind: "checkpoint", id: row.id },
    });
  return row;
}

/**
 * Called by a run's train_stage handler (inside its fenced transaction) for each `checkpoint`
 * event: verifies the directory against the event's manifest digest, checks the manifest says
 * the same stage and step, inserts the row named `<run name>/<stage>/step-N` and records the
 * lineage edges run → checkpoint (and parent checkpoint → checkpoint). Idempotent on
 * (workspace, name) with the same manifest digest, so a retried event is harmless.
 * @example
 * await registerRunCheckpoint(tx, { workspace, runId: run.id, runName: run.name, stage: "cpt", stageIdx: 0,
 *   step: e.step, final: e.final ?? false, path: e.path, manifestDigest: e.manifest_digest,
 *   parentId: base.id, registeredBy: `workload:${run.id}` });
 */
export async function registerRunCheckpoint(
  q: Queryable,
  input: {
    workspace: string;
    runId: string;
    runName: string;
    stage: string;
    stageIdx: number;
    step: number;
    final: boolean;
    path: string;
    manifestDigest: string;
    parentId: string | null;
    registeredBy: string;
  },
): Promise<CheckpointRow> {
  const run = await q.query("SELECT id FROM runs WHERE id = $1 AND workspace_id = $2", [
    input.runId,
    input.workspace,
  ]);
  if (run.rows.length === 0)
    throw new CrucibleError("not_found", `run ${input.runId} is not in workspace ${input.workspace}`, {
      field: "runId",
      value: input.runId,
      fix: "Register checkpoints for a run of the same workspace",
    });
  const { manifest } = await verifyCheckpointDir(input.path, input.manifestDigest);
  if (manifest.stage !== input.stage || manifest.step !== input.step)
    throw new CrucibleError(
      "failed_precondition",
      `the manifest at ${input.path} says ${manifest.stage} step ${manifest.step}, the event said ${input.stage} step ${input.step}`,
      { field: "checkpoint", value: input.path, fix: "Register the checkpoint the event names" },
    );
  const row = await insertVerified(q, {
    workspace: input.workspace,
    kind: "run",
    name: runCheckpointName(input.runName, input.stage, input.step),
    runId: input.runId,
    stageIdx: input.stageIdx,
    step: input.step,
    final: input.final,
    path: input.path,
    manifestDigest: input.manifestDigest,
    parentId: input.parentId,
    registeredBy: input.registeredBy,
    manifest,
  });
  await recordEdge(q, {
    workspace: input.workspace,
    from: { kind: "run", id: input.runId },
    to: { kind: "checkpoint", id: row.id },
  });
  return row;
}
