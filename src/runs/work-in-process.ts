import { runWorker, type WorkerOptions } from "../queue/worker.ts";
import type { Db } from "../store/db.ts";
import { TERMINAL } from "./run-rows.ts";

/**
 * Works the queue in this process until run `runId` ends or `signal` aborts. The embedded store
 * (PGlite) admits one process, so whoever starts a run on it must also work its jobs; between
 * drains it waits half a second, which is how a retry's backoff is waited out.
 * @example await workInProcess(db, run.id, { owner: `${hostname()}:${process.pid}`, handlers: jobHandlers(deps), signal });
 */
export async function workInProcess(
  db: Db,
  runId: string,
  options: Pick<WorkerOptions, "owner" | "handlers"> & { signal: AbortSignal },
): Promise<void> {
  const { owner, handlers, signal } = options;
  while (!signal.aborted) {
    await runWorker(db, { owner, handlers, drain: true, signal });
    const { rows } = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
    if ((TERMINAL as readonly string[]).includes(rows[0]?.status ?? "failed")) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
