import { type AncestryEdge, ancestryOf } from "../lineage/ancestry.ts";
import type { LineageKind, LineageNode } from "../lineage/edges.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { readCheckpoint } from "./read.ts";
import { CHECKPOINT_SELECT, type CheckpointKind, type CheckpointStatus, checkpointRow } from "./rows.ts";

/** Tokens of one source a checkpoint was trained on, as its manifest records them. */
export interface TokensSeen {
  name: string;
  digest: string;
  tokens: number;
}

interface NodeBase {
  id: string;
  /** Already drawn higher up the tree (a diamond in the graph): its ancestry is not repeated. */
  shownAbove?: true;
  parents: AncestryNode[];
}

/** One node of a checkpoint's ancestry, with what a reviewer needs to judge it. */
export type AncestryNode =
  | (NodeBase & {
      kind: "checkpoint";
      name: string;
      checkpointKind: CheckpointKind;
      status: CheckpointStatus;
      manifestDigest: string;
      tainted: boolean;
      tokensSeen: TokensSeen[];
    })
  | (NodeBase & { kind: "run"; name: string; recipeDigest: string; starter: string; status: string })
  | (NodeBase & {
      kind: "dataset_version";
      name: string;
      digest: string;
      status: string;
      tokens: number | null;
    })
  | (NodeBase & { kind: "missing"; lineageKind: LineageKind });

/**
 * The ancestry of a checkpoint as a tree: checkpoint ← its run (recipe digest, starter) ← the
 * run's base checkpoint (recursively, with its own run if it has one) and dataset versions with
 * the tokens they fed; a checkpoint's parent checkpoint appears beside its run. Needs
 * `checkpoint.read` on the checkpoint.
 * @example const tree = await checkpointLineage(db, audra, workspace, "acme-cpt/sft/step-8");
 */
export async function checkpointLineage(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: string,
): Promise<AncestryNode> {
  const root = await readCheckpoint(db, caller, workspace, ref);
  const start: LineageNode = { kind: "checkpoint", id: root.id };
  const edges = await ancestryOf(db, start);
  const details = await loadDetails(db, [start, ...edges.map((e) => e.from)]);
  const into = new Map<string, AncestryEdge[]>();
  for (const e of edges) into.set(key(e.to), [...(into.get(key(e.to)) ?? []), e]);
  const seen = new Set<string>();
  const build = (node: LineageNode, tokens: number | null): AncestryNode => {
    const k = key(node);
    const made = details(node, tokens);
    if (seen.has(k)) return { ...made, shownAbove: true };
    seen.add(k);
    const order: LineageKind[] = ["run", "checkpoint", "dataset_version", "deployment"];
    const parents = [...(into.get(k) ?? [])].sort(
      (a, b) => order.indexOf(a.from.kind) - order.indexOf(b.from.kind) || a.from.id.localeCompare(b.from.id),
    );
    return { ...made, parents: parents.map((e) => build(e.from, e.tokens)) };
  };
  return build(start, null);
}

const key = (n: LineageNode) => `${n.kind}:${n.id}`;

/** Reads every node's row at once; returns a maker for a node without its parents. */
async function loadDetails(
  q: Queryable,
  nodes: readonly LineageNode[],
): Promise<(node: LineageNode, tokens: number | null) => AncestryNode> {
  const ids = (kind: LineageKind) => [...new Set(nodes.filter((n) => n.kind === kind).map((n) => n.id))];
  const checkpoints = new Map(
    (await q.query(`${CHECKPOINT_SELECT} WHERE id = ANY($1::text[])`, [ids("checkpoint")])).rows
      .map(checkpointRow)
      .map((c) => [c.id, c]),
  );
  const runs = new Map(
    (
      await q.query<{ id: string; name: string; recipe_digest: string; starter: string; status: string }>(
        `SELECT r.id, r.name, r.recipe_digest, p.name AS starter, r.status
         FROM runs r JOIN principals p ON p.id = r.started_by WHERE r.id = ANY($1::text[])`,
        [ids("run")],
      )
    ).rows.map((r) => [r.id, r]),
  );
  const versions = new Map(
    (
      await q.query<{ id: string; name: string; version: number; digest: string; status: string }>(
        `SELECT v.id, d.name, v.version, v.digest, v.status
         FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ANY($1::text[])`,
        [ids("dataset_version")],
      )
    ).rows.map((v) => [v.id, v]),
  );
  // Tokens a dataset version fed, when the run's edge does not say: what the checkpoints' manifests
  // recorded for a source with the same digest.
  const seenByDigest = new Map<string, number>();
  for (const c of checkpoints.values())
    for (const s of c.manifest.data_sources)
      seenByDigest.set(s.digest, Math.max(seenByDigest.get(s.digest) ?? 0, s.tokens_seen));

  return (node, tokens) => {
    const base = { id: node.id, parents: [] };
    if (node.kind === "checkpoint") {
      const c = checkpoints.get(node.id);
      if (c)
        return {
          ...base,
          kind: "checkpoint",
          name: c.name,
          checkpointKind: c.kind,
          status: c.status,
          manifestDigest: c.manifestDigest,
          tainted: c.taintedAt !== null,
          tokensSeen: c.manifest.data_sources.map((s) => ({
            name: s.name,
            digest: s.digest,
            tokens: s.tokens_seen,
          })),
        };
    } else if (node.kind === "run") {
      const r = runs.get(node.id);
      if (r)
        return {
          ...base,
          kind: "run",
          name: r.name,
          recipeDigest: r.recipe_digest,
          starter: r.starter,
          status: r.status,
        };
    } else if (node.kind === "dataset_version") {
      const v = versions.get(node.id);
      if (v)
        return {
          ...base,
          kind: "dataset_version",
          name: `${v.name}@v${v.version}`,
          digest: v.digest,
          status: v.status,
          tokens: tokens ?? seenByDigest.get(v.digest) ?? null,
        };
    }
    return { ...base, kind: "missing", lineageKind: node.kind };
  };
}
