import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../src/queue/backoff.ts";
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

describe("retry backoff schedule", () => {
  const policy = fc
    .record({
      baseSeconds: fc.double({ min: 0.001, max: 60, noNaN: true }),
      maxSeconds: fc.double({ min: 0.001, max: 86_400, noNaN: true }),
    })
    .filter((p) => p.maxSeconds >= p.baseSeconds);

  it("starts at base, doubles per attempt, never decreases and never exceeds max", () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 2000 }), (p, attempt) => {
        const delay = retryDelaySeconds(attempt, p);
        const next = retryDelaySeconds(attempt + 1, p);
        expect(retryDelaySeconds(1, p)).toBe(p.baseSeconds);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(p.maxSeconds);
        expect(next).toBeGreaterThanOrEqual(delay);
        expect(next === p.maxSeconds || next === delay * 2).toBe(true);
      }),
    );
  });

  it("refuses an attempt that is not a whole number >= 1", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => retryDelaySeconds(bad)).toThrow(RangeError);
  });
});

/** What a worker may do to the one job in a scenario; `expire` ends whatever lease is current. */
type Step = { op: "lease" | "write" | "heartbeat" | "finish"; worker: number } | { op: "expire" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constantFrom("lease", "write", "heartbeat", "finish"),
    worker: fc.nat(1),
  }) as fc.Arbitrary<Step>,
  fc.constant({ op: "expire" } as Step),
);

describeEachStore("fencing rule", (open) => {
  let db: Db;
  let seed: Seeded;
  beforeAll(async () => {
    db = await open();
    seed = await seedRuns(db, 0);
  });
  afterAll(() => db.close());

  it("a write, heartbeat or finish succeeds exactly when its lease is the job's latest and the job is still leased", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        // one job in play per scenario: those of earlier scenarios are settled
        await db.query("UPDATE jobs SET status = 'cancelled' WHERE status IN ('pending', 'leased')");
        const id = await db.transaction((tx) =>
          enqueue(tx, { workspace: seed.workspace, kind: "train_stage", maxAttempts: 100 }),
        );
        // the model: the job's fence and status, and the lease each worker holds
        let fence = 0;
        let status: "pending" | "leased" | "succeeded" = "pending";
        let expired = false;
        const held = new Map<number, Lease>();
        for (const s of steps) {
          if (s.op === "expire") {
            await db.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [
              id,
            ]);
            expired = true;
            continue;
          }
          if (s.op === "lease") {
            const lease = await leaseNext(db, `w${s.worker}`, { leaseSeconds: 60 });
            const available = status === "pending" || (status === "leased" && expired);
            expect(lease?.jobId ?? null).toBe(available ? id : null);
            if (lease) {
              fence++;
              status = "leased";
              expired = false;
              expect(lease.fence).toBe(fence);
              held.set(s.worker, lease);
            }
            continue;
          }
          const lease = held.get(s.worker);
          if (!lease) continue;
          const current = lease.fence === fence && status === "leased";
          if (s.op === "heartbeat") {
            expect(await heartbeat(db, lease, 60)).toBe(current);
            if (current) expired = false;
            continue;
          }
          const act =
            s.op === "write"
              ? fenced(db, lease, (tx) =>
                  tx.query("UPDATE jobs SET payload = $2 WHERE id = $1", [id, { w: s.worker }]),
                )
              : finishJob(db, lease, { status: "succeeded" });
          if (current) {
            await act;
            if (s.op === "finish") status = "succeeded";
          } else {
            await expect(act).rejects.toBeInstanceOf(LeaseLostError);
          }
        }
        // at the end, every lease ever held tries once more: only the latest, if still leased, may write
        for (const lease of held.values()) {
          const write = fenced(db, lease, (tx) =>
            tx.query("UPDATE jobs SET payload = '{}' WHERE id = $1", [id]),
          );
          if (lease.fence === fence && status === "leased") await write;
          else await expect(write).rejects.toBeInstanceOf(LeaseLostError);
        }
        const { rows } = await db.query<{ fence: number; status: string }>(
          "SELECT fence, status FROM jobs WHERE id = $1",
          [id],
        );
        expect({ fence: Number(rows[0]!.fence), status: rows[0]!.status }).toEqual({ fence, status });
      }),
      { numRuns: 150 },
    );
  });
});
