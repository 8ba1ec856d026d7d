/** The mutation funnel (decide, change state, audit, in one transaction) and governance's own governed resources. */
export { activePolicySet } from "./active-policy.ts";
export { readWorkspaceAudit, requireAuditRead, requireInstallationAudit } from "./audit-access.ts";
export {
  type AuditedDecision,
  type AuthorizeOptions,
  authorizeAndAudit,
  deniedError,
  governed,
  governedAll,
  HUMAN_ONLY_RULE,
  type Invariant,
} from "./funnel.ts";
export { rotateProvenanceKey } from "./key-rotation.ts";
export { approvePolicy, type PolicyVersion, proposePolicy } from "./policy-changes.ts";
