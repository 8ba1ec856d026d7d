import type { Queryable } from "./db.ts";

/**
 * Why the role this connection acts as could rewrite the audit chain, one reason each: a
 * superuser (disables triggers, sets session_replication_role), a member of the audit tables'
 * owner (disables triggers, replaces the guard functions), or a role granted UPDATE, DELETE,
 * TRUNCATE or TRIGGER on audit_log (or DELETE, TRUNCATE, TRIGGER on audit_head). Empty when the
 * role may only append, as the application role should (see roles.ts). On PGlite there are no
 * roles to speak of: whoever holds the data directory holds everything, so it is not asked.
 * @example const reasons = await auditTamperRights(db); if (reasons.length) warn(reasons.join("; "));
 */
export async function auditTamperRights(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{
    role: string;
    superuser: boolean;
    table: string;
    owner: string;
    member: boolean;
    rights: string[];
  }>(
    `SELECT current_user AS role, r.rolsuper AS superuser, t.name AS table,
            pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'MEMBER') AS member,
            ARRAY(SELECT p FROM unnest(t.rights) AS p WHERE has_table_privilege(c.oid, p)) AS rights
       FROM (VALUES ('audit_log', ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']),
                    ('audit_head', ARRAY['DELETE', 'TRUNCATE', 'TRIGGER'])) AS t(name, rights)
       JOIN pg_class c ON c.oid = to_regclass(t.name)
       JOIN pg_roles r ON r.rolname = current_user`,
  );
  const reasons: string[] = [];
  const first = rows[0];
  if (!first) return reasons;
  if (first.superuser) reasons.push(`${first.role} is a superuser`);
  for (const row of rows) {
    if (!first.superuser && row.member)
      reasons.push(`${row.role} owns ${row.table} (owner ${row.owner}) or is a member of its owner`);
    if (!first.superuser && !row.member && row.rights.length > 0)
      reasons.push(`${row.role} has ${row.rights.join(", ")} on ${row.table}`);
  }
  return reasons;
}
