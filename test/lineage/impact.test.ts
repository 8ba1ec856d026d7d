import { beforeEach, expect, it } from "vitest";
import { addDataset, approveVersion, revokeVersion, versionImpact } from "../../src/data/service/index.ts";
import { impactOf, type LineageKind, recordEdge } from "../../src/lineage/edges.ts";
import type { Db } from "../../src/store/db.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { acme, artifactStore, idOf } from "../data/service/support.ts";
import { rejection } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";

describeEachStore("lineage impact", (open) => {
  let db: Db;
  let ctx: Awaited<ReturnType<typeof acme>>;
  beforeEach(async () => {
    db = await open();
    ctx = await acme(db);
    return () => db.close();
  });

  const edge = (from: [LineageKind, string], to: [LineageKind, string], tokens?: number) =>
    recordEdge(db, {
      workspace: ctx.workspace,
      from: { kind: from[0], id: from[1] },
      to: { kind: to[0], id: to[1] },
      ...(tokens === undefined ? {} : { tokens }),
    });

  it("lists every run, checkpoint and deployment a version influenced, and nothing else", async () => {
    const dir = tempDir();
    const artifacts = artifactStore();
    const w = ctx.workspace;
    const v1 = await addDataset(
      db,
      ctx.eli,
      { workspace: w, name: "h", file: writeFile(dir, "a.jsonl", '{"text":"a"}\n') },
      { artifacts },
    );
    const other = await addDataset(
      db,
      ctx.eli,
      { workspace: w, name: "o", file: writeFile(dir, "b.jsonl", '{"text":"b"}\n') },
      { artifacts },
    );
    // v1 feeds the CPT run; its checkpoint seeds the SFT run (also fed by `other`); both deploy.
    await edge(["dataset_version", v1.id], ["run", "run_cpt"], 300_000);
    await edge(["run", "run_cpt"], ["checkpoint", "ckpt_cpt"]);
    await edge(["checkpoint", "ckpt_cpt"], ["run", "run_sft"]);
    await edge(["dataset_version", other.id], ["run", "run_sft"], 50_000);
    await edge(["run", "run_sft"], ["checkpoint", "ckpt_sft"]);
    await edge(["checkpoint", "ckpt_sft"], ["deployment", "dep_support"]);
    await edge(["dataset_version", other.id], ["run", "run_unrelated"]);
    await edge(["run", "run_unrelated"], ["checkpoint", "ckpt_unrelated"]);
    await edge(["dataset_version", v1.id], ["run", "run_cpt"], 999); // idempotent: the first edge stays
    const impact = await versionImpact(db, ctx.dana, w, { name: "h", version: 1 });
    expect(impact.version).toBe("h@v1");
    expect(impact.runs.map((n) => `${n.id}@${n.depth}`)).toEqual(["run_cpt@1", "run_sft@3"]);
    expect(impact.runs[0]?.tokens).toBe(300_000);
    expect(impact.checkpoints.map((n) => n.id)).toEqual(["ckpt_cpt", "ckpt_sft"]);
    expect(impact.deployments.map((n) => `${n.id} via ${n.via.id}`)).toEqual(["dep_support via ckpt_sft"]);
    const otherImpact = await versionImpact(db, ctx.dana, w, { name: "o", version: 1 });
    expect(otherImpact.runs.map((n) => n.id)).toEqual(["run_sft", "run_unrelated"]);
  });

  /** A run row and its checkpoint rows, as the run service will write them (our own tables). */
  async function runWithCheckpoints(run: string, checkpoints: Array<[string, Record<string, unknown>]>) {
    await db.query(
      `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
       VALUES ($1, $2, $1, '{}', 'sha256:0', 'local', $3)`,
      [run, ctx.workspace, idOf(ctx.eli)],
    );
    for (const [id, manifest] of checkpoints) {
      await db.query(
        `INSERT INTO checkpoints (id, workspace_id, kind, name, run_id, stage_idx, step, path, manifest_digest, manifest, registered_by)
         VALUES ($1, $2, 'run', $3, $4, 0, 10, '/nowhere', 'sha256:0', $5, 'test')`,
        [id, ctx.workspace, `${run}/cpt/${id}`, run, JSON.stringify(manifest)],
      );
      await edge(["run", run], ["checkpoint", id]);
    }
  }

  const tainted = async () =>
    (
      await db.query<{ id: string; taint_reason: string | null }>(
        "SELECT id, taint_reason FROM checkpoints WHERE tainted_at IS NOT NULL ORDER BY id",
      )
    ).rows.map((r) => `${r.id}: ${r.taint_reason}`);

  it("revoking a version taints every checkpoint it influenced, in the revocation's transaction; impact shows tokens seen and taint", async () => {
    const artifacts = artifactStore();
    const dir = tempDir();
    const w = ctx.workspace;
    const add = (name: string, text: string) =>
      addDataset(
        db,
        ctx.eli,
        { workspace: w, name, file: writeFile(dir, `${name}.jsonl`, `{"text":"${text}"}\n`) },
        { artifacts },
      );
    const h = await add("h", "a");
    const o = await add("o", "b");
    // h feeds cpt (two checkpoints, the manifest of one says how much of h it saw); cpt's last
    // checkpoint seeds sft, fed by o; o alone feeds an unrelated run.
    await edge(["dataset_version", h.id], ["run", "run_cpt"], 300_000);
    await runWithCheckpoints("run_cpt", [
      ["ck_cpt_1", { data_sources: [{ name: "h", digest: h.digest, share: 1, tokens_seen: 120_000 }] }],
      ["ck_cpt_2", {}],
    ]);
    await edge(["checkpoint", "ck_cpt_2"], ["run", "run_sft"]);
    await edge(["dataset_version", o.id], ["run", "run_sft"], 50_000);
    await runWithCheckpoints("run_sft", [["ck_sft", {}]]);
    await edge(["dataset_version", o.id], ["run", "run_other"], 10);
    await runWithCheckpoints("run_other", [["ck_other", {}]]);

    // A denied revocation changes nothing: no revocation, no taint.
    expect(
      (await rejection(revokeVersion(db, ctx.eli, { workspace: w, ref: { name: "h" }, reason: "x" }))).code,
    ).toBe("permission_denied");
    expect(await tainted()).toEqual([]);

    const revoked = await revokeVersion(db, ctx.dana, {
      workspace: w,
      ref: { name: "h" },
      reason: "consent withdrawn",
    });
    expect(revoked.status).toBe("revoked");
    expect(revoked.tainted).toEqual(["ck_cpt_1", "ck_cpt_2", "ck_sft"]);
    const why = "dataset h@v1 revoked: consent withdrawn";
    expect(await tainted()).toEqual([`ck_cpt_1: ${why}`, `ck_cpt_2: ${why}`, `ck_sft: ${why}`]);

    const impact = await versionImpact(db, ctx.dana, w, { name: "h" });
    expect(impact.status).toBe("revoked");
    expect(impact.checkpoints.map((c) => [c.id, c.name, c.tokensSeen, c.taintReason])).toEqual([
      ["ck_cpt_1", "run_cpt/cpt/ck_cpt_1", 120_000, why], // from its manifest
      ["ck_cpt_2", "run_cpt/cpt/ck_cpt_2", 300_000, why], // what h fed its run
      ["ck_sft", "run_sft/cpt/ck_sft", null, why], // indirect: through ck_cpt_2
    ]);

    // A later revocation (o) keeps the first taint of ck_sft and taints what only o reached.
    await approveVersion(db, ctx.dana, { workspace: w, ref: { name: "o" }, purposes: ["cpt"] });
    const second = await revokeVersion(db, ctx.dana, { workspace: w, ref: { name: "o" }, reason: "leak" });
    expect(second.tainted).toEqual(["ck_other"]);
    expect(await tainted()).toEqual([
      `ck_cpt_1: ${why}`,
      `ck_cpt_2: ${why}`,
      "ck_other: dataset o@v1 revoked: leak",
      `ck_sft: ${why}`,
    ]);
  });

  it("a cycle ends the walk, and an unknown start reaches nothing", async () => {
    await edge(["run", "a"], ["checkpoint", "b"]);
    await edge(["checkpoint", "b"], ["run", "a"]);
    const nodes = await impactOf(db, { kind: "run", id: "a" });
    expect(nodes.map((n) => `${n.kind}:${n.id}@${n.depth}`)).toEqual(["checkpoint:b@1"]);
    expect(await impactOf(db, { kind: "dataset_version", id: "nope" })).toEqual([]);
  });

  it("impact needs dataset.read on the version", async () => {
    const artifacts = artifactStore();
    const file = writeFile(tempDir(), "a.jsonl", '{"text":"a"}\n');
    await addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "h", file }, { artifacts });
    const err = await rejection(versionImpact(db, ctx.root, ctx.workspace, { name: "h", version: 1 }));
    expect(err.code).toBe("permission_denied");
  });
});
