import pg from "pg";
import { assertChannelName, assertSchemaName, type Db, type Queryable, type QueryResult } from "./db.ts";
import { DEFAULT_POSTGRES_TIMEOUTS, type PostgresTimeouts } from "./timeouts-env.ts";

export interface PostgresOptions {
  connectionString: string;
  schema?: string;
  /** Pool size; the default suits one API process or one worker. */
  max?: number;
  /**
   * A role every connection acts as (`SET ROLE` at connect): the owner role that runs
   * migrations when an administrator connects (see roles.ts). Same shape as a schema name.
   */
  role?: string;
  /** How long any database call may take; the defaults suit a server on the same network. */
  timeouts?: Partial<PostgresTimeouts>;
}

// int8 (COUNT(*), sequences) as JS numbers, like PGlite does; our counters stay below 2^53.
pg.types.setTypeParser(20, (text: string) => Number.parseInt(text, 10));

/**
 * Opens a pool on a PostgreSQL server; every call on it is bounded by `timeouts`.
 * @example const db = await openPostgres({ connectionString: url, timeouts: { queryMs: 5_000 } });
 */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const schema = assertSchemaName(options.schema ?? "public");
  const t = { ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    options: `-c search_path=${schema}${options.role ? ` -c role=${assertSchemaName(options.role)}` : ""}`,
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: t.statementMs,
    query_timeout: t.queryMs,
    idle_in_transaction_session_timeout: t.idleInTransactionMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: t.keepAliveMs,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  // Nor may a checked-out one: pg-pool's own query() hears only a client's first 'error' (once),
  // and a terminated connection can emit a second (the FATAL, then the socket's end) while the
  // client is still checked out or being released. Every client is heard for its whole life; the
  // failure still reaches the query, transaction or LISTEN it was serving.
  pool.on("connect", (client) => client.on("error", () => undefined));
  // an application role may not create schemas: only ask for one that is not there yet
  const found = await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  if (found.rows.length === 0) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  return new PostgresDb(pool, schema);
}

class PostgresDb implements Db {
  readonly kind = "postgres" as const;

  constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return run<T>(this.pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose server ends the connection (pg_terminate_backend, a restart)
    // emits 'error'; unheard, that ends the process. Heard, the pending query fails, the
    // transaction throws, and the dead client is discarded instead of going back to the pool.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await fn({
        query: <R>(sql: string, params?: readonly unknown[]) => run<R>(client, sql, params ?? []),
        exec: async (sql: string) => void (await client.query(sql)),
      });
      await client.query("COMMIT");
      return result;
    } catch (err) {
      // a client that timed out may still be mid-query: it cannot be trusted with another one
      broken ??= isTimeout(err) ? (err as Error) : undefined;
      if (!broken)
        await client.query("ROLLBACK").catch((e: Error) => {
          broken = e;
        });
      throw err;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  async listen(
    channel: string,
    onNotify: (payload: string) => void,
    onLost?: (err: Error) => void,
  ): Promise<() => Promise<void>> {
    assertChannelName(channel);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let listening = false;
    // A checked-out client that loses its server emits 'error'; unheard, it would end the process.
    const onError = (err: Error) => {
      const first = broken === undefined;
      broken = err;
      if (first && listening) onLost?.(err);
    };
    const onNotification = (message: pg.Notification) => {
      if (message.channel === channel) onNotify(message.payload ?? "");
    };
    client.on("error", onError);
    client.on("notification", onNotification);
    const stop = async (): Promise<void> => {
      client.off("notification", onNotification);
      if (!broken) {
        await client.query(`UNLISTEN ${channel}`).catch((err: Error) => {
          broken = err;
        });
      }
      client.off("error", onError);
      client.release(broken);
    };
    try {
      await client.query(`LISTEN ${channel}`);
      listening = true;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await stop();
      throw err;
    }
    let stopped: Promise<void> | undefined;
    return () => (stopped ??= stop());
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** pg's client-side `query_timeout`: the query may still be on the wire, so the client is spent. */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === "Query read timeout";
}

async function run<T>(
  target: pg.Pool | pg.PoolClient,
  sql: string,
  params: readonly unknown[],
): Promise<QueryResult<T>> {
  const result = await target.query(sql, params as unknown[]);
  return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
}
