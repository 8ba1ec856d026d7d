import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import { signCheckpoint } from "../../src/provenance/statement.ts";
import { runCli, tempHome } from "../support/cli.ts";

/** A checkpoint signed by hand here is in no store: verify it from its files, naming the builder. */
const HAND_SIGNED = ["--offline", "--builder-id", "crucible-test"];

/** One embedded installation with two workspaces, set up through the CLI itself. */
let home: string;
let rivalId: string;
const as = (name: string, ...argv: string[]) => runCli([...argv, "--as", name], { CRUCIBLE_HOME: home });
const withToken = (token: string, ...argv: string[]) =>
  runCli(argv, { CRUCIBLE_HOME: home, CRUCIBLE_TOKEN: token });

beforeAll(async () => {
  home = tempHome();
  expect(
    (await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home })).code,
  ).toBe(0);
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["audra", "auditor"],
  ] as const) {
    const created = await as("root", "principal", "create", name, "--workspace", "acme", "--role", role);
    expect(created.code, created.stderr).toBe(0);
  }
  const ws = await as("root", "workspace", "create", "rival", "--json");
  expect(ws.code, ws.stderr).toBe(0);
  rivalId = (ws.json() as { id: string }).id;
  const rival = await as(
    "root",
    "principal",
    "create",
    "rita",
    "--workspace",
    "rival",
    "--role",
    "ml-engineer",
  );
  expect(rival.code, rival.stderr).toBe(0);
}, 120_000);

