import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { buildApi } from "../../src/api/server.ts";
import { addDataset, redactVersion } from "../../src/data/service/add.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { principalByName, workspaceByName } from "../../src/identity/names.ts";
import { createUser, loadPrincipal } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";
import { conforms as conformsTo, type OpenApiDoc } from "./conforms.ts";

type Doc = OpenApiDoc;

describeEachStore("HTTP API", (open) => {
  let db: Db;
  let api: ReturnType<typeof buildApi>;
  let tokens: Record<string, string>;

  beforeEach(async () => {
    db = await open();
    api = buildApi(db);
    const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
    const root = (await loadPrincipal(db, admin))!;
    tokens = { root: (await createToken(db, { principal: root, subject: admin, lifetimeS: 3600 })).secret };
    for (const [name, role] of [
      ["audra", "auditor"],
      ["eli", "ml-engineer"],
    ] as const) {
      const id = await createUser(db, { principal: root, workspace, name, roles: [role] });
      const me = (await loadPrincipal(db, id))!;
      tokens[name] = (await createToken(db, { principal: me, subject: id, lifetimeS: 3600 })).secret;
    }
  });
  afterEach(() => db.close());

  const call = async (method: string, path: string, as?: string, body?: unknown) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (as) headers.authorization = `Bearer ${tokens[as]}`;
    const res = await api.request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const conforms = (method: string, template: string, response: { status: number; body: unknown }) =>
    conformsTo(api, method, template, response);

  it("serves an OpenAPI 3.1 document naming every operation once, each with its security", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const ops = Object.values((body as unknown as Doc).paths).flatMap((methods) => Object.values(methods));
    const ids = ops.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(["whoami", "createPrincipal", "createToken", "revokeToken", "verifyAudit"]),
    );
    for (const op of ops) expect(op.security).toEqual([{ bearer: [] }]);
  });

  it("refuses every bearer route without a token: 401, in the documented error shape", async () => {
    const doc = (await call("GET", "/openapi.json")).body as unknown as Doc;
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const path = template
          .replace("{workspace}", "acme")
          .replace("{principal}", "eli")
          .replace("{token}", "tok_x");
        const res = await call(
          method.toUpperCase(),
          path,
          undefined,
          method === "get" || method === "delete" ? undefined : {},
        );
        expect(res.status, `${method} ${path}`).toBe(401);
        await conforms(method, template, res);
      }
    }
  });

  it("says who the token is, and answers an unknown or malformed token with 401", async () => {
    const me = await call("GET", "/v1/me", "eli");
    expect(me.status).toBe(200);
    await conforms("get", "/v1/me", me);
    tokens.bad = `crt_${"A".repeat(43)}`;
    expect((await call("GET", "/v1/me", "bad")).status).toBe(401);
  });

  it("lets an admin create a principal (201) and denies an auditor with 403 naming the rule", async () => {
    const created = await call("POST", "/v1/workspaces/acme/principals", "root", {
      name: "dana",
      kind: "user",
      roles: ["data-steward"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await conforms("post", "/v1/workspaces/{workspace}/principals", created);
    const denied = await call("POST", "/v1/workspaces/acme/principals", "audra", {
      name: "mallory",
      kind: "user",
      roles: ["admin"],
    });
    expect(denied.status).toBe(403);
    await conforms("post", "/v1/workspaces/{workspace}/principals", denied);
    expect((denied.body.error as { rule: string }).rule).toMatch(/[a-z]/);
  });

  it("rejects a bad body with 400 naming the JSON path", async () => {
    const res = await call("POST", "/v1/workspaces/acme/principals", "root", {
      name: "Bad Name",
      kind: "user",
    });
    expect(res.status).toBe(400);
    expect((res.body.error as { field: string }).field).toBe("$.name");
    await conforms("post", "/v1/workspaces/{workspace}/principals", res);
  });

  it("issues, rotates and revokes tokens; a revoked token stops working", async () => {
    const issued = await call("POST", "/v1/tokens", "eli", { ttl_s: 600, label: "ci" });
    expect(issued.status).toBe(201);
    await conforms("post", "/v1/tokens", issued);
    tokens.ci = issued.body.token as string;
    const rotated = await call("POST", `/v1/tokens/${issued.body.token_id}/rotate`, "eli", { overlap_s: 60 });
    expect(rotated.status).toBe(201);
    expect((await call("GET", "/v1/me", "ci")).status).toBe(200); // still inside the overlap
    const revoked = await call("DELETE", `/v1/tokens/${issued.body.token_id}`, "eli");
    expect(revoked.status).toBe(200);
    await conforms("delete", "/v1/tokens/{token}", revoked);
    expect((await call("GET", "/v1/me", "ci")).status).toBe(401);
  });

  it("removes a role, revokes a principal's tokens and disables and re-enables a principal; others get 403", async () => {
    const denied = await call("POST", "/v1/workspaces/acme/principals/eli/disable", "audra");
    expect(denied.status).toBe(403);
    await conforms("post", "/v1/workspaces/{workspace}/principals/{principal}/disable", denied);
    // eli keeps a role in acme: someone with none there is no longer acme's to see or govern
    const granted = await call("POST", "/v1/workspaces/acme/principals/eli/roles", "root", {
      role: "auditor",
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    const role = await call("DELETE", "/v1/workspaces/acme/principals/eli/roles/ml-engineer", "root");
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    await conforms("delete", "/v1/workspaces/{workspace}/principals/{principal}/roles/{role}", role);
    const again = await call("DELETE", "/v1/workspaces/acme/principals/eli/roles/ml-engineer", "root");
    expect(again.status).toBe(404);
    const revoked = await call("POST", "/v1/workspaces/acme/principals/audra/tokens/revoke", "root");
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.revoked_tokens).toBe(1);
    await conforms("post", "/v1/workspaces/{workspace}/principals/{principal}/tokens/revoke", revoked);
    expect((await call("GET", "/v1/me", "audra")).status).toBe(401);
    const disabled = await call("POST", "/v1/workspaces/acme/principals/eli/disable", "root");
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect(disabled.body).toEqual({
      principal: "eli",
      disabled: true,
      revoked_tokens: 1,
      owned_services: [],
    });
    await conforms("post", "/v1/workspaces/{workspace}/principals/{principal}/disable", disabled);
    const refused = await call("GET", "/v1/me", "eli");
    expect(refused.status).toBe(401);
    const enabled = await call("POST", "/v1/workspaces/acme/principals/eli/enable", "root");
    expect(enabled.status).toBe(200);
    await conforms("post", "/v1/workspaces/{workspace}/principals/{principal}/enable", enabled);
    expect((await call("GET", "/v1/me", "eli")).status).toBe(401); // its old token stays revoked
  });

  it("serves a version's masked pre-screen report, refuses self-approval with 403 and lets a steward approve", async () => {
    const workspace = await workspaceByName(db, "acme");
    const principal = async (name: string) => (await loadPrincipal(db, await principalByName(db, name)))!;
    const eli = await principal("eli");
    const dana = await createUser(db, {
      principal: await principal("root"),
      workspace,
      name: "dana",
      roles: ["data-steward"],
    });
    tokens.dana = (
      await createToken(db, { principal: await principal("dana"), subject: dana, lifetimeS: 600 })
    ).secret;
    const dir = mkdtempSync(join(tmpdir(), "crucible-api-"));
    writeFileSync(
      join(dir, "notes.jsonl"),
      `${JSON.stringify({ text: "Reach Maria at maria.lopez@northwind-mail.com today." })}\n`,
    );
    const artifacts = new ArtifactStore(join(dir, "artifacts"));
    await addDataset(db, eli, { workspace, name: "notes", file: join(dir, "notes.jsonl") }, { artifacts });

    const report = await call("GET", "/v1/workspaces/acme/datasets/notes/versions/1/report", "eli");
    expect(report.status).toBe(200);
    expect(JSON.stringify(report.body)).not.toContain("maria.lopez@northwind-mail.com");
    expect((report.body.totals as { pii: number }).pii).toBe(1);
    const self = await call("POST", "/v1/workspaces/acme/datasets/notes/versions/1/approve", "eli", {
      purposes: ["cpt"],
    });
    expect(self.status).toBe(403);
    expect((self.body.error as { rule: string }).rule).toContain("sod.dataset-uploader");
    const flagged = await call("POST", "/v1/workspaces/acme/datasets/notes/versions/1/approve", "dana", {
      purposes: ["cpt"],
    });
    expect((flagged.body.error as { rule: string }).rule).toBe("gate.dataset-prescreen");
    await redactVersion(db, eli, { workspace, ref: { name: "notes", version: 1 } }, { artifacts });
    const approved = await call("POST", "/v1/workspaces/acme/datasets/notes/versions/2/approve", "dana", {
      purposes: ["cpt"],
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await conforms(
      "post",
      "/v1/workspaces/{workspace}/datasets/{dataset}/versions/{version}/approve",
      approved,
    );
    const revoked = await call("POST", "/v1/workspaces/acme/datasets/notes/versions/2/revoke", "dana", {
      reason: "consent withdrawn",
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ status: "revoked", tainted_checkpoints: [] });
    await conforms(
      "post",
      "/v1/workspaces/{workspace}/datasets/{dataset}/versions/{version}/revoke",
      revoked,
    );
    expect((await call("GET", "/v1/workspaces/acme/datasets/notes/versions/v1/report", "eli")).status).toBe(
      400,
    );
  });

  it("gives auditors the audit trail and a verified chain, and refuses an ml-engineer", async () => {
    const verified = await call("GET", "/v1/workspaces/acme/audit/verify", "audra");
    expect(verified.status).toBe(200);
    expect(verified.body.ok).toBe(true);
    await conforms("get", "/v1/workspaces/{workspace}/audit/verify", verified);
    const entries = await call("GET", "/v1/workspaces/acme/audit?limit=5", "audra");
    expect((entries.body.entries as unknown[]).length).toBe(5);
    expect((await call("GET", "/v1/workspaces/acme/audit", "eli")).status).toBe(403);
    expect((await call("GET", "/v1/workspaces/nowhere/audit", "audra")).status).toBe(404);
  });
});
