import { PGlite, type Transaction } from "@electric-sql/pglite";
import { assertChannelName, assertSchemaName, type Db, type Queryable, type QueryResult } from "./db.ts";

export interface PgliteOptions {
  /** Data directory; omitted for an in-memory database. */
  dataDir?: string;
  /** A dump of an initialised data directory (`dumpDataDir`), which skips initdb: tests use it. */
  loadDataDir?: Blob;
  /** An instance opened elsewhere, shared and not closed by this Db (one per test file). */
  instance?: PGlite;
  schema?: string;
}

/**
 * PostgreSQL's default shared_buffers (128MB) is allocated and touched inside the WebAssembly
 * memory at every start: 120 MB of the 360 MB a `crucible run list` held. One installation's
 * metadata is a few MB, so 16MB holds it; the operating system's page cache keeps the rest of the
 * data directory warm.
 */
const START_SETTINGS = ["-c", "shared_buffers=16MB"];

/** Opens an embedded PGlite database. The caller holds the directory lock (see lock.ts). */
export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  const schema = assertSchemaName(options.schema ?? "public");
  const pg =
    options.instance ??
    new PGlite({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      startParams: [...PGlite.defaultStartParams, ...START_SETTINGS],
    });
  await pg.waitReady;
  if (schema !== "public") await pg.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  return new PgliteDb(pg, schema, options.instance === undefined);
}

/**
 * PGlite has one connection. Views of one instance (one per test schema) share this state: a
 * queue that runs one operation at a time, and the search_path the connection has now.
 */
interface Connection {
  queue: Promise<unknown>;
  searchPath: string;
}
const connections = new WeakMap<PGlite, Connection>();

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  private readonly connection: Connection;

  constructor(
    private readonly pg: PGlite,
    readonly schema: string,
    private readonly owned: boolean,
  ) {
    let connection = connections.get(pg);
    if (!connection) {
      connection = { queue: Promise.resolve(), searchPath: "" };
      connections.set(pg, connection);
    }
    this.connection = connection;
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return this.serialised(() => run<T>(this.pg, sql, params));
  }

  async exec(sql: string): Promise<void> {
    await this.serialised(() => this.pg.exec(sql));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.serialised(() =>
      this.pg.transaction((tx) =>
        fn({
          query: <R>(sql: string, params?: readonly unknown[]) => run<R>(tx, sql, params ?? []),
          exec: async (sql: string) => void (await tx.exec(sql)),
        }),
      ),
    );
  }

  /** One connection, in this process: never lost, so `onLost` is never called. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannelName(channel);
    const unsubscribe = await this.serialised(() => this.pg.listen(channel, onNotify));
    return () => this.serialised(() => unsubscribe());
  }

  async close(): Promise<void> {
    await this.connection.queue.catch(() => undefined);
    if (this.owned) await this.pg.close();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const step = async (): Promise<T> => {
      if (this.connection.searchPath !== this.schema) {
        await this.pg.exec(`SET search_path TO ${this.schema}`);
        this.connection.searchPath = this.schema;
      }
      return fn();
    };
    const next = this.connection.queue.then(step, step);
    this.connection.queue = next.catch(() => undefined);
    return next;
  }
}

async function run<T>(
  target: PGlite | Transaction,
  sql: string,
  params: readonly unknown[],
): Promise<QueryResult<T>> {
  const result = await target.query<T>(sql, params as unknown[]);
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}
