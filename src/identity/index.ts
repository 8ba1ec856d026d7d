export { authenticate } from "./authenticate.ts";
export type { Authenticated } from "./authenticated.ts";
export { INSTALLATION, type PrincipalId, type TokenId, type WorkspaceId } from "./ids.ts";
export {
  acceptInvitation,
  DEFAULT_INVITATION_LIFETIME_S,
  type InvitationListing,
  inviteMember,
  listInvitations,
} from "./invitations.ts";
export {
  disablePrincipal,
  enablePrincipal,
  LAST_ADMIN_RULE,
  revokePrincipalTokens,
  revokeRole,
} from "./lifecycle.ts";
export {
  createOidcVerifier,
  DEFAULT_OIDC_MAX_LIFETIME_S,
  type OidcIssuerConfig,
  type OidcVerifier,
} from "./oidc.ts";
export { bindOidcSubject, type ClaimConditions } from "./oidc-bindings.ts";
export { createServiceIdentity, createUser, grantRole, loadPrincipal } from "./principals.ts";
export { type ServiceBound, setServiceBound } from "./service-bound.ts";
export {
  NOT_VISIBLE_RULE,
  requireVisible,
  sharesTenancy,
  visibleMember,
  visiblePrincipal,
  visibleWorkspace,
} from "./tenancy.ts";
export {
  createToken,
  DEFAULT_TOKEN_LIFETIME_S,
  type IssuedToken,
  revokeToken,
  rotateToken,
} from "./tokens.ts";
export {
  mintWorkloadToken,
  revokeRunTokens,
  WORKLOAD_MAX_LIFETIME_S,
  type WorkloadScope,
} from "./workload.ts";
export { listSentInvitations, type SentInvitation, withdrawInvitation } from "./workspace-invitations.ts";
export { bootstrap, createWorkspace } from "./workspaces.ts";
