import { hostname } from "node:os";
import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import type { JobKind } from "../../queue/queue.ts";
import { type JobEnd, type JobHandler, runWorker, type WorkerEvent } from "../../queue/worker.ts";
import { isolationLine } from "../../runners/trainer-user.ts";
import type { Db } from "../../store/db.ts";
import { hasInstallationKey, headSigningFromEnv, headsFileOf, signHeadsOnCadence } from "../audit-heads.ts";
import type { CommandContext, RunAction } from "../command.ts";
import type { Output } from "../io.ts";
import { runtimeFromEnv } from "../runtime.ts";
import { withDb } from "../session.ts";

/** The worker's settings, parsed from its flags. */
export interface WorkerFlags {
  owner: string;
  drain: boolean;
  leaseSeconds: number;
  pollMs: number;
}

interface WorkerOptions {
  drain?: boolean;
  leaseSeconds: string;
  pollMs: string;
  owner?: string;
  trainerUser?: string;
}

export interface WorkerSummary {
  owner: string;
  jobs: number;
  ended: Partial<Record<JobEnd, number>>;
  stopped_by: "drained" | "signal";
}

/**
 * `crucible worker`: leases jobs from the store's queue and runs them. The worker acts on the
 * database directly, as a service of the installation (like every command in embedded mode):
 * the run service authorised each job when it queued it, so the worker checks no policy itself.
 * On the embedded store it holds the store's lock while it runs, so use `--drain` there (or
 * `crucible serve`, which runs a worker in-process); on a PostgreSQL server run as many as you like.
 */
export function registerWorker(worker: Command, run: RunAction): void {
  worker
    .option(
      "--drain",
      "exit as soon as no job is ready (on the embedded store, which it locks while it runs)",
    )
    .option(
      "--lease-seconds <n>",
      "how long a lease lasts without a heartbeat (heartbeats every third of it)",
      "30",
    )
    .option("--poll-ms <n>", "longest idle wait between looks at the queue (NOTIFY wakes it sooner)", "1000")
    .option("--owner <name>", "who holds the leases, as written to jobs.lease_owner (default host:pid)")
    .option(
      "--trainer-user <user>",
      "run the trainer as this unprivileged user (name or uid:gid; default $CRUCIBLE_TRAINER_USER); needs root or CAP_SETUID",
    )
    .action(
      run(async (ctx, options: WorkerOptions) => {
        const flags: WorkerFlags = {
          owner: options.owner ?? `${hostname()}:${process.pid}`,
          drain: options.drain === true,
          leaseSeconds: positive("--lease-seconds", options.leaseSeconds),
          pollMs: positive("--poll-ms", options.pollMs),
        };
        if (flags.owner.trim() === "")
          throw invalid("--owner", "must not be empty", flags.owner, "Leave it out for host:pid");
        const runtime = runtimeFromEnv(ctx.env, { trainerUser: options.trainerUser });
        const { isolation } = runtime;
        ctx.out.info(
          ctx.out.json
            ? JSON.stringify({ event: "trainer_isolation", ...isolation, line: isolationLine(isolation) })
            : `crucible worker: ${isolationLine(isolation)}`,
        );
        const signsHeads = hasInstallationKey(ctx.env);
        ctx.out.info(headsStartLine(ctx, signsHeads));
        const { handlers } = runtime.worker;
        const stop = new AbortController();
        const release = stopOnSignals(stop, (signal) =>
          ctx.out.info(`crucible worker: ${signal}, finishing the job at hand`),
        );
        try {
          const summary = await withDb(ctx, async (db) => {
            // where the installation key is here, the worker anchors the audit entries its runs append
            const stopHeads = signsHeads
              ? signHeadsOnCadence(
                  db,
                  ctx.env,
                  (line) => ctx.out.info(line),
                  headSigningFromEnv(ctx.env, { create: false }),
                )
              : undefined;
            try {
              return await work(db, ctx.out, flags, handlers, stop.signal);
            } finally {
              await stopHeads?.({ final: true });
            }
          });
          ctx.out.result(
            summary,
            () => `crucible worker: ${summary.jobs} job(s), stopped (${summary.stopped_by})`,
          );
        } finally {
          release();
        }
      }),
    );
}

