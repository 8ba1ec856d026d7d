import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { buildApi } from "../../src/api/server.ts";
import { registerBases, registerRunCheckpoint } from "../../src/checkpoints/index.ts";
import { createUser, loadPrincipal } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import type { Db } from "../../src/store/db.ts";
import { copyCheckpoint, insertRun, type TrainedFixture, trainTinyRun } from "../checkpoints/fixture.ts";
import { describeEachStore } from "../support/stores.ts";

let fx: TrainedFixture;
beforeAll(async () => {
  fx = await trainTinyRun("api-fixture");
}, 180_000);

type Operation = { responses: Record<string, { content?: { "application/json": { schema: object } } }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: { Error: object } } };

describeEachStore("HTTP API: checkpoints", (open) => {
  let db: Db;
  let api: ReturnType<typeof buildApi>;
  const tokens: Record<string, string> = {};
  let run: { name: string; id: string };

  beforeEach(async () => {
    db = await open();
    api = buildApi(db, { signingKey: loadOrCreateSigningKey(mkdtempSync(join(tmpdir(), "crucible-keys-"))) });
    const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
    const root = (await loadPrincipal(db, admin))!;
    const ids: Record<string, string> = {};
    for (const [name, role] of [
      ["eli", "ml-engineer"],
      ["mona", "model-approver"],
      ["audra", "auditor"],
    ] as const) {
      ids[name] = await createUser(db, { principal: root, workspace, name, roles: [role] });
      const me = (await loadPrincipal(db, ids[name]!))!;
      tokens[name] = (await createToken(db, { principal: me, subject: ids[name]!, lifetimeS: 3600 })).secret;
    }
    const eli = (await loadPrincipal(db, ids.eli!))!;
    const [base] = await registerBases(db, eli, {
      workspace,
      bases: [{ name: { family: "tiny", stage: "mid" }, path: copyCheckpoint(fx.checkpoints[0]!.path) }],
    });
    const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: ids.eli! });
    const c = fx.checkpoints.at(-1)!;
    const row = await db.transaction((tx) =>
      registerRunCheckpoint(tx, {
        workspace,
        runId,
        runName: "acme-cpt",
        stage: "cpt",
        stageIdx: 0,
        step: c.step,
        final: true,
        path: copyCheckpoint(c.path),
        manifestDigest: c.manifestDigest,
        parentId: base!.id,
        registeredBy: `workload:${runId}`,
      }),
    );
    run = { name: row.name, id: row.id };
  });
  afterEach(() => db.close());

  const call = async (method: string, path: string, as: string) => {
    const res = await api.request(path, { method, headers: { authorization: `Bearer ${tokens[as]}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The response matches the schema /openapi.json gives for this route and status. */
  const conforms = async (method: string, template: string, response: { status: number; body: unknown }) => {
    const doc = (await (await api.request("/openapi.json")).json()) as Doc;
    const schema =
      doc.paths[template]?.[method]?.responses[String(response.status)]?.content?.["application/json"]
        ?.schema;
    expect(schema, `${method} ${template} documents ${response.status}`).toBeDefined();
    const text = JSON.stringify(schema).replace('"#/components/schemas/Error"', '"#/$defs/Error"');
    const validate = new Ajv2020({ strict: false }).compile({
      ...JSON.parse(text),
      $defs: { Error: doc.components.schemas.Error },
    });
    expect(validate(response.body), JSON.stringify(validate.errors)).toBe(true);
  };
  const ws = "/v1/workspaces/acme/checkpoints";

  it("lists, shows (by id and by URL-encoded name) and draws the lineage of checkpoints, as documented", async () => {
    const list = await call("GET", ws, "audra");
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    await conforms("get", "/v1/workspaces/{workspace}/checkpoints", list);
    expect((list.body.checkpoints as { name: string }[]).map((c) => c.name)).toEqual(["tiny@mid", run.name]);
    const bases = await call("GET", `${ws}?kind=base`, "audra");
    expect((bases.body.checkpoints as { name: string }[]).map((c) => c.name)).toEqual(["tiny@mid"]);
    const badKind = await call("GET", `${ws}?kind=model`, "audra");
    expect(badKind.status).toBe(400);
    await conforms("get", "/v1/workspaces/{workspace}/checkpoints", badKind);

    for (const ref of [run.id, encodeURIComponent(run.name)]) {
      const shown = await call("GET", `${ws}/${ref}`, "audra");
      expect(shown.status, JSON.stringify(shown.body)).toBe(200);
      await conforms("get", "/v1/workspaces/{workspace}/checkpoints/{checkpoint}", shown);
      expect(shown.body).toMatchObject({ id: run.id, name: run.name, status: "candidate" });
    }
    const base = await call("GET", `${ws}/${encodeURIComponent("tiny@mid")}`, "eli");
    expect(base.body).toMatchObject({ kind: "base", run_id: null });
    const missing = await call("GET", `${ws}/${encodeURIComponent("nano@mid")}`, "audra");
    expect(missing.status).toBe(404);
    await conforms("get", "/v1/workspaces/{workspace}/checkpoints/{checkpoint}", missing);

    const lineage = await call("GET", `${ws}/${run.id}/lineage`, "audra");
    expect(lineage.status, JSON.stringify(lineage.body)).toBe(200);
    await conforms("get", "/v1/workspaces/{workspace}/checkpoints/{checkpoint}/lineage", lineage);
    expect(
      (lineage.body.parents as { kind: string; name: string }[]).map((p) => `${p.kind} ${p.name}`),
    ).toEqual(["run acme-cpt", "checkpoint tiny@mid"]);
  });

  it("approves for a model approver (200, provenance signed) and refuses the run's starter with 403 naming the rule", async () => {
    const template = "/v1/workspaces/{workspace}/checkpoints/{checkpoint}/approve";
    const denied = await call("POST", `${ws}/${run.id}/approve`, "eli");
    expect(denied.status).toBe(403);
    await conforms("post", template, denied);
    expect((denied.body.error as { rule: string }).rule).toBe("sod.checkpoint-run-starter");
    const approved = await call("POST", `${ws}/${run.id}/approve`, "mona");
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await conforms("post", template, approved);
    expect(approved.body).toMatchObject({
      status: "approved",
      provenance: `${approved.body.path}.provenance.json`,
    });
    const twice = await call("POST", `${ws}/${run.id}/approve`, "mona");
    expect(twice.status).toBe(409);
    await conforms("post", template, twice);
  });
});
