import { expect, it } from "vitest";
import { readAudit } from "../../src/audit/store.ts";
import { authenticate } from "../../src/identity/authenticate.ts";
import { acceptInvitation, inviteMember } from "../../src/identity/invitations.ts";
import {
  disablePrincipal,
  enablePrincipal,
  LAST_ADMIN_RULE,
  revokePrincipalTokens,
  revokeRole,
} from "../../src/identity/lifecycle.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { createToken, revokeToken } from "../../src/identity/tokens.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";
import { as, rejection } from "./support.ts";

async function world(db: Db) {
  const { workspace: acme, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const eli = await createUser(db, { principal: root, workspace: acme, name: "eli", roles: ["ml-engineer"] });
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "ops-bot",
    owner: eli,
    roles: ["deployer"],
  });
  const token = (subject: string, by = root) => createToken(db, { principal: by, subject, lifetimeS: 3600 });
  return { acme, admin, root, eli, bot, token };
}

async function decisions(db: Db, action: string) {
  const out: { decision: string; rules: string[]; workspace: string | null }[] = [];
  for await (const e of readAudit(db)) if (e.action === action) out.push(e);
  return out;
}

describeEachStore("identity: lifecycle of principals, roles and tokens", (open) => {
  it("disables a principal: its tokens are revoked, every later authentication fails, and it can be re-enabled", async () => {
    const db = await open();
    try {
      const { acme, root, eli, token } = await world(db);
      const eliP = await as(db, eli);
      const [t1, t2] = [await token(eli, eliP), await token(eli, eliP)];
      expect((await authenticate(db, t1.secret)).principal).toMatchObject({ id: eli });
      const denied = await rejection(
        disablePrincipal(db, { principal: eliP, workspace: acme, subject: eli }),
      );
      expect(denied).toMatchObject({ code: "permission_denied", details: { rule: "default-deny" } });
      // eli owns ops-bot, which keeps working: the answer says so
      expect(await disablePrincipal(db, { principal: root, workspace: acme, subject: eli })).toEqual({
        revokedTokens: 2,
        ownedServices: ["ops-bot"],
      });
      for (const t of [t1, t2]) {
        const refused = await rejection(authenticate(db, t.secret));
        expect(refused.code).toBe("unauthenticated");
        expect(refused.message).toMatch(/revoked/);
      }
      // even a token that escaped revocation (inserted later by hand) fails: the principal is disabled
      await db.query("UPDATE tokens SET revoked_at = NULL WHERE id = $1", [t1.tokenId]);
      expect((await rejection(authenticate(db, t1.secret))).message).toMatch(/is disabled/);
      expect((await rejection(token(eli))).message).toMatch(/is disabled/);
      expect(
        (await rejection(disablePrincipal(db, { principal: root, workspace: acme, subject: eli }))).code,
      ).toBe("failed_precondition");
      await enablePrincipal(db, { principal: root, workspace: acme, subject: eli });
      const fresh = await token(eli, eliP);
      expect((await authenticate(db, fresh.secret)).principal).toMatchObject({ id: eli });
      expect((await decisions(db, "principal.disable")).map((d) => d.decision)).toEqual(["deny", "allow"]);
      expect((await decisions(db, "principal.enable")).map((d) => d.decision)).toEqual(["allow"]);
    } finally {
      await db.close();
    }
  });

  it("needs the right in every workspace the principal belongs to, and never disables the last active admin", async () => {
    const db = await open();
    try {
      const { acme, admin, root, eli } = await world(db);
      const research = await createWorkspace(db, { principal: root, name: "research" });
      const rootNow = await as(db, admin); // root administers research now too
      const rita = await createUser(db, {
        principal: rootNow,
        workspace: research,
        name: "rita",
        roles: ["admin"],
      });
      const ritaP = await as(db, rita);
      // rita administers research, where eli also works (he accepted her invitation); she may not
      // disable him in acme's name
      const { invitationId } = await inviteMember(db, {
        principal: ritaP,
        workspace: research,
        invitee: "eli",
        roles: ["ml-engineer"],
      });
      await acceptInvitation(db, { principal: await as(db, eli), invitationId });
      const partial = await rejection(
        disablePrincipal(db, { principal: ritaP, workspace: research, subject: eli }),
      );
      expect(partial).toMatchObject({ code: "permission_denied", details: { rule: "default-deny" } });
      expect(await loadDisabled(db, eli)).toBe(false);
      // root is acme's only admin (and research's, with rita)
      const last = await rejection(
        disablePrincipal(db, { principal: ritaP, workspace: research, subject: admin }),
      );
      expect(last.details?.rule).toContain(LAST_ADMIN_RULE);
      const lastRole = await rejection(
        revokeRole(db, { principal: root, workspace: acme, subject: admin, role: "admin" }),
      );
      expect(lastRole.details?.rule).toBe(LAST_ADMIN_RULE);
      // with a second admin in acme (rita, invited), root may leave acme's admin role
      const second = await inviteMember(db, {
        principal: root,
        workspace: acme,
        invitee: "rita",
        roles: ["admin"],
      });
      await acceptInvitation(db, { principal: ritaP, invitationId: second.invitationId });
      await revokeRole(db, { principal: await as(db, rita), workspace: acme, subject: admin, role: "admin" });
      expect((await as(db, admin)).kind === "user" && (await as(db, admin))).toMatchObject({
        roles: [{ workspace: research, role: "admin" }],
      });
    } finally {
      await db.close();
    }
  });

  it("lets exactly one of two admins win when each disables the other at once: a workspace keeps an admin", async () => {
    const db = await open();
    try {
      const { acme, admin, root } = await world(db);
      const ada = await createUser(db, { principal: root, workspace: acme, name: "ada", roles: ["admin"] });
      await revokeRole(db, { principal: await as(db, ada), workspace: acme, subject: admin, role: "admin" });
      const bob = await createUser(db, {
        principal: await as(db, ada),
        workspace: acme,
        name: "bob",
        roles: ["admin"],
      });
      const [adaP, bobP] = [await as(db, ada), await as(db, bob)];
      const outcomes = await Promise.allSettled([
        disablePrincipal(db, { principal: adaP, workspace: acme, subject: bob }),
        disablePrincipal(db, { principal: bobP, workspace: acme, subject: ada }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason.details.rule).toContain(LAST_ADMIN_RULE);
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM role_bindings b JOIN principals p ON p.id = b.principal_id
          WHERE b.workspace_id = $1 AND b.role = 'admin' AND p.disabled_at IS NULL`,
        [acme],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("removes a role: the next decision no longer sees it, and a role not held is not_found", async () => {
    const db = await open();
    try {
      const { acme, root, eli } = await world(db);
      const eliP = await as(db, eli);
      expect(
        (
          await rejection(
            revokeRole(db, { principal: eliP, workspace: acme, subject: eli, role: "ml-engineer" }),
          )
        ).code,
      ).toBe("permission_denied");
      await revokeRole(db, { principal: root, workspace: acme, subject: eli, role: "ml-engineer" });
      expect(await as(db, eli)).toMatchObject({ roles: [] });
      const again = await rejection(
        revokeRole(db, { principal: root, workspace: acme, subject: eli, role: "ml-engineer" }),
      );
      expect(again.code).toBe("not_found");
      expect((await decisions(db, "role.revoke")).map((d) => d.decision)).toEqual(["deny", "allow"]);
    } finally {
      await db.close();
    }
  });

  it("lets an admin revoke a member's tokens, and a service identity's owner revoke its tokens, but no one else", async () => {
    const db = await open();
    try {
      const { acme, root, eli, bot, token } = await world(db);
      const eliP = await as(db, eli);
      const dana = await createUser(db, {
        principal: root,
        workspace: acme,
        name: "dana",
        roles: ["data-steward"],
      });
      const danaP = await as(db, dana);
      const eliToken = await token(eli, eliP);
      // a user's token acts in every workspace the user belongs to: eli belongs only to acme, so
      // acme's admin decides alone (decided per workspace: see test/security/cross-tenant.test.ts)
      expect((await rejection(revokeToken(db, { principal: danaP, tokenId: eliToken.tokenId }))).code).toBe(
        "permission_denied",
      );
      await revokeToken(db, { principal: root, tokenId: eliToken.tokenId });
      expect((await rejection(authenticate(db, eliToken.secret))).message).toMatch(/revoked/);

      const [b1, b2] = [await token(bot), await token(bot)];
      expect((await rejection(revokePrincipalTokens(db, { principal: danaP, subject: bot }))).code).toBe(
        "permission_denied",
      );
      expect(await revokePrincipalTokens(db, { principal: eliP, subject: bot })).toEqual({
        revokedTokens: 2,
      });
      for (const t of [b1, b2])
        expect((await rejection(authenticate(db, t.secret))).code).toBe("unauthenticated");
      const [e1, e2] = [await token(eli, eliP), await token(eli, eliP)];
      expect(await revokePrincipalTokens(db, { principal: root, subject: eli })).toEqual({
        revokedTokens: 2,
      });
      for (const t of [e1, e2])
        expect((await rejection(authenticate(db, t.secret))).code).toBe("unauthenticated");
      const audited = await decisions(db, "token.revoke");
      expect(audited.map((d) => d.decision)).toEqual(["deny", "allow", "deny", "allow", "allow"]);
      expect(audited.find((d) => d.rules.includes("credential.owner"))).toBeDefined();
    } finally {
      await db.close();
    }
  });
});

async function loadDisabled(db: Db, id: string): Promise<boolean> {
  const { rows } = await db.query<{ disabled_at: Date | null }>(
    "SELECT disabled_at FROM principals WHERE id = $1",
    [id],
  );
  return rows[0]!.disabled_at !== null;
}
