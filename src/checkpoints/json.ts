import type { CheckpointView } from "./read.ts";

/** A checkpoint as the CLI's --json and the HTTP API print it (snake_case, like the protocol). */
export interface CheckpointJson {
  id: string;
  name: string;
  kind: "base" | "run";
  stage: string;
  run_id: string | null;
  stage_idx: number | null;
  step: number | null;
  final: boolean;
  tokens: number;
  path: string;
  manifest_digest: string;
  parent_id: string | null;
  status: "candidate" | "approved" | "rejected";
  starter: string;
  approved_by: string | null;
  approved_at: string | null;
  tainted_at: string | null;
  taint_reason: string | null;
  /** When keep_last removed its files; the row stays for lineage and audit. */
  pruned_at: string | null;
  registered_by: string;
  created_at: string;
}

/**
 * The summary of a checkpoint (its manifest is left out; `show` adds it).
 * @example checkpointJson(view).manifest_digest // "sha256:…"
 */
export function checkpointJson(c: CheckpointView): CheckpointJson {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    stage: c.manifest.stage,
    run_id: c.runId,
    stage_idx: c.stageIdx,
    step: c.step,
    final: c.final,
    tokens: c.manifest.tokens,
    path: c.path,
    manifest_digest: c.manifestDigest,
    parent_id: c.parentId,
    status: c.status,
    starter: c.starter,
    approved_by: c.approvedBy,
    approved_at: c.approvedAt,
    tainted_at: c.taintedAt,
    taint_reason: c.taintReason,
    pruned_at: c.prunedAt,
    registered_by: c.registeredBy,
    created_at: c.createdAt,
  };
}
