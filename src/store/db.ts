/**
 * The one database interface of Crucible. Two adapters implement it: PGlite (embedded, the
 * default) and node-postgres (a PostgreSQL server, when DATABASE_URL is set). The same SQL runs
 * on both; repositories depend on this interface only.
 */
export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT, or affected by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations, fixtures). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** The schema every query runs in (`public` unless the store was opened for an isolated test). */
  readonly schema: string;
  /**
   * Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. Inside
   * `fn`, use only `tx`: PGlite has one connection, so a query on the Db itself would wait forever.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of every NOTIFY on `channel` (delivered at commit) until the
   * returned function is called. The server adapter holds one pooled connection for it, and calls
   * `onLost` once if that connection dies (delivery has then ended: listen again); PGlite listens
   * on its one connection, which is never lost.
   * @example const stop = await db.listen("crucible_jobs", (payload) => wake(payload), () => relisten());
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onLost?: (err: Error) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Schema names are interpolated into SQL, so they are held to a strict shape. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`schema name ${JSON.stringify(schema)} must match [a-z_][a-z0-9_]{0,62}`);
  }
  return schema;
}

/** Channel names are interpolated into LISTEN, so they are held to the same strict shape. */
export function assertChannelName(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new TypeError(`channel name ${JSON.stringify(channel)} must match [a-z_][a-z0-9_]{0,62}`);
  }
  return channel;
}

/** The same Db with extra work wrapped around its close (release a lock, drop a test schema). */
export function wrapClose(db: Db, around: (close: () => Promise<void>) => Promise<void>): Db {
  const close = db.close.bind(db);
  return Object.assign(db, { close: () => around(close) });
}
