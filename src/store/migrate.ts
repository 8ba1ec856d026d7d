import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CrucibleError } from "../core/errors.ts";
import type { Db } from "./db.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/**
 * The numbered migrations shipped with Crucible (`NNNN_name.sql`), in order. Numbers are unique
 * and increasing; a gap is allowed, because branches reserve numbers in advance and land in any
 * order (what has been applied is tracked per number, so a filled gap is applied later).
 */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file ${file} must be named NNNN_snake_name.sql`);
      // the SQL is read when the migration is applied: opening a current store reads none of it
      return {
        version: Number(match[1]),
        name: match[2]!,
        get sql() {
          return readFileSync(`${dir}${file}`, "utf8");
        },
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version < 1 || (i > 0 && m.version === migrations[i - 1]!.version))
      throw new Error(`migration numbers must be unique and start at 1; found ${m.version} twice or below 1`);
  });
  return migrations;
}

/**
 * Applies every migration not yet applied, each in its own transaction. A transaction-scoped
 * advisory lock keeps two processes starting at once from applying the same migration twice.
 * Returns the versions applied now.
 */
export async function migrate(db: Db, migrations: Migration[] = loadMigrations()): Promise<number[]> {
  const pending = await pendingMigrations(db, migrations);
  if (pending.length === 0) return [];
  try {
    return await applyMigrations(db, pending);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "42501") throw err;
    throw new CrucibleError(
      "failed_precondition",
      `the store's schema lacks migrations ${pending.map((m) => m.version).join(", ")}, and this connection may not change the schema`,
      {
        field: "DATABASE_URL",
        value: db.schema,
        fix: "Run `crucible store migrate` with DATABASE_MIGRATION_URL naming the owner role (see docs/operations/postgres-roles.md)",
      },
      { cause: err },
    );
  }
}

/**
 * The migrations not yet applied, found in one query and without DDL: the application role (which
 * may not create tables) opens an up-to-date store without error. Every command opens the store,
 * so a current one costs this query and nothing else.
 */
async function pendingMigrations(db: Db, migrations: Migration[]): Promise<Migration[]> {
  let applied: { version: number }[];
  try {
    ({ rows: applied } = await db.query<{ version: number }>("SELECT version FROM schema_migrations"));
  } catch (err) {
    if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return migrations; // a new store
    throw err;
  }
  const done = new Set(applied.map((r) => Number(r.version)));
  return migrations.filter((m) => !done.has(m.version));
}

/** PostgreSQL's SQLSTATE for a relation that does not exist. */
const UNDEFINED_TABLE = "42P01";

async function applyMigrations(db: Db, migrations: Migration[]): Promise<number[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.crucible_migrate'))");
      const seen = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [migration.version]);
      if (seen.rows.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
