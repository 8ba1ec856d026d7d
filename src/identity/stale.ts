import type { Queryable } from "../store/db.ts";

/** A credential nobody has used for a while: a candidate for revocation. */
export interface StaleToken {
  tokenId: string;
  kind: "bearer" | "workload";
  principalId: string | null;
  /** The human to ask, for a service identity's token. */
  ownerId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}

/**
 * Active tokens not used (or never used) for at least `unusedForS` seconds.
 * @example const stale = await listStale(db, { unusedForS: 30 * 86400 });
 */
export async function listStale(
  q: Queryable,
  input: { unusedForS: number; now?: Date },
): Promise<StaleToken[]> {
  const now = input.now ?? new Date();
  const cutoff = new Date(now.getTime() - input.unusedForS * 1000);
  const { rows } = await q.query<{
    id: string;
    kind: "bearer" | "workload";
    principal_id: string | null;
    owner_id: string | null;
    created_at: Date;
    last_used_at: Date | null;
    expires_at: Date;
  }>(
    `SELECT t.id, t.kind, t.principal_id, p.owner_id, t.created_at, t.last_used_at, t.expires_at
       FROM tokens t LEFT JOIN principals p ON p.id = t.principal_id
      WHERE t.revoked_at IS NULL AND t.expires_at > $1 AND COALESCE(t.last_used_at, t.created_at) <= $2
      ORDER BY COALESCE(t.last_used_at, t.created_at), t.id`,
    [now.toISOString(), cutoff.toISOString()],
  );
  return rows.map((r) => ({
    tokenId: r.id,
    kind: r.kind,
    principalId: r.principal_id,
    ownerId: r.owner_id,
    createdAt: new Date(r.created_at),
    lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
    expiresAt: new Date(r.expires_at),
  }));
}
