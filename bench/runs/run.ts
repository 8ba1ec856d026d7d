// Run-service benchmarks: `npm run bench -- runs [--quick] [--only NAME]`
// Prints one JSON line per figure: {bench, name, value, unit, baseline, ratio}, every baseline
// measured in this same run. Needs a PostgreSQL server: DATABASE_URL, else 127.0.0.1:5432/test.
// See README.md for what each figure measures.
import { newId } from "../../src/core/ids.ts";
import { enqueue, leaseNext } from "../../src/queue/queue.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { emit, percentile } from "./emit.ts";
import { batchedRate, singleInsertRate } from "./ingestion.ts";
import { controlPlaneOverhead } from "./overhead.ts";
import { queueLatencies } from "./queue-latency.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;

interface Fixture {
  db: Db;
  workspace: string;
  principal: string;
}

/** A workspace and its user, the rows runs and jobs reference. */
async function seed(db: Db): Promise<Fixture> {
  const workspace = newId("ws");
  const principal = newId("pr");
  await db.query("INSERT INTO workspaces (id, name, created_by) VALUES ($1, $1, 'bench')", [workspace]);
  await db.query("INSERT INTO principals (id, kind, name, created_by) VALUES ($1, 'user', $1, 'bench')", [
    principal,
  ]);
  return { db, workspace, principal };
}

async function newRun(f: Fixture): Promise<string> {
  const run = newId("run");
  await f.db.query(
    `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
     VALUES ($1, $2, $1, '{}', 'sha256:bench', 'local', $3)`,
    [run, f.workspace, f.principal],
  );
  return run;
}

async function queueLatency(f: Fixture): Promise<void> {
  const pollMs = 250;
  const samples = quick ? 40 : 200;
  const listen = await queueLatencies(f.db, f.workspace, { listen: true, pollMs, samples });
  const poll = await queueLatencies(f.db, f.workspace, { listen: false, pollMs, samples });
  const note = `enqueue (start of its transaction) to a waiting worker holding the lease; baseline: the same worker as a plain ${pollMs} ms poll loop`;
  emit("queue_latency_p50", percentile(listen, 50), "ms", percentile(poll, 50), {
    samples,
    poll_ms: pollMs,
    note,
  });
  emit("queue_latency_p99", percentile(listen, 99), "ms", percentile(poll, 99), {
    samples,
    poll_ms: pollMs,
    note,
    target: "< 100 ms",
  });
}

async function eventIngestion(f: Fixture): Promise<void> {
  const run = await newRun(f);
  await f.db.transaction((tx) =>
    enqueue(tx, { workspace: f.workspace, kind: "train_stage", runId: run, stageIdx: 0 }),
  );
  const lease = (await leaseNext(f.db, "bench-ingest", { leaseSeconds: 600 }))!;
  const batch = 200; // RunIngest (the train_stage handler) writes at most 200 lines per batch
  const events = quick ? 5_000 : 20_000;
  const singles = quick ? 500 : 2_000;
  await batchedRate(f.db, lease, run, { events: 1_000, batch, firstStep: 1 }); // warm up
  const ours = await batchedRate(f.db, lease, run, { events, batch, firstStep: 1_001 });
  const base = await singleInsertRate(f.db, run, { events: singles, firstStep: 1_001 + events });
  emit("event_ingestion", ours, "events/s", base, {
    events,
    batch,
    baseline_events: singles,
    note: "appendRunEvents in a fenced transaction per batch (fence check + one multi-row INSERT); baseline: one INSERT statement per event, same run and table",
    target: ">= 5000 events/s",
  });
}

async function overhead(): Promise<void> {
  // a schema of its own: the run service bootstraps a fresh installation there
  const own = await openPostgres({ connectionString: url, schema: `${schema}_overhead` });
  let measured: Awaited<ReturnType<typeof controlPlaneOverhead>>;
  try {
    await migrate(own);
    measured = await controlPlaneOverhead(own, { steps: quick ? 20 : 60 });
  } finally {
    await own.exec(`DROP SCHEMA IF EXISTS ${schema}_overhead CASCADE`);
    await own.close();
  }
  const { serviceS, directS, steps, attempts } = measured;
  emit("control_plane_overhead", serviceS, "s", directS, {
    overhead_share: Number(((serviceS - directS) / serviceS).toFixed(4)),
    steps,
    attempts,
    note: "a short cpt run on nano tiny through startRun, the queue, an in-process worker and the train_stage handler (events, logs, checkpoints verified and registered); baseline: the same JobSpec through runLocal alone",
    target: "overhead_share <= 0.05",
  });
}

/** The figures, in order. */
const METRICS: Record<string, (f: Fixture) => Promise<void>> = {
  queue_latency: queueLatency,
  event_ingestion: eventIngestion,
  control_plane_overhead: overhead,
};

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const schema = `bench_runs_${process.pid}`;
let db: Db;
try {
  db = await openPostgres({ connectionString: url, schema });
} catch (err) {
  process.stderr.write(
    `bench/runs needs a PostgreSQL server (DATABASE_URL or ${url}): ${(err as Error).message}\n`,
  );
  process.exit(1);
}
try {
  await migrate(db);
  const fixture = await seed(db);
  for (const [name, metric] of Object.entries(METRICS)) {
    if (!only || only === name) await metric(fixture);
  }
} finally {
  await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}
