import { authorizeAndAudit, deniedError } from "../governed/funnel.ts";
import type { Principal, ResourceFor } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { resolveCheckpoint } from "./resolve.ts";
import { CHECKPOINT_SELECT, type CheckpointKind, type CheckpointRow, checkpointRow } from "./rows.ts";

/** A checkpoint with the principal its approval is kept from: its run's starter, or a base's registrant. */
export interface CheckpointView extends CheckpointRow {
  starter: string;
}

/**
 * Adds each checkpoint's starter (the run's `started_by`; a base's `registered_by`).
 * @example const [view] = await withStarters(db, [row]);
 */
export async function withStarters(q: Queryable, rows: readonly CheckpointRow[]): Promise<CheckpointView[]> {
  const runIds = [...new Set(rows.flatMap((r) => (r.runId ? [r.runId] : [])))];
  const starters = new Map<string, string>();
  if (runIds.length > 0) {
    const { rows: runs } = await q.query<{ id: string; started_by: string }>(
      "SELECT id, started_by FROM runs WHERE id = ANY($1::text[])",
      [runIds],
    );
    for (const r of runs) starters.set(r.id, r.started_by);
  }
  return rows.map((r) => ({ ...r, starter: (r.runId && starters.get(r.runId)) || r.registeredBy }));
}

/**
 * The Cedar resource of a checkpoint.
 * @example checkpointResource(view) // { type: "Checkpoint", id, workspace, run, starter }
 */
export function checkpointResource(c: CheckpointView): ResourceFor<"checkpoint.read"> {
  return { type: "Checkpoint", id: c.id, workspace: c.workspace, run: c.runId, starter: c.starter };
}

/**
 * Authorises `checkpoint.read` on each checkpoint in one transaction (every decision audited; a
 * denial is committed, then thrown).
 * @example await authorizeCheckpointRead(db, audra, views);
 */
export async function authorizeCheckpointRead(
  db: Db,
  caller: Principal,
  views: readonly CheckpointView[],
): Promise<void> {
  const denied = await db.transaction(async (tx) => {
    for (const c of views) {
      const request = {
        principal: caller,
        action: "checkpoint.read",
        resource: checkpointResource(c),
      } as const;
      const decision = await authorizeAndAudit(tx, request);
      if (decision.decision === "deny") return deniedError(decision, request);
    }
    return undefined;
  });
  if (denied) throw denied;
}

/** Which checkpoints a listing shows. */
export interface CheckpointFilter {
  kind?: CheckpointKind;
  runId?: string;
}

/**
 * The checkpoints of a workspace, bases first by name, then run checkpoints oldest first, each
 * read authorised.
 * @example const bases = await listCheckpoints(db, eli, workspace, { kind: "base" });
 */
export async function listCheckpoints(
  db: Db,
  caller: Principal,
  workspace: string,
  filter: CheckpointFilter = {},
): Promise<CheckpointView[]> {
  const { rows } = await db.query(
    `${CHECKPOINT_SELECT} WHERE workspace_id = $1 AND ($2::text IS NULL OR kind = $2::text)
       AND ($3::text IS NULL OR run_id = $3::text)
     ORDER BY kind, CASE WHEN kind = 'base' THEN name END, created_at, stage_idx, step, id`,
    [workspace, filter.kind ?? null, filter.runId ?? null],
  );
  const views = await withStarters(db, rows.map(checkpointRow));
  await authorizeCheckpointRead(db, caller, views);
  return views;
}

/**
 * One checkpoint by name or id, if the caller may read it.
 * @example const c = await readCheckpoint(db, audra, workspace, "acme-cpt/cpt/step-6");
 */
export async function readCheckpoint(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: string,
): Promise<CheckpointView> {
  const [view] = await withStarters(db, [await resolveCheckpoint(db, workspace, ref)]);
  await authorizeCheckpointRead(db, caller, [view!]);
  return view!;
}
