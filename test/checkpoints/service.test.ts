import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  type AncestryNode,
  approveCheckpoint,
  checkpointLineage,
  listCheckpoints,
  readCheckpoint,
  registerBases,
  registerRunCheckpoint,
} from "../../src/checkpoints/index.ts";
import { installationBuilderId } from "../../src/checkpoints/provenance.ts";
import { addDataset } from "../../src/data/service/add.ts";
import { createUser } from "../../src/identity/principals.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { recordEdge } from "../../src/lineage/edges.ts";
import type { DsseEnvelope } from "../../src/provenance/dsse.ts";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import { verifyCheckpoint } from "../../src/provenance/verify.ts";
import type { Db } from "../../src/store/db.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { artifactStore, auditOf, idOf } from "../data/service/support.ts";
import { as, rejection } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";
import { copyCheckpoint, insertRun, type TrainedFixture, trainTinyRun } from "./fixture.ts";

let fx: TrainedFixture;
beforeAll(async () => {
  fx = await trainTinyRun("svc-fixture");
}, 180_000);

/**
 * acme with root (admin), eli (ml-engineer, starts the run), eve (ml-engineer and model-approver,
 * starts nothing), mona (model-approver), audra (auditor); a base `tiny@mid` registered by eli and
 * the run `acme-cpt` started by eli from it, on one dataset version (30,000 tokens), with its final
 * checkpoint registered as the run's train_stage handler would.
 */
async function world(db: Db) {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const user = async (name: string, roles: ("ml-engineer" | "model-approver" | "auditor")[]) =>
    as(db, await createUser(db, { principal: root, workspace, name, roles }));
  const eli = await user("eli", ["ml-engineer"]);
  const eve = await user("eve", ["ml-engineer", "model-approver"]);
  const mona = await user("mona", ["model-approver"]);
  const audra = await user("audra", ["auditor"]);
  const [base] = await registerBases(db, eli, {
    workspace,
    bases: [{ name: { family: "tiny", stage: "mid" }, path: copyCheckpoint(fx.checkpoints[0]!.path) }],
  });
  const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: idOf(eli) });
  const dir = tempDir();
  const dsv = await addDataset(
    db,
    eli,
    { workspace, name: "acme-handbook", file: writeFile(dir, "h.jsonl", '{"text":"Acme sells lamps."}\n') },
    { artifacts: artifactStore() },
  );
  // what the run service records at start: the base and every dataset version feeding the run
  await recordEdge(db, {
    workspace,
    from: { kind: "checkpoint", id: base!.id },
    to: { kind: "run", id: runId },
  });
  await recordEdge(db, {
    workspace,
    from: { kind: "dataset_version", id: dsv.id },
    to: { kind: "run", id: runId },
    tokens: 30_000,
  });
  const c = fx.checkpoints.at(-1)!;
  const path = copyCheckpoint(c.path);
  const ckpt = await db.transaction((tx) =>
    registerRunCheckpoint(tx, {
      workspace,
      runId,
      runName: "acme-cpt",
      stage: "cpt",
      stageIdx: 0,
      step: c.step,
      final: true,
      path,
      manifestDigest: c.manifestDigest,
      parentId: base!.id,
      registeredBy: `workload:${runId}`,
    }),
  );
  return { workspace, root, eli, eve, mona, audra, base: base!, runId, dsv, ckpt };
}

