import type { CheckpointManifest } from "../protocol/types/checkpoint-manifest.gen.ts";

/** Where a checkpoint came from: a base registered in the workspace, or a run's output. */
export type CheckpointKind = "base" | "run";
/** A checkpoint's lifecycle: candidate → approved | rejected. */
export type CheckpointStatus = "candidate" | "approved" | "rejected";

/** One checkpoint as the registry holds it. */
export interface CheckpointRow {
  id: string;
  workspace: string;
  kind: CheckpointKind;
  /** Bases: `family@stage` (e.g. nano@mid); run checkpoints: `<run name>/<stage>/step-N`. */
  name: string;
  runId: string | null;
  stageIdx: number | null;
  step: number | null;
  final: boolean;
  /** Absolute path of the checkpoint directory. */
  path: string;
  /** `sha256:<hex>` of manifest.json's bytes. */
  manifestDigest: string;
  manifest: CheckpointManifest;
  parentId: string | null;
  status: CheckpointStatus;
  approvedBy: string | null;
  approvedAt: string | null;
  taintedAt: string | null;
  taintReason: string | null;
  /** When its files were found removed by the trainer's `keep_last` (null while they are there). */
  prunedAt: string | null;
  /** Principal id of whoever registered it (for run checkpoints, the run's workload or worker). */
  registeredBy: string;
  createdAt: string;
}

export const CHECKPOINT_SELECT = `SELECT id, workspace_id, kind, name, run_id, stage_idx, step, final, path,
    manifest_digest, manifest, parent_id, status, approved_by, approved_at, tainted_at, taint_reason,
    pruned_at, registered_by, created_at
  FROM checkpoints`;

const iso = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : v instanceof Date
      ? v.toISOString()
      : new Date(String(v)).toISOString();

/**
 * Maps a row of CHECKPOINT_SELECT (either store) to a CheckpointRow.
 * @example const row = checkpointRow((await q.query(`${CHECKPOINT_SELECT} WHERE id = $1`, [id])).rows[0]);
 */
export function checkpointRow(r: Record<string, unknown>): CheckpointRow {
  const manifest = (
    typeof r.manifest === "string" ? JSON.parse(r.manifest) : r.manifest
  ) as CheckpointManifest;
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    workspace: String(r.workspace_id),
    kind: r.kind as CheckpointKind,
    name: String(r.name),
    runId: (r.run_id as string | null) ?? null,
    stageIdx: num(r.stage_idx),
    step: num(r.step),
    final: Boolean(r.final),
    path: String(r.path),
    manifestDigest: String(r.manifest_digest),
    manifest,
    parentId: (r.parent_id as string | null) ?? null,
    status: r.status as CheckpointStatus,
    approvedBy: (r.approved_by as string | null) ?? null,
    approvedAt: iso(r.approved_at),
    taintedAt: iso(r.tainted_at),
    taintReason: (r.taint_reason as string | null) ?? null,
    prunedAt: iso(r.pruned_at),
    registeredBy: String(r.registered_by),
    createdAt: iso(r.created_at)!,
  };
}
