import type { Queryable } from "../store/db.ts";
import { impactOf, type LineageNode } from "./edges.ts";

/**
 * Marks every registered checkpoint that `start` influenced (through the lineage edges, at any
 * depth) as tainted, with `reason` and time `at`, and returns the ids newly tainted. A checkpoint
 * already tainted keeps its first taint. Run it in the transaction that revokes `start`, so a
 * revocation and its taint commit together or not at all.
 *
 * Deployments are not tainted here: they do not exist yet. When they do, the same walk reaches
 * them (`checkpoint → deployment` edges), and policy decides whether a tainted one keeps serving.
 * @example await taintImpact(tx, { workspace, start: { kind: "dataset_version", id: v.id }, reason: "dataset acme-handbook@v2 revoked: consent withdrawn", at: now });
 */
export async function taintImpact(
  tx: Queryable,
  input: { workspace: string; start: LineageNode; reason: string; at: Date },
): Promise<string[]> {
  const ids = (await impactOf(tx, input.start)).filter((n) => n.kind === "checkpoint").map((n) => n.id);
  if (ids.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE checkpoints SET tainted_at = $3, taint_reason = $4
     WHERE workspace_id = $1 AND id = ANY($2::text[]) AND tainted_at IS NULL
     RETURNING id`,
    [input.workspace, ids, input.at, input.reason],
  );
  return rows.map((r) => r.id).sort();
}

/** A checkpoint as impact listings show it: its name, what it saw of the start, its taint. */
export interface CheckpointState {
  id: string;
  name: string;
  runId: string | null;
  /** The manifest's `data_sources` (digest and tokens seen), as the trainer wrote them. */
  sources: Array<{ digest: string; tokensSeen: number }>;
  taintedAt: string | null;
  taintReason: string | null;
}

/**
 * The registry rows of checkpoints, by id (ids with no row are left out).
 * @example const states = await checkpointStates(db, workspace, ["ckpt_1"]);
 */
export async function checkpointStates(
  q: Queryable,
  workspace: string,
  ids: readonly string[],
): Promise<Map<string, CheckpointState>> {
  if (ids.length === 0) return new Map();
  const { rows } = await q.query<{
    id: string;
    name: string;
    run_id: string | null;
    manifest: unknown;
    tainted_at: string | Date | null;
    taint_reason: string | null;
  }>(
    `SELECT id, name, run_id, manifest, tainted_at, taint_reason FROM checkpoints
     WHERE workspace_id = $1 AND id = ANY($2::text[])`,
    [workspace, ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        name: r.name,
        runId: r.run_id,
        sources: manifestSources(typeof r.manifest === "string" ? JSON.parse(r.manifest) : r.manifest),
        taintedAt: r.tainted_at === null ? null : new Date(r.tainted_at).toISOString(),
        taintReason: r.taint_reason,
      },
    ]),
  );
}

function manifestSources(manifest: unknown): CheckpointState["sources"] {
  const sources = (manifest as { data_sources?: unknown } | null)?.data_sources;
  if (!Array.isArray(sources)) return [];
  return sources.flatMap((s: { digest?: unknown; tokens_seen?: unknown }) =>
    typeof s.digest === "string" && typeof s.tokens_seen === "number"
      ? [{ digest: s.digest, tokensSeen: s.tokens_seen }]
      : [],
  );
}
