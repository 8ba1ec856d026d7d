import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { storeConfigFromEnv } from "../../src/store/open.ts";

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
