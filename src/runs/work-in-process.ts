import { runWorker, type WorkerOptions } from "../queue/worker.ts";
import type { Db } from "../store/db.ts";
import { type FollowOptions, followRun } from "./run-follow.ts";
import { type RunStatus, TERMINAL } from "./run-rows.ts";

/** Who works the jobs in this process, and with which handlers (the process's runtime has them). */
export type InProcessWorker = Pick<WorkerOptions, "owner" | "handlers">;

/**
 * Whether the store admits only this process (the embedded store, PGlite): then no `crucible
 * worker` can open it, and whoever queues jobs on it must also work them.
 * @example if (admitsOneProcess(db)) await workInProcess(db, run.id, { ...worker, signal });
 */
export function admitsOneProcess(db: Db): boolean {
  return db.kind === "pglite";
}

/**
 * Follows run `runId` to its end (see followRun) and, where the store admits one process, works
 * the queue in this process meanwhile; on a server, `crucible worker`s do. `run start` and the
 * demo's runs go through here. Returns the run's last status.
 * @example const status = await driveRun(db, started.id, runtime.worker, { onEvent: print });
 */
export async function driveRun(
  db: Db,
  runId: string,
  worker: InProcessWorker,
  follow: Pick<FollowOptions, "onEvent"> = {},
): Promise<RunStatus> {
  const stop = new AbortController();
  const working = admitsOneProcess(db)
    ? workInProcess(db, runId, { ...worker, signal: stop.signal })
    : Promise.resolve();
  try {
    return await followRun(db, runId, follow);
  } finally {
    stop.abort();
    await working;
  }
}

/**
 * Works the queue in this process until `signal` aborts, where the store admits one process
 * (`crucible serve` on the embedded store: runs started over HTTP are worked there); undefined
 * where the store is shared and `crucible worker`s do the work.
 * @example const working = workEmbeddedQueue(db, { ...runtime.worker, signal: stop.signal });
 */
export function workEmbeddedQueue(
  db: Db,
  options: InProcessWorker & { signal: AbortSignal },
): Promise<void> | undefined {
  if (!admitsOneProcess(db)) return undefined;
  return runWorker(db, options).then(() => undefined);
}

/**
 * Works the queue in this process until run `runId` ends or `signal` aborts. The embedded store
 * (PGlite) admits one process, so whoever starts a run on it must also work its jobs; between
 * drains it waits half a second, which is how a retry's backoff is waited out.
 * @example await workInProcess(db, run.id, { owner: `${hostname()}:${process.pid}`, handlers: jobHandlers(deps), signal });
 */
export async function workInProcess(
  db: Db,
  runId: string,
  options: InProcessWorker & { signal: AbortSignal },
): Promise<void> {
  const { owner, handlers, signal } = options;
  while (!signal.aborted) {
    await runWorker(db, { owner, handlers, drain: true, signal });
    const { rows } = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
    if ((TERMINAL as readonly string[]).includes(rows[0]?.status ?? "failed")) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
