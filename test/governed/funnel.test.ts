import { expect, it } from "vitest";
import { readAudit } from "../../src/audit/store.ts";
import { CrucibleError } from "../../src/core/errors.ts";
import { activePolicySet } from "../../src/governed/active-policy.ts";
import { readWorkspaceAudit } from "../../src/governed/audit-access.ts";
import { authorizeAndAudit, governed } from "../../src/governed/funnel.ts";
import { approvePolicy, proposePolicy } from "../../src/governed/policy-changes.ts";
import { DEFAULT_POLICY_TEXT } from "../../src/policy/engine.ts";
import type { Principal } from "../../src/policy/entities.ts";
import { defaultPolicySet } from "../../src/policy/versions.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";

const ws = "ws_acme";
const admin = (id: string): Principal => ({ kind: "user", id, roles: [{ workspace: ws, role: "admin" }] });
const root = admin("usr_root");
const second = admin("usr_second");
const eli: Principal = { kind: "user", id: "usr_eli", roles: [{ workspace: ws, role: "ml-engineer" }] };
const auditLog = { type: "Workspace", id: ws } as const;

async function entries(db: Db) {
  const out = [];
  for await (const e of readAudit(db)) out.push(e);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<CrucibleError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CrucibleError);
  return err as CrucibleError;
}

/** The default set plus one extra permit, so a change is observable. */
const EXTRA = `${DEFAULT_POLICY_TEXT}\n@id("engineer.audit") @reason("engineers read the audit log") permit (principal, action == Action::"audit.read", resource is Workspace) when { resource has ml_engineer && principal in resource.ml_engineer };`;

