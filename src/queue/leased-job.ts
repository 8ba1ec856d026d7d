/**
 * One leased job, start to end: run the kind's handler with a signal, heartbeat while it works
 * (each heartbeat also looks for a cancel request on the job's run), then record the outcome,
 * fenced. The signal aborts with a JobAborted whose `kind` says why.
 */
import { CrucibleError } from "../core/errors.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { BackoffPolicy } from "./backoff.ts";
import {
  cancelRequestedAt,
  fenced,
  finishJob,
  heartbeat,
  type Lease,
  LeaseLostError,
  releaseJob,
} from "./queue.ts";

export interface JobContext {
  db: Db;
  lease: Lease;
  /** Aborts when the lease is lost, the run is cancelled, or the worker stops; reason: JobAborted. */
  signal: AbortSignal;
  /** `fenced(db, lease, fn)`: one transaction that writes only while this lease is current. */
  fenced<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Does the job. Resolving succeeds it; throwing fails it, retried (with backoff) unless the error
 * says a retry cannot help: a CrucibleError whose code is not `unavailable` or `internal`. A
 * handler that stops because its signal aborted should throw (e.g. `signal.throwIfAborted()`).
 */
export type JobHandler = (ctx: JobContext) => Promise<void>;

export type AbortKind = "lease_lost" | "cancelled" | "shutdown";

/** The reason a handler's signal carries. */
export class JobAborted extends Error {
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
    this.name = "JobAborted";
  }
}

/** How a job ended for this worker; `retry` is a failure sent back to pending. */
export type JobEnd = "succeeded" | "failed" | "retry" | "cancelled" | "released" | "lease_lost";

export interface JobRunOptions {
  leaseSeconds: number;
  heartbeatSeconds: number;
  backoff?: BackoffPolicy;
  /** The worker's own signal: aborting it hands the job back (`released`) once the handler stops. */
  stop?: AbortSignal;
}

/**
 * Runs one leased job to its end and records the outcome.
 * @example const { end } = await runJob(db, lease, handler, { leaseSeconds: 30, heartbeatSeconds: 10 });
 */
export async function runJob(
  db: Db,
  lease: Lease,
  handler: JobHandler,
  options: JobRunOptions,
): Promise<{ end: JobEnd; error?: string }> {
  const controller = new AbortController();
  const abort = (kind: AbortKind, message: string) => {
    if (!controller.signal.aborted) controller.abort(new JobAborted(kind, message));
  };
  // A cancel that came before this lease (say, while a crashed worker held the job) still reaches
  // the handler: it starts with its signal aborted, so it can settle the run as cancelled.
  const cancelled = await cancelRequestedAt(db, lease);
  if (cancelled) abort("cancelled", cancelMessage(lease, cancelled));
  const onStop = () => abort("shutdown", "the worker is stopping; the job goes back to the queue");
  options.stop?.addEventListener("abort", onStop, { once: true });
  const beats = new AbortController();
  const beating = keepLease(db, lease, options, beats.signal, abort);
  let failure: unknown;
  let threw = false;
  try {
    await handler({
      db,
      lease,
      signal: controller.signal,
      fenced: async (fn) => {
        try {
          return await fenced(db, lease, fn);
        } catch (err) {
          if (err instanceof LeaseLostError) abort("lease_lost", err.message);
          throw err;
        }
      },
    });
  } catch (err) {
    threw = true;
    failure = err;
  } finally {
    beats.abort();
    options.stop?.removeEventListener("abort", onStop);
    await beating;
  }
  const reason = controller.signal.aborted ? (controller.signal.reason as JobAborted) : undefined;
  if (reason?.kind === "lease_lost" || failure instanceof LeaseLostError) {
    return { end: "lease_lost", error: reason?.message ?? (failure as Error).message };
  }
  if (!threw) return settle(db, lease, { status: "succeeded" }, options);
  if (reason?.kind === "cancelled")
    return settle(db, lease, { status: "cancelled", reason: reason.message }, options);
  if (reason?.kind === "shutdown") return settle(db, lease, null, options);
  const error = failure instanceof Error ? failure.message : String(failure);
  return settle(db, lease, { status: "failed", error, retry: retryable(failure) }, options);
}

