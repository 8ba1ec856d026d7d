import { invalid } from "../core/errors.ts";
import type { Db, Queryable } from "./db.ts";
import { migrate } from "./migrate.ts";

/** The two roles of a PostgreSQL installation, and the schema they share. */
export interface RoleNames {
  /** Owns the schema and every table; runs migrations; never used by the application. */
  owner: string;
  /** What the application connects as: rows in and out, never DDL, never audit rewrites. */
  app: string;
  schema: string;
}

/** One thing `initRoles` did, for the operator to read. */
export interface RoleStep {
  step: string;
  /** `created`, `already there`, or `done` (a grant or migration, idempotent by nature). */
  result: string;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkNames(names: RoleNames): void {
  for (const [field, value] of [
    ["--owner", names.owner],
    ["--app", names.app],
    ["--schema", names.schema],
  ] as const)
    if (!NAME.test(value))
      throw invalid(
        field,
        "not a plain lower-case name",
        value,
        "Use lower-case letters, digits and _ (at most 63)",
      );
  if (names.owner === names.app)
    throw invalid(
      "--app",
      "must differ from the owner role",
      names.app,
      "Name two roles, e.g. crucible_owner and crucible_app",
    );
}

/**
 * The privileges the application role gets once the schema is migrated: everything an
 * application needs on ordinary tables, and on the audit tables only what appending needs.
 * `audit_head` moves by UPDATE of (seq, hash), which its forward-only trigger guards; the app
 * cannot disable that trigger, because only a table's owner (or a superuser) may.
 * @example for (const sql of appGrants(names)) await admin.exec(sql);
 */
export function appGrants({ owner, app, schema }: RoleNames): string[] {
  return [
    `REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${app}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${app}`,
    `REVOKE ALL ON ${schema}.audit_log FROM ${app}`,
    `GRANT SELECT, INSERT ON ${schema}.audit_log TO ${app}`,
    `REVOKE ALL ON ${schema}.audit_head FROM ${app}`,
    `GRANT SELECT, UPDATE (seq, hash) ON ${schema}.audit_head TO ${app}`,
    `REVOKE ALL ON ${schema}.schema_migrations FROM ${app}`,
    `GRANT SELECT ON ${schema}.schema_migrations TO ${app}`,
  ];
}

/**
 * The whole setup as a SQL script, for an administrator who prefers psql
 * (`crucible store init-roles --sql`): roles, schema ownership, then, after the owner has run
 * `crucible store migrate`, the application's grants. Idempotent like initRoles.
 * @example process.stdout.write(rolesSql({ owner: "crucible_owner", app: "crucible_app", schema: "public" }));
 */
export function rolesSql(names: RoleNames): string {
  checkNames(names);
  const role = (name: string) =>
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${name}') THEN\n  CREATE ROLE ${name} ${ROLE_ATTRIBUTES};\nEND IF; END $$;`;
  return [
    "-- 1. the two roles (set their passwords with \\password, or use certificate authentication)",
    role(names.owner),
    role(names.app),
    "-- 2. the owner owns the schema",
    `CREATE SCHEMA IF NOT EXISTS ${names.schema} AUTHORIZATION ${names.owner};`,
    `ALTER SCHEMA ${names.schema} OWNER TO ${names.owner};`,
    "-- 2b. an installation migrated before as another role: hand everything in the schema over",
    `DO $$ DECLARE r record; BEGIN\n  FOR r IN ${NOT_OWNED.replaceAll("$1", `'${names.schema}'`).replaceAll("$2", `'${names.owner}'`)}\n  LOOP EXECUTE format('ALTER %s %s OWNER TO ${names.owner}', r.kind, r.name); END LOOP;\nEND $$;`,
    `-- 3. now migrate as the owner: DATABASE_MIGRATION_URL=postgres://${names.owner}@HOST/DB crucible store migrate`,
    "-- 4. then give the application its rights",
    ...appGrants(names).map((sql) => `${sql};`),
    "",
  ].join("\n");
}

/** Tables, views, sequences (not those a column owns) and functions in schema $1 not owned by $2. */
const NOT_OWNED = `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind,
            format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'S') AND pg_get_userbyid(c.relowner) <> $2
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
     UNION ALL
     SELECT 'FUNCTION', p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2`;

const ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";

/**
 * Creates (or finds) the owner and application roles, gives the owner the schema and everything
 * in it (an installation migrated before as another role is handed over), migrates the schema
 * as the owner (`openAsOwner` opens a connection acting as it), and grants the application its
 * rights. Idempotent: run it again after an upgrade. `admin` must be a superuser, or a role that
 * may create roles and is a member of both.
 * @example const steps = await initRoles(admin, names, () => openPostgres({ connectionString: url, schema, role: names.owner }));
 */
export async function initRoles(
  admin: Queryable,
  names: RoleNames,
  openAsOwner: () => Promise<Db>,
): Promise<RoleStep[]> {
  checkNames(names);
  const steps: RoleStep[] = [];
  for (const name of [names.owner, names.app]) {
    const found = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
    if (found.rows.length === 0) await admin.exec(`CREATE ROLE ${name} ${ROLE_ATTRIBUTES}`);
    steps.push({ step: `role ${name}`, result: found.rows.length === 0 ? "created" : "already there" });
  }
  await admin.exec(`CREATE SCHEMA IF NOT EXISTS ${names.schema} AUTHORIZATION ${names.owner}`);
  await admin.exec(`ALTER SCHEMA ${names.schema} OWNER TO ${names.owner}`);
  steps.push({ step: `schema ${names.schema} owned by ${names.owner}`, result: "done" });
  const handed = await handOver(admin, names);
  steps.push({ step: `objects in ${names.schema} handed to ${names.owner}`, result: `${handed} changed` });
  const owner = await openAsOwner();
  try {
    const applied = await migrate(owner);
    steps.push({
      step: `migrations as ${names.owner}`,
      result: applied.length ? `applied ${applied.join(", ")}` : "up to date",
    });
  } finally {
    await owner.close();
  }
  for (const sql of appGrants(names)) await admin.exec(sql);
  steps.push({ step: `grants to ${names.app} (audit_log: SELECT, INSERT only)`, result: "done" });
  return steps;
}

/**
 * Tables, sequences and functions in the schema owned by anyone but the owner (say, by the role
 * an older installation ran as) become the owner's: whoever owns the trigger functions or the
 * audit tables could replace or disable the append-only guard.
 */
async function handOver(admin: Queryable, { owner, schema }: RoleNames): Promise<number> {
  const { rows } = await admin.query<{ kind: string; name: string }>(NOT_OWNED, [schema, owner]);
  for (const row of rows) await admin.exec(`ALTER ${row.kind} ${row.name} OWNER TO ${owner}`);
  return rows.length;
}
