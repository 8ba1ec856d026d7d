import { beforeEach, expect, it } from "vitest";
import { addDataset, versionImpact } from "../../src/data/service/index.ts";
import { impactOf, type LineageKind, recordEdge } from "../../src/lineage/edges.ts";
import type { Db } from "../../src/store/db.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { acme, artifactStore } from "../data/service/support.ts";
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
