import { CrucibleError, invalid } from "../core/errors.ts";
import { requireAuditRead } from "../governed/audit-access.ts";
import { governed, governedAll } from "../governed/funnel.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { loadPrincipal } from "./principals.ts";

/** Claims a JWT must carry with exactly these values, e.g. `{ ref: "refs/heads/main" }`. */
export type ClaimConditions = Readonly<Record<string, string>>;

/** A subject's binding as sign-in reads it. */
export interface OidcBinding {
  principalId: string;
  /** Null for a binding made before bindings were scoped; sign-in refuses it. */
  workspace: string | null;
  conditions: ClaimConditions;
}

/** Claims that identify the token rather than its holder: a condition on them means nothing. */
const RESERVED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]);

function checkConditions(conditions: ClaimConditions): ClaimConditions {
  for (const [claim, value] of Object.entries(conditions)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(claim) || RESERVED_CLAIMS.has(claim))
      throw invalid(
        "claim",
        "a condition names a claim other than iss, sub, aud, exp, iat, nbf, jti",
        claim,
        "Write CLAIM=VALUE, e.g. ref=refs/heads/main",
      );
    if (typeof value !== "string" || value === "")
      throw invalid(`claim ${claim}`, "a condition needs a non-empty value", value, "Write CLAIM=VALUE");
  }
  return conditions;
}

/**
 * Binds an issuer's subject (for one audience, optionally only when some claims hold exact
 * values) to a principal of `workspace`, so that it can sign in with its JWTs instead of a
 * stored secret. The binding is scoped: a federated sign-in carries the principal's roles in
 * `workspace` only. The target must belong to `workspace`, and the caller needs
 * `oidc-binding.create` there and in every other workspace the target belongs to (binding a
 * subject hands out the target's identity). One decision per workspace is audited.
 * @example await bindOidcSubject(db, { principal: root, workspace, issuer, subject: "repo:acme/train:ref:refs/heads/main", audience: "crucible", target: bot, conditions: { ref: "refs/heads/main" } });
 */
export async function bindOidcSubject(
  db: Db,
  input: {
    principal: Principal;
    workspace: string;
    issuer: string;
    subject: string;
    audience: string;
    target: string;
    conditions?: ClaimConditions;
  },
): Promise<void> {
  for (const [field, value] of [
    ["issuer", input.issuer],
    ["subject", input.subject],
    ["audience", input.audience],
  ] as const)
    if (value.trim() === "")
      throw invalid(field, "is empty", value, `Give the exact ${field} the issuer's JWTs carry`);
  const conditions = checkConditions(input.conditions ?? {});
  const target = await loadPrincipal(db, input.target);
  if (target?.kind !== "user" && target?.kind !== "service")
    throw new CrucibleError("not_found", `no principal ${input.target}`, {
      field: "target",
      value: input.target,
      fix: "Create the principal first; `crucible principal list` shows who exists",
    });
  const memberships = new Set(target.roles.map((r) => r.workspace));
  if (target.kind === "service") memberships.add(target.workspace);
  if (!memberships.has(input.workspace))
    throw new CrucibleError(
      "failed_precondition",
      `principal ${input.target} does not belong to workspace ${input.workspace}`,
      {
        field: "target",
        value: input.target,
        fix: "Bind a subject to a principal of your own workspace (grant it a role there first)",
      },
    );
  const workspaces = [input.workspace, ...[...memberships].filter((w) => w !== input.workspace).sort()];
  const payload = {
    issuer: input.issuer,
    subject: input.subject,
    audience: input.audience,
    target: input.target,
    conditions,
  };
  await governedAll(
    db,
    workspaces.map((id) => ({
      principal: input.principal,
      action: "oidc-binding.create" as const,
      resource: { type: "Workspace" as const, id },
    })),
    async (tx) => {
      const { rows } = await tx.query(
        `INSERT INTO oidc_bindings (issuer, subject, audience, principal_id, workspace_id, conditions, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (issuer, subject, audience) DO NOTHING RETURNING principal_id`,
        [
          input.issuer,
          input.subject,
          input.audience,
          input.target,
          input.workspace,
          JSON.stringify(conditions),
          actorId(input.principal),
        ],
      );
      if (rows.length === 0)
        throw new CrucibleError(
          "already_exists",
          `subject ${JSON.stringify(input.subject)} of ${input.issuer} is already bound for audience ${input.audience}`,
          {
            field: "subject",
            value: input.subject,
            fix: "One subject maps to one principal; pick another subject",
          },
        );
    },
    { payload },
  );
}

