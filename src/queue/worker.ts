/**
 * The loop behind `crucible worker`: lease a job of a kind it has a handler for, run it (see
 * leased-job.ts), repeat. Idle, it waits for a NOTIFY from `enqueue` (so a waiting worker wakes at
 * once) or for the poll interval, whichever comes first: polling also catches retries whose
 * backoff ended and leases that expired, which no NOTIFY announces.
 */
import { CrucibleError } from "../core/errors.ts";
import type { Db } from "../store/db.ts";
import { type BackoffPolicy, retryDelaySeconds } from "./backoff.ts";
import { type JobEnd, type JobHandler, runJob } from "./leased-job.ts";
import { type JobKind, type Lease, leaseNext } from "./queue.ts";
import { JobsListener, Wakeup } from "./wakeup.ts";

export {
  type AbortKind,
  JobAborted,
  type JobContext,
  type JobEnd,
  type JobHandler,
  retryable,
} from "./leased-job.ts";

export interface WorkerOptions {
  /** Who holds the leases (`host:pid` from the CLI); written to `jobs.lease_owner`. */
  owner: string;
  handlers: Partial<Record<JobKind, JobHandler>>;
  /** How long a lease lasts without a heartbeat (default 30). */
  leaseSeconds?: number;
  /** Heartbeat interval (default a third of the lease). */
  heartbeatSeconds?: number;
  /** Longest idle wait between looks at the queue (default 1000). */
  pollMs?: number;
  /** Aborting stops leasing; the job at hand sees its signal abort and goes back to the queue. */
  signal?: AbortSignal;
  /** Return as soon as no job is ready instead of waiting. */
  drain?: boolean;
  /** Wake on NOTIFY (default true); false leaves a plain poll loop (the benchmark's baseline). */
  listen?: boolean;
  backoff?: BackoffPolicy;
  /** Told of every job leased and ended (the CLI prints a line for each). */
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { event: "leased"; at: Date; lease: Lease }
  | { event: "ended"; at: Date; lease: Lease; end: JobEnd; error?: string; ms: number }
  /** The store failed the worker (it is down, say); the worker tries again after `retryInMs`. */
  | { event: "store_error"; at: Date; error: string; retryInMs: number; lease?: Lease };

/**
 * Works jobs until `signal` aborts (or, with `drain`, until none is ready). Returns how many jobs
 * it leased.
 * @example await runWorker(db, { owner: "host:42", handlers: jobHandlers(deps), drain: true });
 */
export async function runWorker(db: Db, options: WorkerOptions): Promise<{ jobs: number }> {
  const kinds = (Object.keys(options.handlers) as JobKind[]).filter((k) => options.handlers[k]);
  if (kinds.length === 0) {
    throw new CrucibleError("failed_precondition", "the worker has no job handlers", {
      field: "handlers",
      value: [],
      fix: "register a handler per job kind in src/runs/handlers.ts",
    });
  }
  const leaseSeconds = options.leaseSeconds ?? 30;
  const heartbeatSeconds = options.heartbeatSeconds ?? leaseSeconds / 3;
  if (!(leaseSeconds > 0 && heartbeatSeconds > 0 && heartbeatSeconds < leaseSeconds)) {
    throw new CrucibleError("invalid_argument", "heartbeats must come more often than the lease runs out", {
      field: "leaseSeconds",
      value: { leaseSeconds, heartbeatSeconds },
      fix: "use a positive lease and a heartbeat interval shorter than it (a third is the default)",
    });
  }
  const pollMs = options.pollMs ?? 1000;
  const wakeup = new Wakeup();
  const listener = options.listen === false ? undefined : new JobsListener(db, wakeup);
  await listener?.start();
  let jobs = 0;
  let failures = 0;
  // A store error (the server restarting, say) does not end a worker that serves a queue: it
  // says so, waits (growing up to 30 s) and tries again. A job it held meanwhile is taken over
  // once its lease expires. A draining worker stops at the first error instead.
  const storeError = async (err: unknown, lease?: Lease) => {
    if (options.drain) throw err;
    failures++;
    const retryInMs = Math.round(
      retryDelaySeconds(failures, { baseSeconds: pollMs / 1000, maxSeconds: 30 }) * 1000,
    );
    const error = err instanceof Error ? err.message : String(err);
    options.onEvent?.({
      event: "store_error",
      at: new Date(),
      error,
      retryInMs,
      ...(lease ? { lease } : {}),
    });
    await wakeup.wait(retryInMs, options.signal);
  };
  try {
    while (!options.signal?.aborted) {
      wakeup.clear();
      await listener?.keep();
      let lease: Lease | null;
      try {
        lease = await leaseNext(db, options.owner, { kinds, leaseSeconds });
      } catch (err) {
        await storeError(err);
        continue;
      }
      failures = 0;
      if (!lease) {
        if (options.drain) break;
        await wakeup.wait(pollMs, options.signal);
        continue;
      }
      jobs++;
      options.onEvent?.({ event: "leased", at: new Date(), lease });
      const started = performance.now();
      const handler = options.handlers[lease.kind] as JobHandler;
      try {
        const result = await runJob(db, lease, handler, {
          leaseSeconds,
          heartbeatSeconds,
          ...(options.backoff ? { backoff: options.backoff } : {}),
          ...(options.signal ? { stop: options.signal } : {}),
        });
        const ms = Math.round(performance.now() - started);
        options.onEvent?.({ event: "ended", at: new Date(), lease, ...result, ms });
      } catch (err) {
        await storeError(err, lease);
      }
    }
  } finally {
    await listener?.close();
  }
  return { jobs };
}
