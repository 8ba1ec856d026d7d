import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { addDataset } from "../../src/data/service/add.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { authorizeAndAudit } from "../../src/governed/funnel.ts";
import { approvePolicy, proposePolicy } from "../../src/governed/policy-changes.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import type { Action } from "../../src/policy/actions.ts";
import { type AuthzRequest, compilePolicySet, DEFAULT_POLICY_TEXT } from "../../src/policy/engine.ts";
import type { Resource } from "../../src/policy/entities.ts";
import type { Db } from "../../src/store/db.ts";
import { as, rejection } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";
import { httpCaller } from "./tenants.ts";

const HUMAN_ONLY = "human-only.service";
const BOUND = "service.token-bound";
const DAY = 86400;

/** acme with root and eli, and ci-bot: a service identity (owner eli) holding every role but data-steward. */
async function world(db: Db) {
  const { workspace: acme, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const eli = await createUser(db, { principal: root, workspace: acme, name: "eli", roles: ["ml-engineer"] });
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "ci-bot",
    owner: eli,
    roles: ["admin", "ml-engineer", "model-approver", "deployer", "auditor"],
  });
  const botToken = await createToken(db, { principal: root, subject: bot, lifetimeS: DAY });
  const eliToken = await createToken(db, { principal: await as(db, eli), subject: eli, lifetimeS: DAY });
  return { acme, admin, root, eli, bot, botToken, eliToken };
}

