import { expect, it } from "vitest";
import { verifyAuditLog } from "../../src/audit/export.ts";
import { CrucibleError } from "../../src/core/errors.ts";
import { authorizeAndAudit } from "../../src/governed/funnel.ts";
import { authenticate } from "../../src/identity/authenticate.ts";
import { disablePrincipal } from "../../src/identity/lifecycle.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { createToken, revokeToken } from "../../src/identity/tokens.ts";
import { mintWorkloadToken } from "../../src/identity/workload.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import {
  ACTION_NAMES,
  ACTIONS,
  type Action,
  type DecisionContext,
  ROLES,
  type Role,
} from "../../src/policy/actions.ts";
import type { AuthzRequest } from "../../src/policy/engine.ts";
import type { Resource } from "../../src/policy/entities.ts";
import type { Db } from "../../src/store/db.ts";
import { as } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";

type Outcome = "allow" | "deny" | "unauthenticated";

/** What each role may do, written out by hand from the governance model (not from the policy). */
const ALLOWED: Record<Role | "workload", readonly Action[]> = {
  admin: [
    "principal.create",
    "role.grant",
    "policy.propose",
    "audit.read",
    "policy.approve",
    "token.create",
    "token.revoke",
    "principal.disable",
    "principal.enable",
    "role.revoke",
    "signing-key.rotate",
    "base.register",
    "canary.add",
    "canary.read",
    "invitation.create",
    "invitation.withdraw",
    "oidc-binding.create",
    "oidc-binding.delete",
  ],
  "data-steward": [
    "dataset.add",
    "dataset.read",
    "dataset.approve",
    "dataset.revoke",
    "canary.add",
    "canary.read",
  ],
  "ml-engineer": [
    "dataset.add",
    "dataset.read",
    "reward.create",
    "reward.read",
    "run.start",
    "run.cancel",
    "run.read",
    "base.register",
    "checkpoint.read",
    "checkpoint.generate",
    "deployment.invoke",
  ],
  "model-approver": [
    "reward.read",
    "reward.approve",
    "run.read",
    "checkpoint.read",
    "checkpoint.approve",
    "checkpoint.generate",
    "moderation.approve",
  ],
  deployer: ["deployment.create", "deployment.delete", "deployment.invoke", "moderation.create"],
  auditor: ["audit.read", "run.read", "checkpoint.read", "dataset.read"],
  workload: ["run.read", "run.report", "dataset.read", "reward.invoke"],
};

/**
 * Decisions only a human makes: a service identity is denied them whatever roles it holds
 * (`human-only.service`), and it mints no token but its own, within its owner's bounds.
 */
const HUMAN_ONLY: readonly Action[] = [
  "principal.create",
  "role.grant",
  "policy.approve",
  "dataset.approve",
  "reward.approve",
  "checkpoint.approve",
  "moderation.approve",
  "service.bound",
  "invitation.create",
  "invitation.accept",
  "invitation.withdraw",
  "oidc-binding.create",
  "oidc-binding.delete",
];
const SERVICE_WITH_EVERY_ROLE = [...new Set(ROLES.flatMap((r) => ALLOWED[r]))].filter(
  (a) => !HUMAN_ONLY.includes(a) && a !== "token.create",
);

/** Every gate passed, a modest token lifetime: only roles and authorship decide. */
const CONTEXT: DecisionContext = {
  gates_passed: true,
  prescreen_passed: true,
  verified: true,
  inputs_approved: true,
  checkpoint_approved: true,
  checkpoint_untainted: true,
  lifetime_s: 3600,
};

function resources(ws: string, author: string, subject: string): Record<Resource["type"], Resource> {
  return {
    Workspace: { type: "Workspace", id: ws },
    PolicyVersion: { type: "PolicyVersion", id: `${ws}/v1`, workspace: ws, author },
    Credential: { type: "Credential", id: "tok_fixture", workspace: ws, subject, owner: author },
    DatasetVersion: { type: "DatasetVersion", id: "dsv_1", workspace: ws, uploader: author, revoked: false },
    RewardFunction: { type: "RewardFunction", id: "rwd_1", workspace: ws, author },
    Run: {
      type: "Run",
      id: "run_1",
      workspace: ws,
      starter: author,
      datasets: ["dsv_1"],
      rewards: ["rwd_1"],
    },
    Checkpoint: { type: "Checkpoint", id: "ckpt_1", workspace: ws, run: "run_1", starter: author },
    Deployment: { type: "Deployment", id: "dep_1", workspace: ws, owner: author },
    ModerationPolicy: { type: "ModerationPolicy", id: "mod_1", workspace: ws, author },
    Invitation: { type: "Invitation", id: "inv_1", workspace: ws, invitee: author },
  };
}

