import { expect, it } from "vitest";
import { buildApi } from "../../src/api/server.ts";
import { acceptInvitation, inviteMember, listInvitations } from "../../src/identity/invitations.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { listSentInvitations, withdrawInvitation } from "../../src/identity/workspace-invitations.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { conforms } from "../api/conforms.ts";
import { describeEachStore } from "../support/stores.ts";
import { as, rejection } from "./support.ts";

/** acme: root (admin), audra (auditor), eli (ml-engineer), ops-bot (a service holding admin); ivy is not in acme. */
async function world(db: Db) {
  const { workspace: acme, admin: root } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const rootP = await as(db, root);
  const audra = await createUser(db, {
    principal: rootP,
    workspace: acme,
    name: "audra",
    roles: ["auditor"],
  });
  const eli = await createUser(db, {
    principal: rootP,
    workspace: acme,
    name: "eli",
    roles: ["ml-engineer"],
  });
  const bot = await createServiceIdentity(db, {
    principal: rootP,
    workspace: acme,
    name: "ops-bot",
    owner: root,
    roles: ["admin"],
  });
  // ivy works in another workspace, not in acme
  const solo = await createWorkspace(db, { principal: rootP, name: "solo" });
  const ivy = await createUser(db, {
    principal: await as(db, root),
    workspace: solo,
    name: "ivy",
    roles: ["ml-engineer"],
  });
  return { acme, root, audra, eli, bot, ivy, solo };
}

describeEachStore("invitations: an admin lists and withdraws them", (open) => {
  it("lists the workspace's open invitations to its admins and auditors; a withdrawn one can no longer be accepted", async () => {
    const db = await open();
    try {
      const t = await world(db);
      const invite = async (invitee: string) =>
        (
          await inviteMember(db, {
            principal: await as(db, t.root),
            workspace: t.acme,
            invitee,
            roles: ["ml-engineer"],
          })
        ).invitationId;
      const toIvy = await invite("ivy");
      const toNobody = await invite("nobody");
      const sent = await listSentInvitations(db, { principal: await as(db, t.audra), workspace: t.acme });
      expect(sent.map((i) => [i.id, i.invitee, i.invitedBy])).toEqual([
        [toIvy, "ivy", "root"],
        [toNobody, "nobody", "root"],
      ]);
      // a member who is neither admin nor auditor may not read them; a service admin may not withdraw
      const eliList = await rejection(
        listSentInvitations(db, { principal: await as(db, t.eli), workspace: t.acme }),
      );
      expect(eliList.code).toBe("permission_denied");
      const withdraw = async (who: string, invitationId: string) =>
        withdrawInvitation(db, { principal: await as(db, who), workspace: t.acme, invitationId });
      expect((await rejection(withdraw(t.eli, toIvy))).code).toBe("permission_denied");
      const byBot = await rejection(withdraw(t.bot, toIvy));
      expect(byBot.details).toMatchObject({ rule: "human-only.service" });
      expect((await listInvitations(db, await as(db, t.ivy))).map((i) => i.id)).toEqual([toIvy]);

      expect(await withdraw(t.root, toIvy)).toEqual({ invitee: "ivy", roles: ["ml-engineer"] });
      expect(
        (await listSentInvitations(db, { principal: await as(db, t.root), workspace: t.acme })).map(
          (i) => i.id,
        ),
      ).toEqual([toNobody]);
      expect(await listInvitations(db, await as(db, t.ivy))).toEqual([]);
      const late = await rejection(
        acceptInvitation(db, { principal: await as(db, t.ivy), invitationId: toIvy }),
      );
      expect(late.code).toBe("failed_precondition");
      const ivy = await as(db, t.ivy);
      expect(ivy.kind === "user" ? ivy.roles.map((r) => r.workspace) : []).not.toContain(t.acme);
      expect((await rejection(withdraw(t.root, toIvy))).message).toMatch(/already accepted or withdrawn/);
      const { rows } = await db.query<{ action: string; decision: string; actor: string }>(
        "SELECT action, decision, actor FROM audit_log WHERE action = 'invitation.withdraw' ORDER BY seq",
      );
      expect(rows).toEqual([
        { action: "invitation.withdraw", decision: "deny", actor: t.eli },
        { action: "invitation.withdraw", decision: "deny", actor: t.bot },
        { action: "invitation.withdraw", decision: "allow", actor: t.root },
      ]);
    } finally {
      await db.close();
    }
  });

  it("serves both over HTTP as the OpenAPI document says", async () => {
    const db = await open();
    try {
      const t = await world(db);
      const api = buildApi(db);
      const bearer = (
        await createToken(db, { principal: await as(db, t.root), subject: t.root, lifetimeS: 600 })
      ).secret;
      const call = async (method: string, path: string) => {
        const res = await api.request(path, { method, headers: { authorization: `Bearer ${bearer}` } });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const { invitationId } = await inviteMember(db, {
        principal: await as(db, t.root),
        workspace: t.acme,
        invitee: "ivy",
        roles: ["auditor"],
      });
      const listed = await call("GET", "/v1/workspaces/acme/invitations");
      expect(listed).toMatchObject({
        status: 200,
        body: { invitations: [{ id: invitationId, invitee: "ivy" }] },
      });
      await conforms(api, "get", "/v1/workspaces/{workspace}/invitations", listed);
      const withdrawn = await call("DELETE", `/v1/workspaces/acme/invitations/${invitationId}`);
      expect(withdrawn).toMatchObject({
        status: 200,
        body: { invitation_id: invitationId, withdrawn: true },
      });
      await conforms(api, "delete", "/v1/workspaces/{workspace}/invitations/{invitation}", withdrawn);
      const again = await call("DELETE", `/v1/workspaces/acme/invitations/${invitationId}`);
      expect(again.status).toBe(409);
      const none = await call("DELETE", "/v1/workspaces/acme/invitations/inv_nothing");
      expect(none.status).toBe(404);
      await conforms(api, "delete", "/v1/workspaces/{workspace}/invitations/{invitation}", none);
    } finally {
      await db.close();
    }
  });
});
