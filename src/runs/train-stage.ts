import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { markPruned, registerRunCheckpoint, resolveCheckpoint } from "../checkpoints/index.ts";
import { CrucibleError } from "../core/errors.ts";
import { ArtifactStore } from "../data/service/artifacts.ts";
import type { VersionRow } from "../data/service/refs.ts";
import { assertUsableForTraining } from "../data/service/usable.ts";
import { authorizeAndAudit } from "../governed/funnel.ts";
import { loadPrincipal } from "../identity/principals.ts";
import { mintWorkloadToken, revokeRunTokens } from "../identity/workload.ts";
import type { RunFacts } from "../policy/entities.ts";
import { JobAborted, type JobContext, type JobHandler } from "../queue/worker.ts";
import { type LocalRunOptions, runLocal } from "../runners/local-runner.ts";
import { runTorchrun } from "../runners/torchrun-runner.ts";
import { sealHome } from "../runners/trainer-dirs.ts";
import type { TrainerUser } from "../runners/trainer-user.ts";
import type { Queryable } from "../store/db.ts";
import { keepCheckpoint, keptPath, leaseOutputDir, linkResumePoint } from "./lease-dir.ts";
import { checkRecipe } from "./recipe.ts";
import { RunIngest } from "./run-ingest.ts";
import { findRun, runFacts, stagesOfRun, TERMINAL } from "./run-rows.ts";
import { beginStage, completeStage, settleRun } from "./run-state.ts";
import type { StagePayload } from "./runs.ts";
import { stageJobSpec, stageOutputDir } from "./stage-spec.ts";

export interface TrainStageDeps {
  python: string;
  /** Crucible home: run directories and dataset artifacts live under it. */
  home: string;
  /**
   * The worker's environment: the trainer gets only its allowlisted variables
   * (TRAINER_ENV_ALLOWLIST), and the attempt's workload token and run id.
   */
  env: NodeJS.ProcessEnv;
  /** The user the trainer runs as, where the worker can switch to it (trainer-user.ts). */
  trainerUser?: TrainerUser;
  /** Seconds between SIGTERM and SIGKILL when a stage is cancelled. */
  graceSeconds?: number;
}

/**
 * The `train_stage` job handler: one stage of a run, from its JobSpec to its end. It re-checks
 * the stage's inputs (an approval revoked since the start fails the run) and its starter's
 * `run.start` (a starter disabled or stripped of the role since fails it too), mints the attempt's
 * workload token (into the trainer's environment only), runs the trainer with `resume: true` in
 * this lease's own directory, seeded with the newest checkpoints earlier leases left (so a worker
 * taking the stage over continues from them, and a stale trainer of an earlier lease cannot
 * replace or prune what this one registers), writes events, log lines and checkpoints in fenced batches,
 * and ends the stage:
 * the next stage queued or the run succeeded; failed with the trainer's reason; or cancelled.
 * @example const handlers = { train_stage: trainStageHandler({ python, home, env: process.env }) };
 */
export function trainStageHandler(deps: TrainStageDeps): JobHandler {
  return (ctx) => trainStage(ctx, deps);
}