describe("lifecycle and workspace exports through the CLI", () => {
  it("disables a principal (its token stops working, with a clear error) and re-enables it", async () => {
    const issued = await as("eli", "token", "create", "--ttl", "1h", "--json");
    const { token } = issued.json() as { token: string };
    expect((await withToken(token, "principal", "list", "--workspace", "acme")).code).toBe(3);
    const denied = await as("audra", "principal", "disable", "eli", "--workspace", "acme");
    expect(denied.code).toBe(3);
    const disabled = await as("root", "principal", "disable", "eli", "--workspace", "acme", "--json");
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.json()).toEqual({ name: "eli", disabled: true, revoked_tokens: 1, owned_services: [] });
    const refused = await withToken(token, "principal", "list", "--workspace", "acme");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("revoked");
    const asEli = await as("eli", "token", "create");
    expect(asEli.stderr).toContain("disabled");
    expect((await as("root", "principal", "enable", "eli", "--workspace", "acme")).code).toBe(0);
    expect((await as("eli", "token", "create", "--ttl", "1h")).code).toBe(0);
  });

  it("removes a role, and lets an admin revoke a member's tokens", async () => {
    const removed = await as(
      "root",
      "principal",
      "revoke",
      "audra",
      "--workspace",
      "acme",
      "--role",
      "auditor",
    );
    expect(removed.code, removed.stderr).toBe(0);
    // audra belongs nowhere now: acme answers her as a workspace that does not exist
    const unseen = await as("audra", "audit", "verify", "--workspace", "acme", "--json");
    expect(unseen.code).toBe(2);
    expect(unseen.json()).toMatchObject({ error: { code: "not_found", field: "workspace" } });
    // she comes back only by accepting an invitation herself
    const grant = await as("root", "principal", "grant", "audra", "--workspace", "acme", "--role", "auditor");
    expect(grant.code).toBe(2);
    const invited = await as(
      "root",
      "workspace",
      "invite",
      "audra",
      "--workspace",
      "acme",
      "--role",
      "auditor",
      "--json",
    );
    expect(invited.code, invited.stderr).toBe(0);
    const { invitation_id } = invited.json() as { invitation_id: string };
    expect((await as("root", "workspace", "accept", invitation_id)).code).toBe(2);
    const pending = await as("audra", "workspace", "invitations", "--json");
    expect(pending.json()).toMatchObject({
      invitations: [{ id: invitation_id, workspace: "acme", roles: ["auditor"] }],
    });
    const accepted = await as("audra", "workspace", "accept", invitation_id, "--json");
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.json()).toMatchObject({ workspace: "acme", roles: ["auditor"] });
    // an invitation not accepted yet: its workspace's admins see it and take it back
    const ghost = await as(
      "root",
      "workspace",
      "invite",
      "ghost",
      "--workspace",
      "acme",
      "--role",
      "auditor",
      "--json",
    );
    const ghostId = (ghost.json() as { invitation_id: string }).invitation_id;
    const open = await as("audra", "workspace", "invitations", "--workspace", "acme", "--json");
    expect(open.json()).toMatchObject({
      invitations: [{ id: ghostId, invitee: "ghost", roles: ["auditor"] }],
    });
    expect((await as("audra", "workspace", "withdraw", ghostId, "--workspace", "acme")).code).toBe(3);
    const withdrawn = await as("root", "workspace", "withdraw", ghostId, "--workspace", "acme", "--json");
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect(withdrawn.json()).toMatchObject({ invitation_id: ghostId, invitee: "ghost", withdrawn: true });
    const none = await as("root", "workspace", "invitations", "--workspace", "acme", "--json");
    expect(none.json()).toMatchObject({ invitations: [] });
    await as("audra", "token", "create", "--ttl", "1h");
    const revoked = await as("root", "token", "revoke", "--principal", "audra", "--json");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toMatchObject({ principal: "audra", revoked_tokens: 1 });
    const both = await as("root", "token", "revoke", "tok_x", "--principal", "audra");
    expect(both.code).toBe(2);
  });

  it("exports one workspace with other workspaces as stubs, verifies it offline, and catches a hidden entry", async () => {
    const file = join(home, "acme-audit.jsonl");
    const exported = await as("audra", "audit", "export", "--workspace", "acme", "--out", file, "--json");
    expect(exported.code, exported.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain('"bodyDigest"');
    expect(rivalId).toMatch(/^ws_/);
    expect(text).not.toContain(rivalId);
    const verified = await runCli(["audit", "verify", "--file", file, "--json"], { CRUCIBLE_HOME: home });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ ok: true, workspace: expect.stringMatching(/^ws_/) });
    expect((verified.json() as { stubs: number }).stubs).toBeGreaterThan(0);
    // the auditor may not take everything: a full export needs audit.read everywhere
    expect((await as("audra", "audit", "export", "--all", "--out", join(home, "all.jsonl"))).code).toBe(3);
    expect((await as("root", "audit", "export", "--all", "--out", join(home, "all.jsonl"))).code).toBe(0);
    expect(readFileSync(join(home, "all.jsonl"), "utf8")).toContain(rivalId);
    // deleting one of acme's entries from the file and leaving a stub in its place is caught
    const lines = text.trimEnd().split("\n");
    const at = lines.findIndex((l, i) => i > 0 && l.includes('"actor"'));
    const { seq, prevHash, hash } = JSON.parse(lines[at]!) as { seq: number; prevHash: string; hash: string };
    lines[at] = JSON.stringify({ bodyDigest: "0".repeat(64), hash, prevHash, scope: "1".repeat(64), seq });
    writeFileSync(file, `${lines.join("\n")}\n`);
    const broken = await runCli(["audit", "verify", "--file", file], { CRUCIBLE_HOME: home });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`broken at seq ${seq}`);
  });

  it("rotates the signing key; a checkpoint signed before still verifies, picked by its keyid", async () => {
    const dir = join(home, "ckpt-old");
    mkdirSync(dir);
    writeFileSync(join(dir, "model.safetensors"), Buffer.from([1, 2, 3]));
    const key = loadOrCreateSigningKey(join(home, "keys"));
    const material = (name: string) => ({ name, digest: `sha256:${"ab".repeat(32)}` });
    const envelope = await signCheckpoint(
      dir,
      {
        checkpointId: "ckpt_old",
        workspace: "acme",
        runId: "run_1",
        baseCheckpoint: material("nano@mid"),
        datasets: [material("acme-handbook@v1")],
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
    expect((await as("eli", "audit", "key", "rotate")).code).toBe(3);
    const rotated = await as("root", "audit", "key", "rotate", "--json");
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.json()).toMatchObject({
      previous: key.keyid,
      current: expect.not.stringMatching(key.keyid),
    });
    const verified = await runCli(["verify", dir, ...HAND_SIGNED, "--json"], { CRUCIBLE_HOME: home });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ verified: true, keyid: key.keyid });
  });
});