describeEachStore("security: a stolen service token", (open) => {
  it("refuses a service identity every human-only decision, naming the rule: principals, roles, workspaces, invitations, approvals", async () => {
    const db = await open();
    try {
      const w = await world(db);
      const call = httpCaller(db);
      const bot = w.botToken.secret;
      const denials = [
        await call("POST", "/v1/workspaces/acme/principals", bot, {
          name: "mallory",
          kind: "user",
          roles: ["admin"],
        }),
        await call("POST", "/v1/workspaces/acme/principals/ci-bot/roles", bot, { role: "data-steward" }),
        await call("POST", "/v1/workspaces/acme/invitations", bot, { name: "mallory", roles: ["admin"] }),
        await call("POST", "/v1/workspaces", bot, { name: "shadow" }),
      ];
      for (const d of denials) {
        expect(d.status).toBe(403);
        expect((d.body.error as { rule: string }).rule).toContain(HUMAN_ONLY);
        expect((d.body.error as { message: string }).message).toContain(`[rule: ${HUMAN_ONLY}`);
      }
      const roles = await call("GET", "/v1/workspaces/acme/principals", bot);
      expect((roles.body.principals as { name: string }[]).map((p) => p.name)).toEqual([
        "ci-bot",
        "eli",
        "root",
      ]);

      // a clean dataset version uploaded by eli: every other rule would let an approver through
      const dir = mkdtempSync(join(tmpdir(), "crucible-svc-"));
      writeFileSync(join(dir, "notes.jsonl"), '{"text":"acme handbook, chapter one"}\n');
      const artifacts = new ArtifactStore(join(dir, "artifacts"));
      await addDataset(
        db,
        await as(db, w.eli),
        { workspace: w.acme, name: "notes", file: join(dir, "notes.jsonl") },
        { artifacts },
      );
      await db.query(
        "INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, 'data-steward', $3)",
        [w.acme, w.bot, w.admin],
      ); // as if a human had granted it: the role alone must not let a service approve
      const approve = await call("POST", "/v1/workspaces/acme/datasets/notes/versions/1/approve", bot, {
        purposes: ["cpt"],
      });
      expect(approve.status).toBe(403);
      expect((approve.body.error as { rule: string }).rule).toBe(HUMAN_ONLY);

      // the other approvals, decided by the policy every service calls, with every gate passed
      const botP = await as(db, w.bot);
      const fixtures: [Action, Resource][] = [
        [
          "checkpoint.approve",
          { type: "Checkpoint", id: "ckpt_1", workspace: w.acme, run: "run_1", starter: w.eli },
        ],
        ["reward.approve", { type: "RewardFunction", id: "rwd_1", workspace: w.acme, author: w.eli }],
        ["moderation.approve", { type: "ModerationPolicy", id: "mod_1", workspace: w.acme, author: w.eli }],
        ["policy.approve", { type: "PolicyVersion", id: `${w.acme}/2`, workspace: w.acme, author: w.eli }],
      ];
      const context = { gates_passed: true, verified: true };
      for (const [action, resource] of fixtures) {
        const d = await db.transaction((tx) =>
          authorizeAndAudit(tx, { principal: botP, action, resource, context } as AuthzRequest),
        );
        expect([action, d.decision, d.rules]).toEqual([action, "deny", [HUMAN_ONLY]]);
      }
      // a workspace that approved a policy set without the forbid still gets the same answer
      const lax = compilePolicySet(
        DEFAULT_POLICY_TEXT.replace(/@id\("human-only\.service"\)[\s\S]*?resource\);/, ""),
      );
      expect(lax.ids).not.toContain(HUMAN_ONLY);
      for (const [action, resource] of fixtures) {
        const d = await db.transaction((tx) =>
          authorizeAndAudit(tx, { principal: botP, action, resource, context } as AuthzRequest, {
            policies: lax,
          }),
        );
        expect([action, d.decision, d.rules]).toEqual([action, "deny", [HUMAN_ONLY]]);
      }
      const proposed = await proposePolicy(db, {
        principal: w.root,
        workspace: w.acme,
        text: DEFAULT_POLICY_TEXT,
      });
      const policy = await rejection(
        approvePolicy(db, { principal: botP, workspace: w.acme, version: proposed.version }),
      );
      expect(policy).toMatchObject({ code: "permission_denied" });
      expect(policy.details?.rule).toContain(HUMAN_ONLY);
    } finally {
      await db.close();
    }
  });

  it("lets a service mint itself tokens only within the lifetime and renewal deadline its human owner set", async () => {
    const db = await open();
    try {
      const w = await world(db);
      const call = httpCaller(db);
      const bot = w.botToken.secret;
      // no bound set yet: it mints itself nothing, not even by rotating
      const unbounded = await call("POST", "/v1/tokens", bot, { ttl_s: 90 * DAY });
      expect(unbounded.status).toBe(403);
      expect((unbounded.body.error as { rule: string }).rule).toContain(BOUND);
      const rotated = await call("POST", `/v1/tokens/${w.botToken.tokenId}/rotate`, bot, { ttl_s: DAY });
      expect((rotated.body.error as { rule: string }).rule).toContain(BOUND);

      // only its human owner sets the bound: not the service, not an admin who is not the owner
      const renewUntil = new Date(Date.now() + 1.5 * DAY * 1000).toISOString();
      const bound = { max_lifetime_s: 2 * DAY, renew_until: renewUntil };
      const self = await call("PUT", "/v1/workspaces/acme/principals/ci-bot/token-bound", bot, bound);
      expect((self.body.error as { rule: string }).rule).toContain(HUMAN_ONLY);
      const rootToken = (await createToken(db, { principal: w.root, subject: w.admin, lifetimeS: DAY }))
        .secret;
      const admin = await call("PUT", "/v1/workspaces/acme/principals/ci-bot/token-bound", rootToken, bound);
      expect(admin.status).toBe(403);
      const owner = await call(
        "PUT",
        "/v1/workspaces/acme/principals/ci-bot/token-bound",
        w.eliToken.secret,
        bound,
      );
      expect(owner.status, JSON.stringify(owner.body)).toBe(200);

      const tooLong = await call("POST", "/v1/tokens", bot, { ttl_s: 3 * DAY });
      expect((tooLong.body.error as { rule: string }).rule).toContain(BOUND);
      const within = await call("POST", "/v1/tokens", bot, { ttl_s: DAY });
      expect(within.status, JSON.stringify(within.body)).toBe(201);
      const forOther = await call("POST", "/v1/tokens", bot, { for: "eli", ttl_s: 3600 });
      expect(forOther.status).toBe(403);
      // within the longest lifetime, but expiring after the owner's deadline: refused, by any route
      const pastDeadline = await call("POST", "/v1/tokens", bot, { ttl_s: 2 * DAY });
      expect((pastDeadline.body.error as { rule: string }).rule).toContain(BOUND);
      const rotatePast = await call("POST", `/v1/tokens/${w.botToken.tokenId}/rotate`, bot, {
        ttl_s: 2 * DAY,
      });
      expect((rotatePast.body.error as { rule: string }).rule).toContain(BOUND);
      const rotateWithin = await call("POST", `/v1/tokens/${w.botToken.tokenId}/rotate`, bot, { ttl_s: DAY });
      expect(rotateWithin.status, JSON.stringify(rotateWithin.body)).toBe(201);
      // beyond the bound, the owner renews it
      const byOwner = await createToken(db, {
        principal: await as(db, w.eli),
        subject: w.bot,
        lifetimeS: 30 * DAY,
      });
      expect(byOwner.expiresAt.getTime()).toBeGreaterThan(Date.parse(renewUntil));
      const badBound = await call(
        "PUT",
        "/v1/workspaces/acme/principals/ci-bot/token-bound",
        w.eliToken.secret,
        {
          max_lifetime_s: 91 * DAY,
          renew_until: renewUntil,
        },
      );
      expect(badBound.body.error).toMatchObject({ code: "invalid_argument", field: "maxLifetimeS" });
    } finally {
      await db.close();
    }
  });
});
