import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockDirectory } from "../../src/store/lock.ts";
import { runCli, tempHome } from "../support/cli.ts";

describe("CLI conventions", () => {
  it("lists the command groups in --help and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const group of ["store", "protocol", "doctor"]) expect(result.stdout).toContain(group);
  });

  it("runs as a real binary through bin/crucible.js", () => {
    const stdout = execFileSync(process.execPath, ["bin/crucible.js", "--help"], { encoding: "utf8" });
    expect(stdout).toMatch(/^Usage: crucible/);
  });

  it("exits 2 on an unknown command and suggests the right one", async () => {
    const result = await runCli(["stor", "status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Did you mean store?");
  });

  it("exits 2 when no command is given", async () => {
    expect((await runCli([])).code).toBe(2);
  });

  it("writes only one JSON document on stdout with --json", async () => {
    const result = await runCli(["store", "status", "--json"], { CRUCIBLE_HOME: tempHome() });
    expect(result.code).toBe(0);
    const status = result.json() as { kind: string; schema_version: number; latest_version: number };
    expect(status.kind).toBe("pglite");
    expect(status.schema_version).toBe(status.latest_version);
  });

  it("exits 2 on bad input, naming the field, the value and the fix", async () => {
    const home = tempHome();
    const file = join(home, "response.json");
    writeFileSync(
      file,
      JSON.stringify({ protocol_version: 1, results: [{ id: "a", aggregate_reward_score: "high" }] }),
    );
    const result = await runCli(["protocol", "validate", "reward-response", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("$.results[0].aggregate_reward_score");
    expect(result.stderr).toContain("must be number");
    expect(result.stderr).toContain("Correct the file");
  });

  it("refuses two identities at once (CRUCIBLE_TOKEN and --as) with exit 2, saying which to drop", async () => {
    const home = tempHome();
    const result = await runCli(["principal", "list", "--workspace", "acme", "--as", "dana", "--json"], {
      CRUCIBLE_HOME: home,
      CRUCIBLE_TOKEN: "crt_someone_else",
    });
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({
      error: { code: "invalid_argument", field: "--as", value: "dana" },
    });
    expect(result.stderr).toContain("unset CRUCIBLE_TOKEN");
    expect(result.stderr).toContain("Drop --as");
  });

  it("puts the error on stdout as JSON too under --json", async () => {
    const result = await runCli(["protocol", "validate", "no-such-document", "x.json", "--json"]);
    expect(result.code).toBe(2);
    const { error } = result.json() as { error: { code: string; field: string; value: string; fix: string } };
    expect(error).toMatchObject({ code: "invalid_argument", field: "schema", value: "no-such-document" });
    expect(error.fix).toContain("reward-request");
  });

  it("exits 1 with the holder named when another process holds the embedded store", async () => {
    const home = tempHome();
    const lock = lockDirectory(home, "crucible serve --port 7070");
    try {
      const result = await runCli(["store", "status"], { CRUCIBLE_HOME: home });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`process ${process.pid}`);
      expect(result.stderr).toContain("crucible serve --port 7070");
    } finally {
      lock.release();
    }
  });

  it("doctor exits 1 and says what to fix when the trainer's Python is missing", async () => {
    const result = await runCli(["doctor", "--json"], {
      CRUCIBLE_HOME: tempHome(),
      CRUCIBLE_PYTHON: "/nonexistent/python",
    });
    expect(result.code).toBe(1);
    const report = result.json() as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.checks.find((c) => c.name === "trainer python")?.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "store")?.ok).toBe(true);
  });
});