describeEachStore("checkpoint service", (open) => {
  it("registers bases for admins and ML engineers only, every decision audited, a tampered base leaving nothing", async () => {
    const db = await open();
    try {
      const w = await world(db);
      expect(w.base).toMatchObject({ name: "tiny@mid", kind: "base", runId: null, status: "candidate" });
      const denied = await rejection(
        registerBases(db, w.audra, {
          workspace: w.workspace,
          bases: [{ name: { family: "tiny", stage: "post" }, path: fx.checkpoints[0]!.path }],
        }),
      );
      expect([denied.code, denied.details?.rule]).toEqual(["permission_denied", "default-deny"]);
      const bad = copyCheckpoint(fx.checkpoints[0]!.path);
      writeFileSync(join(bad, "config.json"), "{}");
      const tampered = await rejection(
        registerBases(db, w.root, {
          workspace: w.workspace,
          bases: [{ name: { family: "tiny", stage: "pre" }, path: bad }],
        }),
      );
      expect(tampered.message).toMatch(
        /config\.json was modified: manifest sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
      );
      // the allow of a change that failed rolls back with it; the denial stays
      expect(await auditOf(db, "base.register")).toEqual([
        [idOf(w.eli), "allow", "engineer.bases"],
        [idOf(w.audra), "deny", "default-deny"],
      ]);
      const bases = await listCheckpoints(db, w.audra, w.workspace, { kind: "base" });
      expect(bases.map((b) => b.name)).toEqual(["tiny@mid"]);
      expect(bases[0]!.starter).toBe(idOf(w.eli));
    } finally {
      await db.close();
    }
  });

  it("keeps approval from the run's starter, whatever roles they hold, and from anyone but model approvers", async () => {
    const db = await open();
    try {
      const w = await world(db);
      // eve starts a run of her own: she holds model-approver, and still cannot approve its checkpoint
      const evesRun = await insertRun(db, { workspace: w.workspace, name: "eve-cpt", starter: idOf(w.eve) });
      const c = fx.checkpoints[0]!;
      await db.transaction((tx) =>
        registerRunCheckpoint(tx, {
          workspace: w.workspace,
          runId: evesRun,
          runName: "eve-cpt",
          stage: "cpt",
          stageIdx: 0,
          step: c.step,
          final: false,
          path: c.path,
          manifestDigest: c.manifestDigest,
          parentId: null,
          registeredBy: `workload:${evesRun}`,
        }),
      );
      const sod = await rejection(
        approveCheckpoint(db, w.eve, { workspace: w.workspace, ref: "eve-cpt/cpt/step-2" }),
      );
      expect([sod.code, sod.details?.rule]).toEqual(["permission_denied", "sod.checkpoint-run-starter"]);
      const auditor = await rejection(
        approveCheckpoint(db, w.audra, { workspace: w.workspace, ref: w.ckpt.name }),
      );
      expect(auditor.details?.rule).toBe("default-deny");
      expect((await readCheckpoint(db, w.audra, w.workspace, "eve-cpt/cpt/step-2")).status).toBe("candidate");
      expect(await auditOf(db, "checkpoint.approve")).toEqual([
        [idOf(w.eve), "deny", "sod.checkpoint-run-starter"],
        [idOf(w.audra), "deny", "default-deny"],
      ]);
    } finally {
      await db.close();
    }
  });

  it("approves a candidate with its audit entry in one transaction and signs provenance that verifies offline", async () => {
    const db = await open();
    try {
      const w = await world(db);
      const key = loadOrCreateSigningKey(mkdtempSync(join(tmpdir(), "crucible-keys-")));
      const approval = await approveCheckpoint(db, w.mona, { workspace: w.workspace, ref: w.ckpt.name, key });
      expect(approval.checkpoint).toMatchObject({
        status: "approved",
        approvedBy: idOf(w.mona),
        starter: idOf(w.eli),
      });
      expect(approval.checkpoint.approvedAt).not.toBeNull();
      expect(approval.provenance).toBe(`${w.ckpt.path}.provenance.json`);
      const envelope = JSON.parse(readFileSync(approval.provenance!, "utf8")) as DsseEnvelope;
      const builderId = await installationBuilderId(db);
      expect(builderId).toMatch(/^urn:crucible:installation:inst_[0-9a-f]{32}$/);
      const verdict = await verifyCheckpoint(w.ckpt.path, envelope, key.publicKey, { builderId });
      if (!verdict.ok) throw new Error(verdict.message);
      const deps = (
        verdict.statement.predicate.buildDefinition as {
          resolvedDependencies: { name: string; digest: { sha256: string }; annotations?: object }[];
        }
      ).resolvedDependencies;
      expect(deps.map((d) => d.name)).toEqual([
        "base:tiny@mid",
        "dataset:acme-handbook@v1",
        "recipe:acme-cpt",
      ]);
      expect(`sha256:${deps[0]!.digest.sha256}`).toBe(w.base.manifestDigest);
      expect(`sha256:${deps[1]!.digest.sha256}`).toBe(w.dsv.digest);
      expect(deps[1]!.annotations).toEqual({ tokens: 30_000 });
      const [entry] = await auditOf(db, "checkpoint.approve");
      expect(entry).toEqual([idOf(w.mona), "allow", "approver.checkpoints"]);
      const again = await rejection(
        approveCheckpoint(db, w.mona, { workspace: w.workspace, ref: w.ckpt.id }),
      );
      expect(again.message).toMatch(/is approved; only a candidate can be approved/);
      // a flipped byte after approval: crucible verify's check names the file
      const weights = join(w.ckpt.path, "model.safetensors");
      const bytes = readFileSync(weights);
      bytes[100]! ^= 1;
      writeFileSync(weights, bytes);
      const broken = await verifyCheckpoint(w.ckpt.path, envelope, key.publicKey, { builderId });
      expect(broken.ok ? "" : broken.message).toMatch(/model\.safetensors was modified/);
    } finally {
      await db.close();
    }
  });

  it("refuses to approve a tainted checkpoint, a base, and a checkpoint changed since it was registered", async () => {
    const db = await open();
    try {
      const w = await world(db);
      const base = await rejection(
        approveCheckpoint(db, w.mona, { workspace: w.workspace, ref: "tiny@mid" }),
      );
      expect(base.details?.rule).toBe("checkpoint.run-output");
      writeFileSync(join(w.ckpt.path, "notes.txt"), "added after registration");
      const changed = await rejection(
        approveCheckpoint(db, w.mona, { workspace: w.workspace, ref: w.ckpt.name }),
      );
      expect(changed.message).toMatch(/notes\.txt is not listed in the manifest/);
      expect((await readCheckpoint(db, w.mona, w.workspace, w.ckpt.name)).status).toBe("candidate");
      await db.query(
        "UPDATE checkpoints SET tainted_at = now(), taint_reason = 'acme-handbook@v1 revoked' WHERE id = $1",
        [w.ckpt.id],
      );
      const tainted = await rejection(
        approveCheckpoint(db, w.mona, { workspace: w.workspace, ref: w.ckpt.name }),
      );
      expect([tainted.code, tainted.details?.rule]).toEqual(["permission_denied", "checkpoint.untainted"]);
      expect(tainted.message).toContain("acme-handbook@v1 revoked");
      expect((await auditOf(db, "checkpoint.approve")).map((e) => e.slice(1).join(" "))).toEqual([
        "deny checkpoint.run-output",
        "deny checkpoint.untainted",
      ]);
    } finally {
      await db.close();
    }
  });

  it("shows a checkpoint's ancestry: run with recipe and starter, base, dataset with tokens; auditors may read it", async () => {
    const db = await open();
    try {
      const w = await world(db);
      const tree = await checkpointLineage(db, w.audra, w.workspace, w.ckpt.name);
      const flat = (n: AncestryNode, depth = 0): string[] => [
        `${depth} ${n.kind} ${"name" in n ? n.name : n.id}${n.kind === "dataset_version" ? ` ${n.tokens}` : ""}${n.kind === "run" ? ` ${n.starter} ${n.recipeDigest}` : ""}${n.shownAbove ? " (above)" : ""}`,
        ...n.parents.flatMap((p) => flat(p, depth + 1)),
      ];
      expect(flat(tree)).toEqual([
        "0 checkpoint acme-cpt/cpt/step-4",
        `1 run acme-cpt eli sha256:${"ab".repeat(32)}`,
        "2 checkpoint tiny@mid",
        "2 dataset_version acme-handbook@v1 30000",
        "1 checkpoint tiny@mid (above)",
      ]);
      const denied = await rejection(
        checkpointLineage(
          db,
          await as(db, await createSteward(db, w.root, w.workspace)),
          w.workspace,
          w.ckpt.name,
        ),
      );
      expect(denied.code).toBe("permission_denied");
      // a base registered from a directory: no run, nothing recorded before it
      const base = await checkpointLineage(db, w.eli, w.workspace, "tiny@mid");
      expect([base.kind, "name" in base && base.name, base.parents]).toEqual(["checkpoint", "tiny@mid", []]);
    } finally {
      await db.close();
    }
  });
});

/** A data steward: a role that does not read checkpoints. */
async function createSteward(
  db: Db,
  root: Awaited<ReturnType<typeof as>>,
  workspace: string,
): Promise<string> {
  return createUser(db, { principal: root, workspace, name: "dana", roles: ["data-steward"] });
}
