import { invalid } from "../../core/errors.ts";
import type { Authenticated } from "../../identity/authenticated.ts";
import { acceptInvitation, inviteMember, listInvitations } from "../../identity/invitations.ts";
import { acceptedJson, invitationJson, invitedJson } from "../../identity/json.ts";
import { setServiceBound } from "../../identity/service-bound.ts";
import { visibleMember, visibleWorkspace } from "../../identity/tenancy.ts";
import { listSentInvitations, withdrawInvitation } from "../../identity/workspace-invitations.ts";
import type { Role } from "../../policy/actions.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, int, NAME, obj, ROLE, str } from "../schemas.ts";

const SENT_INVITATION = obj({
  id: str(),
  invitee: str(),
  roles: arr(ROLE),
  invited_by: str(),
  expires_at: str(),
});

const INVITATION = obj({
  id: str(),
  workspace: str(),
  roles: arr(ROLE),
  invited_by: str(),
  expires_at: str(),
});

/**
 * Joining a workspace (an admin invites, the invitee accepts with their own token) and the
 * bounds a service identity's owner sets on the tokens it mints itself.
 */
export function tenancyRoutes(db: Db): Route<Authenticated>[] {
  return [
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/invitations",
      operationId: "inviteMember",
      summary:
        "invite someone by name to join the workspace with roles (admins); the answer is the same whether or not the name exists",
      tag: "identity",
      auth: "bearer",
      status: 201,
      body: obj({ name: NAME, roles: arr(ROLE) }),
      response: obj({ invitation_id: str(), invitee: str(), roles: arr(ROLE), expires_at: str() }),
      handler: async ({ caller, params, body }) => {
        const input = body as { name: string; roles: Role[] };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const done = await inviteMember(db, {
          principal: caller.principal,
          workspace,
          invitee: input.name,
          roles: input.roles,
        });
        return {
          status: 201,
          body: invitedJson(done, input.name, input.roles),
        };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/invitations",
      operationId: "listSentInvitations",
      summary: "the workspace's open invitations: not accepted, withdrawn or expired (admins, auditors)",
      tag: "identity",
      auth: "bearer",
      response: obj({ invitations: arr(SENT_INVITATION) }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const open = await listSentInvitations(db, { principal: caller.principal, workspace });
        return {
          body: {
            invitations: open.map((i) => ({
              id: i.id,
              invitee: i.invitee,
              roles: i.roles,
              invited_by: i.invitedBy,
              expires_at: i.expiresAt,
            })),
          },
        };
      },
    },
    {
      method: "delete",
      path: "/v1/workspaces/{workspace}/invitations/{invitation}",
      operationId: "withdrawInvitation",
      summary:
        "withdraw an invitation the workspace sent, before it is accepted (admins); another workspace's answers 404",
      tag: "identity",
      auth: "bearer",
      response: obj({
        invitation_id: str(),
        invitee: str(),
        roles: arr(ROLE),
        withdrawn: { type: "boolean" },
      }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const done = await withdrawInvitation(db, {
          principal: caller.principal,
          workspace,
          invitationId: params.invitation!,
        });
        return {
          body: {
            invitation_id: params.invitation!,
            invitee: done.invitee,
            roles: done.roles,
            withdrawn: true,
          },
        };
      },
    },
    {
      method: "get",
      path: "/v1/invitations",
      operationId: "listInvitations",
      summary: "the open invitations addressed to you",
      tag: "identity",
      auth: "bearer",
      response: obj({ invitations: arr(INVITATION) }),
      handler: async ({ caller }) => {
        const pending = await listInvitations(db, caller.principal);
        return {
          body: { invitations: pending.map(invitationJson) },
        };
      },
    },
    {
      method: "post",
      path: "/v1/invitations/{invitation}/accept",
      operationId: "acceptInvitation",
      summary: "accept an invitation addressed to you: you join its workspace with its roles",
      tag: "identity",
      auth: "bearer",
      response: obj({ invitation_id: str(), workspace: str(), roles: arr(ROLE) }),
      handler: async ({ caller, params }) => {
        const done = await acceptInvitation(db, {
          principal: caller.principal,
          invitationId: params.invitation!,
        });
        return {
          body: acceptedJson(params.invitation!, done),
        };
      },
    },
    {
      method: "put",
      path: "/v1/workspaces/{workspace}/principals/{principal}/token-bound",
      operationId: "setServiceBound",
      summary:
        "bound the tokens a service identity mints itself: longest lifetime, and a renewal deadline (its human owner only)",
      tag: "tokens",
      auth: "bearer",
      body: obj({ max_lifetime_s: int({ minimum: 1 }), renew_until: str() }),
      response: obj({ principal: str(), max_lifetime_s: int(), renew_until: str() }),
      handler: async ({ caller, params, body }) => {
        const input = body as { max_lifetime_s: number; renew_until: string };
        const renewUntil = new Date(input.renew_until);
        if (Number.isNaN(renewUntil.getTime()))
          throw invalid(
            "renew_until",
            "is not a date",
            input.renew_until,
            "Give an ISO 8601 date, e.g. 2027-06-30T00:00:00Z",
          );
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const subject = await visibleMember(db, caller.principal, workspace, params.principal!);
        await setServiceBound(db, {
          principal: caller.principal,
          subject,
          maxLifetimeS: input.max_lifetime_s,
          renewUntil,
        });
        return {
          body: {
            principal: params.principal!,
            max_lifetime_s: input.max_lifetime_s,
            renew_until: renewUntil.toISOString(),
          },
        };
      },
    },
  ];
}