describeEachStore("policy decisions and versions", (open) => {
  it("audits every decision, allow and deny, with its rules", async () => {
    const db = await open();
    try {
      const allow = await db.transaction((tx) =>
        authorizeAndAudit(tx, { principal: root, action: "audit.read", resource: auditLog }),
      );
      const deny = await db.transaction((tx) =>
        authorizeAndAudit(tx, { principal: eli, action: "audit.read", resource: auditLog }),
      );
      expect(allow).toMatchObject({ decision: "allow", rules: ["admin.workspace"] });
      expect(deny).toMatchObject({ decision: "deny", rules: ["default-deny"] });
      const log = await entries(db);
      expect(log.map((e) => [e.actor, e.action, e.resource, e.decision, e.rules])).toEqual([
        ["usr_root", "audit.read", 'Workspace::"ws_acme"', "allow", ["admin.workspace"]],
        ["usr_eli", "audit.read", 'Workspace::"ws_acme"', "deny", ["default-deny"]],
      ]);
      expect(log[1]!.reason).toMatch(/no policy permits/);
    } finally {
      await db.close();
    }
  });

  it("governed: commits the change with its audit entry, and on denial keeps the audit entry but throws", async () => {
    const db = await open();
    try {
      await db.exec("CREATE TABLE things (id text PRIMARY KEY)");
      await governed(db, { principal: root, action: "principal.create", resource: auditLog }, async (tx) => {
        await tx.query("INSERT INTO things VALUES ('made')");
      });
      const err = await rejection(
        governed(db, { principal: eli, action: "principal.create", resource: auditLog }, async (tx) => {
          await tx.query("INSERT INTO things VALUES ('must-not-exist')");
        }),
      );
      expect(err.code).toBe("permission_denied");
      expect(err.details.rule).toBe("default-deny");
      expect((await db.query("SELECT id FROM things")).rows).toEqual([{ id: "made" }]);
      expect((await entries(db)).map((e) => e.decision)).toEqual(["allow", "deny"]);
    } finally {
      await db.close();
    }
  });

  it("activates a proposed policy set only when a second admin approves it", async () => {
    const db = await open();
    try {
      const proposed = await proposePolicy(db, { principal: root, workspace: ws, text: EXTRA });
      expect(proposed).toMatchObject({ version: 1, status: "proposed" });
      expect((await activePolicySet(db, ws)).digest).toBe(defaultPolicySet().digest);

      const self = await rejection(approvePolicy(db, { principal: root, workspace: ws, version: 1 }));
      expect(self.details.rule).toBe("sod.policy-author,invariant.policy-two-person");
      const engineer = await rejection(approvePolicy(db, { principal: eli, workspace: ws, version: 1 }));
      expect(engineer.code).toBe("permission_denied");

      const approved = await approvePolicy(db, { principal: second, workspace: ws, version: 1 });
      expect(approved).toMatchObject({ status: "active", proposedBy: "usr_root", approvedBy: "usr_second" });
      expect((await activePolicySet(db, ws)).digest).toBe(proposed.digest);
      const d = await db.transaction((tx) =>
        authorizeAndAudit(tx, { principal: eli, action: "audit.read", resource: auditLog }),
      );
      expect(d).toMatchObject({ decision: "allow", rules: ["engineer.audit"] });
      expect((await activePolicySet(db, "ws_other")).digest).toBe(defaultPolicySet().digest);
    } finally {
      await db.close();
    }
  });

  it("keeps the two-person rule even under a policy set without sod.policy-author", async () => {
    const db = await open();
    try {
      const noSod = DEFAULT_POLICY_TEXT.replace(/@id\("sod\.policy-author"\)[\s\S]*?;\n/, "");
      expect(noSod).not.toContain("sod.policy-author");
      await proposePolicy(db, { principal: root, workspace: ws, text: noSod });
      await approvePolicy(db, { principal: second, workspace: ws, version: 1 });
      await proposePolicy(db, { principal: root, workspace: ws, text: EXTRA });
      const err = await rejection(approvePolicy(db, { principal: root, workspace: ws, version: 2 }));
      expect(err.details.rule).toBe("invariant.policy-two-person");
      const last = (await entries(db)).at(-1)!;
      expect(last).toMatchObject({
        action: "policy.approve",
        decision: "deny",
        rules: ["invariant.policy-two-person"],
      });
    } finally {
      await db.close();
    }
  });

  it("lets admins and auditors read their workspace's audit entries, and audits the read", async () => {
    const db = await open();
    try {
      await db.transaction((tx) =>
        authorizeAndAudit(tx, { principal: eli, action: "audit.read", resource: auditLog }),
      );
      await db.transaction((tx) =>
        authorizeAndAudit(tx, {
          principal: eli,
          action: "audit.read",
          resource: { type: "Workspace", id: "ws_other" },
        }),
      );
      const audra: Principal = { kind: "user", id: "usr_audra", roles: [{ workspace: ws, role: "auditor" }] };
      const seen = await readWorkspaceAudit(db, { principal: audra, workspace: ws });
      // the other workspace's entry is not there; the read's own entry is (it is appended first)
      expect(seen.map((e) => [e.actor, e.workspace, e.decision])).toEqual([
        ["usr_eli", ws, "deny"],
        ["usr_audra", ws, "allow"],
      ]);
      const err = await rejection(readWorkspaceAudit(db, { principal: eli, workspace: ws }));
      expect(err.code).toBe("permission_denied");
      expect((await entries(db)).map((e) => [e.actor, e.action, e.decision])).toEqual([
        ["usr_eli", "audit.read", "deny"],
        ["usr_eli", "audit.read", "deny"],
        ["usr_audra", "audit.read", "allow"],
        ["usr_eli", "audit.read", "deny"],
      ]);
    } finally {
      await db.close();
    }
  });

  it("rejects an invalid policy set before anything is stored", async () => {
    const db = await open();
    try {
      const err = await rejection(
        proposePolicy(db, { principal: root, workspace: ws, text: "permit (principal, action, resource);" }),
      );
      expect(err.code).toBe("invalid_argument");
      expect((await db.query("SELECT * FROM policy_versions")).rows).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
