import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { ACTION_NAMES, ACTIONS, ROLES, type Role } from "../../src/policy/actions.ts";
import {
  type AuthzRequest,
  authorize,
  compilePolicySet,
  DEFAULT_POLICY_TEXT,
} from "../../src/policy/engine.ts";
import type { Principal, RunFacts } from "../../src/policy/entities.ts";

const policies = compilePolicySet(DEFAULT_POLICY_TEXT);
const user = (id: string, ...roles: [string, Role][]): Principal => ({
  kind: "user",
  id,
  roles: roles.map(([workspace, role]) => ({ workspace, role })),
});
const dana = user("usr_dana", ["ws_acme", "data-steward"]);
const eli = user("usr_eli", ["ws_acme", "ml-engineer"]);
const mara = user("usr_mara", ["ws_acme", "model-approver"]);
const dsv = (uploader: string, revoked = false) =>
  ({ type: "DatasetVersion", id: "dsv_1", workspace: "ws_acme", uploader, revoked }) as const;
const run: RunFacts = {
  id: "run_1",
  workspace: "ws_acme",
  starter: "usr_eli",
  datasets: ["dsv_1"],
  rewards: ["rwd_1"],
};

describe("default policy set", () => {
  it("gives every policy a unique @id and a @reason", () => {
    expect(policies.ids.length).toBeGreaterThan(25);
    expect(new Set(policies.ids).size).toBe(policies.ids.length);
    for (const id of policies.ids) expect(policies.reasons.get(id)).not.toBe(id);
  });

  it("lets a steward approve another's dataset version once its pre-screen passed", () => {
    const d = authorize(policies, {
      principal: dana,
      action: "dataset.approve",
      resource: dsv("usr_eli"),
      context: { prescreen_passed: true },
    });
    expect(d).toMatchObject({ decision: "allow", rules: ["steward.datasets"] });
  });

  it("denies approving one's own upload, naming the separation-of-duties rule", () => {
    const d = authorize(policies, {
      principal: dana,
      action: "dataset.approve",
      resource: dsv("usr_dana"),
      context: { prescreen_passed: true },
    });
    expect(d.decision).toBe("deny");
    expect(d.rules).toEqual(["sod.dataset-uploader"]);
    expect(d.reasons[0]).toMatch(/other than its uploader/);
  });

  it("denies approval when the gate result is missing or false", () => {
    for (const context of [{}, { prescreen_passed: false }]) {
      const d = authorize(policies, {
        principal: dana,
        action: "dataset.approve",
        resource: dsv("usr_eli"),
        context,
      });
      expect(d).toMatchObject({ decision: "deny", rules: ["gate.dataset-prescreen"] });
    }
  });

  it("denies with default-deny when nothing permits, e.g. an engineer approving data", () => {
    const d = authorize(policies, {
      principal: eli,
      action: "dataset.approve",
      resource: dsv("usr_dana"),
      context: { prescreen_passed: true },
    });
    expect(d).toMatchObject({ decision: "deny", rules: ["default-deny"] });
    expect(d.reasons[0]).toMatch(/no policy permits User::"usr_eli" to dataset.approve/);
  });

  it("gives roles in one workspace no power in another", () => {
    const other = user("usr_x", ["ws_other", "data-steward"]);
    const d = authorize(policies, { principal: other, action: "dataset.read", resource: dsv("usr_eli") });
    expect(d).toMatchObject({ decision: "deny", rules: ["default-deny"] });
  });

  it("keeps the checkpoint approver apart from the run starter, and needs the gates", () => {
    const ckpt = {
      type: "Checkpoint",
      id: "ckpt_1",
      workspace: "ws_acme",
      run: "run_1",
      starter: "usr_eli",
    } as const;
    const both = user("usr_eli", ["ws_acme", "ml-engineer"], ["ws_acme", "model-approver"]);
    expect(
      authorize(policies, {
        principal: both,
        action: "checkpoint.approve",
        resource: ckpt,
        context: { gates_passed: true },
      }).rules,
    ).toEqual(["sod.checkpoint-run-starter"]);
    expect(
      authorize(policies, {
        principal: mara,
        action: "checkpoint.approve",
        resource: ckpt,
        context: { gates_passed: false },
      }).rules,
    ).toEqual(["gate.checkpoint-gates"]);
    expect(
      authorize(policies, {
        principal: mara,
        action: "checkpoint.approve",
        resource: ckpt,
        context: { gates_passed: true },
      }).decision,
    ).toBe("allow");
  });

  it("caps token lifetimes by policy", () => {
    const cred = { type: "Credential", id: "tok_new", workspace: "ws_acme", subject: "usr_eli" } as const;
    expect(
      authorize(policies, {
        principal: eli,
        action: "token.create",
        resource: cred,
        context: { lifetime_s: 3600 },
      }).decision,
    ).toBe("allow");
    expect(
      authorize(policies, {
        principal: eli,
        action: "token.create",
        resource: cred,
        context: { lifetime_s: 91 * 86400 },
      }).rules,
    ).toEqual(["cap.token-lifetime"]);
    expect(
      authorize(policies, {
        principal: eli,
        action: "token.create",
        resource: { ...cred, subject: "usr_dana" },
        context: { lifetime_s: 60 },
      }).decision,
    ).toBe("deny");
  });

  it("scopes a workload token to its own run's data, events and rewards", () => {
    const wl: Principal = { kind: "workload", run };
    expect(
      authorize(policies, { principal: wl, action: "run.report", resource: { type: "Run", ...run } })
        .decision,
    ).toBe("allow");
    expect(
      authorize(policies, { principal: wl, action: "dataset.read", resource: dsv("usr_eli") }).rules,
    ).toEqual(["workload.datasets"]);
    expect(
      authorize(policies, { principal: wl, action: "dataset.read", resource: dsv("usr_eli", true) }).rules,
    ).toEqual(["dataset.revoked"]);
    expect(
      authorize(policies, {
        principal: wl,
        action: "dataset.read",
        resource: { ...dsv("usr_eli"), id: "dsv_2" },
      }).decision,
    ).toBe("deny");
    expect(
      authorize(policies, {
        principal: wl,
        action: "reward.invoke",
        resource: { type: "RewardFunction", id: "rwd_1", workspace: "ws_acme", author: "usr_eli" },
      }).decision,
    ).toBe("allow");
    const otherRun = { type: "Run", ...run, id: "run_2" } as const;
    expect(authorize(policies, { principal: wl, action: "run.report", resource: otherRun }).decision).toBe(
      "deny",
    );
    expect(
      authorize(policies, { principal: wl, action: "run.cancel", resource: { type: "Run", ...run } }).rules,
    ).toEqual(["workload.scope"]);
  });

  it("denies anonymous principals everything", () => {
    const d = authorize(policies, {
      principal: { kind: "anonymous" },
      action: "dataset.read",
      resource: dsv("usr_eli"),
    });
    expect(d).toMatchObject({ decision: "deny", rules: ["default-deny"] });
  });
});

