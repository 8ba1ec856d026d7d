/**
 * Event ingestion: trainer events written for a run the way the train_stage handler writes them
 * (appendRunEvents in a fenced transaction, a batch at a time). Baseline: one INSERT per event,
 * each its own statement, into the same table for the same run.
 */

import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import { fenced, type Lease } from "../../src/queue/queue.ts";
import { appendRunEvents } from "../../src/runs/events.ts";
import type { Db } from "../../src/store/db.ts";

function progress(runId: string, step: number): TrainerEvent {
  return {
    protocol_version: 1,
    type: "progress",
    run_id: runId,
    time: new Date().toISOString(),
    step,
    total_steps: 1_000_000,
    tokens: step * 4096,
    loss: 3 / Math.sqrt(step),
    lr: 3e-4,
    grad_norm: 0.9,
    tokens_per_s: 52_000,
    tokens_by_source: { handbook: step * 1229, general: step * 2867 },
  };
}

/**
 * Events per second through fenced appendRunEvents, `batch` events per transaction.
 * @example const rate = await batchedRate(db, lease, runId, { events: 20_000, batch: 100 });
 */
export async function batchedRate(
  db: Db,
  lease: Lease,
  runId: string,
  options: { events: number; batch: number; firstStep: number },
): Promise<number> {
  const t0 = performance.now();
  for (let done = 0; done < options.events; done += options.batch) {
    const events = Array.from({ length: Math.min(options.batch, options.events - done) }, (_, k) =>
      progress(runId, options.firstStep + done + k),
    );
    await fenced(db, lease, (tx) => appendRunEvents(tx, runId, 0, events));
  }
  return options.events / ((performance.now() - t0) / 1000);
}

/**
 * Events per second with one INSERT statement per event (the naive line-by-line ingester).
 * @example const rate = await singleInsertRate(db, runId, { events: 2_000, firstStep: 1 });
 */
export async function singleInsertRate(
  db: Db,
  runId: string,
  options: { events: number; firstStep: number },
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < options.events; i++) {
    const event = progress(runId, options.firstStep + i);
    await db.query(
      `INSERT INTO run_events (run_id, seq, stage_idx, type, body)
       SELECT $1, COALESCE(max(seq), 0) + 1, 0, $2, $3::jsonb FROM run_events WHERE run_id = $1`,
      [runId, event.type, JSON.stringify(event)],
    );
  }
  return options.events / ((performance.now() - t0) / 1000);
}