const RESOURCE_OF: Record<Action, Resource["type"]> = {} as Record<Action, Resource["type"]>;
for (const action of ACTION_NAMES)
  RESOURCE_OF[action] = (await import("../../src/policy/actions.ts")).ACTIONS[action];

async function world(db: Db) {
  const { workspace: acme, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const callers: Record<string, { bearer: string | undefined; expected: (a: Action) => Outcome }> = {};
  const roleCaller =
    (role: Role | "workload") =>
    (a: Action): Outcome =>
      ALLOWED[role].includes(a) ? "allow" : "deny";
  const author = await createUser(db, {
    principal: root,
    workspace: acme,
    name: "author",
    roles: [...ROLES],
  });
  const subject = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "subject-bot",
    owner: author,
  });
  callers.admin = {
    bearer: (await createToken(db, { principal: root, subject: admin, lifetimeS: 3600 })).secret,
    expected: roleCaller("admin"),
  };
  for (const role of ROLES.filter((r) => r !== "admin")) {
    const id = await createUser(db, { principal: root, workspace: acme, name: `u-${role}`, roles: [role] });
    callers[role] = {
      bearer: (await createToken(db, { principal: await as(db, id), subject: id, lifetimeS: 3600 })).secret,
      expected: roleCaller(role),
    };
  }
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "ops-bot",
    owner: author,
    roles: ["deployer"],
  });
  callers["service:deployer"] = {
    bearer: (await createToken(db, { principal: root, subject: bot, lifetimeS: 3600 })).secret,
    expected: roleCaller("deployer"),
  };
  const everything = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "every-role-bot",
    owner: author,
    roles: [...ROLES],
  });
  callers["service:every-role"] = {
    bearer: (await createToken(db, { principal: root, subject: everything, lifetimeS: 3600 })).secret,
    expected: (a) => (SERVICE_WITH_EVERY_ROLE.includes(a) ? "allow" : "deny"),
  };

  const run = { id: "run_1", workspace: acme, starter: author, datasets: ["dsv_1"], rewards: ["rwd_1"] };
  const otherRun = { id: "run_2", workspace: acme, starter: author, datasets: ["dsv_9"], rewards: ["rwd_9"] };
  const wl = await db.transaction((tx) =>
    mintWorkloadToken(tx, { run, maxDurationS: 3600, createdBy: author }),
  );
  const wlOther = await db.transaction((tx) =>
    mintWorkloadToken(tx, { run: otherRun, maxDurationS: 3600, createdBy: author }),
  );
  callers["workload:own-run"] = { bearer: wl.secret, expected: roleCaller("workload") };
  callers["workload:other-run"] = { bearer: wlOther.secret, expected: () => "deny" };

  const research = await createWorkspace(db, { principal: root, name: "research" });
  const olga = await createUser(db, {
    principal: await as(db, admin),
    workspace: research,
    name: "olga",
    roles: [...ROLES],
  });
  callers["other-workspace"] = {
    bearer: (await createToken(db, { principal: await as(db, olga), subject: olga, lifetimeS: 3600 })).secret,
    expected: () => "deny",
  };

  const expired = await createToken(db, {
    principal: root,
    subject: admin,
    lifetimeS: 1,
    now: new Date(Date.now() - 10_000),
  });
  const revoked = await createToken(db, { principal: root, subject: admin, lifetimeS: 3600 });
  await revokeToken(db, { principal: root, tokenId: revoked.tokenId });
  const gone = await createUser(db, { principal: root, workspace: acme, name: "gone", roles: [...ROLES] });
  const goneToken = await createToken(db, { principal: await as(db, gone), subject: gone, lifetimeS: 3600 });
  await disablePrincipal(db, { principal: root, workspace: acme, subject: gone });
  // disabling revoked the token; un-revoke it so that only the disabled principal stands in the way
  await db.query("UPDATE tokens SET revoked_at = NULL WHERE id = $1", [goneToken.tokenId]);
  callers["disabled-principal"] = { bearer: goneToken.secret, expected: () => "unauthenticated" };
  callers.anonymous = { bearer: undefined, expected: () => "unauthenticated" };
  callers["expired-token"] = { bearer: expired.secret, expected: () => "unauthenticated" };
  callers["revoked-token"] = { bearer: revoked.secret, expected: () => "unauthenticated" };
  return { acme, callers, fixtures: resources(acme, author, subject) };
}

