/**
 * The job queue, in the `jobs` table of either store. Workers lease with `FOR UPDATE SKIP LOCKED`,
 * so two leasers never take the same row; a lease lasts `leaseSeconds` unless heartbeats extend it,
 * and an expired lease is taken over by the next leaser. Every lease raises `jobs.fence`: a write
 * for the job goes through `fenced()`, which refuses it unless the fence is still the one leased
 * with, so a worker that was paused past its lease cannot write after another took over.
 */
import type { Db, Queryable } from "../store/db.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelaySeconds } from "./backoff.ts";
import { LeaseLostError } from "./lease-lost.ts";
import { JOB_KINDS, type JobKind, validateNewJob } from "./new-job.ts";

export { type BackoffPolicy, DEFAULT_BACKOFF, retryDelaySeconds } from "./backoff.ts";
export { LeaseLostError } from "./lease-lost.ts";
export { JOB_KINDS, type JobKind } from "./new-job.ts";

/** NOTIFY channel of every enqueue; the payload is the schema, so listeners of one schema filter. */
export const JOBS_CHANNEL = "crucible_jobs";

export interface NewJob {
  workspace: string;
  kind: JobKind;
  runId?: string;
  stageIdx?: number;
  payload?: Record<string, unknown>;
  /** Leases a job may take before it fails for good (default: the table's, 3). */
  maxAttempts?: number;
  /** Not before this time (default: now). */
  runAfter?: Date;
}

/** What a worker holds while it works on a job. `fence` is the token every write must carry. */
export interface Lease {
  jobId: number;
  workspace: string;
  kind: JobKind;
  runId: string | null;
  stageIdx: number | null;
  payload: Record<string, unknown>;
  /** 1 for the first lease, counting every lease taken (expired ones included). */
  attempt: number;
  maxAttempts: number;
  fence: number;
  owner: string;
  /** When the lease runs out unless a heartbeat extends it (heartbeat updates this field). */
  expiresAt: Date;
}

export type JobOutcome =
  | { status: "succeeded" }
  | { status: "failed"; error: string; retry: boolean }
  | { status: "cancelled"; reason: string };

/**
 * Queues a job inside the caller's transaction; workers listening are woken at commit.
 * @example const id = await db.transaction((tx) => enqueue(tx, { workspace, kind: "train_stage", runId, stageIdx: 0 }));
 */
export async function enqueue(q: Queryable, job: NewJob): Promise<number> {
  validateNewJob(job);
  const columns = ["workspace_id", "kind", "run_id", "stage_idx", "payload"];
  const values: unknown[] = [
    job.workspace,
    job.kind,
    job.runId ?? null,
    job.stageIdx ?? null,
    JSON.stringify(job.payload ?? {}),
  ];
  // Left out, the table's defaults apply (max_attempts 3, run_after now()).
  if (job.maxAttempts !== undefined) {
    columns.push("max_attempts");
    values.push(job.maxAttempts);
  }
  if (job.runAfter !== undefined) {
    columns.push("run_after");
    values.push(job.runAfter);
  }
  const placeholders = values.map((_, i) => (i === 4 ? `$${i + 1}::jsonb` : `$${i + 1}`));
  // One round trip: the row and the NOTIFY (delivered at commit), so enqueue adds little latency.
  const { rows } = await q.query<{ id: number }>(
    `WITH job AS (INSERT INTO jobs (${columns.join(", ")}) VALUES (${placeholders.join(", ")}) RETURNING id)
     SELECT job.id, pg_notify('${JOBS_CHANNEL}', current_schema())::text AS notified FROM job`,
    values,
  );
  return Number(rows[0]!.id);
}

interface LeaseRow {
  id: number;
  workspace_id: string;
  kind: JobKind;
  run_id: string | null;
  stage_idx: number | null;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  fence: number;
  lease_owner: string;
  lease_expires_at: Date;
}

/**
 * Leases the next ready job: pending with `run_after` passed, or leased with its lease expired
 * (taken over). Raises the fence and counts the attempt. A job whose lease expired on its last
 * attempt is failed for good instead. Null when nothing is ready.
 * @example const lease = await leaseNext(db, "host:123", { kinds: ["train_stage"], leaseSeconds: 30 });
 */
export async function leaseNext(
  db: Db,
  owner: string,
  options: { kinds?: readonly JobKind[]; leaseSeconds: number },
): Promise<Lease | null> {
  const kinds = [...(options.kinds ?? JOB_KINDS)];
  // Under READ COMMITTED, a row another leaser took between our snapshot and our lock is rechecked
  // and dropped, and LIMIT 1 then yields nothing although other jobs are ready: look, and try again.
  for (let tries = 0; tries < 5; tries++) {
    const { rows } = await db.query<LeaseRow>(LEASE_SQL, [kinds, owner, options.leaseSeconds]);
    if (rows[0]) return toLease(rows[0]);
    const ready = await db.query(`SELECT 1 FROM jobs WHERE kind = ANY($1::text[]) AND ${READY} LIMIT 1`, [
      kinds,
    ]);
    if (ready.rows.length === 0) return null;
  }
  return null;
}

const READY = `((status = 'pending' AND run_after <= now())
  OR (status = 'leased' AND lease_expires_at <= now() AND attempts < max_attempts))`;

