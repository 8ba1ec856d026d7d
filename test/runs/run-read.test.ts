import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { listCheckpoints } from "../../src/checkpoints/index.ts";
import { runText } from "../../src/cli/run-render.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { leaseNext } from "../../src/queue/queue.ts";
import { runWorker } from "../../src/queue/worker.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { jobHandlers } from "../../src/runs/handlers.ts";
import { parseRecipe } from "../../src/runs/recipe.ts";
import { listRuns, showRun } from "../../src/runs/run-read.ts";
import { startRun } from "../../src/runs/runs.ts";
import type { Db } from "../../src/store/db.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";
import { describeEachStore } from "../support/stores.ts";
import { pipelineRecipe } from "./support/recipes.ts";

let nanoHome: string;
const acmeDir = mkdtempSync(join(tmpdir(), "crucible-acme-"));
beforeAll(() => {
  nanoHome = nanoTinyHome();
}, 600_000);

async function seeded(db: Db) {
  const home = mkdtempSync(join(tmpdir(), "crucible-run-read-"));
  const ws = await seedAcmeWorkspace(db, {
    nanoHome,
    artifacts: new ArtifactStore(join(home, "artifacts")),
    acmeDir,
  });
  return { ...ws, home };
}

describeEachStore("run reads", (open) => {
  it("run list settles a run whose job the queue failed for good, as run show does: never listed as running", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await seeded(db);
      const run = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      // three workers lease the job and vanish; the fourth look fails it for good
      for (let i = 0; i < 4; i++) {
        await leaseNext(db, `vanished-${i}`, { leaseSeconds: 0.2 });
        await new Promise((r) => setTimeout(r, 300));
      }
      const listed = await listRuns(db, eli, workspace);
      expect(listed.map((r) => [r.name, r.status])).toEqual([[run.name, "failed"]]);
      expect(listed[0]!.failureReason).toContain("expired on attempt 3 of 3");
    } finally {
      await db.close();
    }
  }, 120_000);

  it("checkpoints keep_last removed stay listed, marked pruned; the rest keep their files", async () => {
    const db = await open();
    try {
      const { workspace, eli, home } = await seeded(db);
      // the recipe's cpt stage keeps the last 2 intermediate checkpoints
      const recipe = parseRecipe(pipelineRecipe({ cptSteps: 12, sftSteps: 2, every: 2 }));
      const run = await startRun(db, eli, { workspace, recipe, target: "local" });
      const python = trainerPython(process.env);
      await runWorker(db, {
        owner: "w",
        drain: true,
        handlers: jobHandlers({ python, home, env: process.env }),
      });
      const cpt = (await listCheckpoints(db, eli, workspace, { runId: run.id })).filter(
        (c) => c.stageIdx === 0,
      );
      const pruned = cpt.filter((c) => c.prunedAt !== null);
      // Which intermediate checkpoints get registered at all depends on timing: one the trainer
      // prunes (keep_last 2) before its batch is registered, and that the worker's kept/ (the
      // newest 3) no longer holds, is never registered (the run log says so). At most the newest
      // 3 keep files, so every registered one beyond them must be marked.
      expect(cpt.length, "the final checkpoint and its predecessors are registered").toBeGreaterThanOrEqual(
        3,
      );
      expect(
        pruned.length,
        "keep_last 2 of 6: registered checkpoints beyond the newest 3 are pruned",
      ).toBeGreaterThanOrEqual(cpt.length - 3);
      for (const c of cpt)
        expect(existsSync(join(c.path, "manifest.json")), c.name).toBe(c.prunedAt === null);
      expect(cpt.find((c) => c.final)?.prunedAt).toBeNull();
      const shown = await showRun(db, eli, workspace, run.name);
      expect(shown.checkpoints.filter((c) => c.pruned).map((c) => c.name)).toEqual(pruned.map((c) => c.name));
      for (const c of pruned) expect(runText(shown)).toContain(`${c.name} (pruned)`);
    } finally {
      await db.close();
    }
  }, 240_000);
});
