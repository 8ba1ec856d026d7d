import { CrucibleError, invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { governed } from "../policy/audited.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { INSTALLATION, type TokenId } from "./ids.ts";
import { loadPrincipal } from "./principals.ts";
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
 * The Credential a token decision is about. A user's credentials live in the installation (so
 * only the user decides), unless `workspace` names one where the user holds a role: then that
 * workspace's admins may revoke them. A service identity's live in its home workspace and name its
 * owner. A disabled subject gets no new credentials; revoking stays possible (`forRevoke`).
 * @example const resource = await credentialFor(db, eli, "tok_1", { workspace: acme, forRevoke: true });
 */
export async function credentialFor(
  q: Queryable,
  subjectId: string,
  tokenId: string,
  options: { workspace?: string; forRevoke?: boolean } = {},
) {
  const subject = await loadPrincipal(q, subjectId);
  if (!subject || subject.kind === "workload" || subject.kind === "anonymous")
    throw new CrucibleError("not_found", `no principal ${subjectId}`, {
      field: "subject",
      value: subjectId,
      fix: "Create the principal first",
    });
  if (subject.disabled && !options.forRevoke)
    throw new CrucibleError("failed_precondition", `principal ${subjectId} is disabled`, {
      field: "subject",
      value: subjectId,
      fix: "Re-enable it first",
    });
  if (subject.kind === "service")
    return {
      type: "Credential",
      id: tokenId,
      workspace: subject.workspace,
      subject: subject.id,
      owner: subject.owner,
    } as const;
  const { workspace } = options;
  if (workspace !== undefined && !subject.roles.some((r) => r.workspace === workspace))
    throw new CrucibleError("not_found", `principal ${subjectId} holds no role in workspace ${workspace}`, {
      field: "workspace",
      value: workspace,
      fix: "Name a workspace the principal belongs to, where you are an admin",
    });
  return {
    type: "Credential",
    id: tokenId,
    workspace: workspace ?? INSTALLATION,
    subject: subject.id,
  } as const;
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
    context: { lifetime_s: lifetimeS },
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
  const old = await tokenRow(db, input.tokenId);
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
    context: { lifetime_s: lifetimeS },
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
 * Revokes a token now: its holder, an admin of its workspace (for a user's token, name a
 * `workspace` where the user holds a role and you are admin), or a service identity's owner.
 * @example await revokeToken(db, { principal: root, tokenId, workspace: acme });
 */
export async function revokeToken(
  db: Db,
  input: { principal: Principal; tokenId: string; workspace?: string; now?: Date },
): Promise<void> {
  const row = await tokenRow(db, input.tokenId);
  const resource =
    row.kind === "bearer"
      ? await credentialFor(db, row.principal_id!, row.id, {
          forRevoke: true,
          ...(input.workspace === undefined ? {} : { workspace: input.workspace }),
        })
      : ({
          type: "Credential",
          id: row.id,
          workspace: row.workspace_id!,
          subject: `workload:${row.run_id}`,
        } as const);
  const request = { principal: input.principal, action: "token.revoke", resource } as const;
  await governed(db, request, async (tx) => {
    await tx.query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", [
      row.id,
      (input.now ?? new Date()).toISOString(),
    ]);
  });
}

export interface TokenRow {
  id: string;
  kind: "bearer" | "workload";
  principal_id: string | null;
  run_id: string | null;
  workspace_id: string | null;
  scope: unknown;
  secret_hash: string;
  label: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  replaced_by: string | null;
}

export const TOKEN_COLUMNS =
  "id, kind, principal_id, run_id, workspace_id, scope, secret_hash, label, expires_at, revoked_at, last_used_at, replaced_by";

async function tokenRow(q: Queryable, id: string): Promise<TokenRow> {
  const { rows } = await q.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [id]);
  if (!rows[0])
    throw new CrucibleError("not_found", `no token ${id}`, {
      field: "tokenId",
      value: id,
      fix: "List tokens to find its id",
    });
  return rows[0];
}
