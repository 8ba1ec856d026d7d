import { readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, inject } from "vitest";
import { newId } from "../../src/core/ids.ts";
import { type Db, wrapClose } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";

export type StoreKind = "pglite" | "postgres";

/** Opens a fresh, migrated, isolated store of one kind; the returned close drops it. */
export type OpenTestStore = () => Promise<Db>;

let sharedPglite: Promise<PGlite> | undefined;

/** One PGlite per test file (loaded from the template), one schema per test. */
function pgliteInstance(): Promise<PGlite> {
  sharedPglite ??= (async () => {
    const dump = new Blob([readFileSync(inject("pgliteTemplate"))]);
    const instance = new PGlite({ loadDataDir: dump });
    await instance.waitReady;
    afterAll(() => instance.close());
    return instance;
  })();
  return sharedPglite;
}

export function testStoreOpener(kind: StoreKind): OpenTestStore {
  return async () => {
    const schema = newId("t").toLowerCase();
    if (kind === "pglite") {
      const db = await openPglite({ instance: await pgliteInstance(), schema });
      await migrate(db);
      return dropOnClose(db, schema);
    }
    const url = inject("postgresUrl");
    if (!url) throw new Error("no PostgreSQL server for the postgres variant");
    const db = await openPostgres({ connectionString: url, schema, max: 4 });
    await migrate(db);
    return dropOnClose(db, schema);
  };
}

function dropOnClose(db: Db, schema: string): Db {
  return wrapClose(db, async (close) => {
    await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await close();
  });
}
/**
 * Runs a describe block once per store: PGlite always, the PostgreSQL server where one answers.
 * The server variant is skipped only when no server answers, and global-setup says so loudly
 * (under CI=true a missing server fails the run instead).
 */
export function describeEachStore(name: string, body: (open: OpenTestStore, kind: StoreKind) => void): void {
  describe(`${name} [pglite]`, () => body(testStoreOpener("pglite"), "pglite"));
  const hasServer = inject("postgresUrl") !== null;
  describe.skipIf(!hasServer)(`${name} [postgres]`, () => body(testStoreOpener("postgres"), "postgres"));
}
