import type { CedarValueJson, EntityJson, TypeAndId } from "@cedar-policy/cedar-wasm/nodejs";
import type { ACTIONS, Action, Role } from "./actions.ts";

/** A role held in one workspace. */
export interface RoleBinding {
  workspace: string;
  role: Role;
}

/** What the policy needs to know about a run (for its resource, and for its workload token). */
export interface RunFacts {
  id: string;
  workspace: string;
  starter: string;
  datasets: readonly string[];
  rewards: readonly string[];
}

/** Who asks. Built by identity's `authenticate`, or by tests directly. */
export type Principal =
  | { kind: "user"; id: string; roles: readonly RoleBinding[] }
  | { kind: "service"; id: string; owner: string; workspace: string; roles: readonly RoleBinding[] }
  | { kind: "workload"; run: RunFacts }
  | { kind: "anonymous" };

/** What is asked about. Authorship fields carry principal ids. */
export type Resource =
  | { type: "Workspace"; id: string }
  | { type: "DatasetVersion"; id: string; workspace: string; uploader: string; revoked?: boolean }
  | { type: "RewardFunction"; id: string; workspace: string; author: string }
  | ({ type: "Run" } & RunFacts)
  /** A base has no run (`run: null`); its starter is whoever registered it. */
  | { type: "Checkpoint"; id: string; workspace: string; run: string | null; starter: string }
  | { type: "Deployment"; id: string; workspace: string; owner: string }
  | { type: "ModerationPolicy"; id: string; workspace: string; author: string }
  | { type: "PolicyVersion"; id: string; workspace: string; author: string }
  | {
      type: "Credential";
      id: string;
      workspace: string;
      subject: string;
      owner?: string;
      /** A service identity's bounds, set by its owner: longest token, and renewal deadline (epoch s). */
      maxLifetimeS?: number;
      renewUntilS?: number;
    }
  /** `invitee`: the principal bearing the invited name, when one does. */
  | { type: "Invitation"; id: string; workspace: string; invitee?: string };

/** The resource shape an action applies to, so `authorize` rejects mismatches at compile time. */
export type ResourceFor<A extends Action> = Extract<Resource, { type: (typeof ACTIONS)[A] }>;

const ROLE_ATTRS: Record<Role, string> = {
  admin: "admin",
  "data-steward": "data_steward",
  "ml-engineer": "ml_engineer",
  "model-approver": "model_approver",
  deployer: "deployer",
  auditor: "auditor",
};

const uid = (type: string, id: string): TypeAndId => ({ type, id });
const ref = (type: string, id: string): CedarValueJson => ({ __entity: uid(type, id) });
export const roleUid = (workspace: string, role: Role): TypeAndId => uid("Role", `${workspace}/${role}`);

/**
 * `Type::"id"` for the audit log and messages.
 * @example uidText({ type: "Run", id: "run_1" }) // 'Run::"run_1"'
 */
export function uidText(value: TypeAndId): string {
  return `${value.type}::${JSON.stringify(value.id)}`;
}

/** @example principalUid({ kind: "anonymous" }) // { type: "Anonymous", id: "anonymous" } */
export function principalUid(p: Principal): TypeAndId {
  switch (p.kind) {
    case "user":
      return uid("User", p.id);
    case "service":
      return uid("ServiceIdentity", p.id);
    case "workload":
      return uid("Workload", p.run.id);
    case "anonymous":
      return uid("Anonymous", "anonymous");
  }
}

/**
 * The id recorded as the audit entry's actor.
 * @example actorId({ kind: "workload", run }) // "workload:run_1"
 */
export function actorId(p: Principal): string {
  switch (p.kind) {
    case "workload":
      return `workload:${p.run.id}`;
    case "anonymous":
      return "anonymous";
    default:
      return p.id;
  }
}

/** The workspace named on credentials of users, who belong to no single workspace. */
export const INSTALLATION = "_installation";

/**
 * Every workspace a principal belongs to: where it holds a role, a service identity's home, a
 * workload's run. Anything elsewhere is another tenant's, and must look as if it did not exist.
 * @example memberWorkspaces({ kind: "workload", run }) // [run.workspace]
 */
export function memberWorkspaces(p: Principal): string[] {
  switch (p.kind) {
    case "anonymous":
      return [];
    case "workload":
      return [p.run.workspace];
    case "service":
      return [...new Set([p.workspace, ...p.roles.map((r) => r.workspace)])].sort();
    case "user":
      return [...new Set(p.roles.map((r) => r.workspace))].sort();
  }
}