/** Whether a retry can help: not for bad input, denials or broken preconditions. */
export function retryable(err: unknown): boolean {
  if (!(err instanceof CrucibleError)) return true;
  return err.code === "unavailable" || err.code === "internal";
}

/**
 * Heartbeats until `stop`; aborts the job when the lease is lost or its run is cancelled, and
 * when the lease runs out by this worker's own clock. A worker cut off from the store cannot
 * renew its lease, and its heartbeat may hang until the driver's timeout: the deadline must not
 * wait for it, since once the lease has expired another worker may lease the job.
 */
async function keepLease(
  db: Db,
  lease: Lease,
  options: JobRunOptions,
  stop: AbortSignal,
  abort: (kind: AbortKind, message: string) => void,
): Promise<void> {
  const leaseMs = options.leaseSeconds * 1000;
  // Measured on this worker's clock from when the renewal was sent (the server's expiry can only
  // be later); the first lease's send time is unknown, so the server's own expiry bounds it.
  const deadline = { at: Math.min(lease.expiresAt.getTime(), Date.now() + leaseMs) };
  await Promise.all([
    watchDeadline(lease, deadline, stop, abort),
    beat(db, lease, options, deadline, stop, abort),
  ]);
}

async function watchDeadline(
  lease: Lease,
  deadline: { at: number },
  stop: AbortSignal,
  abort: (kind: AbortKind, message: string) => void,
): Promise<void> {
  for (;;) {
    const left = deadline.at - Date.now();
    if (left <= 0) {
      abort(
        "lease_lost",
        `lease expired: job ${lease.jobId} (fence ${lease.fence}) was not renewed by ${new Date(deadline.at).toISOString()} (the store did not confirm a heartbeat); another worker may hold it now`,
      );
      return;
    }
    if (!(await sleep(left, stop))) return;
  }
}

async function beat(
  db: Db,
  lease: Lease,
  options: JobRunOptions,
  deadline: { at: number },
  stop: AbortSignal,
  abort: (kind: AbortKind, message: string) => void,
): Promise<void> {
  while (await sleep(options.heartbeatSeconds * 1000, stop)) {
    let held: boolean;
    const sentAt = Date.now();
    try {
      held = await heartbeat(db, lease, options.leaseSeconds);
      if (held) deadline.at = sentAt + options.leaseSeconds * 1000;
    } catch {
      // The store did not answer; the lease still holds until it expires, so try again then.
      if (Date.now() < deadline.at) continue;
      held = false;
    }
    if (!held) {
      abort("lease_lost", `lease lost: job ${lease.jobId} (fence ${lease.fence}) was taken over or ended`);
      return;
    }
    const at = await cancelRequestedAt(db, lease).catch(() => null);
    if (at) abort("cancelled", cancelMessage(lease, at));
  }
}

async function settle(
  db: Db,
  lease: Lease,
  outcome: Parameters<typeof finishJob>[2] | null,
  options: JobRunOptions,
): Promise<{ end: JobEnd; error?: string }> {
  try {
    if (outcome === null) {
      await releaseJob(db, lease);
      return { end: "released" };
    }
    await finishJob(db, lease, outcome, options.backoff ? { backoff: options.backoff } : {});
  } catch (err) {
    if (err instanceof LeaseLostError) return { end: "lease_lost", error: err.message };
    throw err;
  }
  if (outcome.status === "failed") {
    const end = outcome.retry && lease.attempt < lease.maxAttempts ? "retry" : "failed";
    return { end, error: outcome.error };
  }
  return outcome.status === "cancelled" ? { end: "cancelled", error: outcome.reason } : { end: "succeeded" };
}

function cancelMessage(lease: Lease, at: Date): string {
  return `run ${lease.runId} was cancelled (requested at ${at.toISOString()})`;
}

/** Resolves true after `ms`, or false at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
