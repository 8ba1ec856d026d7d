import { expect, it } from "vitest";
import { authenticate } from "../../src/identity/authenticate.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { listStale } from "../../src/identity/stale.ts";
import { createToken, revokeToken, rotateToken } from "../../src/identity/tokens.ts";
import { mintWorkloadToken, revokeRunTokens } from "../../src/identity/workload.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";
import { as, rejection } from "./support.ts";

const DAY = 86400;
const T0 = new Date("2026-03-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function world(db: Db) {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const eli = await createUser(db, { principal: root, workspace, name: "eli", roles: ["ml-engineer"] });
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace,
    name: "ops-bot",
    owner: eli,
    roles: ["deployer"],
  });
  return { workspace, root, eli, bot };
}

describeEachStore("identity: principals and tokens", (open) => {
  it("bootstraps once, and requires a human owner for every service identity", async () => {
    const db = await open();
    try {
      const { workspace, root, bot } = await world(db);
      expect((await rejection(bootstrap(db, { workspace: "x2", admin: "root2" }))).code).toBe(
        "failed_precondition",
      );
      const noOwner = await rejection(
        createServiceIdentity(db, { principal: root, workspace, name: "ghost", owner: "usr_nobody" }),
      );
      expect(noOwner.message).toMatch(/owner must be an active human user/);
      const botOwner = await rejection(
        createServiceIdentity(db, { principal: root, workspace, name: "bot2", owner: bot }),
      );
      expect(botOwner.code).toBe("invalid_argument");
      const eliP = await as(
        db,
        (await db.query<{ id: string }>("SELECT id FROM principals WHERE name = 'eli'")).rows[0]!.id,
      );
      const denied = await rejection(createUser(db, { principal: eliP, workspace, name: "mallory" }));
      expect(denied).toMatchObject({ code: "permission_denied", details: { rule: "default-deny" } });
    } finally {
      await db.close();
    }
  });

  it("issues crt_ tokens shown once and stored only as SHA-256, and authenticates them with roles", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await world(db);
      const eliP = await as(db, eli);
      const issued = await createToken(db, { principal: eliP, subject: eli, lifetimeS: DAY, now: T0 });
      expect(issued.secret).toMatch(/^crt_[A-Za-z0-9_-]{43}$/);
      const dump = JSON.stringify((await db.query("SELECT * FROM tokens")).rows);
      expect(dump).not.toContain(issued.secret.slice(4));
      const auth = await authenticate(db, `Bearer ${issued.secret}`, { now: at(60) });
      expect(auth.principal).toEqual({ kind: "user", id: eli, roles: [{ workspace, role: "ml-engineer" }] });
      expect(auth.tokenId).toBe(issued.tokenId);
      const used = await db.query<{ last_used_at: Date }>("SELECT last_used_at FROM tokens WHERE id = $1", [
        issued.tokenId,
      ]);
      expect(new Date(used.rows[0]!.last_used_at).toISOString()).toBe(at(60).toISOString());
    } finally {
      await db.close();
    }
  });

  it("says why a token is refused (none, malformed, unknown, expired, revoked) without echoing it", async () => {
    const db = await open();
    try {
      const { eli } = await world(db);
      const eliP = await as(db, eli);
      const issued = await createToken(db, { principal: eliP, subject: eli, lifetimeS: DAY, now: T0 });
      const why = async (bearer: string | undefined, now = at(1)) => {
        const err = await rejection(authenticate(db, bearer, { now }));
        expect(err.code).toBe("unauthenticated");
        if (bearer) expect(err.message).not.toContain(bearer.slice(4));
        return err.message;
      };
      expect(await why(undefined)).toMatch(/no credentials/);
      expect(await why("crt_short")).toMatch(/malformed/);
      expect(await why(`crt_${"A".repeat(43)}`)).toMatch(/unknown/);
      expect(await why(issued.secret, at(DAY))).toMatch(new RegExp(`token ${issued.tokenId} expired at`));
      await revokeToken(db, { principal: eliP, tokenId: issued.tokenId, now: at(2) });
      expect(await why(issued.secret, at(3))).toMatch(/was revoked at/);
    } finally {
      await db.close();
    }
  });

  it("caps lifetimes by policy and lets only the holder, a service's owner or an admin of its workspace issue tokens", async () => {
    const db = await open();
    try {
      const { root, eli, bot } = await world(db);
      const eliP = await as(db, eli);
      const tooLong = await rejection(
        createToken(db, { principal: eliP, subject: eli, lifetimeS: 91 * DAY }),
      );
      expect(tooLong).toMatchObject({ code: "permission_denied", details: { rule: "cap.token-lifetime" } });
      // eli owns ops-bot: renewing its credentials beyond what it may do itself is his to do
      const byOwner = await createToken(db, { principal: eliP, subject: bot, lifetimeS: DAY });
      expect((await authenticate(db, byOwner.secret)).principal).toMatchObject({ id: bot });
      const botToken = await createToken(db, { principal: root, subject: bot, lifetimeS: DAY });
      expect((await authenticate(db, botToken.secret)).principal).toMatchObject({
        kind: "service",
        id: bot,
        owner: eli,
      });
      const other = await createWorkspace(db, { principal: root, name: "research" });
      const otherAdmin = await createUser(db, {
        principal: await as(db, root.kind === "user" ? root.id : ""),
        workspace: other,
        name: "olga",
        roles: ["admin"],
      });
      const foreign = await rejection(
        createToken(db, { principal: await as(db, otherAdmin), subject: bot, lifetimeS: DAY }),
      );
      expect(foreign.code).toBe("permission_denied");
    } finally {
      await db.close();
    }
  });

  it("rotates: the new token works, the old one only for the overlap window", async () => {
    const db = await open();
    try {
      const { root, bot } = await world(db);
      const first = await createToken(db, { principal: root, subject: bot, lifetimeS: 10 * DAY, now: T0 });
      const second = await rotateToken(db, {
        principal: root,
        tokenId: first.tokenId,
        overlapS: 3600,
        lifetimeS: 10 * DAY,
        now: at(DAY),
      });
      expect((await authenticate(db, first.secret, { now: at(DAY + 3599) })).tokenId).toBe(first.tokenId);
      expect((await rejection(authenticate(db, first.secret, { now: at(DAY + 3600) }))).message).toMatch(
        /expired/,
      );
      expect((await authenticate(db, second.secret, { now: at(DAY + 3600) })).tokenId).toBe(second.tokenId);
      expect(
        (await rejection(rotateToken(db, { principal: root, tokenId: first.tokenId, now: at(DAY + 1) })))
          .code,
      ).toBe("failed_precondition");
    } finally {
      await db.close();
    }
  });

  it("lists tokens unused for longer than a threshold, with the owner to ask", async () => {
    const db = await open();
    try {
      const { root, eli, bot } = await world(db);
      const idle = await createToken(db, { principal: root, subject: bot, lifetimeS: 60 * DAY, now: T0 });
      const busy = await createToken(db, {
        principal: await as(db, eli),
        subject: eli,
        lifetimeS: 60 * DAY,
        now: T0,
      });
      await authenticate(db, busy.secret, { now: at(20 * DAY) });
      const stale = await listStale(db, { unusedForS: 14 * DAY, now: at(21 * DAY) });
      expect(stale.map((s) => [s.tokenId, s.principalId, s.ownerId])).toEqual([[idle.tokenId, bot, eli]]);
      expect(await listStale(db, { unusedForS: 30 * DAY, now: at(21 * DAY) })).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("mints workload tokens scoped to one run, living no longer than the run may, revoked when it ends", async () => {
    const db = await open();
    try {
      const { workspace, eli } = await world(db);
      const run = { id: "run_1", workspace, starter: eli, datasets: ["dsv_1"], rewards: [] };
      const token = await db.transaction((tx) =>
        mintWorkloadToken(tx, { run, maxDurationS: 7200, createdBy: eli, now: T0 }),
      );
      expect(token.expiresAt.toISOString()).toBe(at(7200).toISOString());
      const auth = await authenticate(db, token.secret, { now: at(10) });
      expect(auth.principal).toEqual({ kind: "workload", run });
      expect((await rejection(authenticate(db, token.secret, { now: at(7200) }))).message).toMatch(/expired/);
      await db.transaction((tx) => revokeRunTokens(tx, "run_1", at(20)));
      expect((await rejection(authenticate(db, token.secret, { now: at(30) }))).message).toMatch(/revoked/);
      const capped = await db.transaction((tx) =>
        mintWorkloadToken(tx, { run, maxDurationS: 30 * DAY, createdBy: eli, now: T0 }),
      );
      expect(capped.expiresAt.toISOString()).toBe(at(3 * DAY).toISOString());
    } finally {
      await db.close();
    }
  });
});
