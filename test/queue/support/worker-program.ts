// A real worker process for test/queue/worker-processes.test.ts:
//   node bin/run-ts.js test/queue/support/worker-program.ts URL SCHEMA OWNER LEASE_SECONDS
// It runs the `crucible worker` loop (work() and its signal handling) with a test handler that
// records when it held each job in job_intervals, through fenced writes, and works for the
// job's payload.ms milliseconds.
import { stopOnSignals, work } from "../../../src/cli/commands/worker.ts";
import { Output, processIo } from "../../../src/cli/io.ts";
import type { JobContext } from "../../../src/queue/worker.ts";
import { openPostgres } from "../../../src/store/postgres.ts";

const [url, schema, owner, lease] = process.argv.slice(2) as [string, string, string, string];
const db = await openPostgres({ connectionString: url, schema, max: 3 });

async function recordInterval(ctx: JobContext): Promise<void> {
  const { jobId, fence } = ctx.lease;
  await ctx.fenced((tx) =>
    tx.query(
      "INSERT INTO job_intervals (job_id, fence, owner, started_at) VALUES ($1, $2, $3, clock_timestamp())",
      [jobId, fence, owner],
    ),
  );
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Number(ctx.lease.payload.ms ?? 0));
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
  ctx.signal.throwIfAborted();
  await ctx.fenced((tx) =>
    tx.query("UPDATE job_intervals SET ended_at = clock_timestamp() WHERE job_id = $1 AND fence = $2", [
      jobId,
      fence,
    ]),
  );
}

const stop = new AbortController();
stopOnSignals(stop, () => undefined);
const out = new Output(processIo(), true);
process.stderr.write(`${JSON.stringify({ event: "ready", owner })}\n`);
const summary = await work(
  db,
  out,
  { owner, drain: false, leaseSeconds: Number(lease), pollMs: 200 },
  { train_stage: recordInterval },
  stop.signal,
);
out.result(summary, () => "");
await db.close();
