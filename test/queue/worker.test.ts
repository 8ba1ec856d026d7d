import { afterEach, beforeEach, expect, it } from "vitest";
import { invalid } from "../../src/core/errors.ts";
import { enqueue, leaseNext } from "../../src/queue/queue.ts";
import { JobAborted, type JobContext, runWorker, type WorkerEvent } from "../../src/queue/worker.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";
import { type Seeded, seedRuns } from "./support/seed.ts";

/** Resolves with the abort reason once the handler's signal fires. */
const aborted = (signal: AbortSignal) =>
  new Promise<JobAborted>((resolve) => {
    if (signal.aborted) resolve(signal.reason as JobAborted);
    signal.addEventListener("abort", () => resolve(signal.reason as JobAborted), { once: true });
  });

describeEachStore("worker", (open) => {
  let db: Db;
  let seed: Seeded;
  beforeEach(async () => {
    db = await open();
    seed = await seedRuns(db, 1);
  });
  afterEach(() => db.close());

  const job = (maxAttempts = 3) =>
    db.transaction((tx) =>
      enqueue(tx, {
        workspace: seed.workspace,
        kind: "train_stage",
        runId: seed.runs[0]!,
        stageIdx: 0,
        maxAttempts,
      }),
    );
  const status = async (id: number) =>
    (
      await db.query<{ status: string; attempts: number; last_error: string | null }>(
        "SELECT status, attempts, last_error FROM jobs WHERE id = $1",
        [id],
      )
    ).rows[0]!;

  it("drains the queue: each job's handler runs once with its lease, and the job succeeds", async () => {
    const ids = [await job(), await job()];
    const seen: number[] = [];
    const events: WorkerEvent[] = [];
    const result = await runWorker(db, {
      owner: "w",
      drain: true,
      handlers: { train_stage: async (ctx) => void seen.push(ctx.lease.jobId) },
      onEvent: (e) => events.push(e),
    });
    expect(result.jobs).toBe(2);
    expect(seen).toEqual(ids);
    expect(events.map((e) => (e.event === "ended" ? e.end : e.event))).toEqual([
      "leased",
      "succeeded",
      "leased",
      "succeeded",
    ]);
    for (const id of ids) expect((await status(id)).status).toBe("succeeded");
  });

  it("a cancel requested on the run aborts the handler's signal with kind 'cancelled'; the job ends cancelled", async () => {
    const id = await job();
    let reason: JobAborted | undefined;
    await runWorker(db, {
      owner: "w",
      drain: true,
      leaseSeconds: 2,
      heartbeatSeconds: 0.1,
      handlers: {
        train_stage: async (ctx) => {
          await db.query("UPDATE runs SET cancel_requested_at = now() WHERE id = $1", [ctx.lease.runId]);
          reason = await aborted(ctx.signal);
          ctx.signal.throwIfAborted();
        },
      },
    });
    expect(reason).toBeInstanceOf(JobAborted);
    expect(reason!.kind).toBe("cancelled");
    expect(reason!.message).toMatch(new RegExp(`run ${seed.runs[0]} was cancelled`));
    expect(await status(id)).toMatchObject({ status: "cancelled" });
  });

  it("a run cancelled before its job was leased: the handler starts with its signal already aborted ('cancelled')", async () => {
    const id = await job();
    await db.query("UPDATE runs SET cancel_requested_at = now() WHERE id = $1", [seed.runs[0]]);
    let reason: unknown;
    await runWorker(db, {
      owner: "w",
      drain: true,
      handlers: {
        train_stage: async (ctx) => {
          reason = ctx.signal.reason;
          ctx.signal.throwIfAborted();
        },
      },
    });
    expect(reason).toMatchObject({ name: "JobAborted", kind: "cancelled" });
    expect(await status(id)).toMatchObject({ status: "cancelled" });
  });

  it("a lease taken over aborts the handler with kind 'lease_lost', and its fenced write is refused", async () => {
    const id = await job();
    let reason: JobAborted | undefined;
    let refused: unknown;
    const events: WorkerEvent[] = [];
    await runWorker(db, {
      owner: "paused",
      drain: true,
      leaseSeconds: 5,
      heartbeatSeconds: 0.2,
      onEvent: (e) => events.push(e),
      handlers: {
        train_stage: async (ctx: JobContext) => {
          // another worker takes the job over, as if this one had been paused past its lease
          await db.query("UPDATE jobs SET lease_expires_at = now() WHERE id = $1", [ctx.lease.jobId]);
          expect(await leaseNext(db, "thief", { leaseSeconds: 30 })).toMatchObject({ jobId: id, fence: 2 });
          reason = await aborted(ctx.signal);
          refused = await ctx.fenced(async () => "written").catch((err: unknown) => err);
          throw refused;
        },
      },
    });
    expect(reason?.kind).toBe("lease_lost");
    expect(refused).toMatchObject({ name: "LeaseLostError" });
    expect(events.at(-1)).toMatchObject({ event: "ended", end: "lease_lost" });
    const row = await db.query("SELECT status, lease_owner FROM jobs WHERE id = $1", [id]);
    expect(row.rows[0]).toEqual({ status: "leased", lease_owner: "thief" });
  });

  it("stopping the worker aborts the handler with kind 'shutdown' and hands the job back uncharged", async () => {
    const id = await job();
    const stop = new AbortController();
    let reason: JobAborted | undefined;
    const done = runWorker(db, {
      owner: "w",
      signal: stop.signal,
      handlers: {
        train_stage: async (ctx) => {
          stop.abort();
          reason = await aborted(ctx.signal);
          ctx.signal.throwIfAborted();
        },
      },
    });
    expect(await done).toEqual({ jobs: 1 });
    expect(reason?.kind).toBe("shutdown");
    expect(await status(id)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("a handler error is retried unless it is bad input; the message lands in last_error", async () => {
    const flaky = await job(2);
    const bad = await job(2);
    const backoff = { baseSeconds: 0.05, maxSeconds: 1 };
    let calls = 0;
    const handlers = {
      train_stage: async (ctx: JobContext) => {
        calls++;
        if (ctx.lease.jobId === bad) throw invalid("recipe.stages[0].lr", "must be > 0", -1, "use 1e-4");
        throw new Error(`trainer crashed on attempt ${ctx.lease.attempt}`);
      },
    };
    await runWorker(db, { owner: "w", drain: true, backoff, handlers });
    await new Promise((resolve) => setTimeout(resolve, 120));
    await runWorker(db, { owner: "w", drain: true, backoff, handlers });
    expect(calls).toBe(3);
    expect(await status(flaky)).toMatchObject({
      status: "failed",
      attempts: 2,
      last_error: "trainer crashed on attempt 2",
    });
    expect(await status(bad)).toMatchObject({ status: "failed", attempts: 1 });
    expect((await status(bad)).last_error).toMatch(/^recipe.stages\[0\].lr: must be > 0/);
  });

  it("a waiting worker wakes on the NOTIFY of a committed enqueue, long before its poll interval", async () => {
    const stop = new AbortController();
    const leased: number[] = [];
    const worker = runWorker(db, {
      owner: "w",
      pollMs: 60_000,
      signal: stop.signal,
      handlers: { train_stage: async () => undefined },
      onEvent: (e) => {
        if (e.event === "ended") {
          leased.push(e.lease.jobId);
          stop.abort();
        }
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the worker is idle, waiting
    const id = await job();
    const outcome = await Promise.race([
      worker.then(() => "worked"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting after 10 s"), 10_000)),
    ]);
    expect(outcome).toBe("worked");
    expect(leased).toEqual([id]);
  });

  it("refuses to start without handlers, or with heartbeats slower than the lease", async () => {
    await expect(runWorker(db, { owner: "w", handlers: {} })).rejects.toThrow(
      /the worker has no job handlers/,
    );
    await expect(
      runWorker(db, {
        owner: "w",
        leaseSeconds: 5,
        heartbeatSeconds: 5,
        handlers: { train_stage: async () => {} },
      }),
    ).rejects.toThrow(/leaseSeconds: heartbeats must come more often/);
  });
});
