import type { SignedClaim } from "../../audit/verify.ts";
import { readWorkspaceAudit, verifyWorkspaceAudit } from "../../governed/audit-access.ts";
import type { Authenticated } from "../../identity/authenticated.ts";
import { issuedTokenJson, principalJson, workspaceJson } from "../../identity/json.ts";
import { listMembers } from "../../identity/members.ts";
import { createServiceIdentity, createUser, grantRole } from "../../identity/principals.ts";
import { visibleMember, visiblePrincipal, visibleWorkspace } from "../../identity/tenancy.ts";
import { createToken, revokeToken, rotateToken } from "../../identity/tokens.ts";
import { createWorkspace } from "../../identity/workspaces.ts";
import type { Role } from "../../policy/actions.ts";
import { actorId } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, bool, DURATION_S, int, NAME, obj, ROLE, str } from "../schemas.ts";

const PRINCIPAL = obj(
  { id: str(), name: str(), kind: str({ enum: ["user", "service"] }), roles: arr(str()) },
  { owner: { type: ["string", "null"] }, disabled: bool },
);
const ISSUED = obj({ token_id: str(), token: str(), expires_at: str() });

/** Workspaces, principals, tokens and the audit log over HTTP; each handler calls one service. */
export function governanceRoutes(
  db: Db,
  options: { signedHeads?: () => readonly SignedClaim[] } = {},
): Route<Authenticated>[] {
  return [
    {
      method: "get",
      path: "/v1/me",
      operationId: "whoami",
      summary: "the principal the token authenticates, with its roles",
      tag: "identity",
      auth: "bearer",
      response: obj({ id: str(), kind: str(), roles: arr(obj({ workspace: str(), role: str() })) }),
      handler: async ({ caller }) => ({
        body: {
          id: actorId(caller.principal),
          kind: caller.principal.kind,
          roles: "roles" in caller.principal ? caller.principal.roles : [],
        },
      }),
    },
    {
      method: "post",
      path: "/v1/workspaces",
      operationId: "createWorkspace",
      summary: "create a workspace (admins); the creator becomes its admin",
      tag: "identity",
      auth: "bearer",
      status: 201,
      body: obj({ name: NAME }),
      response: obj({ id: str(), name: str() }),
      handler: async ({ caller, body }) => {
        const { name } = body as { name: string };
        return {
          status: 201,
          body: workspaceJson(await createWorkspace(db, { principal: caller.principal, name }), name),
        };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals",
      operationId: "createPrincipal",
      summary: "create a user, or a service identity with a human owner",
      tag: "identity",
      auth: "bearer",
      status: 201,
      body: obj({ name: NAME, kind: str({ enum: ["user", "service"] }) }, { roles: arr(ROLE), owner: NAME }),
      response: obj({ id: str(), name: str(), kind: str() }, { roles: arr(str()) }),
      handler: async ({ caller, params, body }) => {
        const input = body as { name: string; kind: "user" | "service"; roles?: Role[]; owner?: string };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const common = { principal: caller.principal, workspace, name: input.name, roles: input.roles ?? [] };
        const id =
          input.kind === "user"
            ? await createUser(db, common)
            : await createServiceIdentity(db, {
                ...common,
                owner: input.owner
                  ? await visibleMember(db, caller.principal, workspace, input.owner, "owner")
                  : "",
              });
        return { status: 201, body: principalJson(id, { ...input, roles: common.roles }) };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/principals",
      operationId: "listPrincipals",
      summary:
        "who has a role in the workspace (admins, auditors); ?stale_s=N adds tokens unused for N seconds",
      tag: "identity",
      auth: "bearer",
      response: obj({ principals: arr(PRINCIPAL) }, { stale: arr({ type: "object" }) }),
      handler: async ({ caller, params, query }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const unusedForS = query.stale_s === undefined ? {} : { unusedForS: Number(query.stale_s) || 0 };
        return { body: await listMembers(db, caller.principal, workspace, unusedForS) };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/roles",
      operationId: "grantRole",
      summary: "grant a role in the workspace (admins)",
      tag: "identity",
      auth: "bearer",
      body: obj({ role: ROLE }),
      response: obj({ principal: str(), role: str() }),
      handler: async ({ caller, params, body }) => {
        const { role } = body as { role: Role };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        await grantRole(db, {
          principal: caller.principal,
          workspace,
          subject: await visibleMember(db, caller.principal, workspace, params.principal!),
          role,
        });
        return { body: { principal: params.principal!, role } };
      },
    },
    {
      method: "post",
      path: "/v1/tokens",
      operationId: "createToken",
      summary:
        "issue a bearer token for yourself or (admins) a service identity; the secret is returned once",
      tag: "tokens",
      auth: "bearer",
      status: 201,
      body: obj({}, { for: NAME, ttl_s: DURATION_S, label: str({ maxLength: 200 }) }),
      response: ISSUED,
      handler: async ({ caller, body }) => {
        const input = body as { for?: string; ttl_s?: number; label?: string };
        const subject = input.for
          ? await visiblePrincipal(db, caller.principal, input.for, "for")
          : actorId(caller.principal);
        const issued = await createToken(db, {
          principal: caller.principal,
          subject,
          ...(input.ttl_s ? { lifetimeS: input.ttl_s } : {}),
          ...(input.label ? { label: input.label } : {}),
        });
        return {
          status: 201,
          body: issuedTokenJson(issued),
        };
      },
    },
    {
      method: "post",
      path: "/v1/tokens/{token}/rotate",
      operationId: "rotateToken",
      summary: "replace a token; the old one stays valid for the overlap",
      tag: "tokens",
      auth: "bearer",
      status: 201,
      body: obj({}, { overlap_s: DURATION_S, ttl_s: DURATION_S }),
      response: ISSUED,
      handler: async ({ caller, params, body }) => {
        const input = body as { overlap_s?: number; ttl_s?: number };
        const issued = await rotateToken(db, {
          principal: caller.principal,
          tokenId: params.token!,
          ...(input.overlap_s !== undefined ? { overlapS: input.overlap_s } : {}),
          ...(input.ttl_s ? { lifetimeS: input.ttl_s } : {}),
        });
        return {
          status: 201,
          body: issuedTokenJson(issued),
        };
      },
    },
    {
      method: "delete",
      path: "/v1/tokens/{token}",
      operationId: "revokeToken",
      summary: "revoke a token now",
      tag: "tokens",
      auth: "bearer",
      response: obj({ token_id: str(), revoked: bool }),
      handler: async ({ caller, params }) => {
        await revokeToken(db, { principal: caller.principal, tokenId: params.token! });
        return { body: { token_id: params.token!, revoked: true } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/audit",
      operationId: "readAudit",
      summary: "the workspace's audit entries in seq order (admins, auditors); ?from_seq=&limit=",
      tag: "audit",
      auth: "bearer",
      response: obj({ entries: arr({ type: "object" }) }),
      handler: async ({ caller, params, query }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const entries = await readWorkspaceAudit(db, {
          principal: caller.principal,
          workspace,
          fromSeq: Math.max(1, Number(query.from_seq) || 1),
          limit: Math.min(1000, Math.max(1, Number(query.limit) || 100)),
        });
        return { body: { entries } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/audit/verify",
      operationId: "verifyAudit",
      summary:
        "recompute the whole hash chain and check it extends every signed head the server knows (admins, auditors)",
      tag: "audit",
      auth: "bearer",
      response: obj(
        { ok: bool },
        {
          count: int(),
          head: { type: "object" },
          signedHeads: int(),
          index: int(),
          seq: int(),
          reason: str(),
        },
      ),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const signedHeads = options.signedHeads?.() ?? [];
        return { body: await verifyWorkspaceAudit(db, caller.principal, workspace, { signedHeads }) };
      },
    },
  ];
}
