import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { invalid } from "../core/errors.ts";
import { type Db, wrapClose } from "./db.ts";
import { tightenHome } from "./home-modes.ts";
import { lockDirectory } from "./lock.ts";
import { migrate } from "./migrate.ts";
import { type PostgresTimeouts, timeoutsFromEnv } from "./timeouts-env.ts";

/** Where the store lives: embedded under a home directory, or on a PostgreSQL server. */
export type StoreConfig =
  | { kind: "pglite"; home: string; schema?: string }
  | { kind: "pglite-memory"; schema?: string }
  | { kind: "postgres"; url: string; schema?: string; timeouts?: Partial<PostgresTimeouts> };

/**
 * Entry points call this; everything below receives a StoreConfig. `DATABASE_URL` selects a
 * PostgreSQL server, and `CRUCIBLE_PG_SCHEMA` a schema on it (default `public`): one server can
 * hold several installations side by side, as the tests do, one schema each. The client's
 * timeouts come from `CRUCIBLE_DB_*_TIMEOUT_MS` (see timeouts-env.ts), checked even when no
 * server is named, so a typo is caught before it matters.
 * @example storeConfigFromEnv({ DATABASE_URL: "postgres://127.0.0.1/crucible", CRUCIBLE_PG_SCHEMA: "staging" })
 */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const timeouts = timeoutsFromEnv(env);
  const bounded = Object.keys(timeouts).length > 0 ? { timeouts } : {};
  const schema = env.CRUCIBLE_PG_SCHEMA;
  if (schema !== undefined && schema !== "") {
    if (!env.DATABASE_URL)
      throw invalid(
        "CRUCIBLE_PG_SCHEMA",
        "a schema applies to a PostgreSQL server, and DATABASE_URL is not set",
        schema,
        "Set DATABASE_URL too, or unset CRUCIBLE_PG_SCHEMA for the embedded store",
      );
    if (!SCHEMA_NAME.test(schema))
      throw invalid(
        "CRUCIBLE_PG_SCHEMA",
        "not a plain lower-case schema name",
        schema,
        "Use lower-case letters, digits and _, starting with a letter or _, at most 63 characters",
      );
    return { kind: "postgres", url: env.DATABASE_URL, schema, ...bounded };
  }
  if (env.DATABASE_URL) return { kind: "postgres", url: env.DATABASE_URL, ...bounded };
  return { kind: "pglite", home: crucibleHome(env) };
}

/** The schema names `assertSchemaName` accepts (never quoted, so never case-folded). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function crucibleHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CRUCIBLE_HOME || ".crucible");
}

/**
 * Opens the store, migrated to the latest schema. Closing it releases the directory lock. Each
 * driver (pg, PGlite) is imported here, when its store is opened: a process loads only its own.
 */
export async function openStore(config: StoreConfig): Promise<Db> {
  let db: Db;
  if (config.kind === "postgres") {
    const { openPostgres } = await import("./postgres.ts");
    db = await openPostgres({
      connectionString: config.url,
      ...(config.schema ? { schema: config.schema } : {}),
      ...(config.timeouts ? { timeouts: config.timeouts } : {}),
    });
  } else if (config.kind === "pglite-memory") {
    const { openPglite } = await import("./pglite.ts");
    db = await openPglite(config.schema ? { schema: config.schema } : {});
  } else {
    // created private; tightened once PGlite has opened (it writes its files 0666) and again at
    // close, so each command walks the home twice, not three times
    mkdirSync(config.home, { recursive: true, mode: 0o700 });
    const lock = lockDirectory(config.home);
    try {
      const { openPglite } = await import("./pglite.ts");
      const opened = await openPglite({
        dataDir: join(config.home, "db"),
        ...(config.schema ? { schema: config.schema } : {}),
      });
      tightenHome(config.home);
      db = wrapClose(opened, async (close) => {
        try {
          await close();
          tightenHome(config.home);
        } finally {
          lock.release();
        }
      });
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