/** @example resourceWorkspace({ type: "Workspace", id: "ws_1" }) // "ws_1" */
export function resourceWorkspace(r: Resource): string {
  return r.type === "Workspace" ? r.id : r.workspace;
}

/** A workspace with the role attributes `held` (the others are left out: see the schema). */
function workspaceEntity(id: string, held: ReadonlySet<string>): EntityJson {
  const attrs: Record<string, CedarValueJson> = {};
  for (const [role, attr] of Object.entries(ROLE_ATTRS))
    if (held.has(`${id}/${role}`)) attrs[attr] = { __entity: roleUid(id, role as Role) };
  return { uid: uid("Workspace", id), attrs, parents: [] };
}

function runEntity(run: RunFacts): EntityJson {
  return {
    uid: uid("Run", run.id),
    attrs: {
      workspace: ref("Workspace", run.workspace),
      starter: ref("Identity", run.starter),
      datasets: run.datasets.map((d) => ref("DatasetVersion", d)),
      rewards: run.rewards.map((r) => ref("RewardFunction", r)),
    },
    parents: [],
  };
}

function principalEntity(p: Principal): EntityJson[] {
  switch (p.kind) {
    case "anonymous":
      return [{ uid: principalUid(p), attrs: {}, parents: [] }];
    case "workload":
      return [
        {
          uid: principalUid(p),
          attrs: { run: ref("Run", p.run.id), workspace: ref("Workspace", p.run.workspace) },
          parents: [],
        },
        runEntity(p.run),
      ];
    case "user":
    case "service": {
      const parents = [uid("Identity", p.id), ...p.roles.map((b) => roleUid(b.workspace, b.role))];
      const attrs: Record<string, CedarValueJson> =
        p.kind === "service"
          ? { owner: ref("Identity", p.owner), workspace: ref("Workspace", p.workspace) }
          : {};
      return [{ uid: principalUid(p), attrs, parents }];
    }
  }
}

function resourceEntity(r: Resource, held: ReadonlySet<string>): EntityJson {
  const ws = (): CedarValueJson => ref("Workspace", r.type === "Workspace" ? r.id : r.workspace);
  const of = (attrs: Record<string, CedarValueJson>): EntityJson => ({
    uid: uid(r.type, r.id),
    attrs,
    parents: [],
  });
  switch (r.type) {
    case "Workspace":
      return workspaceEntity(r.id, held);
    case "DatasetVersion":
      return of({ workspace: ws(), uploader: ref("Identity", r.uploader), revoked: r.revoked ?? false });
    case "RewardFunction":
    case "ModerationPolicy":
    case "PolicyVersion":
      return of({ workspace: ws(), author: ref("Identity", r.author) });
    case "Run":
      return runEntity(r);
    case "Checkpoint":
      return of({
        workspace: ws(),
        ...(r.run === null ? {} : { run: ref("Run", r.run) }),
        starter: ref("Identity", r.starter),
      });
    case "Deployment":
      return of({ workspace: ws(), owner: ref("Identity", r.owner) });
    case "Credential":
      return of({
        workspace: ws(),
        subject: ref("Identity", r.subject),
        ...(r.owner === undefined ? {} : { owner: ref("Identity", r.owner) }),
        ...(r.maxLifetimeS === undefined ? {} : { max_lifetime_s: r.maxLifetimeS }),
        ...(r.renewUntilS === undefined ? {} : { renew_until_s: r.renewUntilS }),
      });
    case "Invitation":
      return of({
        workspace: ws(),
        ...(r.invitee === undefined ? {} : { invitee: ref("Identity", r.invitee) }),
      });
  }
}

/**
 * The entity slice one decision needs: principal (with its roles), resource, their workspaces.
 * @example entitiesFor(user, { type: "Workspace", id: "ws_1" }).length // 2
 */
export function entitiesFor(principal: Principal, resource: Resource): EntityJson[] {
  const held = new Set<string>(
    principal.kind === "user" || principal.kind === "service"
      ? principal.roles.map((b) => `${b.workspace}/${b.role}`)
      : [],
  );
  const all = [resourceEntity(resource, held), ...principalEntity(principal)];
  const workspaces = new Set<string>([resourceWorkspace(resource)]);
  if (principal.kind === "workload") workspaces.add(principal.run.workspace);
  if (principal.kind === "service") workspaces.add(principal.workspace);
  for (const ws of workspaces) all.push(workspaceEntity(ws, held));
  const seen = new Set<string>();
  return all.filter((e) => {
    const key = uidText(e.uid as TypeAndId);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Action uid for Cedar.
 * @example actionUid("run.start") // { type: "Action", id: "run.start" }
 */
export function actionUid(action: Action): TypeAndId {
  return uid("Action", action);
}