describeEachStore("authorisation matrix", (open) => {
  it("gives every caller exactly its expected decision on every action, with zero unexpected allows", async () => {
    const db = await open();
    try {
      const { callers, fixtures } = await world(db);
      const actual: Record<string, Record<string, Outcome>> = {};
      const expected: Record<string, Record<string, Outcome>> = {};
      let decisions = 0;
      for (const [name, caller] of Object.entries(callers)) {
        actual[name] = {};
        expected[name] = {};
        let principal: Awaited<ReturnType<typeof authenticate>>["principal"] | undefined;
        try {
          principal = (await authenticate(db, caller.bearer)).principal;
        } catch (err) {
          if (!(err instanceof CrucibleError) || err.code !== "unauthenticated") throw err;
        }
        await db.transaction(async (tx) => {
          for (const action of ACTION_NAMES) {
            expected[name]![action] = caller.expected(action);
            if (!principal) {
              actual[name]![action] = "unauthenticated";
              continue;
            }
            const request = {
              principal,
              action,
              resource: fixtures[ACTIONS[action]],
              context: CONTEXT,
            } as AuthzRequest;
            actual[name]![action] = (await authorizeAndAudit(tx, request)).decision;
            decisions++;
          }
        });
      }
      const unexpectedAllows = Object.entries(actual).flatMap(([name, row]) =>
        Object.entries(row)
          .filter(([a, o]) => o === "allow" && expected[name]![a] !== "allow")
          .map(([a]) => `${name} ${a}`),
      );
      expect(unexpectedAllows).toEqual([]);
      expect(actual).toEqual(expected);
      // 6 role holders, two service identities, two workload tokens, another workspace's user
      expect(decisions).toBe(11 * ACTION_NAMES.length);
      const verdict = await verifyAuditLog(db);
      expect(verdict.ok).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("denies the author of a thing its approval, whatever roles they hold", async () => {
    const db = await open();
    try {
      const { acme } = await world(db);
      const { rows } = await db.query<{ id: string }>("SELECT id FROM principals WHERE name = 'author'");
      const author = await as(db, rows[0]!.id);
      const fx = resources(acme, rows[0]!.id, rows[0]!.id);
      const cases: [Action, Resource, string][] = [
        ["dataset.approve", fx.DatasetVersion, "sod.dataset-uploader"],
        ["reward.approve", fx.RewardFunction, "sod.reward-author"],
        ["checkpoint.approve", fx.Checkpoint, "sod.checkpoint-run-starter"],
        ["moderation.approve", fx.ModerationPolicy, "sod.moderation-author"],
        ["policy.approve", fx.PolicyVersion, "sod.policy-author"],
      ];
      for (const [action, resource, rule] of cases) {
        const d = await db.transaction((tx) =>
          authorizeAndAudit(tx, { principal: author, action, resource, context: CONTEXT } as AuthzRequest),
        );
        expect([action, d.decision, d.rules]).toEqual([action, "deny", [rule]]);
      }
    } finally {
      await db.close();
    }
  });

  it("denies generating from a tainted checkpoint, or one whose taint was not looked up, whatever roles", async () => {
    const db = await open();
    try {
      const { acme } = await world(db);
      const { rows } = await db.query<{ id: string }>("SELECT id FROM principals WHERE name = 'author'");
      const author = await as(db, rows[0]!.id);
      const resource = resources(acme, "someone-else", "someone-else")
        .Checkpoint as AuthzRequest<"checkpoint.generate">["resource"];
      const decide = (context: DecisionContext) =>
        db.transaction((tx) =>
          authorizeAndAudit(tx, { principal: author, action: "checkpoint.generate", resource, context }),
        );
      expect((await decide({ checkpoint_untainted: true })).decision).toBe("allow");
      for (const context of [{ checkpoint_untainted: false }, {}]) {
        const d = await decide(context);
        expect([d.decision, d.rules]).toEqual(["deny", ["gate.generate-untainted"]]);
      }
    } finally {
      await db.close();
    }
  });
});
