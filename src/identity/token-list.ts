import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { Queryable } from "../store/db.ts";

/** One of the caller's own tokens, as `token list` shows it: never its secret nor its hash. */
export interface OwnToken {
  id: string;
  kind: "bearer";
  label: string | null;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The token that replaced it when it was rotated. */
  replacedBy: string | null;
  status: "active" | "expired" | "revoked";
}

/**
 * The bearer tokens the caller holds, newest first. Only one's own: no policy action lets anyone
 * read another principal's tokens (`token.revoke` decides a revocation, not a listing), so there
 * is no decision to make and nothing to audit.
 * @example const mine = await listOwnTokens(db, eli);
 */
export async function listOwnTokens(q: Queryable, caller: Principal, now = new Date()): Promise<OwnToken[]> {
  if (caller.kind !== "user" && caller.kind !== "service")
    throw new CrucibleError("invalid_argument", "only a user or a service identity holds bearer tokens", {
      field: "caller",
      value: caller.kind,
      fix: "List tokens as a user or service identity (CRUCIBLE_TOKEN=crt_… or --as NAME)",
    });
  const { rows } = await q.query<{
    id: string;
    label: string | null;
    created_at: Date;
    expires_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
    replaced_by: string | null;
  }>(
    `SELECT id, label, created_at, expires_at, last_used_at, revoked_at, replaced_by
       FROM tokens WHERE kind = 'bearer' AND principal_id = $1
      ORDER BY created_at DESC, id DESC`,
    [caller.id],
  );
  return rows.map((r) => {
    const expiresAt = new Date(r.expires_at);
    const revokedAt = r.revoked_at ? new Date(r.revoked_at) : null;
    return {
      id: r.id,
      kind: "bearer",
      label: r.label,
      createdAt: new Date(r.created_at),
      expiresAt,
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
      revokedAt,
      replacedBy: r.replaced_by,
      status: revokedAt ? "revoked" : expiresAt <= now ? "expired" : "active",
    };
  });
}
