import { afterEach, beforeEach, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import {
  enqueue,
  fenced,
  finishJob,
  heartbeat,
  type Lease,
  LeaseLostError,
  leaseNext,
} from "../../src/queue/queue.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";
import { type Seeded, seedRuns } from "./support/seed.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachStore("job queue", (open, kind) => {
  let db: Db;
  let seed: Seeded;
  beforeEach(async () => {
    db = await open();
    seed = await seedRuns(db, 2);
  });
  afterEach(() => db.close());

  const job = (extra: Partial<Parameters<typeof enqueue>[1]> = {}) =>
    db.transaction((tx) => enqueue(tx, { workspace: seed.workspace, kind: "train_stage", ...extra }));

  const row = async (id: number) =>
    (
      await db.query<{
        status: string;
        attempts: number;
        fence: number;
        last_error: string | null;
        wait_s: number;
      }>(
        `SELECT status, attempts, fence, last_error,
           EXTRACT(EPOCH FROM run_after - clock_timestamp())::float8 AS wait_s
         FROM jobs WHERE id = $1`,
        [id],
      )
    ).rows[0]!;

  it("leases ready jobs oldest run_after first, never one whose run_after is still ahead", async () => {
    const later = await job({ runAfter: new Date(Date.now() + 60_000) });
    const second = await job({ runAfter: new Date(Date.now() - 1_000) });
    const first = await job({ runAfter: new Date(Date.now() - 2_000), runId: seed.runs[0]!, stageIdx: 1 });
    const a = await leaseNext(db, "w1", { leaseSeconds: 30 });
    const b = await leaseNext(db, "w1", { leaseSeconds: 30 });
    expect([a?.jobId, b?.jobId]).toEqual([first, second]);
    expect(a).toMatchObject({ runId: seed.runs[0], stageIdx: 1, attempt: 1, fence: 1, owner: "w1" });
    expect(await leaseNext(db, "w1", { leaseSeconds: 30 })).toBeNull();
    expect((await row(later)).status).toBe("pending");
  });

  it("enqueue is part of the caller's transaction: rolled back, no job exists", async () => {
    await expect(
      db.transaction(async (tx) => {
        await enqueue(tx, { workspace: seed.workspace, kind: "train_stage" });
        throw new Error("caller fails after enqueue");
      }),
    ).rejects.toThrow("caller fails");
    expect(await leaseNext(db, "w1", { leaseSeconds: 30 })).toBeNull();
  });

  it("refuses a bad job with the field named: unknown kind, maxAttempts 0", async () => {
    const bad = { workspace: seed.workspace, kind: "scan" as "train_stage" };
    await expect(db.transaction((tx) => enqueue(tx, bad))).rejects.toThrow(/kind: unknown job kind/);
    await expect(job({ maxAttempts: 0 })).rejects.toThrow(/maxAttempts: must be an integer >= 1/);
  });

  it("two concurrent leasers never get the same job, and together get every job", async () => {
    const ids = new Set<number>();
    for (let i = 0; i < 24; i++) ids.add(await job());
    const drain = async (owner: string) => {
      const got: number[] = [];
      for (let lease = await leaseNext(db, owner, { leaseSeconds: 30 }); lease; ) {
        got.push(lease.jobId);
        lease = await leaseNext(db, owner, { leaseSeconds: 30 });
      }
      return got;
    };
    const results = await Promise.all([drain("a"), drain("b"), drain("c")]);
    const all = results.flat();
    expect(all.length).toBe(ids.size);
    expect(new Set(all)).toEqual(ids);
    if (kind === "postgres") expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1);
  });

  it("an expired lease is taken over with a higher fence; the old holder's writes and finish are refused", async () => {
    const id = await job({ runId: seed.runs[0]!, stageIdx: 0 });
    const old = (await leaseNext(db, "old", { leaseSeconds: 0.3 }))!;
    expect(await leaseNext(db, "new", { leaseSeconds: 30 })).toBeNull(); // still held
    await sleep(450);
    const taken = (await leaseNext(db, "new", { leaseSeconds: 30 }))!;
    expect(taken).toMatchObject({ jobId: id, owner: "new", attempt: 2, fence: old.fence + 1 });

    let ran = false;
    const write = fenced(db, old, async (tx) => {
      ran = true;
      await tx.query("UPDATE runs SET failure_reason = 'written by the old lease' WHERE id = $1", [
        old.runId,
      ]);
    });
    await expect(write).rejects.toBeInstanceOf(LeaseLostError);
    await expect(write).rejects.toThrow(
      /lease lost: job \d+ was leased by old with fence 1, and is now at fence 2/,
    );
    expect(ran).toBe(false);
    expect(await heartbeat(db, old, 30)).toBe(false);
    await expect(finishJob(db, old, { status: "succeeded" })).rejects.toMatchObject({
      code: "failed_precondition",
      details: { field: "jobs.fence" },
    });
    expect((await row(id)).status).toBe("leased");

    await fenced(db, taken, (tx) =>
      tx.query("UPDATE runs SET failure_reason = 'new' WHERE id = $1", [taken.runId]),
    );
    await finishJob(db, taken, { status: "succeeded" });
    expect(await row(id)).toMatchObject({ status: "succeeded", attempts: 2, fence: 2 });
    const run = await db.query<{ failure_reason: string }>("SELECT failure_reason FROM runs WHERE id = $1", [
      taken.runId,
    ]);
    expect(run.rows[0]!.failure_reason).toBe("new");
    // a finished job refuses its own (former) lease too
    await expect(finishJob(db, taken, { status: "succeeded" })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("a heartbeat keeps the lease past its first expiry", async () => {
    await job();
    const lease = (await leaseNext(db, "w", { leaseSeconds: 0.4 }))!;
    const firstExpiry = lease.expiresAt.getTime();
    await sleep(250);
    expect(await heartbeat(db, lease, 0.4)).toBe(true);
    expect(lease.expiresAt.getTime()).toBeGreaterThan(firstExpiry);
    await sleep(250); // past the first expiry, within the extended one
    expect(await leaseNext(db, "thief", { leaseSeconds: 30 })).toBeNull();
  });

  it("a retried failure waits out an exponential backoff, then fails for good at max_attempts", async () => {
    const id = await job({ maxAttempts: 3 });
    const backoff = { baseSeconds: 0.2, maxSeconds: 60 };
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      let lease: Lease | null = null;
      for (let i = 0; i < 100 && !lease; i++) {
        lease = await leaseNext(db, "w", { leaseSeconds: 30 });
        if (!lease) await sleep(20);
      }
      expect(lease).toMatchObject({ jobId: id, attempt });
      await finishJob(db, lease!, { status: "failed", error: `boom ${attempt}`, retry: true }, { backoff });
      const now = await row(id);
      if (attempt < 3) {
        expect(now).toMatchObject({ status: "pending", last_error: `boom ${attempt}` });
        waits.push(now.wait_s);
        expect(await leaseNext(db, "w", { leaseSeconds: 30 })).toBeNull(); // backing off
      } else {
        expect(now).toMatchObject({ status: "failed", attempts: 3, last_error: "boom 3" });
      }
    }
    expect(waits[0]).toBeGreaterThan(0.1);
    expect(waits[0]).toBeLessThanOrEqual(0.2);
    expect(waits[1]).toBeGreaterThan(0.3);
    expect(waits[1]).toBeLessThanOrEqual(0.4);
  });

  it("a failure without retry, and a cancellation, end the job at once", async () => {
    const a = await job({ maxAttempts: 5 });
    const b = await job({ maxAttempts: 5 });
    const la = (await leaseNext(db, "w", { leaseSeconds: 30 }))!;
    const lb = (await leaseNext(db, "w", { leaseSeconds: 30 }))!;
    await finishJob(db, la, { status: "failed", error: "bad recipe", retry: false });
    await finishJob(db, lb, { status: "cancelled", reason: "user asked" });
    expect(await row(a)).toMatchObject({ status: "failed", attempts: 1, last_error: "bad recipe" });
    expect(await row(b)).toMatchObject({ status: "cancelled", last_error: "user asked" });
  });

  it("an expired lease on the last attempt fails the job instead of leasing it again", async () => {
    const id = await job({ maxAttempts: 1 });
    const lease = (await leaseNext(db, "crashed", { leaseSeconds: 0.2 }))!;
    await sleep(350);
    expect(await leaseNext(db, "other", { leaseSeconds: 30 })).toBeNull();
    const now = await row(id);
    expect(now).toMatchObject({ status: "failed", attempts: 1, fence: 2 });
    expect(now.last_error).toBe("lease of crashed expired on attempt 1 of 1");
    await expect(fenced(db, lease, async () => 1)).rejects.toBeInstanceOf(CrucibleError);
  });
});
