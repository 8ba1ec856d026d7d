import { describe, expect, inject, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { openStore, storeConfigFromEnv } from "../../src/store/open.ts";
import { runCli, tempHome } from "../support/cli.ts";

const URL = "postgres://postgres@127.0.0.1:5432/test";

describe("storeConfigFromEnv", () => {
  it("selects the embedded store, the server, and a schema on the server", () => {
    expect(storeConfigFromEnv({ CRUCIBLE_HOME: "/tmp/h" })).toEqual({ kind: "pglite", home: "/tmp/h" });
    expect(storeConfigFromEnv({ DATABASE_URL: URL })).toEqual({ kind: "postgres", url: URL });
    expect(storeConfigFromEnv({ DATABASE_URL: URL, CRUCIBLE_PG_SCHEMA: "t_story_1" })).toEqual({
      kind: "postgres",
      url: URL,
      schema: "t_story_1",
    });
    expect(storeConfigFromEnv({ DATABASE_URL: URL, CRUCIBLE_PG_SCHEMA: "" })).toEqual({
      kind: "postgres",
      url: URL,
    });
  });

  it("refuses a schema that is not a plain name, or one without a server, naming the variable and the fix", () => {
    for (const [env, problem] of [
      [{ DATABASE_URL: URL, CRUCIBLE_PG_SCHEMA: "Staging" }, "not a plain lower-case schema name"],
      [
        { DATABASE_URL: URL, CRUCIBLE_PG_SCHEMA: "a; DROP SCHEMA public" },
        "not a plain lower-case schema name",
      ],
      [{ DATABASE_URL: URL, CRUCIBLE_PG_SCHEMA: "x".repeat(64) }, "not a plain lower-case schema name"],
      [{ CRUCIBLE_PG_SCHEMA: "staging" }, "DATABASE_URL is not set"],
    ] as const) {
      let err: unknown;
      try {
        storeConfigFromEnv(env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CrucibleError);
      const e = err as CrucibleError;
      expect([e.code, e.details.field]).toEqual(["invalid_argument", "CRUCIBLE_PG_SCHEMA"]);
      expect(e.problem).toContain(problem);
      expect(e.details.fix).toBeTruthy();
    }
  });
});

describe("PostgreSQL client timeouts from the environment", () => {
  it("takes each timeout from its CRUCIBLE_DB_* variable and leaves the rest at their defaults", () => {
    expect(
      storeConfigFromEnv({
        DATABASE_URL: URL,
        CRUCIBLE_DB_CONNECT_TIMEOUT_MS: "2000",
        CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "30000",
        CRUCIBLE_DB_QUERY_TIMEOUT_MS: "35000",
        CRUCIBLE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "15000",
        CRUCIBLE_DB_KEEPALIVE_MS: "5000",
      }),
    ).toEqual({
      kind: "postgres",
      url: URL,
      timeouts: {
        connectMs: 2000,
        statementMs: 30000,
        queryMs: 35000,
        idleInTransactionMs: 15000,
        keepAliveMs: 5000,
      },
    });
    expect(storeConfigFromEnv({ DATABASE_URL: URL, CRUCIBLE_DB_KEEPALIVE_MS: "" })).toEqual({
      kind: "postgres",
      url: URL,
    });
  });

  it("refuses a bad value naming the variable, the value and the fix", () => {
    for (const [env, field, value, problem] of [
      [
        { CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "30s" },
        "CRUCIBLE_DB_STATEMENT_TIMEOUT_MS",
        "30s",
        /whole number of milliseconds/,
      ],
      [{ CRUCIBLE_DB_CONNECT_TIMEOUT_MS: "0" }, "CRUCIBLE_DB_CONNECT_TIMEOUT_MS", "0", /from 1 to/],
      [{ CRUCIBLE_DB_KEEPALIVE_MS: "-5" }, "CRUCIBLE_DB_KEEPALIVE_MS", "-5", /whole number/],
      [{ CRUCIBLE_DB_QUERY_TIMEOUT_MS: "1e4" }, "CRUCIBLE_DB_QUERY_TIMEOUT_MS", "1e4", /whole number/],
      // the client would give up before the server: a spent connection instead of the server's error
      [
        { CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "90000" },
        "CRUCIBLE_DB_STATEMENT_TIMEOUT_MS",
        90000,
        /must exceed/,
      ],
      [
        { CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "30000", CRUCIBLE_DB_QUERY_TIMEOUT_MS: "30000" },
        "CRUCIBLE_DB_QUERY_TIMEOUT_MS",
        30000,
        /must exceed/,
      ],
    ] as const) {
      let err: unknown;
      try {
        storeConfigFromEnv({ DATABASE_URL: URL, ...env });
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(CrucibleError);
      const e = err as CrucibleError;
      expect([e.code, e.details.field, e.details.value]).toEqual(["invalid_argument", field, value]);
      expect(e.message).toMatch(problem);
      expect(e.details.fix).toMatch(/CRUCIBLE_DB_/);
    }
  });

  it("`crucible worker` and `crucible serve` refuse a bad value with exit 2 before touching the store", async () => {
    for (const command of [
      ["worker", "--drain"],
      ["serve", "--port", "0"],
    ]) {
      const result = await runCli([...command, "--json"], {
        CRUCIBLE_HOME: tempHome(),
        CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "soon",
      });
      expect(result.code).toBe(2);
      expect(result.json()).toMatchObject({
        error: { code: "invalid_argument", field: "CRUCIBLE_DB_STATEMENT_TIMEOUT_MS", value: "soon" },
      });
    }
  });

  const serverUrl = inject("postgresUrl");
  it.skipIf(serverUrl === null)("bounds the server's connections by what the environment set", async () => {
    const db = await openStore(
      storeConfigFromEnv({
        DATABASE_URL: serverUrl ?? "",
        CRUCIBLE_DB_STATEMENT_TIMEOUT_MS: "1234",
        CRUCIBLE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "4321",
      }),
    );
    try {
      const { rows } = await db.query<{ statement: string; idle: string }>(
        "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
      );
      expect(rows[0]).toEqual({ statement: "1234ms", idle: "4321ms" });
      const slow = await db.query("SELECT pg_sleep(3)").then(
        () => "finished",
        (e: Error) => e.message,
      );
      expect(slow).toMatch(/statement timeout/);
    } finally {
      await db.close();
    }
  });
});
