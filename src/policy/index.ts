/** Cedar: the actions, entities, engine and built-in policy set. Pure: it reads no store. */
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
export { defaultPolicySet, policySetFor } from "./versions.ts";
