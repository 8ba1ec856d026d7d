import type { Role } from "../policy/actions.ts";
import type { InvitationListing } from "./invitations.ts";
import type { IssuedToken } from "./tokens.ts";

/*
 * Identity resources as the CLI's `--json` prints them and the API returns them (OpenAPI: the
 * schemas of src/api/routes/governance.ts and tenancy.ts). Members are listMembers' answer as is.
 */

/**
 * A workspace just created.
 * @example workspaceJson(id, "research") // { id: "ws_…", name: "research" }
 */
export function workspaceJson(id: string, name: string) {
  return { id, name };
}

/**
 * A principal just created, with the roles it was given.
 * @example principalJson(id, { name: "ops-bot", kind: "service", roles: ["ml-engineer"] })
 */
export function principalJson(
  id: string,
  p: { name: string; kind: "user" | "service"; roles: readonly Role[] },
) {
  return { id, name: p.name, kind: p.kind, roles: [...p.roles] };
}

/**
 * A token just issued or rotated: the secret appears here once, never again.
 * @example issuedTokenJson(await createToken(db, input)).token // "crt_…"
 */
export function issuedTokenJson(issued: IssuedToken) {
  return { token_id: issued.tokenId, token: issued.secret, expires_at: issued.expiresAt.toISOString() };
}

/**
 * An invitation just sent.
 * @example invitedJson(await inviteMember(db, input), "eli", ["ml-engineer"])
 */
export function invitedJson(
  done: { invitationId: string; expiresAt: Date },
  invitee: string,
  roles: readonly Role[],
) {
  return {
    invitation_id: done.invitationId,
    invitee,
    roles: [...roles],
    expires_at: done.expiresAt.toISOString(),
  };
}

/**
 * An open invitation addressed to the caller.
 * @example (await listInvitations(db, eli)).map(invitationJson)
 */
export function invitationJson(i: InvitationListing) {
  return {
    id: i.id,
    workspace: i.workspace,
    roles: i.roles,
    invited_by: i.invitedBy,
    expires_at: i.expiresAt,
  };
}

/**
 * An invitation accepted: the workspace joined and the roles it brought.
 * @example acceptedJson(invitationId, await acceptInvitation(db, input))
 */
export function acceptedJson(invitationId: string, done: { workspaceName: string; roles: Role[] }) {
  return { invitation_id: invitationId, workspace: done.workspaceName, roles: done.roles };
}
