import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApi } from "../../src/api/server.ts";
import { readAudit } from "../../src/audit/store.ts";
import { addDataset } from "../../src/data/service/add.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { inviteMember } from "../../src/identity/invitations.ts";
import { revokeRole } from "../../src/identity/lifecycle.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { insertRun } from "../checkpoints/fixture.ts";
import { as } from "../identity/support.ts";

/**
 * Two tenants on one installation. acme: root (admin), eli (ml-engineer), dana (data-steward),
 * ops-bot (eli's service), a dataset, a run, a base checkpoint and an open invitation. beta: bart, its only admin,
 * who belongs nowhere else. `ids` lists every internal id of acme's that beta must never see.
 */
export async function twoTenants(db: Db) {
  const { workspace: acme, admin: rootId } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, rootId);
  const eli = await createUser(db, { principal: root, workspace: acme, name: "eli", roles: ["ml-engineer"] });
  const dana = await createUser(db, {
    principal: root,
    workspace: acme,
    name: "dana",
    roles: ["data-steward"],
  });
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "ops-bot",
    owner: eli,
    roles: ["deployer"],
  });
  const beta = await createWorkspace(db, { principal: root, name: "beta" });
  const bart = await createUser(db, {
    principal: await as(db, rootId),
    workspace: beta,
    name: "bart",
    roles: ["admin"],
  });
  // root created beta (and so administered it); bart takes it over alone
  await revokeRole(db, { principal: await as(db, bart), workspace: beta, subject: rootId, role: "admin" });

  const token = async (subject: string) =>
    createToken(db, { principal: await as(db, subject), subject, lifetimeS: 3600 });
  const tokens = {
    root: await token(rootId),
    eli: await token(eli),
    dana: await token(dana),
    bart: await token(bart),
  };
  const botToken = await createToken(db, { principal: root, subject: bot, lifetimeS: 3600 });

  const dir = mkdtempSync(join(tmpdir(), "crucible-tenants-"));
  writeFileSync(join(dir, "notes.jsonl"), '{"text":"acme handbook, chapter one"}\n');
  const version = await addDataset(
    db,
    await as(db, eli),
    { workspace: acme, name: "notes", file: join(dir, "notes.jsonl") },
    { artifacts: new ArtifactStore(join(dir, "artifacts")) },
  );
  const run = await insertRun(db, { workspace: acme, name: "acme-cpt", starter: eli });
  const checkpoint = "ckpt_acmebase1";
  await db.query(
    `INSERT INTO checkpoints (id, workspace_id, kind, name, path, manifest_digest, manifest, registered_by)
     VALUES ($1, $2, 'base', 'nano@mid', '/nowhere', $3, '{}', $4)`,
    [checkpoint, acme, `sha256:${"cd".repeat(32)}`, rootId],
  );
  // an invitation acme sent and nobody accepted yet
  const { invitationId: invitation } = await inviteMember(db, {
    principal: await as(db, rootId),
    workspace: acme,
    invitee: "newcomer",
    roles: ["auditor"],
  });
  const ids = [
    acme,
    invitation,
    rootId,
    eli,
    dana,
    bot,
    version.id,
    run,
    checkpoint,
    tokens.root.tokenId,
    tokens.eli.tokenId,
    tokens.dana.tokenId,
    botToken.tokenId,
  ];
  return { acme, beta, rootId, eli, dana, bot, bart, tokens, botToken, run, checkpoint, invitation, ids };
}

/** An in-process HTTP caller: `call(method, path, bearer, body)` → status and JSON body. */
export function httpCaller(db: Db) {
  const api = buildApi(db);
  return async (method: string, path: string, bearer?: string, body?: unknown) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await api.request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

/** The audit entries of one workspace, oldest first. */
export async function auditOf(db: Db, workspace: string) {
  const out = [];
  for await (const e of readAudit(db)) if (e.workspace === workspace) out.push(e);
  return out;
}
