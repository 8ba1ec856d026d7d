export {
  ACTION_NAMES,
  ACTIONS,
  type Action,
  type DecisionContext,
  isAction,
  isRole,
  type ResourceType,
  ROLES,
  type Role,
} from "./actions.ts";
export { readWorkspaceAudit } from "./audit-access.ts";
export {
  type AuditedDecision,
  type AuthorizeOptions,
  authorizeAndAudit,
  deniedError,
  governed,
  type Invariant,
} from "./audited.ts";
export { approvePolicy, type PolicyVersion, proposePolicy } from "./changes.ts";
export {
  type AuthzRequest,
  authorize,
  type CompiledPolicySet,
  compilePolicySet,
  DEFAULT_DENY,
  DEFAULT_POLICY_TEXT,
  type Decision,
  POLICY_SCHEMA,
} from "./engine.ts";
export type { Principal, Resource, ResourceFor, RoleBinding, RunFacts } from "./entities.ts";
export { activePolicySet, defaultPolicySet, policySetFor } from "./versions.ts";