/** The worker's start-up line about audit heads: signed here on the cadence, or elsewhere. */
function headsStartLine(ctx: CommandContext, signsHeads: boolean): string {
  const signing = headSigningFromEnv(ctx.env, { create: false });
  const line = signsHeads
    ? `audit heads signed here every ${signing.everyAppends} entries or ${signing.everySeconds} s, and at shutdown (${headsFileOf(ctx.env)})`
    : "no installation key in $CRUCIBLE_HOME/keys: audit heads are signed elsewhere (`crucible serve`, `crucible audit head` on the control plane's host)";
  return ctx.out.json
    ? JSON.stringify({ event: "audit_heads", signed_here: signsHeads, line })
    : `crucible worker: ${line}`;
}

/**
 * Runs the worker loop, writing one line per job leased and ended on stderr (a JSON line each
 * with --json, so stdout keeps its one document: the summary).
 * @example const summary = await work(db, out, flags, runtime.worker.handlers, stop.signal);
 */
export async function work(
  db: Db,
  out: Output,
  flags: WorkerFlags,
  handlers: Partial<Record<JobKind, JobHandler>>,
  signal: AbortSignal,
): Promise<WorkerSummary> {
  const ended: Partial<Record<JobEnd, number>> = {};
  const { jobs } = await runWorker(db, {
    owner: flags.owner,
    handlers,
    leaseSeconds: flags.leaseSeconds,
    pollMs: flags.pollMs,
    drain: flags.drain,
    signal,
    onEvent: (event) => {
      if (event.event === "ended") ended[event.end] = (ended[event.end] ?? 0) + 1;
      out.info(out.json ? JSON.stringify(eventDocument(event)) : eventLine(event));
    },
  });
  return { owner: flags.owner, jobs, ended, stopped_by: signal.aborted ? "signal" : "drained" };
}

/** Aborts `stop` on the first SIGTERM or SIGINT (a second one ends the process the default way). */
export function stopOnSignals(stop: AbortController, onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handle = (signal: NodeJS.Signals) => {
    onSignal(signal);
    stop.abort();
  };
  process.once("SIGTERM", handle);
  process.once("SIGINT", handle);
  return () => {
    process.off("SIGTERM", handle);
    process.off("SIGINT", handle);
  };
}

function eventDocument(event: WorkerEvent): Record<string, unknown> {
  const at = event.at.toISOString();
  const { lease } = event;
  const job = lease
    ? {
        job: lease.jobId,
        kind: lease.kind,
        run: lease.runId,
        stage: lease.stageIdx,
        attempt: lease.attempt,
        fence: lease.fence,
      }
    : {};
  if (event.event === "store_error") {
    return { event: event.event, at, ...job, error: event.error, retry_in_ms: event.retryInMs };
  }
  if (event.event === "leased") {
    return {
      event: event.event,
      at,
      ...job,
      owner: event.lease.owner,
      expires_at: event.lease.expiresAt.toISOString(),
    };
  }
  return {
    event: event.event,
    at,
    ...job,
    end: event.end,
    ms: event.ms,
    ...(event.error ? { error: event.error } : {}),
  };
}

function eventLine(event: WorkerEvent): string {
  const at = event.at.toISOString();
  if (event.event === "store_error") {
    const held = event.lease ? ` (holding job ${event.lease.jobId}: its lease will expire)` : "";
    return `${at} store error: ${event.error}${held}; trying again in ${event.retryInMs} ms`;
  }
  const { lease } = event;
  const what = `job ${lease.jobId} ${lease.kind}${lease.runId ? ` run ${lease.runId} stage ${lease.stageIdx}` : ""}`;
  const attempt = `attempt ${lease.attempt}/${lease.maxAttempts}, fence ${lease.fence}`;
  if (event.event === "leased") return `${at} leased    ${what} (${attempt})`;
  const error = event.error ? `: ${event.error}` : "";
  return `${at} ${event.end.padEnd(9)} ${what} (${attempt}, ${event.ms} ms)${error}`;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) {
    throw invalid(
      flag,
      "must be a positive number",
      text,
      `Give a number like ${flag === "--poll-ms" ? "1000" : "30"}`,
    );
  }
  return value;
}
