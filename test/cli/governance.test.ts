import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import { signCheckpoint } from "../../src/provenance/statement.ts";
import { runCli, tempHome } from "../support/cli.ts";

/** A checkpoint signed by hand here is in no store: verify it from its files, naming the builder. */
const HAND_SIGNED = ["--offline", "--builder-id", "crucible-test"];

/** One embedded installation shared by the tests below, set up through the CLI itself. */
let home: string;
const as = (name: string, ...argv: string[]) => runCli([...argv, "--as", name], { CRUCIBLE_HOME: home });

beforeAll(async () => {
  home = tempHome();
  expect(
    (await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home })).code,
  ).toBe(0);
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["dana", "data-steward"],
    ["audra", "auditor"],
  ] as const) {
    const created = await as("root", "principal", "create", name, "--workspace", "acme", "--role", role);
    expect(created.code, created.stderr).toBe(0);
  }
}, 120_000);

describe("governance through the CLI", () => {
  it("refuses a second init on an installation that has principals", async () => {
    const again = await runCli(["init", "--workspace", "other", "--admin", "mallory"], {
      CRUCIBLE_HOME: home,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already has principals");
  });

  it("creates a service identity only with a human owner", async () => {
    const orphan = await as("root", "principal", "create", "ops-bot", "--workspace", "acme", "--service");
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain("--owner");
    const owned = await as(
      "root",
      "principal",
      "create",
      "ops-bot",
      "--workspace",
      "acme",
      "--service",
      "--owner",
      "eli",
      "--role",
      "deployer",
      "--json",
    );
    expect(owned.code, owned.stderr).toBe(0);
    expect(owned.json()).toMatchObject({ name: "ops-bot", kind: "service", roles: ["deployer"] });
  });

  it("denies a non-admin with exit 3 and names the rule", async () => {
    const denied = await as(
      "eli",
      "principal",
      "create",
      "mallory",
      "--workspace",
      "acme",
      "--role",
      "admin",
    );
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/\[rule: [a-z-.]+\]/);
  });

  it("issues a token shown once that then authenticates, and refuses it once revoked", async () => {
    const issued = await as("dana", "token", "create", "--ttl", "1h", "--json");
    expect(issued.code, issued.stderr).toBe(0);
    const { token, token_id } = issued.json() as { token: string; token_id: string };
    expect(token).toMatch(/^crt_/);
    const withToken = await runCli(["principal", "list", "--workspace", "acme"], {
      CRUCIBLE_HOME: home,
      CRUCIBLE_TOKEN: token,
    });
    expect(withToken.code).toBe(3); // a data steward may not read membership: authenticated, then denied
    expect((await as("dana", "token", "revoke", token_id)).code).toBe(0);
    const revoked = await runCli(["principal", "list", "--workspace", "acme"], {
      CRUCIBLE_HOME: home,
      CRUCIBLE_TOKEN: token,
    });
    expect(revoked.code).toBe(3);
    expect(revoked.stderr).toContain("revoked");
  });

  it("lists members for an auditor, and tokens unused for a while with --stale", async () => {
    const listed = await as("audra", "principal", "list", "--workspace", "acme", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const names = (listed.json() as { principals: { name: string }[] }).principals.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["root", "eli", "dana", "audra"]));
    await as("eli", "token", "create", "--ttl", "2h", "--label", "laptop");
    const stale = await as("audra", "principal", "list", "--workspace", "acme", "--stale", "0s", "--json");
    expect(stale.code, stale.stderr).toBe(0);
    expect((stale.json() as { stale: { principal: string }[] }).stale.map((t) => t.principal)).toContain(
      "eli",
    );
  });

  it("verifies the audit chain from the store and offline from an export, and catches an edit", async () => {
    const verified = await as("audra", "audit", "verify", "--workspace", "acme", "--json");
    expect(verified.code, verified.stderr).toBe(0);
    expect((verified.json() as { ok: boolean; count: number }).count).toBeGreaterThan(5);
    const file = join(home, "audit.jsonl");
    expect((await as("audra", "audit", "export", "--workspace", "acme", "--out", file)).code).toBe(0);
    expect((await runCli(["audit", "verify", "--file", file], { CRUCIBLE_HOME: home })).code).toBe(0);
    const lines = readFileSync(file, "utf8").split("\n");
    lines[2] = lines[2]!.replace('"allow"', '"deny"');
    writeFileSync(file, lines.join("\n"));
    const broken = await runCli(["audit", "verify", "--file", file], { CRUCIBLE_HOME: home });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("broken at seq");
  });

  it("exports the audit chain to standard output by default (and with --out -), the summary on stderr, in the caller's only workspace by default; --json without --out is refused", async () => {
    // audra belongs to acme alone: it is the default workspace of audit export, verify and policy show
    const verified = await as("audra", "audit", "verify", "--json");
    expect(verified.code, verified.stderr).toBe(0);
    expect((await as("audra", "policy", "show", "--json")).code).toBe(0);
    const piped = await as("audra", "audit", "export");
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/wrote \d+ entries \(workspace acme\) to standard output/);
    const file = join(home, "piped.jsonl");
    writeFileSync(file, piped.stdout);
    expect((await runCli(["audit", "verify", "--file", file], { CRUCIBLE_HOME: home })).code).toBe(0);
    const dash = await as("audra", "audit", "export", "--workspace", "acme", "--out", "-");
    expect(dash.code, dash.stderr).toBe(0);
    expect(dash.stdout.trimEnd().split("\n").at(-1)).toContain('"signedHead"');
    expect(existsSync(join(process.cwd(), "-"))).toBe(false);
    const json = await as("audra", "audit", "export", "--workspace", "acme", "--json");
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: "invalid_argument", field: "--json" } });
  });

  it("changes the policy set only with a second admin's approval, and then enforces the new set", async () => {
    expect(
      (await as("root", "principal", "create", "ada", "--workspace", "acme", "--role", "admin")).code,
    ).toBe(0);
    const shown = await as("audra", "policy", "show", "--workspace", "acme", "--json");
    expect(shown.code, shown.stderr).toBe(0);
    const current = (shown.json() as { text: string }).text;
    // the new set lets auditors create principals too
    const file = join(home, "policy.cedar");
    writeFileSync(
      file,
      `${current}\n@id("auditors.create-principals")\n@reason("auditors may create principals in this workspace")\npermit (principal, action == Action::"principal.create", resource is Workspace)\nwhen { resource has auditor && principal in resource.auditor };\n`,
    );
    const proposed = await as("root", "policy", "propose", file, "--workspace", "acme", "--json");
    expect(proposed.code, proposed.stderr).toBe(0);
    const { version } = proposed.json() as { version: number };
    expect((await as("audra", "principal", "create", "early", "--workspace", "acme")).code).toBe(3); // not active yet
    const self = await as("root", "policy", "approve", String(version), "--workspace", "acme");
    expect(self.code).toBe(3);
    expect(self.stderr).toMatch(/rule: [^\]]*sod/);
    expect((await as("ada", "policy", "approve", String(version), "--workspace", "acme")).code).toBe(0);
    const allowed = await as("audra", "principal", "create", "late", "--workspace", "acme");
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it("verifies a signed checkpoint offline and names a flipped file with both digests", async () => {
    const dir = join(home, "checkpoint");
    mkdirSync(dir);
    writeFileSync(join(dir, "model.safetensors"), Buffer.from([1, 2, 3, 4]));
    writeFileSync(join(dir, "config.json"), "{}");
    const key = loadOrCreateSigningKey(join(home, "keys"));
    const material = (name: string) => ({ name, digest: `sha256:${"ab".repeat(32)}` });
    const envelope = await signCheckpoint(
      dir,
      {
        checkpointId: "ckpt_1",
        workspace: "acme",
        runId: "run_1",
        baseCheckpoint: material("nano@mid"),
        datasets: [material("acme-handbook@v2")],
        recipe: material("recipes/cpt.yaml"),
        rewardFunctions: [],
        approvals: [
          {
            action: "checkpoint.approve",
            actor: "usr_mara",
            at: "2026-03-01T00:00:00.000Z",
            auditSeq: 9,
            auditHash: "cd".repeat(32),
          },
        ],
        builderId: "crucible-test",
      },
      key,
    );
    writeFileSync(`${dir}.provenance.json`, JSON.stringify(envelope));
    const ok = await runCli(["verify", dir, ...HAND_SIGNED], { CRUCIBLE_HOME: home });
    expect(ok.code, ok.stderr).toBe(0);
    writeFileSync(join(dir, "model.safetensors"), Buffer.from([1, 2, 3, 5]));
    const flipped = await runCli(["verify", dir, ...HAND_SIGNED, "--json"], { CRUCIBLE_HOME: home });
    expect(flipped.code).toBe(1);
    expect(flipped.stderr).toMatch(
      /model\.safetensors was modified: signed sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
    );
  });
});
