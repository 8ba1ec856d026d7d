import pg from "pg";
import { assertChannelName, assertSchemaName, type Db, type Queryable, type QueryResult } from "./db.ts";

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
}

// int8 (COUNT(*), sequences) as JS numbers, like PGlite does; our counters stay below 2^53.
pg.types.setTypeParser(20, (text: string) => Number.parseInt(text, 10));

/** Opens a pool on a PostgreSQL server. */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const schema = assertSchemaName(options.schema ?? "public");
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    options: `-c search_path=${schema}${options.role ? ` -c role=${assertSchemaName(options.role)}` : ""}`,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
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
    try {
      await client.query("BEGIN");
      const result = await fn({
        query: <R>(sql: string, params?: readonly unknown[]) => run<R>(client, sql, params ?? []),
        exec: async (sql: string) => void (await client.query(sql)),
      });
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
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

async function run<T>(
  target: pg.Pool | pg.PoolClient,
  sql: string,
  params: readonly unknown[],
): Promise<QueryResult<T>> {
  const result = await target.query(sql, params as unknown[]);
  return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
}
