import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, initHome, runCli, tempHome } from "../support/cli.ts";

/** One embedded installation (acme and rival, both with root as admin), set up through the CLI. */
let home: string;
let as: (name: string, ...argv: string[]) => Promise<CliResult>;

beforeAll(async () => {
  ({ home, as } = await initHome());
  for (const argv of [
    ["principal", "create", "eli", "--workspace", "acme", "--role", "ml-engineer"],
    ["principal", "grant", "eli", "--workspace", "acme", "--role", "auditor"],
    ["workspace", "create", "rival"],
  ]) {
    const done = await as("root", ...argv);
    expect(done.code, done.stderr).toBe(0);
  }
}, 120_000);

describe("recipe validate", () => {
  it("accepts a shipped recipe offline (no store, no identity) with a one-line summary", async () => {
    const empty = tempHome();
    const text = await runCli(["recipe", "validate", "recipes/pipeline-acme.yaml"], { CRUCIBLE_HOME: empty });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      "recipes/pipeline-acme.yaml: recipe pipeline-acme is valid, 2 stages: cpt -> sft\n",
    );
    const json = await runCli(["recipe", "validate", "recipes/sft-acme.yaml", "--json"]);
    expect(json.json()).toMatchObject({
      valid: true,
      name: "sft-acme",
      stages: [{ stage: "sft", base: "nano@post", datasets: [{ dataset: "acme-qa@v1", share: 0.5 }, {}] }],
    });
  });

  it("exits 2 with every problem at once, each with its YAML path, line:column and fix, as run start does", async () => {
    const file = join(tempHome(), "bad.yaml");
    const good = readFileSync("recipes/sft-acme.yaml", "utf8");
    writeFileSync(
      file,
      good
        .replace("share: 0.5\n  - dataset: nano-post@v1", "share: 0.4\n  - dataset: nano-post@v1")
        .replace("lr: 0.0002", "lr: fast"),
    );
    const result = await runCli(["recipe", "validate", file, "--json"]);
    expect(result.code).toBe(2);
    const { error } = result.json() as {
      error: { field: string; issues: { path: string; line: number; column: number; fix: string }[] };
    };
    expect(error.field).toBe(file);
    expect(error.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      "12:3 $.data",
      "17:7 $.hyperparameters.lr",
    ]);
    for (const issue of error.issues) expect(issue.fix).not.toBe("");
    // run start refuses it with the very same document, before it opens a store
    expect((await as("eli", "run", "start", file, "--json")).json()).toEqual(result.json());
    const text = await runCli(["recipe", "validate", file]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(`${file}: the recipe has 2 problems`);
    expect(text.stderr).toContain("17:7 $.hyperparameters.lr");
    expect((await runCli(["recipe", "validate", join(tempHome(), "missing.yaml")])).code).toBe(2);
  });
});

describe("token list", () => {
  it("lists the caller's own tokens with their state, never a secret or its hash", async () => {
    const created = await as("eli", "token", "create", "--label", "laptop", "--ttl", "1d", "--json");
    expect(created.code, created.stderr).toBe(0);
    const { token_id: first, token: secret } = created.json() as { token_id: string; token: string };
    const ci = await as("eli", "token", "create", "--label", "ci", "--json");
    const second = ci.json() as { token_id: string; token: string };
    expect((await as("eli", "token", "revoke", first)).code).toBe(0);
    // listed with the ci token itself: the same list, and that use is recorded as its last
    const withToken = await runCli(["token", "list", "--json"], {
      CRUCIBLE_HOME: home,
      CRUCIBLE_TOKEN: second.token,
    });
    expect(withToken.code, withToken.stderr).toBe(0);
    const listed = await as("eli", "token", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const { tokens } = listed.json() as { tokens: Record<string, unknown>[] };
    expect(tokens.map((t) => [t.label, t.status])).toEqual([
      ["ci", "active"],
      ["laptop", "revoked"],
    ]);
    expect((withToken.json() as { tokens: { id: string }[] }).tokens.map((t) => t.id)).toEqual([
      second.token_id,
      first,
    ]);
    expect(tokens[0]).toMatchObject({ id: second.token_id, kind: "bearer", revoked_at: null });
    expect(tokens[0]!.last_used_at).toEqual(expect.any(String));
    expect(tokens[1]).toMatchObject({ id: first, kind: "bearer", last_used_at: null });
    expect(tokens[1]!.revoked_at).toEqual(expect.any(String));
    expect(Object.keys(tokens[0]!).sort()).toEqual([
      "created_at",
      "expires_at",
      "id",
      "kind",
      "label",
      "last_used_at",
      "replaced_by",
      "revoked_at",
      "status",
    ]);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(second.token);
    expect(listed.stdout).not.toContain("crt_");
    // root sees its own tokens only, none of eli's
    const root = (await as("root", "token", "list", "--json")).json() as { tokens: { id: string }[] };
    expect(root.tokens.map((t) => t.id)).not.toContain(first);
    const text = await as("eli", "token", "list");
    expect(text.stdout).toMatch(/^token\s+label\s+status\s+created\s+expires\s+last used\n/);
    expect(text.stdout).toContain("laptop");
  });
});

describe("workspace list", () => {
  it("lists the caller's workspaces with its roles in each", async () => {
    const root = await as("root", "workspace", "list", "--json");
    expect(root.code, root.stderr).toBe(0);
    expect((root.json() as { workspaces: unknown[] }).workspaces).toEqual([
      { id: expect.stringMatching(/^ws_/), name: "acme", roles: ["admin"] },
      { id: expect.stringMatching(/^ws_/), name: "rival", roles: ["admin"] },
    ]);
    const eli = await as("eli", "workspace", "list", "--json");
    expect((eli.json() as { workspaces: { name: string; roles: string[] }[] }).workspaces).toEqual([
      { id: expect.any(String), name: "acme", roles: expect.arrayContaining(["ml-engineer", "auditor"]) },
    ]);
    expect((await as("eli", "workspace", "list")).stdout).toMatch(/^workspace\s+roles\s+id\nacme\s+/);
  });
});
