import { CrucibleError } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import { CHECKPOINT_SELECT, type CheckpointRow, checkpointRow } from "./rows.ts";

const ID_SHAPE = /^ckpt_[0-9a-z]+$/;

/**
 * Resolves a checkpoint reference in a workspace: a base name (`nano@mid`), a run checkpoint's
 * name (`acme-cpt/cpt/step-6`) or a checkpoint id (`ckpt_…`). Only what is registered in that
 * workspace resolves, so this is also the check that a base is allowed there; anything else is
 * `not_found` with the fix.
 * @example const base = await resolveCheckpoint(tx, workspace, "nano@mid");
 */
export async function resolveCheckpoint(
  q: Queryable,
  workspace: string,
  ref: string,
): Promise<CheckpointRow> {
  const byId = ID_SHAPE.test(ref);
  const { rows } = await q.query(
    `${CHECKPOINT_SELECT} WHERE workspace_id = $1 AND ${byId ? "id" : "name"} = $2`,
    [workspace, ref],
  );
  const row = rows[0];
  if (!row)
    throw new CrucibleError("not_found", `no checkpoint ${ref} is registered in this workspace`, {
      field: "checkpoint",
      value: ref,
      fix: ref.includes("@")
        ? `Register the base first: \`crucible base add ${ref} DIR\` (or \`crucible base build nano\` for the nano family); \`crucible base list\` shows what is registered`
        : "`crucible checkpoint list` shows the registered checkpoints by name and id",
    });
  return checkpointRow(row);
}

/**
 * Refuses a checkpoint that may not be trained on: tainted (a dataset that shaped it was
 * revoked) or rejected. Runs call it on their base after resolveCheckpoint.
 * @example assertUsableAsBase(await resolveCheckpoint(tx, workspace, "nano@mid"));
 */
export function assertUsableAsBase(row: CheckpointRow, field = "base"): CheckpointRow {
  if (row.taintedAt)
    throw new CrucibleError("failed_precondition", `checkpoint ${row.name} is tainted: ${row.taintReason}`, {
      field,
      value: row.name,
      fix: "Start from a checkpoint that no revoked dataset influenced",
    });
  if (row.status === "rejected")
    throw new CrucibleError("failed_precondition", `checkpoint ${row.name} was rejected`, {
      field,
      value: row.name,
      fix: "Start from an approved checkpoint or a registered base",
    });
  return row;
}