/**
 * The binding of an issuer's subject for an audience, if any.
 * @example const binding = await findOidcBinding(db, issuer, "repo:acme/train:ref:refs/heads/main", "crucible");
 */
export async function findOidcBinding(
  q: Queryable,
  issuer: string,
  subject: string,
  audience: string,
): Promise<OidcBinding | undefined> {
  const { rows } = await q.query<{ principal_id: string; workspace_id: string | null; conditions: unknown }>(
    "SELECT principal_id, workspace_id, conditions FROM oidc_bindings WHERE issuer = $1 AND subject = $2 AND audience = $3",
    [issuer, subject, audience],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    principalId: row.principal_id,
    workspace: row.workspace_id,
    conditions: parseConditions(row.conditions),
  };
}

/** A binding as the admins of its workspace see it. */
export interface OidcBindingListing {
  issuer: string;
  subject: string;
  audience: string;
  conditions: ClaimConditions;
  createdBy: string;
  createdAt: string;
}

/**
 * The bindings made in `workspace` for `target` (its admins and auditors: `audit.read`, audited).
 * Bindings of the same principal made in another workspace are that workspace's to list.
 * @example const bindings = await listOidcBindings(db, { principal: root, workspace: acme, target: bot });
 */
export async function listOidcBindings(
  db: Db,
  input: { principal: Principal; workspace: string; target: string },
): Promise<OidcBindingListing[]> {
  await requireAuditRead(db, input.principal, input.workspace, "oidc bindings");
  const { rows } = await db.query<{
    issuer: string;
    subject: string;
    audience: string;
    conditions: unknown;
    created_by: string;
    created_at: Date;
  }>(
    `SELECT b.issuer, b.subject, b.audience, b.conditions, coalesce(p.name, b.created_by) AS created_by, b.created_at
       FROM oidc_bindings b LEFT JOIN principals p ON p.id = b.created_by
      WHERE b.principal_id = $1 AND b.workspace_id = $2
      ORDER BY b.created_at, b.issuer, b.subject, b.audience`,
    [input.target, input.workspace],
  );
  return rows.map((r) => ({
    issuer: r.issuer,
    subject: r.subject,
    audience: r.audience,
    conditions: parseConditions(r.conditions),
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/**
 * Removes the binding of an issuer's subject (for an audience) to `target`, made in `workspace`
 * (`oidc-binding.delete`: its admins, humans only, audited). JWTs with that subject no longer
 * sign in. A binding made elsewhere answers exactly as one that does not exist.
 * @example await removeOidcBinding(db, { principal: root, workspace: acme, target: bot, issuer, subject, audience: "crucible" });
 */
export async function removeOidcBinding(
  db: Db,
  input: {
    principal: Principal;
    workspace: string;
    target: string;
    issuer: string;
    subject: string;
    audience: string;
  },
): Promise<void> {
  await governed(
    db,
    {
      principal: input.principal,
      action: "oidc-binding.delete",
      resource: { type: "Workspace", id: input.workspace },
    },
    async (tx) => {
      // looked up only once the caller may remove bindings here: nobody else learns which exist
      const removed = await tx.query(
        `DELETE FROM oidc_bindings
          WHERE issuer = $1 AND subject = $2 AND audience = $3 AND principal_id = $4 AND workspace_id = $5
          RETURNING principal_id`,
        [input.issuer, input.subject, input.audience, input.target, input.workspace],
      );
      if (removed.rows.length === 0)
        throw new CrucibleError(
          "not_found",
          `no binding of subject ${JSON.stringify(input.subject)} of ${input.issuer} (audience ${input.audience}) to this principal in this workspace`,
          {
            field: "subject",
            value: input.subject,
            fix: "`crucible principal oidc-bindings NAME --workspace W` lists the principal's bindings there",
          },
        );
    },
    {
      payload: {
        issuer: input.issuer,
        subject: input.subject,
        audience: input.audience,
        target: input.target,
      },
    },
  );
}

function parseConditions(value: unknown): ClaimConditions {
  const parsed = typeof value === "string" ? JSON.parse(value) : value;
  return (parsed ?? {}) as ClaimConditions;
}
