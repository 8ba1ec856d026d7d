import type { Queryable } from "../store/db.ts";
import type { LineageKind, LineageNode } from "./edges.ts";

/** One edge of an ancestry: `from` influenced `to`, with the tokens it fed when known. */
export interface AncestryEdge {
  from: LineageNode;
  to: LineageNode;
  tokens: number | null;
  /** Hops from the start to `to` (the start's own in-edges have depth 1). */
  depth: number;
}

/**
 * Everything that influenced `start`, directly or through others: the mirror of impactOf. Returns
 * every edge of the upstream graph (each once, at its shortest depth), so a caller can draw the
 * whole tree, ordered by depth, then kind and id of `to` and `from`. A cycle (which lineage should
 * never have) ends the walk rather than looping.
 * @example const edges = await ancestryOf(db, { kind: "checkpoint", id: c.id }); // run, base, dataset versions
 */
export async function ancestryOf(q: Queryable, start: LineageNode, maxDepth = 64): Promise<AncestryEdge[]> {
  const { rows } = await q.query<{
    from_kind: LineageKind;
    from_id: string;
    to_kind: LineageKind;
    to_id: string;
    tokens: string | number | null;
    depth: number;
  }>(
    `WITH RECURSIVE up(from_kind, from_id, to_kind, to_id, tokens, depth, path) AS (
       SELECT e.from_kind, e.from_id, e.to_kind, e.to_id, e.tokens, 1,
              ARRAY[$1::text || ':' || $2::text, e.from_kind || ':' || e.from_id]
       FROM lineage_edges e WHERE e.to_kind = $1::text AND e.to_id = $2::text
       UNION ALL
       SELECT e.from_kind, e.from_id, e.to_kind, e.to_id, e.tokens, u.depth + 1,
              u.path || (e.from_kind || ':' || e.from_id)
       FROM up u JOIN lineage_edges e ON e.to_kind = u.from_kind AND e.to_id = u.from_id
       WHERE u.depth < $3::integer AND NOT (e.from_kind || ':' || e.from_id) = ANY(u.path)
     )
     SELECT DISTINCT ON (from_kind, from_id, to_kind, to_id) from_kind, from_id, to_kind, to_id, tokens, depth
     FROM up ORDER BY from_kind, from_id, to_kind, to_id, depth`,
    [start.kind, start.id, maxDepth],
  );
  const order: LineageKind[] = ["dataset_version", "run", "checkpoint", "deployment"];
  const rank = (n: LineageNode) => order.indexOf(n.kind);
  return rows
    .map((r) => ({
      from: { kind: r.from_kind, id: r.from_id },
      to: { kind: r.to_kind, id: r.to_id },
      tokens: r.tokens === null ? null : Number(r.tokens),
      depth: Number(r.depth),
    }))
    .sort(
      (a, b) =>
        a.depth - b.depth ||
        rank(a.to) - rank(b.to) ||
        a.to.id.localeCompare(b.to.id) ||
        rank(a.from) - rank(b.from) ||
        a.from.id.localeCompare(b.from.id),
    );
}
