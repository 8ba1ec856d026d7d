import { appendAudit } from "../audit/append.ts";
import { CrucibleError, invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { governed } from "../governed/funnel.ts";
import { ROLES, type Role } from "../policy/actions.ts";
import { actorId, type Principal, type RoleBinding } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { PrincipalId } from "./ids.ts";

const NAME = /^[a-z][a-z0-9-]{1,62}$/;

/**
 * Principal and workspace names: 2-63 lower-case letters, digits and dashes.
 * @example checkName("name", "ops-bot") // "ops-bot"
 */
export function checkName(field: string, name: string): string {
  if (!NAME.test(name))
    throw invalid(
      field,
      "names are 2-63 lower-case letters, digits and dashes, starting with a letter",
      name,
      "Pick a name like acme or ops-bot",
    );
  return name;
}

/**
 * A principal as the policy sees it, with its roles in every workspace; undefined if unknown.
 * @example const p = await loadPrincipal(db, "usr_01h..."); // { kind: "user", id, roles, disabled }
 */
export async function loadPrincipal(
  q: Queryable,
  id: string,
): Promise<(Principal & { disabled: boolean }) | undefined> {
  const { rows } = await q.query<{
    kind: "user" | "service";
    owner_id: string | null;
    workspace_id: string | null;
    disabled_at: Date | null;
  }>("SELECT kind, owner_id, workspace_id, disabled_at FROM principals WHERE id = $1", [id]);
  const row = rows[0];
  if (!row) return undefined;
  const bindings = await q.query<{ workspace_id: string; role: Role }>(
    "SELECT workspace_id, role FROM role_bindings WHERE principal_id = $1 ORDER BY workspace_id, role",
    [id],
  );
  const roles: RoleBinding[] = bindings.rows.map((b) => ({ workspace: b.workspace_id, role: b.role }));
  const disabled = row.disabled_at !== null;
  if (row.kind === "service")
    return { kind: "service", id, owner: row.owner_id!, workspace: row.workspace_id!, roles, disabled };
  return { kind: "user", id, roles, disabled };
}

/** The principal with this id; `not_found` naming `field` when there is none. */
export async function requirePrincipal(q: Queryable, id: string, field: string): Promise<Principal> {
  const principal = await loadPrincipal(q, id);
  if (!principal)
    throw new CrucibleError("not_found", `no principal ${id}`, {
      field,
      value: id,
      fix: "Create the principal first",
    });
  return principal;
}

/**
 * Creates a user in a workspace with the given roles (may be none). Needs `principal.create`.
 * @example const eli = await createUser(db, { principal: root, workspace, name: "eli", roles: ["ml-engineer"] });
 */
export async function createUser(
  db: Db,
  input: { principal: Principal; workspace: string; name: string; roles?: readonly Role[] },
): Promise<PrincipalId> {
  return createPrincipal(db, { ...input, kind: "user" });
}

/**
 * Creates a service identity (a pipeline, an application). It must name a human owner: an
 * active user. Needs `principal.create` in its home workspace.
 * @example const bot = await createServiceIdentity(db, { principal: root, workspace, name: "ops-bot", owner: eli, roles: ["deployer"] });
 */
export async function createServiceIdentity(
  db: Db,
  input: { principal: Principal; workspace: string; name: string; owner: string; roles?: readonly Role[] },
): Promise<PrincipalId> {
  return createPrincipal(db, { ...input, kind: "service" });
}

async function createPrincipal(
  db: Db,
  input: {
    principal: Principal;
    workspace: string;
    name: string;
    kind: "user" | "service";
    owner?: string;
    roles?: readonly Role[];
  },
): Promise<PrincipalId> {
  checkName("name", input.name);
  for (const role of input.roles ?? [])
    if (!ROLES.includes(role)) throw invalid("roles", "unknown role", role, `Use one of ${ROLES.join(", ")}`);
  const id = newId(input.kind === "user" ? "usr" : "svc") as PrincipalId;
  const request = {
    principal: input.principal,
    action: "principal.create",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  const created = governed(
    db,
    request,
    async (tx) => {
      if (input.kind === "service") {
        const owner = await loadPrincipal(tx, input.owner ?? "");
        if (owner?.kind !== "user" || owner.disabled)
          throw invalid(
            "owner",
            "a service identity's owner must be an active human user",
            input.owner,
            "Name the user who answers for this service identity",
          );
        if (!owner.roles.some((r) => r.workspace === input.workspace))
          throw invalid(
            "owner",
            "a service identity's owner must be a member of its workspace",
            input.owner,
            "Name a user who holds a role in this workspace, or invite the owner first",
          );
      }
      const taken = await tx.query("SELECT 1 FROM principals WHERE name = $1", [input.name]);
      if (taken.rows.length > 0)
        throw new CrucibleError(
          "already_exists",
          `a principal named ${input.name} exists in this installation`,
          {
            field: "name",
            value: input.name,
            fix: "Principal names are installation-wide handles (people sign in and are invited by them): pick another, e.g. prefixed with your workspace",
          },
        );
      await tx.query(
        "INSERT INTO principals (id, kind, name, owner_id, workspace_id, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          id,
          input.kind,
          input.name,
          input.owner ?? null,
          input.kind === "service" ? input.workspace : null,
          actorId(input.principal),
        ],
      );
      for (const role of new Set(input.roles ?? []))
        await tx.query(
          "INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, $3, $4)",
          [input.workspace, id, role, actorId(input.principal)],
        );
      return id;
    },
    {
      payload: {
        id,
        name: input.name,
        kind: input.kind,
        owner: input.owner ?? null,
        roles: input.roles ?? [],
      },
    },
  );
  // Names are installation-wide handles, so a taken name answers "exists" whichever workspace
  // holds it. The allowed decision rolls back with the failed insert: record the collision in the
  // asking workspace, so that probing for names is seen there (threat model, docs/governance.md).
  return created.catch(async (err: unknown) => {
    if (err instanceof CrucibleError && err.code === "already_exists")
      await db.transaction((tx) =>
        appendAudit(tx, {
          workspace: input.workspace,
          actor: actorId(input.principal),
          action: "principal.create",
          resource: `PrincipalName::${JSON.stringify(input.name)}`,
          decision: "deny",
          rules: [NAME_TAKEN_RULE],
          reason: "the name is taken in this installation (principal names are installation-wide)",
        }),
      );
    throw err;
  });
}

/** The rule a `principal.create` refused for a name taken anywhere in the installation is audited under. */
export const NAME_TAKEN_RULE = "principal.name-taken";

/**
 * Grants a role in a workspace to one of its members (a role there already, or a service
 * identity's home). Needs `role.grant` (admins, humans). Someone from outside joins only by
 * accepting an invitation (`inviteMember`): no admin adds another workspace's people.
 * @example await grantRole(db, { principal: root, workspace, subject: dana, role: "data-steward" });
 */
export async function grantRole(
  db: Db,
  input: { principal: Principal; workspace: string; subject: string; role: Role },
): Promise<void> {
  if (!ROLES.includes(input.role))
    throw invalid("role", "unknown role", input.role, `Use one of ${ROLES.join(", ")}`);
  const request = {
    principal: input.principal,
    action: "role.grant",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  await governed(
    db,
    request,
    async (tx) => {
      const subject = await requirePrincipal(tx, input.subject, "subject");
      const member =
        (subject.kind === "service" && subject.workspace === input.workspace) ||
        ((subject.kind === "user" || subject.kind === "service") &&
          subject.roles.some((r) => r.workspace === input.workspace));
      if (!member)
        throw new CrucibleError("not_found", "no such principal in this workspace", {
          field: "subject",
          value: input.subject,
          fix: "Invite them (`crucible workspace invite`); they join by accepting",
        });
      await tx.query(
        `INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [input.workspace, input.subject, input.role, actorId(input.principal)],
      );
    },
    { payload: { subject: input.subject, role: input.role } },
  );
}
