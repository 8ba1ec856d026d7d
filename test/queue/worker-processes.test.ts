import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { enqueue } from "../../src/queue/queue.ts";
import type { Db } from "../../src/store/db.ts";
import { testStoreOpener } from "../support/stores.ts";
import { type Seeded, seedRuns } from "./support/seed.ts";

// Several real `crucible worker` processes on one PostgreSQL server (PGlite is one process's
// database, so this runs on the server only).
const url = inject("postgresUrl");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Worker {
  owner: string;
  child: ChildProcess;
  stderr: string[];
  stdout: string[];
  exited: Promise<number | null>;
}

function startWorker(schema: string, owner: string, leaseSeconds: number): Worker {
  const child = spawn(
    process.execPath,
    ["bin/run-ts.js", "test/queue/support/worker-program.ts", url!, schema, owner, String(leaseSeconds)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  const stdout: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { owner, child, stderr, stdout, exited };
}

interface Interval {
  job_id: number;
  fence: number;
  owner: string;
  started_at: Date;
  ended_at: Date | null;
}

describe.skipIf(!url)("worker processes on the PostgreSQL server", () => {
  let db: Db;
  let seed: Seeded;
  let workers: Worker[] = [];
  beforeEach(async () => {
    db = await testStoreOpener("postgres")();
    seed = await seedRuns(db, 0);
    await db.exec(`CREATE TABLE job_intervals (
      job_id bigint NOT NULL, fence bigint NOT NULL, owner text NOT NULL,
      started_at timestamptz NOT NULL, ended_at timestamptz, PRIMARY KEY (job_id, fence))`);
  });
  afterEach(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    workers = [];
    await db.close();
  });

  const enqueueJobs = (count: number, ms: number) =>
    db.transaction(async (tx) => {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        ids.push(await enqueue(tx, { workspace: seed.workspace, kind: "train_stage", payload: { ms } }));
      }
      return ids;
    });
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const intervals = async () =>
    (await db.query<Interval>("SELECT * FROM job_intervals ORDER BY job_id, started_at")).rows;

  it("4 workers over 40 jobs: each job runs exactly once, no two holders of a job ever overlap, SIGTERM exits 0", async () => {
    workers = [0, 1, 2, 3].map((i) => startWorker(db.schema, `w${i}`, 3));
    // every worker is up before the jobs come, so the work is shared however slow the machine is
    await waitFor("every worker to start", async () =>
      workers.every((w) => w.stderr.join("").includes('"event":"ready"')) ? true : undefined,
    );
    const ids = await enqueueJobs(40, 150);
    await waitFor("every job to succeed", async () => {
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*) AS n FROM jobs WHERE status = 'succeeded'",
      );
      return rows[0]!.n === ids.length ? true : undefined;
    });
    for (const w of workers) w.child.kill("SIGTERM");
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);

    const all = await intervals();
    expect(all.map((i) => Number(i.job_id)).sort((a, b) => a - b)).toEqual(ids);
    expect(all.every((i) => i.ended_at !== null && Number(i.fence) === 1)).toBe(true);
    const jobs = await db.query<{ attempts: number; fence: number }>("SELECT attempts, fence FROM jobs");
    expect(jobs.rows.every((j) => j.attempts === 1 && Number(j.fence) === 1)).toBe(true);
    // the work was shared, and jobs did run at the same time on different workers
    const owners = new Set(all.map((i) => i.owner));
    expect(owners.size).toBeGreaterThan(1);
    const overlapping = all.some((a) =>
      all.some((b) => a !== b && a.started_at < b.ended_at! && b.started_at < a.ended_at!),
    );
    expect(overlapping).toBe(true);
    // each worker's stderr carries a JSON line per job leased and ended; stdout its summary
    const lines = workers.flatMap((w) =>
      w.stderr
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    );
    expect(lines.filter((l) => l.event === "ended" && l.end === "succeeded").length).toBe(40);
  });

  it("a worker killed with SIGKILL mid-job: another takes the job over once the lease expires, with a higher fence", async () => {
    const leaseSeconds = 1.5;
    workers = [startWorker(db.schema, "a", leaseSeconds), startWorker(db.schema, "b", leaseSeconds)];
    const [id] = await enqueueJobs(1, 2500);
    const first = await waitFor("a worker to start the job", async () => (await intervals())[0]);
    const victim = workers.find((w) => w.owner === first.owner)!;
    const survivor = workers.find((w) => w !== victim)!;
    await sleep(300); // mid-job, with a heartbeat or so behind it
    // the lease as it stands just before the kill: a heartbeat after this read only extends it
    const { rows: held } = await db.query<{ lease_expires_at: Date }>(
      "SELECT lease_expires_at FROM jobs WHERE id = $1",
      [id],
    );
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBeNull();

    await waitFor("the job to succeed", async () => {
      const { rows } = await db.query<{ status: string }>("SELECT status FROM jobs WHERE id = $1", [id]);
      return rows[0]!.status === "succeeded" ? true : undefined;
    });
    const [killed, resumed, ...rest] = await intervals();
    expect(rest).toEqual([]);
    expect(killed).toMatchObject({ owner: victim.owner, ended_at: null });
    expect(resumed).toMatchObject({ owner: survivor.owner });
    expect(Number(resumed!.fence)).toBe(Number(killed!.fence) + 1);
    // no takeover before the killed worker's lease ran out (both times from the server's clock)
    expect(resumed!.started_at.getTime()).toBeGreaterThanOrEqual(
      new Date(held[0]!.lease_expires_at).getTime(),
    );
    const job = await db.query<{ attempts: number; fence: number }>(
      "SELECT attempts, fence FROM jobs WHERE id = $1",
      [id],
    );
    expect(job.rows[0]).toMatchObject({ attempts: 2 });
  });

  it("SIGTERM mid-job: the handler sees 'shutdown', the job goes back to the queue uncharged, the worker exits 0", async () => {
    const worker = startWorker(db.schema, "t", 30);
    workers = [worker];
    const [id] = await enqueueJobs(1, 60_000);
    await waitFor("the worker to start the job", async () => (await intervals())[0]);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    const job = await db.query("SELECT status, attempts, lease_owner FROM jobs WHERE id = $1", [id]);
    expect(job.rows[0]).toEqual({ status: "pending", attempts: 0, lease_owner: null });
    expect(JSON.parse(worker.stdout.join(""))).toEqual({
      owner: "t",
      jobs: 1,
      ended: { released: 1 },
      stopped_by: "signal",
    });
  });
});
