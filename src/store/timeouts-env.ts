import { invalid } from "../core/errors.ts";

// The timeouts live here, not in postgres.ts: storeConfigFromEnv reads them for every command,
// and postgres.ts loads the pg driver, which only a server store needs.

/**
 * Every wait on the server is bounded, so a worker cut off from it (a partition, a server that
 * stops answering) gets an error it can act on instead of a call that never returns.
 */
export interface PostgresTimeouts {
  /** Opening a connection (TCP + authentication). */
  connectMs: number;
  /** One statement, enforced by the server (`statement_timeout`). */
  statementMs: number;
  /** One query, enforced by this process: what a partition that drops every packet needs. */
  queryMs: number;
  /** A transaction left idle (its client cut off) is ended by the server, releasing its locks. */
  idleInTransactionMs: number;
  /** TCP keepalive after this much silence, so a dead peer is noticed on an idle connection. */
  keepAliveMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = {
  connectMs: 10_000,
  statementMs: 60_000,
  queryMs: 65_000,
  idleInTransactionMs: 60_000,
  keepAliveMs: 10_000,
};

/** The environment variable that sets each PostgreSQL client timeout, in milliseconds. */
export const TIMEOUT_ENV: Readonly<Record<keyof PostgresTimeouts, string>> = {
  connectMs: "CRUCIBLE_DB_CONNECT_TIMEOUT_MS",
  statementMs: "CRUCIBLE_DB_STATEMENT_TIMEOUT_MS",
  queryMs: "CRUCIBLE_DB_QUERY_TIMEOUT_MS",
  idleInTransactionMs: "CRUCIBLE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
  keepAliveMs: "CRUCIBLE_DB_KEEPALIVE_MS",
};

/** A day: longer than any bound that still lets a cut-off worker notice. */
const MAX_MS = 86_400_000;

/**
 * The PostgreSQL client timeouts the environment sets (unset ones keep their defaults), each a
 * whole number of milliseconds. The client-side query timeout must exceed the server's statement
 * timeout, so that a slow statement ends with the server's error rather than a spent connection.
 * @example timeoutsFromEnv({ CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "30000" }) // { statementMs: 30000 }
 */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv): Partial<PostgresTimeouts> {
  const out: Partial<PostgresTimeouts> = {};
  for (const [key, name] of Object.entries(TIMEOUT_ENV) as [keyof PostgresTimeouts, string][]) {
    const text = env[name];
    if (text === undefined || text === "") continue;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1 || value > MAX_MS)
      throw invalid(
        name,
        `must be a whole number of milliseconds from 1 to ${MAX_MS}`,
        text,
        `Write e.g. ${name}=${DEFAULT_POSTGRES_TIMEOUTS[key]} (the default), or unset it`,
      );
    out[key] = value;
  }
  const statementMs = out.statementMs ?? DEFAULT_POSTGRES_TIMEOUTS.statementMs;
  const queryMs = out.queryMs ?? DEFAULT_POSTGRES_TIMEOUTS.queryMs;
  if (queryMs <= statementMs)
    throw invalid(
      out.queryMs === undefined ? TIMEOUT_ENV.statementMs : TIMEOUT_ENV.queryMs,
      `the query timeout (${queryMs} ms, ${TIMEOUT_ENV.queryMs}) must exceed the statement timeout (${statementMs} ms, ${TIMEOUT_ENV.statementMs})`,
      out.queryMs ?? statementMs,
      `Set ${TIMEOUT_ENV.queryMs} a few seconds above ${TIMEOUT_ENV.statementMs}, e.g. ${statementMs + 5000}`,
    );
  return out;
}
