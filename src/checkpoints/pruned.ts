import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Queryable } from "../store/db.ts";
import { MANIFEST_FILE } from "./verify.ts";

/**
 * Marks a stage's intermediate checkpoints whose directory has lost its manifest as pruned: the
 * trainer's `keep_last` removes a checkpoint in one rename, so a missing manifest means the whole
 * directory is gone. The rows stay (lineage and audit refer to them); listings say `pruned`, and
 * no later lease resumes from them. Returns the names marked now.
 * @example await markPruned(tx, run.id, stage.idx);
 */
export async function markPruned(q: Queryable, runId: string, stageIdx: number): Promise<string[]> {
  const { rows } = await q.query<{ id: string; name: string; path: string }>(
    `SELECT id, name, path FROM checkpoints
     WHERE run_id = $1 AND stage_idx = $2 AND NOT final AND pruned_at IS NULL`,
    [runId, stageIdx],
  );
  const gone = rows.filter((r) => !existsSync(join(r.path, MANIFEST_FILE)));
  if (gone.length > 0)
    await q.query("UPDATE checkpoints SET pruned_at = now() WHERE id = ANY($1::text[])", [
      gone.map((r) => r.id),
    ]);
  return gone.map((r) => r.name);
}
