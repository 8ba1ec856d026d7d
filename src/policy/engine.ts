import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { digestOf } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import { ACTION_NAMES, type Action, type DecisionContext } from "./actions.ts";
import {
  actionUid,
  entitiesFor,
  type Principal,
  principalUid,
  type ResourceFor,
  uidText,
} from "./entities.ts";

// Node 20's V8 aborts the process ("Fatal error ... unreachable code" in the deoptimizer) when
// optimised code that inlined a JS-to-Wasm call into Cedar is lazily deoptimised on return,
// which happens after enough policy sets were compiled (reproduced: ~130 compiles, or the
// policy-versions test once the action list grew). Not inlining those calls avoids it, at the
// cost of one wrapper call per Cedar call. Set before any Cedar call is optimised.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");

/** The Cedar schema every policy set is validated against (strict mode). */
export const POLICY_SCHEMA = readFileSync(new URL("./schema.cedarschema", import.meta.url), "utf8");
/** The policy set a workspace runs under until it approves another. */
export const DEFAULT_POLICY_TEXT = readFileSync(new URL("./default.cedar", import.meta.url), "utf8");

/** The rule named when nothing permits a request. */
export const DEFAULT_DENY = "default-deny";
const SCHEMA_NAME = "crucible";
const ID_SHAPE = /^[a-z0-9][a-z0-9.-]{0,99}$/;

let schemaReady = false;

/** A parsed, schema-validated policy set, cached inside Cedar under its digest. */
export interface CompiledPolicySet {
  readonly digest: string;
  readonly text: string;
  readonly ids: readonly string[];
  /** `@reason` annotation of each policy, by id. */
  readonly reasons: ReadonlyMap<string, string>;
}

/**
 * Parses and validates a policy set. Every policy needs a unique `@id("...")`; every error is
 * reported at once as `invalid_argument` naming the policy.
 * @example const policies = compilePolicySet(DEFAULT_POLICY_TEXT);
 */
export function compilePolicySet(text: string): CompiledPolicySet {
  if (!schemaReady) {
    const answer = cedar.preparseSchema(SCHEMA_NAME, POLICY_SCHEMA);
    if (answer.type !== "success") throw new Error(`bad built-in schema: ${answer.errors[0]?.message}`);
    schemaReady = true;
  }
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success")
    throw policyError(
      "policy",
      parts.errors.map((e) => e.message),
    );
  if (parts.policy_templates.length > 0) throw policyError("policy", ["templates are not supported"]);
  const problems: string[] = [];
  const byId: Record<string, string> = {};
  const reasons = new Map<string, string>();
  const scopes = new Map<string, readonly string[] | "all">();
  for (let i = 0; i < parts.policies.length; i++) {
    const policy = parts.policies[i]!;
    const json = cedar.policyToJson(policy);
    const annotations = json.type === "success" ? (json.json.annotations ?? {}) : {};
    const id = annotations.id;
    if (!id || !ID_SHAPE.test(id) || id === DEFAULT_DENY) {
      problems.push(`policy #${i + 1} needs @id("...") matching ${ID_SHAPE} (not "${DEFAULT_DENY}")`);
    } else if (byId[id] !== undefined) {
      problems.push(`@id("${id}") is used twice`);
    } else {
      byId[id] = policy;
      reasons.set(id, annotations.reason ?? id);
      if (json.type === "success") scopes.set(id, actionScope(json.json.action));
    }
  }
  if (parts.policies.length === 0) problems.push("the policy set is empty");
  if (problems.length > 0) throw policyError("policy", problems);
  const validation = cedar.validate({ schema: POLICY_SCHEMA, policies: { staticPolicies: byId } });
  if (validation.type !== "success")
    throw policyError(
      "policy",
      validation.errors.map((e) => e.message),
    );
  if (validation.validationErrors.length > 0)
    throw policyError(
      "policy",
      validation.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`),
    );
  const digest = digestOf({ policies: byId });
  preparse(digest, byId);
  preparseSlices(digest, byId, scopes);
  return { digest, text, ids: Object.keys(byId), reasons };
}

/**
 * One slice per action holding only the policies whose scope can match it: same decisions (a
 * policy scoped to other actions is never satisfied), less to evaluate per request. Kept out of
 * compilePolicySet: Node 20's V8 crashed ("unreachable code" in the deoptimizer) deoptimizing
 * that function mid-loop once the policy set grew by one policy.
 */
function preparseSlices(
  digest: string,
  byId: Record<string, string>,
  scopes: ReadonlyMap<string, readonly string[] | "all">,
): void {
  const entries = Object.entries(byId);
  for (const action of ACTION_NAMES) {
    const slice: Record<string, string> = {};
    for (const [id, policy] of entries) {
      const scope = scopes.get(id) ?? "all";
      if (scope === "all" || scope.includes(action)) slice[id] = policy;
    }
    preparse(`${digest}#${action}`, slice);
  }
}

