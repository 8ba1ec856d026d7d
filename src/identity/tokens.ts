import { CrucibleError, invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { governed, governedAll } from "../governed/funnel.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { credentialFor, revocationScope, visibleTokenRow } from "./credentials.ts";
import type { TokenId } from "./ids.ts";
import { hashSecret, newTokenSecret } from "./secrets.ts";

/** Default lifetime of a bearer token: 30 days. The policy caps what may be asked for. */
export const DEFAULT_TOKEN_LIFETIME_S = 30 * 86400;

/** A token as created: the secret is in this object and nowhere else, ever. */
export interface IssuedToken {
  tokenId: TokenId;
  /** `crt_...`: show it once, then forget it. */
  secret: string;
  expiresAt: Date;
}

function checkLifetime(field: string, seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds <= 0)
    throw invalid(
      field,
      "a lifetime is a positive whole number of seconds",
      seconds,
      "Pass e.g. 86400 for one day",
    );
  return seconds;
}

/** When a token issued at `now` for `lifetimeS` expires, in whole seconds since the epoch. */
function epochSeconds(now: Date, lifetimeS: number): number {
  return Math.ceil(now.getTime() / 1000) + lifetimeS;
}

/** @example await insertToken(tx, { id, kind: "bearer", principal, secret, createdBy, now, expiresAt }); */
export async function insertToken(
  tx: Queryable,
  row: {
    id: string;
    kind: "bearer" | "workload";
    principal?: string;
    run?: string;
    workspace?: string;
    scope?: unknown;
    secret: string;
    label?: string | null;
    createdBy: string;
    now: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO tokens (id, kind, principal_id, run_id, workspace_id, scope, secret_hash, label, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      row.id,
      row.kind,
      row.principal ?? null,
      row.run ?? null,
      row.workspace ?? null,
      row.scope === undefined ? null : JSON.stringify(row.scope),
      hashSecret(row.secret),
      row.label ?? null,
      row.createdBy,
      row.now.toISOString(),
      row.expiresAt.toISOString(),
    ],
  );
}

/**
 * Issues a bearer token for `subject` (oneself, or, for admins, a service identity of their
 * workspace). The lifetime is checked against the policy's cap (`cap.token-lifetime`).
 * @example const { secret } = await createToken(db, { principal: eli, subject: eli.id, lifetimeS: 86400 });
 */
export async function createToken(
  db: Db,
  input: { principal: Principal; subject: string; lifetimeS?: number; label?: string; now?: Date },
): Promise<IssuedToken> {
  const lifetimeS = checkLifetime("lifetimeS", input.lifetimeS ?? DEFAULT_TOKEN_LIFETIME_S);
  const now = input.now ?? new Date();
  const tokenId = newId("tok") as TokenId;
  const resource = await credentialFor(db, input.subject, tokenId);
  const request = {
    principal: input.principal,
    action: "token.create",
    resource,
    context: { lifetime_s: lifetimeS, expires_at_s: epochSeconds(now, lifetimeS) },
  } as const;
  const secret = newTokenSecret();
  const expiresAt = new Date(now.getTime() + lifetimeS * 1000);
  await governed(
    db,
    request,
    (tx) =>
      insertToken(tx, {
        id: tokenId,
        kind: "bearer",
        principal: resource.subject,
        secret,
        label: input.label ?? null,
        createdBy: actorId(input.principal),
        now,
        expiresAt,
      }),
    { payload: { tokenId, subject: input.subject, lifetimeS, label: input.label ?? null } },
  );
  return { tokenId, secret, expiresAt };
}

/**
 * Rotates a bearer token: issues a new one and keeps the old one valid for `overlapS` more
 * seconds (never longer than it had), so clients can switch without an outage.
 * @example const fresh = await rotateToken(db, { principal: bot, tokenId, overlapS: 3600 });
 */
export async function rotateToken(
  db: Db,
  input: { principal: Principal; tokenId: string; overlapS?: number; lifetimeS?: number; now?: Date },
): Promise<IssuedToken> {
  const overlapS = input.overlapS ?? 3600;
  if (!Number.isSafeInteger(overlapS) || overlapS < 0)
    throw invalid("overlapS", "overlap is a whole number of seconds >= 0", overlapS, "Pass e.g. 3600");
  const lifetimeS = checkLifetime("lifetimeS", input.lifetimeS ?? DEFAULT_TOKEN_LIFETIME_S);
  const now = input.now ?? new Date();
  const old = await visibleTokenRow(db, input.principal, input.tokenId);
  if (old.kind !== "bearer" || old.revoked_at || new Date(old.expires_at) <= now || old.replaced_by)
    throw new CrucibleError(
      "failed_precondition",
      `token ${input.tokenId} is not an active, unrotated bearer token`,
      { field: "tokenId", value: input.tokenId, fix: "Rotate the newest active token, or create a new one" },
    );
  const tokenId = newId("tok") as TokenId;
  const resource = await credentialFor(db, old.principal_id!, tokenId);
  const request = {
    principal: input.principal,
    action: "token.create",
    resource,
    context: { lifetime_s: lifetimeS, expires_at_s: epochSeconds(now, lifetimeS) },
  } as const;
  const secret = newTokenSecret();
  const expiresAt = new Date(now.getTime() + lifetimeS * 1000);
  const overlapEnd = new Date(now.getTime() + overlapS * 1000);
  await governed(
    db,
    request,
    async (tx) => {
      await insertToken(tx, {
        id: tokenId,
        kind: "bearer",
        principal: resource.subject,
        secret,
        label: old.label,
        createdBy: actorId(input.principal),
        now,
        expiresAt,
      });
      const updated = await tx.query(
        `UPDATE tokens SET replaced_by = $2, expires_at = LEAST(expires_at, $3::timestamptz)
        WHERE id = $1 AND replaced_by IS NULL AND revoked_at IS NULL`,
        [input.tokenId, tokenId, overlapEnd.toISOString()],
      );
      if (updated.rowCount !== 1)
        throw new CrucibleError(
          "failed_precondition",
          `token ${input.tokenId} was rotated or revoked concurrently`,
          { fix: "Reload and retry" },
        );
    },
    { payload: { tokenId, rotated: input.tokenId, overlapS, lifetimeS } },
  );
  return { tokenId, secret, expiresAt };
}

/**
 * Revokes a token now: its holder, a service identity's owner, or admins of the workspaces its
 * holder belongs to (a user's token needs an admin of every one of them: each decides and each
 * audits). A token outside the caller's sight answers as a nonexistent one.
 * @example await revokeToken(db, { principal: root, tokenId });
 */
export async function revokeToken(
  db: Db,
  input: { principal: Principal; tokenId: string; now?: Date },
): Promise<void> {
  const row = await visibleTokenRow(db, input.principal, input.tokenId);
  const resources =
    row.kind === "bearer"
      ? await revocationScope(db, input.principal, row.principal_id!, row.id)
      : [
          {
            type: "Credential",
            id: row.id,
            workspace: row.workspace_id!,
            subject: `workload:${row.run_id}`,
          } as const,
        ];
  const requests = resources.map((resource) => ({
    principal: input.principal,
    action: "token.revoke" as const,
    resource,
  }));
  await governedAll(db, requests, async (tx) => {
    await tx.query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", [
      row.id,
      (input.now ?? new Date()).toISOString(),
    ]);
  });
}
