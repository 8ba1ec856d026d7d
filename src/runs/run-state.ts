import { revokeRunTokens } from "../identity/workload.ts";
import { enqueue } from "../queue/queue.ts";
import type { Db, Queryable } from "../store/db.ts";

/** How a run ends. */
export type RunEnd =
  | { status: "succeeded" }
  | { status: "failed"; code: string; reason: string }
  | { status: "cancelled" };

/**
 * Ends a run that has not ended yet: its status (with the failure's code and reason), its open
 * stages (the running one takes the run's end, pending ones are cancelled) and its workload
 * tokens revoked. Returns false when the run had already ended (nothing changed).
 * @example await settleRun(tx, runId, { status: "failed", code: "data_error", reason: "record 7 is empty" });
 */
export async function settleRun(tx: Queryable, runId: string, end: RunEnd): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE runs SET status = $2, failure_code = $3, failure_reason = $4, finished_at = now()
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [
      runId,
      end.status,
      end.status === "failed" ? end.code : null,
      end.status === "failed" ? end.reason : null,
    ],
  );
  if (rowCount === 0) return false;
  await tx.query(
    `UPDATE run_stages SET status = CASE WHEN status = 'running' THEN $2 ELSE 'cancelled' END, finished_at = now()
     WHERE run_id = $1 AND status IN ('pending', 'running')`,
    [runId, end.status],
  );
  await revokeRunTokens(tx, runId);
  return true;
}

/**
 * Marks a stage (and its run) running. Idempotent: a stage resumed by another worker stays running
 * with its first start time.
 * @example await beginStage(tx, runId, 0);
 */
export async function beginStage(tx: Queryable, runId: string, idx: number): Promise<void> {
  await tx.query(
    `UPDATE runs SET status = 'running', started_at = COALESCE(started_at, now())
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [runId],
  );
  await tx.query(
    `UPDATE run_stages SET status = 'running', started_at = COALESCE(started_at, now())
     WHERE run_id = $1 AND idx = $2 AND status IN ('pending', 'running')`,
    [runId, idx],
  );
}

/**
 * A stage succeeded: it records its final checkpoint, adds the tokens each dataset version gave
 * to the lineage edge dataset version → run, and either hands its checkpoint to the next stage as
 * its base and queues that stage's job, or ends the run as succeeded. Runs once per stage (the
 * stage must still be running), so a worker repeating it after a crash changes nothing.
 * @example await completeStage(tx, { workspace, runId, idx: 0, finalCheckpointId: ckpt.id, tokens: new Map([[v.id, 4096]]), stages: 2 });
 */
export async function completeStage(
  tx: Queryable,
  input: {
    workspace: string;
    runId: string;
    idx: number;
    finalCheckpointId: string;
    /** Tokens seen per dataset version id. */
    tokens: ReadonlyMap<string, number>;
    /** How many stages the run has. */
    stages: number;
    /** The job payload the next stage's job carries on (how its trainer is launched). */
    payload?: Record<string, unknown>;
  },
): Promise<"next_stage_queued" | "run_succeeded" | "already_done"> {
  const { rowCount } = await tx.query(
    `UPDATE run_stages SET status = 'succeeded', final_checkpoint_id = $3, finished_at = now()
     WHERE run_id = $1 AND idx = $2 AND status = 'running'`,
    [input.runId, input.idx, input.finalCheckpointId],
  );
  if (rowCount === 0) return "already_done";
  for (const [versionId, tokens] of input.tokens)
    await tx.query(
      `UPDATE lineage_edges SET tokens = COALESCE(tokens, 0) + $3
       WHERE from_kind = 'dataset_version' AND from_id = $1 AND to_kind = 'run' AND to_id = $2`,
      [versionId, input.runId, tokens],
    );
  const next = input.idx + 1;
  if (next >= input.stages) {
    await settleRun(tx, input.runId, { status: "succeeded" });
    return "run_succeeded";
  }
  await tx.query(
    `UPDATE run_stages SET base_checkpoint_id = COALESCE(base_checkpoint_id, $3) WHERE run_id = $1 AND idx = $2`,
    [input.runId, next, input.finalCheckpointId],
  );
  await enqueue(tx, {
    workspace: input.workspace,
    kind: "train_stage",
    runId: input.runId,
    stageIdx: next,
    payload: input.payload ?? {},
  });
  return "next_stage_queued";
}

/**
 * Ends a run whose last job ended without its handler ending the run: a job failed for good by
 * the queue (its lease expired on the last attempt) or cancelled before a handler ran. Without
 * this the run would stay queued or running with nothing left to run it. Returns the run's end,
 * or null when it still has a job waiting or held (or has ended already).
 * @example await settleOrphanedRun(db, runId); // called by whoever watches a run
 */
export async function settleOrphanedRun(db: Db, runId: string): Promise<RunEnd | null> {
  // followers call this every poll: look first, lock only when there is something to settle
  const last = await db.query<{ status: string }>(
    "SELECT status FROM jobs WHERE run_id = $1 ORDER BY id DESC LIMIT 1",
    [runId],
  );
  if (!["failed", "cancelled"].includes(last.rows[0]?.status ?? "")) return null;
  return db.transaction(async (tx) => {
    const run = await tx.query<{ status: string }>("SELECT status FROM runs WHERE id = $1 FOR UPDATE", [
      runId,
    ]);
    if (!["queued", "running"].includes(run.rows[0]?.status ?? "")) return null;
    const { rows } = await tx.query<{ status: string; last_error: string | null }>(
      "SELECT status, last_error FROM jobs WHERE run_id = $1 ORDER BY id DESC LIMIT 1",
      [runId],
    );
    const job = rows[0];
    if (!job || !["failed", "cancelled"].includes(job.status)) return null;
    const end: RunEnd =
      job.status === "cancelled"
        ? { status: "cancelled" }
        : { status: "failed", code: "job_failed", reason: job.last_error ?? "the job failed" };
    await settleRun(tx, runId, end);
    return end;
  });
}
