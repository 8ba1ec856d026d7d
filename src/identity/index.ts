export { type Authenticated, authenticate } from "./authenticate.ts";
export { INSTALLATION, type PrincipalId, type TokenId, type WorkspaceId } from "./ids.ts";
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
export { bootstrap, createWorkspace } from "./workspaces.ts";
