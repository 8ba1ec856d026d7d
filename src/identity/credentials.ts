import { CrucibleError } from "../core/errors.ts";
import {
  actorId,
  INSTALLATION,
  memberWorkspaces,
  type Principal,
  type Resource,
} from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { loadPrincipal } from "./principals.ts";
import { auditNotVisible, sharesTenancy } from "./tenancy.ts";
import { TOKEN_COLUMNS, type TokenRow } from "./token-row.ts";

type Credential = Extract<Resource, { type: "Credential" }>;
type Subject = Extract<Principal, { kind: "user" | "service" }> & { disabled: boolean };

async function requireSubject(q: Queryable, subjectId: string, forRevoke: boolean): Promise<Subject> {
  const subject = await loadPrincipal(q, subjectId);
  if (!subject || subject.kind === "workload" || subject.kind === "anonymous")
    throw new CrucibleError("not_found", `no principal ${subjectId}`, {
      field: "subject",
      value: subjectId,
      fix: "Create the principal first",
    });
  if (subject.disabled && !forRevoke)
    throw new CrucibleError("failed_precondition", `principal ${subjectId} is disabled`, {
      field: "subject",
      value: subjectId,
      fix: "Re-enable it first",
    });
  return subject as Subject;
}

/** A service identity's credential: in its home workspace, naming its owner and the owner's bounds. */
async function serviceCredential(
  q: Queryable,
  subject: Subject & { kind: "service" },
  tokenId: string,
): Promise<Credential> {
  const { rows } = await q.query<{ token_max_lifetime_s: number | null; renew_until: Date | null }>(
    "SELECT token_max_lifetime_s, renew_until FROM principals WHERE id = $1",
    [subject.id],
  );
  const bound = rows[0];
  return {
    type: "Credential",
    id: tokenId,
    workspace: subject.workspace,
    subject: subject.id,
    owner: subject.owner,
    ...(bound?.token_max_lifetime_s == null ? {} : { maxLifetimeS: Number(bound.token_max_lifetime_s) }),
    ...(bound?.renew_until == null
      ? {}
      : { renewUntilS: Math.floor(new Date(bound.renew_until).getTime() / 1000) }),
  };
}

/**
 * The Credential a token issue is about. A user's credentials live in the installation, so only
 * the user mints them. A service identity's live in its home workspace and carry its owner and
 * the bounds the owner set (`service.token-bound`). A disabled subject gets no new credentials.
 * @example const resource = await credentialFor(db, bot, "tok_1");
 */
export async function credentialFor(q: Queryable, subjectId: string, tokenId: string): Promise<Credential> {
  const subject = await requireSubject(q, subjectId, false);
  if (subject.kind === "service") return serviceCredential(q, subject, tokenId);
  return { type: "Credential", id: tokenId, workspace: INSTALLATION, subject: subject.id };
}

/**
 * The Credentials a revocation of `subjectId`'s token(s) must be allowed on, one decision each.
 * A service identity's: its home (admins there, its owner). A user's own: the installation. A
 * user's, by someone else: every workspace the user belongs to, because a bearer token acts in
 * all of them; an admin of one workspace cannot lock a user out of the others.
 * @example const resources = await revocationScope(db, root, eli, "all:usr_eli");
 */
export async function revocationScope(
  q: Queryable,
  caller: Principal,
  subjectId: string,
  tokenId: string,
): Promise<Credential[]> {
  const subject = await requireSubject(q, subjectId, true);
  if (subject.kind === "service") return [await serviceCredential(q, subject, tokenId)];
  const self: Credential = { type: "Credential", id: tokenId, workspace: INSTALLATION, subject: subject.id };
  const workspaces = memberWorkspaces(subject);
  if (actorId(caller) === subject.id || workspaces.length === 0) return [self];
  return workspaces.map((workspace) => ({ ...self, workspace }));
}

/**
 * The token `id`, if the caller may see it: its holder's own, a service identity's it owns, one
 * held by a member of a workspace the caller belongs to, or a workload token of such a
 * workspace. Any other answers exactly as a nonexistent token, and is audited in the caller's
 * workspaces.
 * @example const row = await visibleTokenRow(db, caller, "tok_01h...");
 */
export async function visibleTokenRow(db: Db, caller: Principal, id: string): Promise<TokenRow> {
  const { rows } = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [id]);
  const row = rows[0];
  const visible =
    row !== undefined &&
    (row.kind === "workload"
      ? memberWorkspaces(caller).includes(row.workspace_id!)
      : await sharesTenancy(db, caller, row.principal_id!));
  if (visible) return row;
  await db.transaction((tx) =>
    auditNotVisible(tx, caller, "token.resolve", `Credential::${JSON.stringify(id)}`),
  );
  throw new CrucibleError("not_found", `no token ${id}`, {
    field: "tokenId",
    value: id,
    fix: "List tokens to find its id",
  });
}
