import { beforeEach, expect, it } from "vitest";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { ancestryOf } from "../../src/lineage/ancestry.ts";
import { impactOf, type LineageKind, recordEdge } from "../../src/lineage/edges.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";

describeEachStore("lineage ancestry", (open) => {
  let db: Db;
  let workspace: string;
  beforeEach(async () => {
    db = await open();
    workspace = (await bootstrap(db, { workspace: "acme", admin: "root" })).workspace;
    return () => db.close();
  });

  const edge = (from: [LineageKind, string], to: [LineageKind, string], tokens?: number) =>
    recordEdge(db, {
      workspace,
      from: { kind: from[0], id: from[1] },
      to: { kind: to[0], id: to[1] },
      ...(tokens === undefined ? {} : { tokens }),
    });
  const text = (e: Awaited<ReturnType<typeof ancestryOf>>[number]) =>
    `${e.depth} ${e.from.id} -> ${e.to.id}${e.tokens === null ? "" : ` (${e.tokens})`}`;

  it("walks every edge upstream of a checkpoint, through its run, parent and base, and nothing downstream or beside", async () => {
    // nano@pre -> nano@mid is a base family; a pipeline run starts from nano@mid with two datasets;
    // its SFT checkpoint's parent is the CPT stage's final checkpoint.
    await edge(["checkpoint", "nano_pre"], ["checkpoint", "nano_mid"]);
    await edge(["checkpoint", "nano_mid"], ["run", "run_p"]);
    await edge(["dataset_version", "dsv_acme"], ["run", "run_p"], 30_000);
    await edge(["dataset_version", "dsv_replay"], ["run", "run_p"], 70_000);
    await edge(["run", "run_p"], ["checkpoint", "cpt_final"]);
    await edge(["run", "run_p"], ["checkpoint", "sft_final"]);
    await edge(["checkpoint", "cpt_final"], ["checkpoint", "sft_final"]);
    await edge(["checkpoint", "sft_final"], ["deployment", "dep_1"]); // downstream: not ancestry
    await edge(["dataset_version", "dsv_other"], ["run", "run_other"]); // beside: not ancestry
    const edges = await ancestryOf(db, { kind: "checkpoint", id: "sft_final" });
    expect(edges.map(text)).toEqual([
      "1 run_p -> sft_final",
      "1 cpt_final -> sft_final",
      "2 dsv_acme -> run_p (30000)",
      "2 dsv_replay -> run_p (70000)",
      "2 nano_mid -> run_p",
      "2 run_p -> cpt_final",
      "3 nano_pre -> nano_mid",
    ]);
    // the mirror of impactOf: everything upstream of sft_final has sft_final in its impact
    for (const e of edges) {
      const downstream = await impactOf(db, e.from);
      expect(downstream.map((n) => n.id)).toContain("sft_final");
    }
  });

  it("ends at a cycle instead of looping, and returns nothing for a node nothing influenced", async () => {
    await edge(["checkpoint", "a"], ["checkpoint", "b"]);
    await edge(["checkpoint", "b"], ["checkpoint", "a"]);
    // b's parent a, whose parent would be b again: the walk stops at the start
    expect((await ancestryOf(db, { kind: "checkpoint", id: "b" })).map(text)).toEqual(["1 a -> b"]);
    expect(await ancestryOf(db, { kind: "checkpoint", id: "lonely" })).toEqual([]);
  });
});