async function trainStage(ctx: JobContext, deps: TrainStageDeps): Promise<void> {
  const { db, lease } = ctx;
  if (lease.runId === null || lease.stageIdx === null)
    throw new CrucibleError("invalid_argument", "a train_stage job names its run and stage", {
      field: "job",
      value: lease.jobId,
    });
  const run = await findRun(db, lease.workspace, lease.runId);
  const stages = await stagesOfRun(db, run.id);
  const stage = stages[lease.stageIdx];
  if (!stage) throw new CrucibleError("internal", `run ${run.name} has no stage ${lease.stageIdx}`);
  if (stage.status === "succeeded") return; // ended before this worker's lease: nothing left to do
  if (TERMINAL.includes(run.status))
    throw new CrucibleError("failed_precondition", `run ${run.name} already ${run.status}`, { field: "run" });
  const plan = checkRecipe(run.recipe).stages[stage.idx]!;
  const fail = async (code: string, reason: string): Promise<never> => {
    await ctx.fenced((tx) => settleRun(tx, run.id, { status: "failed", code, reason }));
    throw new CrucibleError("failed_precondition", `run ${run.name} failed: ${reason}`, { field: "run" });
  };

  if (!stage.baseCheckpointId) return fail("internal", `stage ${stage.idx} has no base checkpoint`);
  const base = await resolveCheckpoint(db, run.workspace, stage.baseCheckpointId);
  const versions: VersionRow[] = [];
  for (const source of plan.sources) {
    try {
      versions.push(await assertUsableForTraining(db, run.workspace, source, plan.purpose, new Date()));
    } catch (err) {
      if (err instanceof CrucibleError && err.code === "permission_denied")
        return fail("input_refused", `${err.problem} [rule: ${err.details.rule}]`);
      throw err;
    }
  }
  const outputDir = leaseOutputDir(stageOutputDir(deps.home, run.id, stage.idx, stage.stage), lease.fence);
  const spec = stageJobSpec({
    runId: run.id,
    plan,
    base,
    versions,
    artifacts: new ArtifactStore(join(deps.home, "artifacts")),
    outputDir,
  });
  const facts = await runFacts(db, run);
  const elapsedS = (Date.now() - new Date(run.createdAt).getTime()) / 1000;
  const { maxDurationS } = checkRecipe(run.recipe);
  if (elapsedS >= maxDurationS)
    return fail("deadline_exceeded", `the run is older than its max_duration (${maxDurationS} s)`);
  const token = await ctx.fenced(async (tx) => {
    // an earlier attempt's token dies with the lease it was minted under
    await revokeRunTokens(tx, run.id);
    // the token acts for the run's starter: mint it only while the starter may still start it
    const refused = await starterRefusal(tx, facts, stage.idx);
    if (refused) return { refused };
    await beginStage(tx, run.id, stage.idx);
    const leftS = Math.max(60, Math.ceil(maxDurationS - elapsedS));
    return mintWorkloadToken(tx, { run: facts, maxDurationS: leftS, createdBy: run.startedBy });
  });
  if ("refused" in token) return fail("starter_refused", token.refused);

  const register = (
    tx: Queryable,
    e: { step: number; path: string; manifest_digest: string; final?: boolean },
  ) =>
    registerRunCheckpoint(tx, {
      workspace: run.workspace,
      runId: run.id,
      runName: run.name,
      stage: stage.stage,
      stageIdx: stage.idx,
      step: e.step,
      final: e.final ?? false,
      path: e.path,
      manifestDigest: e.manifest_digest,
      parentId: base.id,
      registeredBy: `workload:${run.id}`,
    });
  // the trainer stops when the job's signal aborts, or at once when a write of its output fails:
  // steps nobody recorded would be trained again by the next attempt anyway
  const trainer = new AbortController();
  const stopTrainer = () => trainer.abort(ctx.signal.reason);
  if (ctx.signal.aborted) stopTrainer();
  else ctx.signal.addEventListener("abort", stopTrainer, { once: true });
  const ingest = new RunIngest({
    runId: run.id,
    stageIdx: stage.idx,
    fenced: ctx.fenced,
    onFailure: (err) => trainer.abort(err),
    onCheckpoint: async (tx, e) => {
      // keep_last prunes intermediate checkpoints: a fast trainer can remove one before (or while)
      // its batch is verified; the link kept at its event then stands in for it. Only the final
      // checkpoint is sure to stay; it must register.
      const dir = [e.path, keptPath(outputDir, e.path)].find((d) => existsSync(join(d, "manifest.json")));
      const pruned = () => !e.final && (dir === undefined || !existsSync(join(dir, "manifest.json")));
      try {
        if (!pruned()) {
          await register(tx, { ...e, path: dir ?? e.path });
          // this checkpoint's write is when keep_last removed older ones
          await markPruned(tx, run.id, stage.idx);
          return;
        }
      } catch (err) {
        if (!pruned()) throw err;
      }
      ingest.log(`crucible: checkpoint step ${e.step} was pruned by keep_last before it was registered`);
    },
  });
  const resumed = linkResumePoint(dirname(outputDir), outputDir);
  if (resumed)
    ingest.log(`crucible: lease ${lease.fence} resumes from ${resumed.from} (step ${resumed.step})`);
  const nproc = (lease.payload as StagePayload).nproc_per_node;
  const launch =
    run.target === "torchrun" && nproc
      ? (o: LocalRunOptions) => runTorchrun(spec, { ...o, nprocPerNode: nproc })
      : (o: LocalRunOptions) => runLocal(spec, o);
  // the key and the embedded store may have been made since the last stage: close them again
  if (deps.trainerUser) sealHome(deps.home);
  const outcome = await launch({
    python: deps.python,
    // the token goes to the trainer's environment only: never its argv, its spec file or a log
    env: { CRUCIBLE_TOKEN: token.secret, CRUCIBLE_RUN_ID: run.id },
    inherit: deps.env,
    ...(deps.trainerUser ? { runAs: deps.trainerUser } : {}),
    onEvent: (e) => {
      if (e.type === "checkpoint") keepCheckpoint(outputDir, e.path);
      ingest.event(e);
    },
    onLog: (line) => ingest.log(line),
    signal: trainer.signal,
    ...(deps.graceSeconds !== undefined ? { graceSeconds: deps.graceSeconds } : {}),
  });
  ctx.signal.removeEventListener("abort", stopTrainer);
  // a failed write is this attempt's end (a lost lease, or an error another attempt may not hit)
  await ingest.close();

  if (outcome.status === "cancelled") {
    const why = ctx.signal.reason;
    if (why instanceof JobAborted && why.kind === "cancelled")
      await ctx.fenced((tx) => settleRun(tx, run.id, { status: "cancelled" }));
    throw why instanceof Error ? why : new CrucibleError("unavailable", "the trainer was stopped");
  }
  if (outcome.status === "failed") {
    // a crash (killed, out of memory) may pass on another attempt, which resumes from the last
    // checkpoint; a failure the trainer explains (bad data, bad spec) will not
    if (outcome.code === "trainer_crashed" && lease.attempt < lease.maxAttempts)
      throw new CrucibleError("unavailable", outcome.reason);
    return fail(outcome.code, outcome.reason);
  }
  const finished = outcome.finished;
  const byName = finished.tokens_by_source as Record<string, number>;
  await ctx.fenced(async (tx) => {
    const final = await register(tx, {
      step: finished.step,
      path: finished.checkpoint_path ?? outcome.checkpoints.at(-1)?.path ?? "",
      manifest_digest: finished.manifest_digest ?? outcome.checkpoints.at(-1)?.manifest_digest ?? "",
      final: true,
    });
    await markPruned(tx, run.id, stage.idx);
    await completeStage(tx, {
      workspace: run.workspace,
      runId: run.id,
      idx: stage.idx,
      finalCheckpointId: final.id,
      tokens: new Map(versions.map((v) => [v.id, byName[v.name] ?? 0])),
      stages: stages.length,
      payload: lease.payload,
    });
  });
}

