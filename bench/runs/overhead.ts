import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { runWorker } from "../../src/queue/worker.ts";
import { runLocal } from "../../src/runners/local-runner.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { jobHandlers } from "../../src/runs/handlers.ts";
import { parseRecipe } from "../../src/runs/recipe.ts";
import { startRun } from "../../src/runs/runs.ts";
import { stageOutputDir } from "../../src/runs/stage-spec.ts";
import type { Db } from "../../src/store/db.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../../test/support/nano.ts";

export interface Overhead {
  /** `startRun` to the run's end, through the queue, a worker and the train_stage handler. */
  serviceS: number;
  /** The same JobSpec run by `runLocal` alone: spawn, trainer, events, nothing else. */
  directS: number;
  steps: number;
  /** Leases the run's job took (1 unless an attempt crashed and was retried). */
  attempts: number;
}

/**
 * A short cpt run (recipes/cpt-acme-30-70.yaml, `steps` steps on nano tiny) through the run
 * service and an in-process worker, then the same JobSpec straight through runLocal: what the
 * control plane adds is the difference of the two wall times.
 * @example const { serviceS, directS } = await controlPlaneOverhead(db, { steps: 40 });
 */
export async function controlPlaneOverhead(db: Db, options: { steps: number }): Promise<Overhead> {
  const python = trainerPython(process.env);
  const home = mkdtempSync(join(tmpdir(), "crucible-bench-runs-"));
  const ws = await seedAcmeWorkspace(db, {
    nanoHome: nanoTinyHome(),
    artifacts: new ArtifactStore(join(home, "artifacts")),
    acmeDir: join(home, "acme-src"),
  });
  const doc = parseDocument(readFileSync(join(PROTOCOL_DIR, "..", "recipes", "cpt-acme-30-70.yaml"), "utf8"));
  doc.setIn(["hyperparameters", "budget", "steps"], options.steps);
  doc.setIn(["hyperparameters", "batch_size"], 2);
  doc.set("runtime", { device: "cpu", threads: 1 });
  const recipe = parseRecipe(doc.toString());

  const t0 = performance.now();
  const run = await startRun(db, ws.eli, { workspace: ws.workspace, recipe, target: "local" });
  const handlers = jobHandlers({ python, home, env: process.env });
  // as `run start` does on the embedded store: work until the run ends (a crashed attempt is
  // retried after its backoff, and resumes from its last checkpoint)
  while (!(await ended(db, run.id))) {
    await runWorker(db, { owner: "bench", handlers, drain: true });
    if (!(await ended(db, run.id))) await new Promise((r) => setTimeout(r, 500));
  }
  const serviceS = (performance.now() - t0) / 1000;
  const { rows } = await db.query<{ status: string; last_error: string | null; attempts: number }>(
    "SELECT r.status, j.last_error, j.attempts FROM runs r JOIN jobs j ON j.run_id = r.id WHERE r.id = $1",
    [run.id],
  );
  if (rows[0]?.status !== "succeeded")
    throw new Error(`the bench run is ${rows[0]?.status}: ${rows[0]?.last_error ?? "no error recorded"}`);

  const written = JSON.parse(
    readFileSync(join(stageOutputDir(home, run.id, 0, "cpt"), "job.json"), "utf8"),
  ) as JobSpec;
  const spec = { ...written, run_id: "bench-direct", output_dir: join(home, "direct") };
  const t1 = performance.now();
  const outcome = await runLocal(spec, { python });
  const directS = (performance.now() - t1) / 1000;
  if (outcome.status !== "succeeded") throw new Error(`the direct run ended ${outcome.status}`);
  return { serviceS, directS, steps: options.steps, attempts: Number(rows[0]!.attempts) };
}

async function ended(db: Db, runId: string): Promise<boolean> {
  const { rows } = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
  return ["succeeded", "failed", "cancelled"].includes(rows[0]?.status ?? "failed");
}
