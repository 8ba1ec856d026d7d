/** The roles a principal can hold in a workspace (ARCHITECTURE §4). */
export const ROLES = [
  "admin",
  "data-steward",
  "ml-engineer",
  "model-approver",
  "deployer",
  "auditor",
] as const;
export type Role = (typeof ROLES)[number];

/** Cedar entity types a request can name as its resource. */
export type ResourceType =
  | "Workspace"
  | "DatasetVersion"
  | "RewardFunction"
  | "Run"
  | "Checkpoint"
  | "Deployment"
  | "ModerationPolicy"
  | "PolicyVersion"
  | "Credential"
  | "Invitation";

/**
 * Every action Crucible authorises, with the one resource type it applies to. A typo in an
 * action, or a resource of the wrong type, does not compile.
 */
export const ACTIONS = {
  "principal.create": "Workspace",
  "role.grant": "Workspace",
  "audit.read": "Workspace",
  "policy.propose": "Workspace",
  "policy.approve": "PolicyVersion",
  "token.create": "Credential",
  "token.revoke": "Credential",
  "dataset.add": "DatasetVersion",
  "dataset.read": "DatasetVersion",
  "dataset.approve": "DatasetVersion",
  "dataset.revoke": "DatasetVersion",
  "reward.create": "RewardFunction",
  "reward.read": "RewardFunction",
  "reward.approve": "RewardFunction",
  "reward.invoke": "RewardFunction",
  "run.start": "Run",
  "run.cancel": "Run",
  "run.read": "Run",
  "run.report": "Run",
  "base.register": "Workspace",
  "checkpoint.read": "Checkpoint",
  "checkpoint.approve": "Checkpoint",
  "checkpoint.generate": "Checkpoint",
  "deployment.create": "Deployment",
  "deployment.delete": "Deployment",
  "deployment.invoke": "Deployment",
  "moderation.create": "ModerationPolicy",
  "moderation.approve": "ModerationPolicy",
  "principal.disable": "Workspace",
  "principal.enable": "Workspace",
  "role.revoke": "Workspace",
  "signing-key.rotate": "Workspace",
  "canary.add": "Workspace",
  "canary.read": "Workspace",
  "service.bound": "Credential",
  "invitation.create": "Invitation",
  "invitation.accept": "Invitation",
  "invitation.withdraw": "Invitation",
  "oidc-binding.create": "Workspace",
  "oidc-binding.delete": "Workspace",
} as const satisfies Record<string, ResourceType>;

export type Action = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

/** Facts a decision may depend on beyond who and what: gate results, requested lifetimes. */
export interface DecisionContext {
  /** Checkpoint approval: every drift gate passed. */
  gates_passed?: boolean;
  /** Dataset approval: the pre-screen scan passed (or its findings were redacted). */
  prescreen_passed?: boolean;
  /** Reward approval: the function's test cases passed. */
  verified?: boolean;
  /** Run start: every input (dataset versions, reward functions) is approved. */
  inputs_approved?: boolean;
  /** Deployment create: the checkpoint is approved and not tainted. */
  checkpoint_approved?: boolean;
  /** Checkpoint generate: no revoked dataset influenced the checkpoint. */
  checkpoint_untainted?: boolean;
  /** Token create: requested lifetime in seconds. */
  lifetime_s?: number;
  /** Token create: when the token would expire, in seconds since the epoch. */
  expires_at_s?: number;
}

/** @example isAction("dataset.approve") // true */
export function isAction(value: string): value is Action {
  return Object.hasOwn(ACTIONS, value);
}

/** @example isRole("auditor") // true */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
