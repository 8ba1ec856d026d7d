import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { CrucibleError } from "../../src/core/errors.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { findVersion } from "../../src/data/service/refs.ts";
import { disablePrincipal, enablePrincipal, revokeRole } from "../../src/identity/lifecycle.ts";
import { impactOf } from "../../src/lineage/edges.ts";
import { PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import { fenced, LeaseLostError, leaseNext } from "../../src/queue/queue.ts";
import { runWorker } from "../../src/queue/worker.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { jobHandlers } from "../../src/runs/handlers.ts";
import { parseRecipe } from "../../src/runs/recipe.ts";
import { followRun } from "../../src/runs/run-follow.ts";
import { listRuns, showRun } from "../../src/runs/run-read.ts";
import { findRun } from "../../src/runs/run-rows.ts";
import { cancelRun, startRun } from "../../src/runs/runs.ts";
import { STARTER_ENABLED_RULE } from "../../src/runs/train-stage.ts";
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
  const home = mkdtempSync(join(tmpdir(), "crucible-runs-"));
  const artifacts = new ArtifactStore(join(home, "artifacts"));
  const ws = await seedAcmeWorkspace(db, { nanoHome, artifacts, acmeDir });
  const work = (owner: string) =>
    runWorker(db, {
      owner,
      handlers: jobHandlers({ python: trainerPython(process.env), home, env: process.env }),
      drain: true,
      leaseSeconds: 30,
    });
  return { ...ws, home, work };
}

