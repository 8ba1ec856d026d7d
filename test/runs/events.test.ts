import { afterEach, beforeEach, expect, it } from "vitest";
import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import { appendRunEvents, appendRunLogs, readRunEvents, readRunLogs } from "../../src/runs/events.ts";
import type { Db } from "../../src/store/db.ts";
import { type Seeded, seedRuns } from "../queue/support/seed.ts";
import { describeEachStore } from "../support/stores.ts";

const progress = (runId: string, step: number): TrainerEvent => ({
  protocol_version: 1,
  type: "progress",
  run_id: runId,
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, step)).toISOString(),
  step,
  total_steps: 100,
  loss: 2.5 - step / 100,
  lr: 1e-4,
  tokens: step * 512,
  tokens_per_s: 1000,
  tokens_by_source: { handbook: step * 154, general: step * 358 },
});

describeEachStore("run events and logs", (open) => {
  let db: Db;
  let seed: Seeded;
  beforeEach(async () => {
    db = await open();
    seed = await seedRuns(db, 2);
  });
  afterEach(() => db.close());

  it("numbers events per run across batches and stages, and reads them back in order by page", async () => {
    const [run, other] = seed.runs as [string, string];
    await appendRunEvents(db, run, 0, [progress(run, 1), progress(run, 2)]);
    await appendRunEvents(db, other, 0, [progress(other, 1)]);
    await appendRunEvents(db, run, 1, [progress(run, 3)]);
    await appendRunEvents(db, run, 1, []);
    const all = await readRunEvents(db, run);
    expect(all.map((e) => [e.seq, e.stageIdx, (e.event as { step: number }).step])).toEqual([
      [1, 0, 1],
      [2, 0, 2],
      [3, 1, 3],
    ]);
    expect(all[0]!.event).toEqual(progress(run, 1));
    expect(new Date(all[0]!.at).toISOString()).toBe(all[0]!.at);
    expect((await readRunEvents(db, run, { afterSeq: 1, limit: 1 })).map((e) => e.seq)).toEqual([2]);
    expect((await readRunEvents(db, other)).map((e) => e.seq)).toEqual([1]);
    const types = await db.query("SELECT DISTINCT type FROM run_events WHERE run_id = $1", [run]);
    expect(types.rows).toEqual([{ type: "progress" }]);
  });

  it("stores log lines verbatim (quotes, backslashes, unicode), NUL replaced since PostgreSQL text cannot hold it", async () => {
    const [run] = seed.runs as [string];
    const lines = ['loss "nan" at C:\\tmp\\x', "ünïcödé ✓ \\u0000 stays literal", "nul\0here", ""];
    await appendRunLogs(db, run, 0, lines.slice(0, 2));
    await appendRunLogs(db, run, 2, lines.slice(2));
    const read = await readRunLogs(db, run);
    expect(read.map((l) => l.line)).toEqual([...lines.slice(0, 2), "nul\ufffdhere", ""]);
    expect(read.map((l) => [l.seq, l.stageIdx])).toEqual([
      [1, 0],
      [2, 0],
      [3, 2],
      [4, 2],
    ]);
    expect((await readRunLogs(db, run, { afterSeq: 3 })).map((l) => l.line)).toEqual([""]);
  });

  it("a batch is one statement: a bad row (unknown run) writes none of it", async () => {
    await expect(appendRunLogs(db, "run_missing", 0, ["a", "b"])).rejects.toThrow(/foreign key/);
    expect(await db.query("SELECT 1 FROM run_logs")).toMatchObject({ rowCount: 0 });
  });
});