/**
 * Why a stage may not start on its run's starter's behalf, or undefined when it may: the starter
 * must still exist, be enabled and be allowed `run.start` on this run by the workspace's policy
 * now (a role removed or a principal disabled since the run began). Decided and audited like the
 * start itself, so each stage's workload token rests on a decision of its own.
 */
async function starterRefusal(tx: Queryable, facts: RunFacts, stageIdx: number): Promise<string | undefined> {
  const starter = await loadPrincipal(tx, facts.starter);
  if (starter === undefined) return `its starter ${facts.starter} no longer exists`;
  const owner = starter.kind === "service" ? await loadPrincipal(tx, starter.owner) : undefined;
  const enabled = !starter.disabled && !(owner?.disabled ?? false);
  const decision = await authorizeAndAudit(
    tx,
    {
      principal: starter,
      action: "run.start",
      resource: { type: "Run", ...facts },
      context: { inputs_approved: true },
    },
    {
      invariants: [
        {
          id: STARTER_ENABLED_RULE,
          holds: enabled,
          reason: `${facts.starter}${starter.disabled ? "" : "'s owner"} has been disabled since the run began`,
        },
      ],
      payload: { stage: stageIdx, recheck: "stage start" },
    },
  );
  if (decision.decision === "allow") return undefined;
  return `its starter ${facts.starter} may no longer start it: ${decision.reasons.join("; ")} [rule: ${decision.rules.join(",")}]`;
}

/** The invariant a stage's start re-checks: the run's starter (and a service's owner) is enabled. */
export const STARTER_ENABLED_RULE = "run.starter-enabled";
