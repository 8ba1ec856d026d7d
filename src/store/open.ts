import { join, resolve } from "node:path";
import { type Db, wrapClose } from "./db.ts";
import { lockDirectory } from "./lock.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** Where the store lives: embedded under a home directory, or on a PostgreSQL server. */
export type StoreConfig =
  | { kind: "pglite"; home: string; schema?: string }
  | { kind: "pglite-memory"; schema?: string }
  | { kind: "postgres"; url: string; schema?: string };

/** Entry points call this; everything below receives a StoreConfig. */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  if (env.DATABASE_URL) return { kind: "postgres", url: env.DATABASE_URL };
  return { kind: "pglite", home: crucibleHome(env) };
}

export function crucibleHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CRUCIBLE_HOME || ".crucible");
}

/** Opens the store, migrated to the latest schema. Closing it releases the directory lock. */
export async function openStore(config: StoreConfig): Promise<Db> {
  let db: Db;
  if (config.kind === "postgres") {
    db = await openPostgres({
      connectionString: config.url,
      ...(config.schema ? { schema: config.schema } : {}),
    });
  } else if (config.kind === "pglite-memory") {
    db = await openPglite(config.schema ? { schema: config.schema } : {});
  } else {
    const lock = lockDirectory(config.home);
    try {
      const opened = await openPglite({
        dataDir: join(config.home, "db"),
        ...(config.schema ? { schema: config.schema } : {}),
      });
      db = wrapClose(opened, async (close) => {
        try {
          await close();
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
