import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { runLocal } from "../../src/runners/local-runner.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import type { Db } from "../../src/store/db.ts";

/** One checkpoint the real trainer wrote, as its `checkpoint` event named it. */
export interface WrittenCheckpoint {
  path: string;
  step: number;
  manifestDigest: string;
  final: boolean;
}

/** What the real trainer produced for the registry tests: a base and a CPT run's checkpoints. */
export interface TrainedFixture {
  root: string;
  base: { path: string; digest: string };
  sources: Record<string, { path: string; digest: string }>;
  /** The CPT run's checkpoints, oldest first (steps 2 and 4, the last one final). */
  checkpoints: WrittenCheckpoint[];
}

/**
 * Makes a tiny random-initialised Llama (test/support/make_tiny_model.py) and runs a 4-step
 * 30/70 CPT job on it with the real trainer, checkpointing every 2 steps. Takes a few seconds.
 * @example const fx = await trainTinyRun(); // fx.checkpoints[1].path
 */
export async function trainTinyRun(runId = "ckpt-fixture"): Promise<TrainedFixture> {
  const python = trainerPython(process.env);
  const root = mkdtempSync(join(tmpdir(), "crucible-ckpt-"));
  const script = new URL("../support/make_tiny_model.py", import.meta.url).pathname;
  const made = JSON.parse(execFileSync(python, [script, root], { encoding: "utf8" })) as Omit<
    TrainedFixture,
    "root" | "checkpoints"
  >;
  const spec = {
    protocol_version: 1,
    run_id: runId,
    stage: "cpt",
    base: made.base,
    data: {
      sources: [
        { name: "acme", ...made.sources.acme!, share: 0.3, format: "text" },
        { name: "replay", ...made.sources.replay!, share: 0.7, format: "text" },
      ],
    },
    hyperparameters: {
      lr: 3e-3,
      warmup_steps: 1,
      budget: { steps: 4 },
      batch_size: 2,
      seq_len: 32,
      weight_decay: 0.01,
      adapter: { kind: "full" },
    },
    seed: 3,
    checkpoint: { every_steps: 2 },
    output_dir: join(root, runId),
    runtime: { device: "cpu", threads: 1 },
  } as JobSpec;
  const outcome = await runLocal(spec, { python });
  if (outcome.status !== "succeeded") throw new Error(`fixture run failed: ${JSON.stringify(outcome)}`);
  return {
    root,
    ...made,
    checkpoints: outcome.checkpoints.map((c) => ({
      path: c.path,
      step: c.step,
      manifestDigest: c.manifest_digest,
      final: c.final ?? false,
    })),
  };
}

/**
 * A private copy of a checkpoint directory, for tests that tamper with it.
 * @example const dir = copyCheckpoint(fx.checkpoints[0].path);
 */
export function copyCheckpoint(path: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "crucible-ckpt-copy-")), "step");
  cpSync(path, dir, { recursive: true });
  return dir;
}

/**
 * A runs row written straight into our own table (the run service owns it; these tests need only
 * a run to hang checkpoints on), started by `starter`.
 * @example const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: eli });
 */
export async function insertRun(
  db: Db,
  input: { workspace: string; name: string; starter: string; recipeDigest?: string },
): Promise<string> {
  const id = `run_${input.name.replace(/[^a-z0-9]/g, "")}${Math.random().toString(36).slice(2, 8)}`;
  await db.query(
    `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
     VALUES ($1, $2, $3, $4, $5, 'local', $6)`,
    [
      id,
      input.workspace,
      input.name,
      JSON.stringify({ name: input.name }),
      input.recipeDigest ?? `sha256:${"ab".repeat(32)}`,
      input.starter,
    ],
  );
  return id;
}
