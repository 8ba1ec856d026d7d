import { expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { visibleTokenRow } from "../../src/identity/credentials.ts";
import { createServiceIdentity, createUser } from "../../src/identity/principals.ts";
import { visibleMember, visiblePrincipal, visibleWorkspace } from "../../src/identity/tenancy.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import type { Principal } from "../../src/policy/entities.ts";
import type { Db } from "../../src/store/db.ts";
import { as } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";

type Lookup = "workspace" | "member" | "principal" | "token";
const LOOKUPS: Lookup[] = ["workspace", "member", "principal", "token"];

/** Which of acme's names each caller may resolve, written out by hand from the tenancy model. */
const SEES: Record<string, readonly Lookup[]> = {
  "acme-admin": LOOKUPS,
  "acme-auditor": LOOKUPS,
  "acme-service": LOOKUPS,
  "research-admin": [],
  "research-service": [],
};

async function world(db: Db) {
  const { workspace: acme, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const eli = await createUser(db, { principal: root, workspace: acme, name: "eli", roles: ["ml-engineer"] });
  const audra = await createUser(db, { principal: root, workspace: acme, name: "audra", roles: ["auditor"] });
  const bot = await createServiceIdentity(db, {
    principal: root,
    workspace: acme,
    name: "ops-bot",
    owner: eli,
  });
  const research = await createWorkspace(db, { principal: root, name: "research" });
  const olga = await createUser(db, {
    principal: await as(db, admin),
    workspace: research,
    name: "olga",
    roles: ["admin"],
  });
  // olga alone administers research; root leaves it
  await db.query("DELETE FROM role_bindings WHERE workspace_id = $1 AND principal_id = $2", [
    research,
    admin,
  ]);
  const rbot = await createServiceIdentity(db, {
    principal: await as(db, olga),
    workspace: research,
    name: "lab-bot",
    owner: olga,
    roles: ["admin"],
  });
  const eliToken = await createToken(db, { principal: await as(db, eli), subject: eli, lifetimeS: 3600 });
  const callers: Record<string, Principal> = {
    "acme-admin": await as(db, admin),
    "acme-auditor": await as(db, audra),
    "acme-service": await as(db, bot),
    "research-admin": await as(db, olga),
    "research-service": await as(db, rbot),
  };
  return { acme, callers, eliToken: eliToken.tokenId };
}

/** The lookup's answer: "visible", or the error as the caller would see it. */
async function resolve(
  db: Db,
  caller: Principal,
  lookup: Lookup,
  acme: string,
  real: boolean,
  token: string,
) {
  const [ws, name, svc, tok] = real
    ? ["acme", "eli", "ops-bot", token]
    : ["nowhere", "nobody", "no-bot", "tok_nothing"];
  try {
    if (lookup === "workspace") await visibleWorkspace(db, caller, ws);
    if (lookup === "member") await visibleMember(db, caller, acme, name);
    if (lookup === "principal") await visiblePrincipal(db, caller, svc);
    if (lookup === "token") await visibleTokenRow(db, caller, tok);
    return "visible";
  } catch (err) {
    if (!(err instanceof CrucibleError)) throw err;
    return JSON.stringify(err.toJSON());
  }
}

describeEachStore("authorisation matrix: names across workspaces", (open) => {
  it("resolves acme's names for acme's members only; for anyone else they answer as nonexistent ones", async () => {
    const db = await open();
    try {
      const { acme, callers, eliToken } = await world(db);
      const actual: Record<string, Record<string, string>> = {};
      const expected: Record<string, Record<string, string>> = {};
      for (const [who, caller] of Object.entries(callers)) {
        actual[who] = {};
        expected[who] = {};
        for (const lookup of LOOKUPS) {
          const real = await resolve(db, caller, lookup, acme, true, eliToken);
          const fake = await resolve(db, caller, lookup, acme, false, eliToken);
          expected[who]![lookup] = SEES[who]!.includes(lookup) ? "visible" : "not found, as nonexistent";
          const asked = { workspace: "acme", member: "eli", principal: "ops-bot", token: eliToken }[lookup];
          const unasked = {
            workspace: "nowhere",
            member: "nobody",
            principal: "no-bot",
            token: "tok_nothing",
          }[lookup];
          actual[who]![lookup] =
            real === "visible"
              ? "visible"
              : real.replaceAll(asked, "<asked>") === fake.replaceAll(unasked, "<asked>") &&
                  JSON.parse(real).error.code === "not_found"
                ? "not found, as nonexistent"
                : real;
        }
      }
      expect(actual).toEqual(expected);
    } finally {
      await db.close();
    }
  });
});