describe("compilePolicySet", () => {
  const problem = (text: string) => {
    try {
      compilePolicySet(text);
    } catch (err) {
      expect(err).toBeInstanceOf(CrucibleError);
      expect((err as CrucibleError).code).toBe("invalid_argument");
      return (err as CrucibleError).message;
    }
    throw new Error("expected the policy set to be rejected");
  };

  it("rejects a policy without @id, a duplicate @id, and the reserved default-deny", () => {
    expect(problem(`permit (principal, action, resource);`)).toMatch(/needs @id/);
    expect(
      problem(
        `@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);`,
      ),
    ).toMatch(/used twice/);
    expect(problem(`@id("default-deny") permit (principal, action, resource);`)).toMatch(/needs @id/);
  });

  it("rejects policies that do not type-check against the schema, listing each", () => {
    const text = `@id("bad") permit (principal, action == Action::"dataset.read", resource is DatasetVersion) when { resource.nonsense };`;
    expect(problem(text)).toMatch(/bad/);
    expect(problem(`@id("x") permit (principal, action == Action::"no.such", resource);`)).toMatch(/no.such/);
    // role attributes are optional (a request carries only the roles held), so tests need `has`
    const unguarded = `@id("u") permit (principal, action == Action::"audit.read", resource is Workspace) when { principal in resource.admin };`;
    expect(problem(unguarded)).toMatch(/admin/);
  });

  it("accepts a valid set and reports its determining ids", () => {
    const set = compilePolicySet(
      `@id("all-read") @reason("everyone reads") permit (principal, action == Action::"dataset.read", resource);`,
    );
    expect(set.ids).toEqual(["all-read"]);
    expect(authorize(set, { principal: eli, action: "dataset.read", resource: dsv("usr_x") })).toMatchObject({
      decision: "allow",
      rules: ["all-read"],
      reasons: ["everyone reads"],
    });
  });
});

describe("per-action policy slices", () => {
  it("decide exactly as the whole policy set for every action, principal and gate setting", () => {
    const principals: Principal[] = [
      dana,
      eli,
      mara,
      user("usr_root", ["ws_acme", "admin"]),
      user("usr_all", ...ROLES.map((r) => ["ws_acme", r] as [string, Role])),
      { kind: "workload", run },
      { kind: "anonymous" },
      // the "human-only" group's forbid is scoped by group: each member's slice must hold it
      {
        kind: "service",
        id: "svc_all",
        owner: "usr_all",
        workspace: "ws_acme",
        roles: ROLES.map((role) => ({ workspace: "ws_acme", role })),
      },
    ];
    const author = "usr_all";
    const fixtures = {
      Workspace: { type: "Workspace", id: "ws_acme" },
      PolicyVersion: { type: "PolicyVersion", id: "ws_acme/v1", workspace: "ws_acme", author },
      Credential: { type: "Credential", id: "tok_1", workspace: "ws_acme", subject: "usr_eli" },
      DatasetVersion: {
        type: "DatasetVersion",
        id: "dsv_1",
        workspace: "ws_acme",
        uploader: author,
        revoked: false,
      },
      RewardFunction: { type: "RewardFunction", id: "rwd_1", workspace: "ws_acme", author },
      Run: { type: "Run", ...run },
      Checkpoint: { type: "Checkpoint", id: "ckpt_1", workspace: "ws_acme", run: "run_1", starter: author },
      Deployment: { type: "Deployment", id: "dep_1", workspace: "ws_acme", owner: author },
      ModerationPolicy: { type: "ModerationPolicy", id: "mod_1", workspace: "ws_acme", author },
      Invitation: { type: "Invitation", id: "inv_1", workspace: "ws_acme", invitee: "usr_eli" },
    } as const;
    const contexts = [
      {},
      {
        gates_passed: true,
        prescreen_passed: true,
        verified: true,
        inputs_approved: true,
        checkpoint_approved: true,
        lifetime_s: 60,
      },
    ];
    let compared = 0;
    for (const principal of principals)
      for (const action of ACTION_NAMES)
        for (const context of contexts) {
          const request = { principal, action, resource: fixtures[ACTIONS[action]], context } as AuthzRequest;
          const sliced = authorize(policies, request);
          const whole = authorize(policies, request, { whole: true });
          expect([action, sliced.decision, sliced.rules]).toEqual([action, whole.decision, whole.rules]);
          compared++;
        }
    expect(compared).toBe(principals.length * ACTION_NAMES.length * 2);
  });
});