async function count(db: Db, sql: string, params: unknown[]): Promise<number> {
  return Number(
    (await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${sql}`, params)).rows[0]!.n,
  );
}

describeEachStore("runs", (open, kind) => {
  it("runs the pipeline recipe: cpt 30/70 from nano@mid, then sft from its checkpoint, with full lineage", async () => {
    const db = await open();
    try {
      const { workspace, eli, audra, work } = await seeded(db);
      const plan = parseRecipe(pipelineRecipe({ cptSteps: 8, sftSteps: 4, every: 4 }), "pipeline-acme.yaml");
      const started = await startRun(db, eli, { workspace, recipe: plan, target: "local" });
      expect(started).toMatchObject({ name: "pipeline-acme-1", status: "queued" });
      expect(started.stages).toEqual([
        { idx: 0, stage: "cpt", base: "nano@mid" },
        { idx: 1, stage: "sft", base: null },
      ]);
      expect(await count(db, "jobs WHERE run_id = $1 AND status = 'pending'", [started.id])).toBe(1);
      const audit = await db.query<{ decision: string }>(
        "SELECT decision FROM audit_log WHERE action = 'run.start' AND resource = $1",
        [`Run::"${started.id}"`],
      );
      expect(audit.rows.map((r) => r.decision)).toEqual(["allow"]);

      expect(await work("w1")).toEqual({ jobs: 2 });
      const run = await showRun(db, audra, workspace, started.name);
      expect(run.status, run.failureReason ?? "").toBe("succeeded");
      expect(run.stages.map((s) => [s.stage, s.status, s.progress?.step])).toEqual([
        ["cpt", "succeeded", 8],
        ["sft", "succeeded", 4],
      ]);
      expect(run.base?.name).toBe("nano@mid");
      expect(run.checkpoints.map((c) => [c.name, c.final])).toEqual([
        ["pipeline-acme-1/cpt/step-4", false],
        ["pipeline-acme-1/cpt/step-8", true],
        ["pipeline-acme-1/sft/step-4", true],
      ]);
      // the sft stage started from the cpt stage's final checkpoint
      expect(run.stages[1]!.baseCheckpointId).toBe(run.stages[0]!.finalCheckpointId);
      // tokens per dataset version, from the trainer's own counts; 30/70 holds on the cpt mix
      const tokens = Object.fromEntries(run.datasets.map((d) => [d.ref, d.tokens]));
      expect(Object.keys(tokens)).toEqual(["acme-handbook@v2", "acme-qa@v1", "nano-post@v1", "nano-pre@v1"]);
      for (const n of Object.values(tokens)) expect(n).toBeGreaterThan(0);
      const share = tokens["acme-handbook@v2"]! / (tokens["acme-handbook@v2"]! + tokens["nano-pre@v1"]!);
      expect(Math.abs(share - 0.3)).toBeLessThan(0.05);
      // a revoked acme-handbook@v2 would reach the run and every checkpoint it made
      const v2 = await findVersion(db, workspace, { name: "acme-handbook", version: 2 });
      const reached = await impactOf(db, { kind: "dataset_version", id: v2.id });
      expect(reached.filter((n) => n.kind === "checkpoint").length).toBe(3);
      // the workload token lived only while the run did
      const tokensLeft = await count(db, "tokens WHERE run_id = $1 AND revoked_at IS NULL", [started.id]);
      expect(tokensLeft).toBe(0);
      expect(await count(db, "tokens WHERE run_id = $1", [started.id])).toBe(2);
      expect((await listRuns(db, eli, workspace)).map((r) => [r.name, r.status])).toEqual([
        ["pipeline-acme-1", "succeeded"],
      ]);
    } finally {
      await db.close();
    }
  }, 240_000);

  // the launcher is the same on either store: one store is enough to show the target is honoured
  it.skipIf(kind === "postgres")(
    "runs a stage data-parallel under torchrun with --target torchrun",
    async () => {
      const db = await open();
      try {
        const { workspace, eli, work } = await seeded(db);
        const doc = parseDocument(
          readFileSync(join(PROTOCOL_DIR, "..", "recipes", "cpt-acme-30-70.yaml"), "utf8"),
        );
        doc.setIn(["hyperparameters", "budget", "steps"], 4);
        doc.setIn(["hyperparameters", "batch_size"], 2);
        doc.set("runtime", { device: "cpu", threads: 1 });
        const recipe = parseRecipe(doc.toString());
        const run = await startRun(db, eli, { workspace, recipe, target: "torchrun", nprocPerNode: 2 });
        expect(await work("w-torchrun")).toEqual({ jobs: 1 });
        const shown = await showRun(db, eli, workspace, run.name);
        expect(shown.status, shown.failureReason ?? "").toBe("succeeded");
        const started = await db.query<{ body: { world_size?: number } }>(
          "SELECT body FROM run_events WHERE run_id = $1 AND type = 'started'",
          [run.id],
        );
        expect(started.rows.map((r) => r.body.world_size)).toEqual([2]);
        const refused = await startRun(db, eli, { workspace, recipe, target: "kubernetes" }).catch((e) => e);
        expect(refused).toMatchObject({ code: "failed_precondition", details: { field: "target" } });
      } finally {
        await db.close();
      }
    },
    180_000,
  );

  it("checks policy before anything is queued: unapproved data is denied and audited, an unknown base is not found", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await seeded(db);
      const unapproved = parseRecipe(
        pipelineRecipe().replace("dataset: acme-handbook@v2", "dataset: acme-handbook@v1"),
      );
      const denied = await startRun(db, eli, { workspace, recipe: unapproved, target: "local" }).catch(
        (e) => e,
      );
      expect(denied).toBeInstanceOf(CrucibleError);
      expect(denied.code).toBe("permission_denied");
      expect(denied.details.rule).toContain("gate.run-inputs-approved");
      expect(denied.details.rule).toContain("dataset.unapproved");
      const noBase = parseRecipe(pipelineRecipe().replace("base: nano@mid", "base: nano@pre"));
      const missing = await startRun(db, eli, { workspace, recipe: noBase, target: "local" }).catch((e) => e);
      expect(missing).toMatchObject({ code: "not_found", details: { field: "$.stages[0].base" } });
      expect(await count(db, "runs WHERE workspace_id = $1", [workspace])).toBe(0);
      expect(await count(db, "jobs WHERE workspace_id = $1", [workspace])).toBe(0);
      const audit = await db.query<{ decision: string }>(
        "SELECT decision FROM audit_log WHERE action = 'run.start'",
      );
      expect(audit.rows.map((r) => r.decision)).toEqual(["deny"]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it("cancels a running run: the worker's signal stops the trainer and the run ends cancelled", async () => {
    const db = await open();
    try {
      const { workspace, eli, home } = await seeded(db);
      const recipe = parseRecipe(pipelineRecipe({ cptSteps: 400, batch: 2 }));
      const run = await startRun(db, eli, { workspace, recipe, target: "local" });
      const worked = runWorker(db, {
        owner: "w-cancel",
        handlers: jobHandlers({ python: trainerPython(process.env), home, env: process.env }),
        drain: true,
        leaseSeconds: 3,
      });
      // cancel once the trainer reports progress
      while ((await count(db, "run_events WHERE run_id = $1 AND type = 'progress'", [run.id])) === 0)
        await new Promise((r) => setTimeout(r, 100));
      expect(await cancelRun(db, eli, { workspace, run: run.name })).toMatchObject({ status: "running" });
      expect(await worked).toEqual({ jobs: 1 });
      const shown = await showRun(db, eli, workspace, run.name);
      expect(shown.status).toBe("cancelled");
      expect(shown.stages.map((s) => s.status)).toEqual(["cancelled", "cancelled"]);
      expect(shown.stages[0]!.progress!.step).toBeLessThan(400);
      expect(await count(db, "jobs WHERE run_id = $1 AND status = 'cancelled'", [run.id])).toBe(1);
      expect(await count(db, "tokens WHERE run_id = $1 AND revoked_at IS NULL", [run.id])).toBe(0);
    } finally {
      await db.close();
    }
  }, 180_000);

  it("fails the run with the trainer's own reason when the trainer refuses the job", async () => {
    const db = await open();
    try {
      const { workspace, eli, work } = await seeded(db);
      const text = pipelineRecipe({ cptSteps: 4 }).replace(
        "adapter: { kind: full }",
        "adapter: { kind: lora, r: 2, alpha: 4, target_modules: [no_such_proj] }",
      );
      const run = await startRun(db, eli, { workspace, recipe: parseRecipe(text), target: "local" });
      expect(await work("w-fail")).toEqual({ jobs: 1 });
      const shown = await showRun(db, eli, workspace, run.name);
      expect(shown.status).toBe("failed");
      expect(shown.failureCode).not.toBe("trainer_crashed");
      expect(shown.failureReason).toContain("no_such_proj");
      expect(shown.stages.map((s) => s.status)).toEqual(["failed", "cancelled"]);
      expect(await count(db, "jobs WHERE run_id = $1 AND status = 'failed' AND attempts = 1", [run.id])).toBe(
        1,
      );
    } finally {
      await db.close();
    }
  }, 180_000);

  it("fails a run whose job the queue failed for good (every lease expired), so no follower waits forever", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await seeded(db);
      const run = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      // three workers lease the job and vanish without a heartbeat; the next look fails it for good
      for (let i = 0; i < 4; i++) {
        await leaseNext(db, `vanished-${i}`, { leaseSeconds: 0.2 });
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(await count(db, "jobs WHERE run_id = $1 AND status = 'failed'", [run.id])).toBe(1);
      const status = await followRun(db, run.id);
      expect(status).toBe("failed");
      const shown = await showRun(db, eli, workspace, run.name);
      expect(shown).toMatchObject({ status: "failed", failureCode: "job_failed" });
      expect(shown.failureReason).toContain("expired on attempt 3 of 3");
    } finally {
      await db.close();
    }
  }, 120_000);

  it("cancels at once a run whose worker vanished (its lease ran out), fencing that worker out", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await seeded(db);
      const run = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      const lease = (await leaseNext(db, "vanished", { leaseSeconds: 0.2 }))!;
      await new Promise((r) => setTimeout(r, 400));
      expect(await cancelRun(db, eli, { workspace, run: run.name })).toMatchObject({ status: "cancelled" });
      const refused = await fenced(db, lease, async () => "written").catch((e) => e);
      expect(refused).toBeInstanceOf(LeaseLostError);
    } finally {
      await db.close();
    }
  }, 120_000);

  it("fails a stage that would start after the run's max_duration, without starting a trainer", async () => {
    const db = await open();
    try {
      const { workspace, eli, work } = await seeded(db);
      const text = pipelineRecipe().replace("max_duration: 4h", "max_duration: 1s");
      const run = await startRun(db, eli, { workspace, recipe: parseRecipe(text), target: "local" });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await work("w-late")).toEqual({ jobs: 1 });
      const shown = await showRun(db, eli, workspace, run.name);
      expect(shown).toMatchObject({ status: "failed", failureCode: "deadline_exceeded" });
      expect(await count(db, "run_events WHERE run_id = $1", [run.id])).toBe(0);
    } finally {
      await db.close();
    }
  }, 120_000);

  it("starts no stage for a starter disabled or stripped of run.start since the run began: no trainer, no workload token, the deny audited", async () => {
    const db = await open();
    try {
      const { workspace, root, eli, work } = await seeded(db);
      const deniedStarts = (runId: string) =>
        count(db, "audit_log WHERE action = 'run.start' AND decision = 'deny' AND resource = $1", [
          `Run::"${runId}"`,
        ]);
      const disabledRun = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      await disablePrincipal(db, { principal: root, workspace, subject: eli.id });
      expect(await work("w-after-disable")).toEqual({ jobs: 1 });
      const shown = await findRun(db, workspace, disabledRun.name);
      expect(shown).toMatchObject({ status: "failed", failureCode: "starter_refused" });
      expect(shown.failureReason).toContain(STARTER_ENABLED_RULE);
      expect(await count(db, "run_events WHERE run_id = $1", [disabledRun.id])).toBe(0);
      expect(await count(db, "tokens WHERE run_id = $1", [disabledRun.id])).toBe(0);
      expect(await deniedStarts(disabledRun.id)).toBe(1);

      await enablePrincipal(db, { principal: root, workspace, subject: eli.id });
      const revokedRun = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      await revokeRole(db, { principal: root, workspace, subject: eli.id, role: "ml-engineer" });
      expect(await work("w-after-revoke")).toEqual({ jobs: 1 });
      const stripped = await findRun(db, workspace, revokedRun.name);
      expect(stripped).toMatchObject({ status: "failed", failureCode: "starter_refused" });
      expect(await count(db, "tokens WHERE run_id = $1", [revokedRun.id])).toBe(0);
      expect(await deniedStarts(revokedRun.id)).toBe(1);
    } finally {
      await db.close();
    }
  }, 120_000);

  it("cancels a queued run at once, audited; a second cancel is refused", async () => {
    const db = await open();
    try {
      const { workspace, eli, dana } = await seeded(db);
      const run = await startRun(db, eli, {
        workspace,
        recipe: parseRecipe(pipelineRecipe()),
        target: "local",
      });
      const refused = await cancelRun(db, dana, { workspace, run: run.name }).catch((e) => e);
      expect(refused).toMatchObject({ code: "permission_denied" });
      expect(await cancelRun(db, eli, { workspace, run: run.name })).toMatchObject({ status: "cancelled" });
      expect(await count(db, "jobs WHERE run_id = $1 AND status = 'cancelled'", [run.id])).toBe(1);
      const again = await cancelRun(db, eli, { workspace, run: run.id }).catch((e) => e);
      expect(again).toMatchObject({ code: "failed_precondition" });
      const decisions = await db.query<{ actor: string; decision: string }>(
        "SELECT actor, decision FROM audit_log WHERE action = 'run.cancel' ORDER BY seq",
      );
      expect(decisions.rows.map((r) => r.decision)).toEqual(["deny", "allow"]);
    } finally {
      await db.close();
    }
  }, 120_000);
});
