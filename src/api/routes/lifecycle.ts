import type { Authenticated } from "../../identity/authenticated.ts";
import {
  disablePrincipal,
  enablePrincipal,
  revokePrincipalTokens,
  revokeRole,
} from "../../identity/lifecycle.ts";
import { visibleMember, visibleWorkspace } from "../../identity/tenancy.ts";
import type { Role } from "../../policy/actions.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, bool, int, obj, ROLE, str } from "../schemas.ts";

/**
 * The lifecycle of principals over HTTP: disable and re-enable, remove a role, revoke every
 * token of a principal. Each handler resolves names and calls one identity service.
 */
export function lifecycleRoutes(db: Db): Route<Authenticated>[] {
  // the workspace must be the caller's, and the principal one of its members: anything else
  // answers as nonexistent, so other tenants' names cannot be probed
  const names = async (caller: Principal, params: Record<string, string>) => {
    const workspace = await visibleWorkspace(db, caller, params.workspace!);
    return { workspace, subject: await visibleMember(db, caller, workspace, params.principal!) };
  };
  return [
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/disable",
      operationId: "disablePrincipal",
      summary:
        "disable a principal: its tokens are revoked and every later authentication fails (admins of every workspace it belongs to)",
      tag: "identity",
      auth: "bearer",
      response: obj({ principal: str(), disabled: bool, revoked_tokens: int(), owned_services: arr(str()) }),
      handler: async ({ caller, params }) => {
        const done = await disablePrincipal(db, {
          principal: caller.principal,
          ...(await names(caller.principal, params)),
        });
        return {
          body: {
            principal: params.principal!,
            disabled: true,
            revoked_tokens: done.revokedTokens,
            owned_services: done.ownedServices,
          },
        };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/enable",
      operationId: "enablePrincipal",
      summary: "re-enable a disabled principal; its old tokens stay revoked",
      tag: "identity",
      auth: "bearer",
      response: obj({ principal: str(), disabled: bool }),
      handler: async ({ caller, params }) => {
        await enablePrincipal(db, {
          principal: caller.principal,
          ...(await names(caller.principal, params)),
        });
        return { body: { principal: params.principal!, disabled: false } };
      },
    },
    {
      method: "delete",
      path: "/v1/workspaces/{workspace}/principals/{principal}/roles/{role}",
      operationId: "revokeRole",
      summary: "remove a role in the workspace (admins); the last active admin keeps it",
      tag: "identity",
      auth: "bearer",
      response: obj({ principal: str(), role: ROLE, revoked: bool }),
      handler: async ({ caller, params }) => {
        const role = params.role as Role;
        await revokeRole(db, {
          principal: caller.principal,
          ...(await names(caller.principal, params)),
          role,
        });
        return { body: { principal: params.principal!, role, revoked: true } };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/principals/{principal}/tokens/revoke",
      operationId: "revokePrincipalTokens",
      summary:
        "revoke every active token of a principal (the principal itself, a service identity's owner or its workspace's admins, a user's admins in every workspace they belong to)",
      tag: "tokens",
      auth: "bearer",
      response: obj({ principal: str(), revoked_tokens: int() }),
      handler: async ({ caller, params }) => {
        const { subject } = await names(caller.principal, params);
        const { revokedTokens } = await revokePrincipalTokens(db, { principal: caller.principal, subject });
        return { body: { principal: params.principal!, revoked_tokens: revokedTokens } };
      },
    },
  ];
}
