/**
 * Queue latency: from the moment a job is enqueued (the start of the enqueuing transaction, so its
 * INSERT, NOTIFY and COMMIT count) to a waiting worker holding its lease. Ours: runWorker woken by
 * LISTEN/NOTIFY, polling as fallback. Baseline: the same worker as a plain poll loop at the same
 * interval (listen: false). Jobs come one at a time, each after a random pause up to the poll
 * interval, so they land at random points of the worker's poll cycle.
 */
import { enqueue } from "../../src/queue/queue.ts";
import { runWorker } from "../../src/queue/worker.ts";
import type { Db } from "../../src/store/db.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Milliseconds from enqueue to lease for `samples` jobs, ascending.
 * @example const ms = await queueLatencies(db, workspace, { listen: true, pollMs: 250, samples: 100 });
 */
export async function queueLatencies(
  db: Db,
  workspace: string,
  options: { listen: boolean; pollMs: number; samples: number },
): Promise<number[]> {
  const stop = new AbortController();
  const leasedAt = new Map<number, number>();
  let onLeased: (() => void) | undefined;
  const worker = runWorker(db, {
    owner: options.listen ? "bench-listen" : "bench-poll",
    handlers: { train_stage: async () => undefined },
    pollMs: options.pollMs,
    listen: options.listen,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.event !== "leased") return;
      leasedAt.set(event.lease.jobId, performance.now());
      onLeased?.();
    },
  });
  const latencies: number[] = [];
  try {
    await sleep(options.pollMs); // the worker has looked once and is waiting
    for (let i = 0; i < options.samples; i++) {
      await sleep(Math.random() * options.pollMs);
      const t0 = performance.now();
      const id = await db.transaction((tx) => enqueue(tx, { workspace, kind: "train_stage" }));
      while (!leasedAt.has(id)) await new Promise<void>((resolve) => (onLeased = resolve));
      latencies.push(leasedAt.get(id)! - t0);
    }
  } finally {
    stop.abort();
    await worker;
  }
  return latencies.sort((a, b) => a - b);
}
