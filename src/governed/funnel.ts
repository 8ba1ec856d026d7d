import { appendAudit } from "../audit/append.ts";
import type { AuditEntry } from "../audit/entry.ts";
import { CrucibleError } from "../core/errors.ts";
import type { Action } from "../policy/actions.ts";
import {
  type AuthzRequest,
  actionsInGroup,
  authorize,
  type CompiledPolicySet,
  type Decision,
} from "../policy/engine.ts";
import { actorId, INSTALLATION, memberWorkspaces, resourceWorkspace, uidText } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { activePolicySet } from "./active-policy.ts";

/**
 * A rule that no policy set can switch off (e.g. the two-person rule for policy changes). When it
 * does not hold, the decision is a deny naming `id`, audited like any other.
 */
export interface Invariant {
  id: string;
  holds: boolean;
  reason: string;
}

export interface AuditedDecision extends Decision {
  audit: AuditEntry;
}

export interface AuthorizeOptions {
  /** The policy set to decide with; default: the active set of the resource's workspace. */
  policies?: CompiledPolicySet;
  invariants?: readonly Invariant[];
  /** The request body or state change; its digest goes into the audit entry. */
  payload?: unknown;
  /**
   * Facts of the request a reader of the log needs in the clear (the log keeps only the payload's
   * digest), said after the rules' reasons; never a secret or private text.
   */
  detail?: string;
}

/**
 * Decides and appends the decision (allow or deny, with its rules) to the audit log in `tx`.
 * @example
 * const d = await db.transaction((tx) => authorizeAndAudit(tx, { principal, action: "audit.read", resource: { type: "Workspace", id: ws } }));
 */
export async function authorizeAndAudit<A extends Action>(
  tx: Queryable,
  request: AuthzRequest<A>,
  options: AuthorizeOptions = {},
): Promise<AuditedDecision> {
  const workspace = resourceWorkspace(request.resource);
  const policies = options.policies ?? (await activePolicySet(tx, workspace));
  let decision = authorize(policies, request);
  // the policy set names human-only.service itself unless a workspace approved one without it
  const kept = humanOnly(request).filter((i) => !decision.rules.includes(i.id));
  const broken = [...(options.invariants ?? []), ...kept].filter((i) => !i.holds);
  if (broken.length > 0) {
    const keep = decision.decision === "deny";
    decision = {
      ...decision,
      decision: "deny",
      rules: [...(keep ? decision.rules : []), ...broken.map((i) => i.id)],
      reasons: [...(keep ? decision.reasons : []), ...broken.map((i) => i.reason)],
    };
  }
  const audit = await appendAudit(tx, {
    workspace,
    actor: actorId(request.principal),
    action: request.action,
    resource: uidText({ type: request.resource.type, id: request.resource.id }),
    decision: decision.decision,
    rules: decision.rules,
    reason: [...decision.reasons, ...(options.detail ? [options.detail] : [])].join("; "),
    payload: { context: request.context ?? {}, policy: decision.policy, body: options.payload ?? null },
  });
  return { ...decision, audit };
}

/** The policy that forbids the "human-only" action group to service identities (default.cedar). */
export const HUMAN_ONLY_RULE = "human-only.service";

/**
 * A service identity never makes a human-only decision, whatever policy set its workspace
 * approved: a stolen service token must not be one policy change away from approving things.
 */
function humanOnly<A extends Action>(request: AuthzRequest<A>): Invariant[] {
  if (request.principal.kind !== "service" || !actionsInGroup("human-only").includes(request.action))
    return [];
  return [
    {
      id: HUMAN_ONLY_RULE,
      holds: false,
      reason: "approvals, role grants, invitations and creating principals are decisions only a human makes",
    },
  ];
}

/**
 * The `permission_denied` error for a denial: exit code 3 / HTTP 403, with the rule that denied.
 * @example throw deniedError(decision, request);
 */
export function deniedError<A extends Action>(decision: Decision, request: AuthzRequest<A>): CrucibleError {
  const rule = decision.rules.join(",");
  const target = uidText({ type: request.resource.type, id: request.resource.id });
  const workspace = resourceWorkspace(request.resource);
  // a decision needed in another tenant's workspace (e.g. disabling someone who also works
  // there) is denied without naming anything of that tenant's
  const foreign = workspace !== INSTALLATION && !memberWorkspaces(request.principal).includes(workspace);
  const shown = foreign ? `${request.resource.type} in a workspace you do not belong to` : target;
  const reasons = decision.reasons.map((r) => (foreign ? r.replaceAll(target, "it") : r));
  return new CrucibleError(
    "permission_denied",
    `${actorId(request.principal)} may not ${request.action} ${shown}: ${reasons.join("; ")}`,
    { rule, fix: "Ask someone whose role permits it, or satisfy the rule named" },
  );
}

/**
 * The mutation funnel: authorise, change state and audit in one transaction. A denial is audited
 * (committed) and then thrown as `permission_denied`; an allowed change that fails rolls back
 * together with its audit entry.
 * @example
 * await governed(db, { principal, action: "dataset.approve", resource, context }, async (tx) => {
 *   await tx.query("UPDATE dataset_versions SET status = 'approved' WHERE id = $1", [resource.id]);
 * });
 */
export async function governed<A extends Action, T>(
  db: Db,
  request: AuthzRequest<A>,
  change: (tx: Queryable, decision: AuditedDecision) => Promise<T>,
  options: AuthorizeOptions = {},
): Promise<T> {
  const outcome = await db.transaction(async (tx) => {
    const decision = await authorizeAndAudit(tx, request, options);
    if (decision.decision === "deny") return { allowed: false as const, decision };
    return { allowed: true as const, value: await change(tx, decision) };
  });
  if (!outcome.allowed) throw deniedError(outcome.decision, request);
  return outcome.value;
}

/**
 * The funnel for a change that needs several decisions at once (e.g. disabling a principal who
 * holds roles in several workspaces needs the right in each): every decision is audited, and the
 * change runs only when all allow. `check` runs first in the transaction (after any locks it
 * takes) and returns invariants that apply to every decision.
 * @example
 * await governedAll(db, workspaces.map((id) => ({ principal, action: "principal.disable", resource: { type: "Workspace", id } })), disable);
 */
export async function governedAll<A extends Action, T>(
  db: Db,
  requests: readonly AuthzRequest<A>[],
  change: (tx: Queryable, decisions: AuditedDecision[]) => Promise<T>,
  options: Omit<AuthorizeOptions, "invariants" | "policies"> & {
    check?: (tx: Queryable) => Promise<readonly Invariant[]>;
  } = {},
): Promise<T> {
  const outcome = await db.transaction(async (tx) => {
    const invariants = options.check ? await options.check(tx) : [];
    const decisions: AuditedDecision[] = [];
    for (const request of requests)
      decisions.push(await authorizeAndAudit(tx, request, { ...options, invariants }));
    const denied = decisions.findIndex((d) => d.decision === "deny");
    if (denied >= 0)
      return { allowed: false as const, decision: decisions[denied]!, request: requests[denied]! };
    return { allowed: true as const, value: await change(tx, decisions) };
  });
  if (!outcome.allowed) throw deniedError(outcome.decision, outcome.request);
  return outcome.value;
}
