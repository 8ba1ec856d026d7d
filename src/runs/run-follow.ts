import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { Db } from "../store/db.ts";
import { readRunEvents, readRunLogs } from "./events.ts";
import { type RunStatus, TERMINAL } from "./run-rows.ts";
import { settleOrphanedRun } from "./run-state.ts";

export interface FollowOptions {
  /** Start after this event seq (0: from the first event). */
  afterSeq?: number;
  afterLogSeq?: number;
  onEvent?: (entry: { seq: number; stageIdx: number; event: TrainerEvent }) => void | Promise<void>;
  onLog?: (entry: { seq: number; stageIdx: number; line: string }) => void | Promise<void>;
  /** Called when the run's status changes (first call: the status when following began). */
  onStatus?: (status: RunStatus) => void;
  /** Between looks at the store (default 250 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Follows a run's events and log lines as they are written, in order, until the run ends (every
 * event written before the end is delivered) or `signal` aborts. Works on either store, from any
 * process: it only reads (but ends a run whose last job ended without ending it; see
 * settleOrphanedRun). Returns the run's last status.
 * @example const status = await followRun(db, runId, { onEvent: ({ event }) => print(event) });
 */
export async function followRun(q: Db, runId: string, options: FollowOptions = {}): Promise<RunStatus> {
  let afterSeq = options.afterSeq ?? 0;
  let afterLog = options.afterLogSeq ?? 0;
  let last: RunStatus | undefined;
  for (;;) {
    // a run whose last job ended without ending it (lease expired on the last attempt) ends here
    await settleOrphanedRun(q, runId);
    // read the status first: events written before a run ended are all visible once it has
    const { rows } = await q.query<{ status: RunStatus }>("SELECT status FROM runs WHERE id = $1", [runId]);
    const status = rows[0]?.status ?? "failed";
    if (status !== last) options.onStatus?.(status);
    last = status;
    for (;;) {
      const page = await readRunEvents(q, runId, { afterSeq, limit: 500 });
      for (const e of page) await options.onEvent?.(e);
      afterSeq = page.at(-1)?.seq ?? afterSeq;
      if (page.length < 500) break;
    }
    if (options.onLog)
      for (;;) {
        const page = await readRunLogs(q, runId, { afterSeq: afterLog, limit: 500 });
        for (const l of page) await options.onLog(l);
        afterLog = page.at(-1)?.seq ?? afterLog;
        if (page.length < 500) break;
      }
    if (TERMINAL.includes(status) || options.signal?.aborted) return status;
    await pause(options.pollMs ?? 250, options.signal);
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
