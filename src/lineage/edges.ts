import type { Queryable } from "../store/db.ts";

/** What lineage connects. Edges point from what influenced to what was influenced. */
export type LineageKind = "dataset_version" | "run" | "checkpoint" | "deployment";

export interface LineageNode {
  kind: LineageKind;
  id: string;
}

export interface LineageEdge {
  workspace: string;
  from: LineageNode;
  to: LineageNode;
  /** Tokens of `from` that went into `to` (a dataset version feeding a run), when known. */
  tokens?: number;
}

/** A node reached from the start, with the shortest number of hops and the tokens of the edge that reached it first. */
export interface ImpactNode extends LineageNode {
  depth: number;
  via: LineageNode;
  tokens: number | null;
}

/**
 * Records that `from` influenced `to` (idempotent). The runs issue writes these: dataset version
 * → run (with tokens), run → checkpoint, checkpoint → checkpoint (a later stage), checkpoint →
 * deployment.
 * @example await recordEdge(tx, { workspace, from: { kind: "dataset_version", id: v.id }, to: { kind: "run", id: run }, tokens: 1_000_000 });
 */
export async function recordEdge(q: Queryable, edge: LineageEdge): Promise<void> {
  await q.query(
    `INSERT INTO lineage_edges (workspace_id, from_kind, from_id, to_kind, to_id, tokens)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [edge.workspace, edge.from.kind, edge.from.id, edge.to.kind, edge.to.id, edge.tokens ?? null],
  );
}

/**
 * Everything `start` influenced, directly or through others, each once at its shortest depth,
 * ordered by depth, kind and id. A cycle (which lineage should never have) ends the walk rather
 * than looping.
 * @example const nodes = await impactOf(db, { kind: "dataset_version", id: v.id }); // runs, checkpoints, deployments
 */
export async function impactOf(q: Queryable, start: LineageNode, maxDepth = 64): Promise<ImpactNode[]> {
  const { rows } = await q.query<{
    kind: LineageKind;
    id: string;
    depth: number;
    via_kind: LineageKind;
    via_id: string;
    tokens: string | number | null;
  }>(
    `WITH RECURSIVE reach(kind, id, depth, via_kind, via_id, tokens, path) AS (
       SELECT e.to_kind, e.to_id, 1, e.from_kind, e.from_id, e.tokens,
              ARRAY[$1::text || ':' || $2::text, e.to_kind || ':' || e.to_id]
       FROM lineage_edges e WHERE e.from_kind = $1::text AND e.from_id = $2::text
       UNION ALL
       SELECT e.to_kind, e.to_id, r.depth + 1, e.from_kind, e.from_id, e.tokens,
              r.path || (e.to_kind || ':' || e.to_id)
       FROM reach r JOIN lineage_edges e ON e.from_kind = r.kind AND e.from_id = r.id
       WHERE r.depth < $3::integer AND NOT (e.to_kind || ':' || e.to_id) = ANY(r.path)
     )
     SELECT DISTINCT ON (kind, id) kind, id, depth, via_kind, via_id, tokens
     FROM reach ORDER BY kind, id, depth, via_kind, via_id`,
    [start.kind, start.id, maxDepth],
  );
  const order: LineageKind[] = ["dataset_version", "run", "checkpoint", "deployment"];
  return rows
    .map((r) => ({
      kind: r.kind,
      id: r.id,
      depth: Number(r.depth),
      via: { kind: r.via_kind, id: r.via_id },
      tokens: r.tokens === null ? null : Number(r.tokens),
    }))
    .sort(
      (a, b) =>
        a.depth - b.depth || order.indexOf(a.kind) - order.indexOf(b.kind) || a.id.localeCompare(b.id),
    );
}
