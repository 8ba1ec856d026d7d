import type { Authenticated } from "../../identity/authenticated.ts";
import { bindOidcSubject, listOidcBindings, removeOidcBinding } from "../../identity/oidc-bindings.ts";
import { visibleMember, visibleWorkspace } from "../../identity/tenancy.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, obj, str } from "../schemas.ts";

const NON_EMPTY = str({ minLength: 1, maxLength: 1024 });

const BINDING = obj({
  issuer: str(),
  subject: str(),
  audience: str(),
  conditions: { type: "object" },
  created_by: str(),
  created_at: str(),
});

/**
 * Federated sign-in over HTTP: bind an issuer's subject to a principal of the workspace, list a
 * principal's bindings there, remove one.
 */
export function oidcRoutes(db: Db): Route<Authenticated>[] {
  return [
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/oidc-bindings",
      operationId: "bindOidcSubject",
      summary:
        "let JWTs from a trusted issuer with this subject (and these claim values) sign in as the principal, with its roles in this workspace only (admins)",
      tag: "identity",
      auth: "bearer",
      status: 201,
      body: obj(
        { issuer: NON_EMPTY, subject: NON_EMPTY },
        {
          audience: NON_EMPTY,
          conditions: { type: "object", additionalProperties: { type: "string", minLength: 1 } },
        },
      ),
      response: obj({
        principal: str(),
        workspace: str(),
        issuer: str(),
        subject: str(),
        audience: str(),
        conditions: { type: "object" },
      }),
      handler: async ({ caller, params, body }) => {
        const input = body as {
          issuer: string;
          subject: string;
          audience?: string;
          conditions?: Record<string, string>;
        };
        // another tenant's workspace or principal answers as a nonexistent one (audited)
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const target = await visibleMember(db, caller.principal, workspace, params.principal!);
        const audience = input.audience ?? "crucible";
        const conditions = input.conditions ?? {};
        await bindOidcSubject(db, {
          principal: caller.principal,
          workspace,
          issuer: input.issuer,
          subject: input.subject,
          audience,
          target,
          conditions,
        });
        return {
          status: 201,
          body: {
            principal: params.principal!,
            workspace: params.workspace!,
            issuer: input.issuer,
            subject: input.subject,
            audience,
            conditions,
          },
        };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/principals/{principal}/oidc-bindings",
      operationId: "listOidcBindings",
      summary: "the issuers' subjects bound to the principal in this workspace (admins, auditors)",
      tag: "identity",
      auth: "bearer",
      response: obj({ bindings: arr(BINDING) }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const target = await visibleMember(db, caller.principal, workspace, params.principal!);
        const bindings = await listOidcBindings(db, { principal: caller.principal, workspace, target });
        return {
          body: {
            bindings: bindings.map((b) => ({
              issuer: b.issuer,
              subject: b.subject,
              audience: b.audience,
              conditions: b.conditions,
              created_by: b.createdBy,
              created_at: b.createdAt,
            })),
          },
        };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/oidc-bindings/remove",
      operationId: "removeOidcBinding",
      summary:
        "remove a binding made in this workspace: JWTs with that subject no longer sign in as the principal (admins)",
      tag: "identity",
      auth: "bearer",
      body: obj({ issuer: NON_EMPTY, subject: NON_EMPTY }, { audience: NON_EMPTY }),
      response: obj({
        principal: str(),
        issuer: str(),
        subject: str(),
        audience: str(),
        removed: { type: "boolean" },
      }),
      handler: async ({ caller, params, body }) => {
        const input = body as { issuer: string; subject: string; audience?: string };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const target = await visibleMember(db, caller.principal, workspace, params.principal!);
        const audience = input.audience ?? "crucible";
        await removeOidcBinding(db, {
          principal: caller.principal,
          workspace,
          target,
          issuer: input.issuer,
          subject: input.subject,
          audience,
        });
        return {
          body: {
            principal: params.principal!,
            issuer: input.issuer,
            subject: input.subject,
            audience,
            removed: true,
          },
        };
      },
    },
  ];
}