function preparse(id: string, policies: Record<string, string>): void {
  const answer = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (answer.type !== "success")
    throw policyError(
      "policy",
      answer.errors.map((e) => e.message),
    );
}

/** The actions a policy's scope names, or "all" when it does not constrain the action. */
function actionScope(constraint: cedar.ActionConstraint): readonly string[] | "all" {
  if (constraint.op === "All") return "all";
  const uids =
    "entities" in constraint ? constraint.entities : "entity" in constraint ? [constraint.entity] : [];
  const ids: string[] = [];
  for (const uid of uids) {
    const plain = "__entity" in uid ? uid.__entity : uid;
    if (plain.type !== "Action") return "all"; // unexpected shape: keep the policy everywhere
    ids.push(plain.id);
    // `action in Action::"group"` also matches the group's members (e.g. "human-only")
    if (constraint.op === "in") ids.push(...(actionGroups().get(plain.id) ?? []));
  }
  return ids;
}

let groups: ReadonlyMap<string, readonly string[]> | undefined;

/**
 * The actions the schema puts in an action group (e.g. "human-only"), read from the schema itself.
 * @example actionsInGroup("human-only").includes("dataset.approve") // true
 */
export function actionsInGroup(group: string): readonly string[] {
  return actionGroups().get(group) ?? [];
}

/** Each action group of the schema with its member actions. */
function actionGroups(): ReadonlyMap<string, readonly string[]> {
  if (groups) return groups;
  const answer = cedar.schemaToJson(POLICY_SCHEMA);
  if (answer.type !== "success") throw new Error(`bad built-in schema: ${answer.errors[0]?.message}`);
  const members = new Map<string, string[]>();
  for (const namespace of Object.values(answer.json))
    for (const [action, declared] of Object.entries(namespace.actions))
      for (const parent of declared.memberOf ?? [])
        members.set(parent.id, [...(members.get(parent.id) ?? []), action]);
  groups = members;
  return groups;
}

function policyError(field: string, problems: string[]) {
  return invalid(
    field,
    `the policy set is not valid: ${problems.join("; ")}`,
    undefined,
    "Fix the policies named and propose again",
  );
}

/** A request: who, what action, on which resource, with which facts. */
export interface AuthzRequest<A extends Action = Action> {
  principal: Principal;
  action: A;
  resource: ResourceFor<A>;
  context?: DecisionContext;
}

export interface Decision {
  decision: "allow" | "deny";
  /** Determining policy ids: the permits that allowed, the forbids that denied, or `default-deny`. */
  rules: string[];
  /** The `@reason` of each determining policy, plus any evaluation errors. */
  reasons: string[];
  /** Digest of the policy set that decided. */
  policy: string;
}

/**
 * The one place that answers "may P do A on R?". Pure and fast (no I/O): see authorizeAndAudit
 * for the audited form every service should call.
 * @example
 * const d = authorize(policies, { principal, action: "dataset.approve", resource: dsv, context: { prescreen_passed: true } });
 * if (d.decision === "deny") console.log(d.rules); // ["sod.dataset-uploader"]
 */
export function authorize<A extends Action>(
  policies: CompiledPolicySet,
  request: AuthzRequest<A>,
  options: { whole?: boolean } = {},
): Decision {
  const context: cedar.Context = {};
  for (const [key, value] of Object.entries(request.context ?? {}))
    if (value !== undefined) context[key] = value as cedar.CedarValueJson;
  const answer = cedar.statefulIsAuthorized({
    principal: principalUid(request.principal),
    action: actionUid(request.action),
    resource: { type: request.resource.type, id: request.resource.id },
    context,
    preparsedSchemaName: SCHEMA_NAME,
    validateRequest: true,
    preparsedPolicySetId: options.whole ? policies.digest : `${policies.digest}#${request.action}`,
    entities: entitiesFor(request.principal, request.resource),
  });
  if (answer.type !== "success") {
    const messages = answer.errors.map((e) => e.message);
    return { decision: "deny", rules: ["invalid-request"], reasons: messages, policy: policies.digest };
  }
  const { decision, diagnostics } = answer.response;
  const rules = diagnostics.reason.length > 0 ? [...diagnostics.reason].sort() : [DEFAULT_DENY];
  const reasons = rules.map((id) =>
    id === DEFAULT_DENY
      ? `no policy permits ${uidText(principalUid(request.principal))} to ${request.action} ${uidText({ type: request.resource.type, id: request.resource.id })}`
      : (policies.reasons.get(id) ?? id),
  );
  for (const e of diagnostics.errors)
    reasons.push(`policy ${e.policyId} failed to evaluate: ${e.error.message}`);
  return { decision, rules, reasons, policy: policies.digest };
}