// One statement, one round trip: expired leases on their last attempt cannot be taken over, so
// they fail (fence raised); then the oldest ready job is leased.
const LEASE_SQL = `WITH exhausted AS (
    UPDATE jobs SET status = 'failed', fence = fence + 1, finished_at = now(),
      last_error = 'lease of ' || lease_owner || ' expired on attempt ' || attempts || ' of ' || max_attempts,
      lease_owner = NULL, lease_expires_at = NULL
    WHERE id IN (
      SELECT id FROM jobs
      WHERE kind = ANY($1::text[]) AND status = 'leased' AND lease_expires_at <= now()
        AND attempts >= max_attempts
      FOR UPDATE SKIP LOCKED)
    RETURNING jobs.id
  ), next AS (
    SELECT id FROM jobs
    WHERE kind = ANY($1::text[]) AND ${READY}
    ORDER BY CASE WHEN status = 'leased' THEN lease_expires_at ELSE run_after END, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
  )
  UPDATE jobs SET status = 'leased', attempts = attempts + 1, fence = fence + 1,
    lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3)
  FROM next WHERE jobs.id = next.id
  RETURNING jobs.id, workspace_id, kind, run_id, stage_idx, payload, attempts, max_attempts,
    fence, lease_owner, lease_expires_at`;

function toLease(row: LeaseRow): Lease {
  return {
    jobId: Number(row.id),
    workspace: row.workspace_id,
    kind: row.kind,
    runId: row.run_id,
    stageIdx: row.stage_idx,
    payload: row.payload,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    fence: Number(row.fence),
    owner: row.lease_owner,
    expiresAt: new Date(row.lease_expires_at),
  };
}

/**
 * Extends the lease by `leaseSeconds` from now. False when the lease is lost: another worker
 * took the job over (fence moved) or it is no longer leased.
 * @example if (!(await heartbeat(db, lease, 30))) controller.abort();
 */
export async function heartbeat(db: Db, lease: Lease, leaseSeconds: number): Promise<boolean> {
  const { rows } = await db.query<{ lease_expires_at: Date }>(
    `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3)
     WHERE id = $1 AND fence = $2 AND status = 'leased'
     RETURNING lease_expires_at`,
    [lease.jobId, lease.fence, leaseSeconds],
  );
  const row = rows[0];
  if (!row) return false;
  lease.expiresAt = new Date(row.lease_expires_at);
  return true;
}

/** When cancellation of the job's run was requested, or null (also for jobs without a run). */
export async function cancelRequestedAt(q: Queryable, lease: Lease): Promise<Date | null> {
  if (lease.runId === null) return null;
  const { rows } = await q.query<{ cancel_requested_at: Date | null }>(
    "SELECT cancel_requested_at FROM runs WHERE id = $1",
    [lease.runId],
  );
  const at = rows[0]?.cancel_requested_at;
  return at ? new Date(at) : null;
}

/**
 * Runs `fn` in one transaction that first locks the job row and checks that the lease is still
 * current (same fence, still leased); throws LeaseLostError otherwise, writing nothing.
 * @example await fenced(db, lease, (tx) => appendRunEvents(tx, runId, 0, events));
 */
export function fenced<T>(db: Db, lease: Lease, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ fence: number; status: string }>(
      "SELECT fence, status FROM jobs WHERE id = $1 FOR UPDATE",
      [lease.jobId],
    );
    const row = rows[0];
    if (!row || Number(row.fence) !== lease.fence || row.status !== "leased") {
      throw new LeaseLostError(lease, row ? { fence: Number(row.fence), status: row.status } : null);
    }
    return fn(tx);
  });
}

/**
 * Records how the job ended, fenced. A failure with `retry` goes back to pending after an
 * exponential backoff unless its attempts are spent; then it fails for good.
 * @example await finishJob(db, lease, { status: "failed", error: "trainer exited 1", retry: true });
 */
export async function finishJob(
  db: Db,
  lease: Lease,
  outcome: JobOutcome,
  options: { backoff?: BackoffPolicy } = {},
): Promise<void> {
  await fenced(db, lease, async (tx) => {
    if (outcome.status === "failed" && outcome.retry && lease.attempt < lease.maxAttempts) {
      const delay = retryDelaySeconds(lease.attempt, options.backoff ?? DEFAULT_BACKOFF);
      await tx.query(
        `UPDATE jobs SET status = 'pending', last_error = $2, lease_owner = NULL, lease_expires_at = NULL,
           run_after = now() + make_interval(secs => $3)
         WHERE id = $1`,
        [lease.jobId, outcome.error, delay],
      );
      return;
    }
    const lastError =
      outcome.status === "failed" ? outcome.error : outcome.status === "cancelled" ? outcome.reason : null;
    await tx.query(
      `UPDATE jobs SET status = $2, last_error = $3, lease_owner = NULL, lease_expires_at = NULL,
         finished_at = now()
       WHERE id = $1`,
      [lease.jobId, outcome.status, lastError],
    );
  });
}

/**
 * Hands a job back to the queue without charging the attempt (a worker stopping gracefully),
 * fenced; another worker may lease it at once.
 * @example await releaseJob(db, lease);
 */
export async function releaseJob(db: Db, lease: Lease): Promise<void> {
  await fenced(db, lease, (tx) =>
    tx.query(
      `UPDATE jobs SET status = 'pending', attempts = attempts - 1, lease_owner = NULL,
         lease_expires_at = NULL, run_after = now()
       WHERE id = $1`,
      [lease.jobId],
    ),
  );
}
