import { authorizeAndAudit, deniedError } from "../governed/funnel.ts";
import type { Principal } from "../policy/entities.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { Db } from "../store/db.ts";
import {
  findRun,
  RUN_SELECT,
  type RunRow,
  type RunStatus,
  runFacts,
  runRow,
  type StageRow,
  stagesOfRun,
  TERMINAL,
} from "./run-rows.ts";
import { settleOrphanedRun } from "./run-state.ts";

type Progress = Extract<TrainerEvent, { type: "progress" }>;

/** A run as `run show` and `GET /runs/{id}` present it. */
export interface RunDetails extends RunRow {
  stages: (StageRow & { progress: Progress | null })[];
  checkpoints: {
    id: string;
    name: string;
    stageIdx: number;
    step: number;
    final: boolean;
    manifestDigest: string;
    /** Its files were removed by keep_last (the row stays for lineage and audit). */
    pruned: boolean;
  }[];
  datasets: { id: string; ref: string; tokens: number | null }[];
  base: { id: string; name: string } | null;
  /** The seq of the run's last event (where a follower resumes). */
  lastSeq: number;
}

/**
 * Authorises `run.read` on each run (every decision audited; a denial is committed, then thrown).
 * @example await authorizeRunRead(db, auditor, [run]);
 */
export async function authorizeRunRead(db: Db, caller: Principal, runs: readonly RunRow[]): Promise<void> {
  const facts = await Promise.all(runs.map((run) => runFacts(db, run)));
  const denied = await db.transaction(async (tx) => {
    for (const f of facts) {
      const request = { principal: caller, action: "run.read", resource: { type: "Run", ...f } } as const;
      const decision = await authorizeAndAudit(tx, request);
      if (decision.decision === "deny") return deniedError(decision, request);
    }
    return undefined;
  });
  if (denied) throw denied;
}

/**
 * The workspace's runs, newest first, with their stages; orphaned runs settled first. With
 * `status`, only the runs in it (one that settling just moved out of it is left out).
 * @example const failed = await listRuns(db, eli, workspace, { status: "failed" });
 */
export async function listRuns(
  db: Db,
  caller: Principal,
  workspace: string,
  options: { limit?: number; status?: RunStatus } = {},
): Promise<(RunRow & { stages: StageRow[] })[]> {
  const { rows } = await db.query(
    `${RUN_SELECT} WHERE workspace_id = $1 AND ($3::text IS NULL OR status = $3)
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    [workspace, options.limit ?? 50, options.status ?? null],
  );
  const found = rows.map(runRow);
  await authorizeRunRead(db, caller, found);
  // as `run show` does: a run whose last job the queue failed for good (or cancelled) with no
  // handler left to end it is settled now, so no listing shows it running
  const runs: RunRow[] = [];
  for (const run of found) {
    const settled = !TERMINAL.includes(run.status) && (await settleOrphanedRun(db, run.id)) !== null;
    const current = settled ? await findRun(db, workspace, run.id) : run;
    if (!options.status || current.status === options.status) runs.push(current);
  }
  return Promise.all(runs.map(async (run) => ({ ...run, stages: await stagesOfRun(db, run.id) })));
}

/**
 * One run: status, stages with their latest progress, checkpoints, the dataset versions it read
 * (with the tokens each gave) and its base.
 * @example const run = await showRun(db, eli, workspace, "pipeline-acme-1");
 */
export async function showRun(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: string,
): Promise<RunDetails> {
  const found = await findRun(db, workspace, ref);
  await authorizeRunRead(db, caller, [found]);
  const run = (await settleOrphanedRun(db, found.id)) ? await findRun(db, workspace, found.id) : found;
  const stages = await stagesOfRun(db, run.id);
  const progress = await db.query<{ stage_idx: number; body: Progress }>(
    `SELECT DISTINCT ON (stage_idx) stage_idx, body FROM run_events
     WHERE run_id = $1 AND type = 'progress' ORDER BY stage_idx, seq DESC`,
    [run.id],
  );
  const latest = new Map(progress.rows.map((r) => [Number(r.stage_idx), r.body]));
  const checkpoints = await db.query(
    `SELECT id, name, stage_idx, step, final, manifest_digest, pruned_at FROM checkpoints WHERE run_id = $1
     ORDER BY stage_idx, step`,
    [run.id],
  );
  const datasets = await db.query<{ id: string; name: string; version: number; tokens: string | null }>(
    `SELECT v.id, d.name, v.version, e.tokens FROM lineage_edges e
     JOIN dataset_versions v ON v.id = e.from_id JOIN datasets d ON d.id = v.dataset_id
     WHERE e.to_kind = 'run' AND e.to_id = $1 AND e.from_kind = 'dataset_version' ORDER BY d.name, v.version`,
    [run.id],
  );
  const base = stages[0]?.baseCheckpointId
    ? (
        await db.query<{ id: string; name: string }>("SELECT id, name FROM checkpoints WHERE id = $1", [
          stages[0].baseCheckpointId,
        ])
      ).rows[0]
    : undefined;
  const last = await db.query<{ seq: string | null }>(
    "SELECT max(seq) AS seq FROM run_events WHERE run_id = $1",
    [run.id],
  );
  return {
    ...run,
    stages: stages.map((s) => ({ ...s, progress: latest.get(s.idx) ?? null })),
    checkpoints: checkpoints.rows.map((c) => ({
      id: String(c.id),
      name: String(c.name),
      stageIdx: Number(c.stage_idx),
      step: Number(c.step),
      final: Boolean(c.final),
      manifestDigest: String(c.manifest_digest),
      pruned: c.pruned_at !== null && c.pruned_at !== undefined,
    })),
    datasets: datasets.rows.map((d) => ({
      id: d.id,
      ref: `${d.name}@v${d.version}`,
      tokens: d.tokens === null ? null : Number(d.tokens),
    })),
    base: base ? { id: base.id, name: base.name } : null,
    lastSeq: Number(last.rows[0]?.seq ?? 0),
  };
}
