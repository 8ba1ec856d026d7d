/**
 * RunIngest against the real queue: batches are written fenced under the worker's lease, and the
 * first failed write (here: the lease taken over by another worker) is reported at once, so the
 * train_stage handler can stop the trainer instead of letting it run on unrecorded.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import { enqueue, fenced, LeaseLostError, leaseNext } from "../../src/queue/queue.ts";
import { readRunEvents, readRunLogs } from "../../src/runs/events.ts";
import { RunIngest } from "../../src/runs/run-ingest.ts";
import type { Db } from "../../src/store/db.ts";
import { type Seeded, seedRuns } from "../queue/support/seed.ts";
import { describeEachStore } from "../support/stores.ts";

const warning = (runId: string, message: string): TrainerEvent => ({
  protocol_version: 1,
  type: "warning",
  run_id: runId,
  time: "2026-01-01T00:00:00.000Z",
  code: "other",
  message,
});

describeEachStore("run ingest", (open) => {
  let db: Db;
  let seed: Seeded;
  beforeEach(async () => {
    db = await open();
    seed = await seedRuns(db, 1);
  });
  afterEach(() => db.close());

  it("writes batches in order under the lease; the first failed write is reported once and ends the ingest", async () => {
    const [run] = seed.runs as [string];
    await enqueue(db, { workspace: seed.workspace, kind: "train_stage", runId: run, stageIdx: 0 });
    const lease = (await leaseNext(db, "w1", { leaseSeconds: 0.2 }))!;
    const failures: unknown[] = [];
    const ingest = new RunIngest({
      runId: run,
      stageIdx: 0,
      fenced: (fn) => fenced(db, lease, fn),
      onCheckpoint: async () => {},
      flushMs: 1,
      onFailure: (err) => failures.push(err),
    });
    ingest.event(warning(run, "first"));
    ingest.log("line 1");
    await new Promise((r) => setTimeout(r, 50));
    // the lease runs out and another worker takes the job over: w1's writes must stop
    await new Promise((r) => setTimeout(r, 250));
    expect(await leaseNext(db, "w2", { leaseSeconds: 30 })).toMatchObject({ fence: lease.fence + 1 });
    ingest.event(warning(run, "second"));
    await new Promise((r) => setTimeout(r, 50));
    ingest.event(warning(run, "third"));
    await expect(ingest.close()).rejects.toBeInstanceOf(LeaseLostError);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(LeaseLostError);
    const events = await readRunEvents(db, run);
    expect(events.map((e) => (e.event as { message: string }).message)).toEqual(["first"]);
    expect((await readRunLogs(db, run)).map((l) => l.line)).toEqual(["line 1"]);
  });
});
