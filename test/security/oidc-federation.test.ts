import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApi } from "../../src/api/server.ts";
import {
  authenticate,
  bindOidcSubject,
  createOidcVerifier,
  createToken,
  type OidcVerifier,
} from "../../src/identity/index.ts";
import type { Db } from "../../src/store/db.ts";
import { openStore } from "../../src/store/open.ts";
import { conforms } from "../api/conforms.ts";
import { as, rejection } from "../identity/support.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { describeEachStore } from "../support/stores.ts";
import {
  AUDIENCE,
  ISSUER,
  type JwtOptions,
  SUBJECT,
  startIssuer,
  type TestIssuer,
  twoTenants,
} from "./support/oidc-issuer.ts";

// Attack family: forged federation. Everything is offline: the tests are the issuer, signing
// their own JWTs with a generated key, its JWKS in a file or on a loopback HTTP server.

const YEAR_S = 365 * 86400;

let issuer: TestIssuer;
let jwksFile: string;
let jwksUrl: string;
let oidc: OidcVerifier;
beforeAll(async () => {
  issuer = await startIssuer();
  ({ jwksFile, jwksUrl } = issuer);
  oidc = createOidcVerifier([{ issuer: ISSUER, audience: AUDIENCE, jwks: { file: jwksFile } }]);
});
afterAll(() => issuer.close());
const jwt = (options?: JwtOptions) => issuer.jwt(options);

async function bindingCount(db: Db): Promise<number> {
  return (await db.query("SELECT 1 FROM oidc_bindings")).rows.length;
}

describeEachStore("security: forged federation", (open) => {
  it("an admin of one workspace cannot bind a subject to a principal of another workspace", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const ada = await as(db, t.ada);
      const bind = (workspace: string, target: string) =>
        bindOidcSubject(db, {
          principal: ada,
          workspace,
          issuer: ISSUER,
          subject: SUBJECT,
          audience: AUDIENCE,
          target,
        });
      // naming her own workspace with a foreign principal
      const foreign = await rejection(bind(t.acme, t.globexBot));
      expect(foreign.code).toBe("failed_precondition");
      expect(foreign.message).toMatch(/does not belong to workspace/);
      // naming the foreign workspace itself
      expect((await rejection(bind(t.globex, t.globexBot))).code).toBe("permission_denied");
      // a principal of both workspaces: binding it would hand out its globex roles too
      expect((await rejection(bind(t.acme, t.uma))).code).toBe("permission_denied");
      expect(await bindingCount(db)).toBe(0);
      const denials = await db.query<{ action: string }>(
        "SELECT action FROM audit_log WHERE actor = $1 AND decision = 'deny'",
        [t.ada],
      );
      // binding has its own action: an audit of who creates principals does not mix the two
      expect(denials.rows.map((r) => r.action)).toEqual(["oidc-binding.create", "oidc-binding.create"]);
    } finally {
      await db.close();
    }
  });

  it("a JWT living ten years, or without exp, is refused with the reason", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const root = await as(db, t.root);
      await bindOidcSubject(db, {
        principal: root,
        workspace: t.acme,
        issuer: ISSUER,
        subject: SUBJECT,
        audience: AUDIENCE,
        target: t.bot,
      });
      const tenYears = await rejection(authenticate(db, await jwt({ lifetimeS: 10 * YEAR_S }), { oidc }));
      expect(tenYears.code).toBe("unauthenticated");
      expect(tenYears.message).toMatch(/lives 315360000s \(exp - iat\), longer than the 3600s accepted/);
      // short exp - iat, but issued a year ahead: valid for a year all the same
      const ahead = await rejection(
        authenticate(db, await jwt({ issuedInS: YEAR_S, lifetimeS: 300 }), { oidc }),
      );
      expect(ahead.message).toMatch(/iat claim is not accepted/);
      const forever = await rejection(authenticate(db, await jwt({ lifetimeS: null }), { oidc }));
      expect(forever.message).toMatch(/exp claim/);
      const strict = createOidcVerifier([
        { issuer: ISSUER, audience: AUDIENCE, jwks: { file: jwksFile }, maxLifetimeS: 600 },
      ]);
      expect(
        (await rejection(authenticate(db, await jwt({ lifetimeS: 900 }), { oidc: strict }))).message,
      ).toMatch(/longer than the 600s/);
      expect(
        (await authenticate(db, await jwt({ lifetimeS: 600 }), { oidc: strict })).principal,
      ).toMatchObject({
        id: t.bot,
      });
    } finally {
      await db.close();
    }
  });

  it("a JWT for another audience, from another issuer, not yet valid, or missing a bound claim is refused", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      await bindOidcSubject(db, {
        principal: await as(db, t.root),
        workspace: t.acme,
        issuer: ISSUER,
        subject: SUBJECT,
        audience: AUDIENCE,
        target: t.bot,
        conditions: { ref: "refs/heads/main" },
      });
      const why = async (token: string) => (await rejection(authenticate(db, token, { oidc }))).message;
      expect(await why(await jwt({ aud: "another-service", claims: { ref: "refs/heads/main" } }))).toMatch(
        /aud claim/,
      );
      expect(
        await why(await jwt({ iss: "https://evil.example.test", claims: { ref: "refs/heads/main" } })),
      ).toMatch(/issuer "https:\/\/evil.example.test" is not configured/);
      const early = await jwt({ notBeforeS: 600, lifetimeS: 1200, claims: { ref: "refs/heads/main" } });
      expect(await why(early)).toMatch(/nbf claim/);
      expect(await why(await jwt({ claims: { ref: "refs/heads/attacker" } }))).toMatch(
        /ref claim is "refs\/heads\/attacker", the binding requires "refs\/heads\/main"/,
      );
      expect(
        (await authenticate(db, await jwt({ claims: { ref: "refs/heads/main" } }), { oidc })).principal,
      ).toMatchObject({ id: t.bot });
    } finally {
      await db.close();
    }
  });

  it("serve's app, configured from flags and env, accepts a bound subject's JWT as its principal and refuses an unbound one", async () => {
    const db = await open();
    try {
      const { oidcIssuerFromFlags } = await import("../../src/cli/oidc-config.ts");
      const t = await twoTenants(db);
      // root administers both of uma's workspaces, so may bind; the sign-in still acts in acme only
      await bindOidcSubject(db, {
        principal: await as(db, t.root),
        workspace: t.acme,
        issuer: ISSUER,
        subject: SUBJECT,
        audience: AUDIENCE,
        target: t.uma,
      });
      for (const issuer of [
        oidcIssuerFromFlags({ oidcIssuer: ISSUER, oidcJwks: jwksFile }, {}),
        oidcIssuerFromFlags({}, { CRUCIBLE_OIDC_ISSUER: ISSUER, CRUCIBLE_OIDC_JWKS: jwksUrl }),
      ]) {
        const app = buildApi(db, { oidc: createOidcVerifier([issuer!]) });
        const me = (token: string) =>
          app.request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
        const ok = await me(await jwt());
        expect(ok.status, await ok.clone().text()).toBe(200);
        expect(await ok.json()).toEqual({
          id: t.uma,
          kind: "user",
          roles: [{ workspace: t.acme, role: "ml-engineer" }],
        });
        const unbound = await me(await jwt({ sub: "repo:acme/fork:ref:refs/heads/main" }));
        expect(unbound.status).toBe(401);
        expect(((await unbound.json()) as { error: { message: string } }).error.message).toMatch(
          /no principal is bound/,
        );
        expect((await me(await jwt({ lifetimeS: 10 * YEAR_S }))).status).toBe(401);
      }
    } finally {
      await db.close();
    }
  });

  it("the API binds a subject within the caller's workspace only", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const app = buildApi(db, { oidc });
      const token = (await bootstrapToken(db, t.ada)).secret;
      const bind = (workspace: string, principal: string) =>
        app.request(`/v1/workspaces/${workspace}/principals/${principal}/oidc-bindings`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ issuer: ISSUER, subject: SUBJECT }),
        });
      const template = "/v1/workspaces/{workspace}/principals/{principal}/oidc-bindings";
      const answer = async (res: Response) => ({ status: res.status, body: await res.json() });
      // another tenant's principal answers as a nonexistent one
      const foreign = await answer(await bind("acme", "globex-bot"));
      expect(foreign.status).toBe(404);
      const nobody = await answer(await bind("acme", "nobody"));
      expect(JSON.stringify(foreign.body).replaceAll("globex-bot", "NAME")).toBe(
        JSON.stringify(nobody.body).replaceAll("nobody", "NAME"),
      );
      await conforms(app, "post", template, foreign);
      // and so does another tenant's workspace
      expect((await bind("globex", "globex-bot")).status).toBe(404);
      expect(await bindingCount(db)).toBe(0);
      const made = await answer(await bind("acme", "train-bot"));
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      await conforms(app, "post", template, made);
      const me = await app.request("/v1/me", { headers: { authorization: `Bearer ${await jwt()}` } });
      expect(((await me.json()) as { id: string }).id).toBe(t.bot);
    } finally {
      await db.close();
    }
  });

  it("lists and removes a principal's bindings within the caller's workspace only; a removed subject no longer signs in", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const app = buildApi(db, { oidc });
      const bearer = async (who: string) => (await bootstrapToken(db, who)).secret;
      const [ada, gina, uma] = [await bearer(t.ada), await bearer(t.gina), await bearer(t.uma)];
      const call = async (token: string, method: string, path: string, body?: unknown) => {
        const res = await app.request(path, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const bindings = "/v1/workspaces/{workspace}/principals/{principal}/oidc-bindings";
      const remove = `${bindings}/remove`;
      const at = (template: string, workspace: string, principal: string) =>
        template.replace("{workspace}", workspace).replace("{principal}", principal);
      const made = await call(ada, "POST", at(bindings, "acme", "train-bot"), {
        issuer: ISSUER,
        subject: SUBJECT,
        conditions: { ref: "refs/heads/main" },
      });
      expect(made.status).toBe(201);
      const listed = await call(ada, "GET", at(bindings, "acme", "train-bot"));
      expect(listed).toMatchObject({
        status: 200,
        body: {
          bindings: [
            {
              issuer: ISSUER,
              subject: SUBJECT,
              audience: AUDIENCE,
              conditions: { ref: "refs/heads/main" },
              created_by: "ada",
            },
          ],
        },
      });
      await conforms(app, "get", bindings, listed);
      // globex's admin: acme's principal, through globex or through acme, is nobody
      const foreign = await call(gina, "GET", at(bindings, "globex", "train-bot"));
      const nobody = await call(gina, "GET", at(bindings, "globex", "no-bot"));
      expect(foreign.status).toBe(404);
      expect(JSON.stringify(foreign.body).replaceAll("train-bot", "N")).toBe(
        JSON.stringify(nobody.body).replaceAll("no-bot", "N"),
      );
      expect((await call(gina, "GET", at(bindings, "acme", "train-bot"))).status).toBe(404);
      const target = { issuer: ISSUER, subject: SUBJECT };
      expect((await call(gina, "POST", at(remove, "globex", "train-bot"), target)).status).toBe(404);
      // a member who is not an admin may not remove it, and learns nothing of which bindings exist
      const denied = await call(uma, "POST", at(remove, "acme", "train-bot"), target);
      const deniedNone = await call(uma, "POST", at(remove, "acme", "train-bot"), {
        ...target,
        subject: "x",
      });
      expect([denied.status, deniedNone.status]).toEqual([403, 403]);
      expect(await bindingCount(db)).toBe(1);
      // a binding that is not there (or not this workspace's) says so to the admin
      const absent = await call(ada, "POST", at(remove, "acme", "train-bot"), {
        ...target,
        audience: "other",
      });
      expect(absent.status).toBe(404);
      const signIn = async () =>
        (
          await app.request("/v1/me", {
            headers: { authorization: `Bearer ${await jwt({ claims: { ref: "refs/heads/main" } })}` },
          })
        ).status;
      expect(await signIn()).toBe(200);
      const removed = await call(ada, "POST", at(remove, "acme", "train-bot"), target);
      expect(removed).toMatchObject({ status: 200, body: { removed: true, audience: AUDIENCE } });
      await conforms(app, "post", remove, removed);
      expect(await bindingCount(db)).toBe(0);
      expect(await signIn()).toBe(401);
      const actions = await db.query<{ action: string; decision: string }>(
        "SELECT action, decision FROM audit_log WHERE action LIKE 'oidc-binding.%' ORDER BY seq",
      );
      expect(actions.rows).toEqual([
        { action: "oidc-binding.create", decision: "allow" },
        { action: "oidc-binding.delete", decision: "deny" },
        { action: "oidc-binding.delete", decision: "deny" },
        { action: "oidc-binding.delete", decision: "allow" },
      ]);
    } finally {
      await db.close();
    }
  });
});

async function bootstrapToken(db: Db, principal: string) {
  return createToken(db, { principal: await as(db, principal), subject: principal, lifetimeS: 3600 });
}

it("`crucible principal bind-oidc` binds a subject, refuses a foreign principal, and serve refuses half an issuer", async () => {
  const home = tempHome();
  const cli = (...argv: string[]) => runCli(argv, { CRUCIBLE_HOME: home });
  expect((await cli("init", "--workspace", "acme", "--admin", "root")).code).toBe(0);
  expect((await cli("workspace", "create", "globex", "--as", "root")).code).toBe(0);
  for (const [name, ws] of [
    ["train-bot", "acme"],
    ["globex-bot", "globex"],
  ] as const)
    expect(
      (
        await cli(
          "principal",
          "create",
          name,
          "--service",
          "--owner",
          "root",
          "--workspace",
          ws,
          "--role",
          "ml-engineer",
          "--as",
          "root",
        )
      ).code,
    ).toBe(0);
  const args = ["--workspace", "acme", "--issuer", ISSUER, "--subject", SUBJECT, "--as", "root"];
  // a principal of another workspace is nobody in acme's commands, as over the API
  const foreign = await cli("principal", "bind-oidc", "globex-bot", ...args);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr).toMatch(/no such principal/);
  const bound = await cli(
    "principal",
    "bind-oidc",
    "train-bot",
    ...args,
    "--claim",
    "ref=refs/heads/main",
    "--json",
  );
  expect(bound.code, bound.stderr).toBe(0);
  expect(bound.json()).toMatchObject({
    subject: SUBJECT,
    audience: "crucible",
    conditions: { ref: "refs/heads/main" },
  });
  const db = await openStore({ kind: "pglite", home });
  try {
    const who = await authenticate(db, await jwt({ claims: { ref: "refs/heads/main" } }), { oidc });
    expect((who.principal as { id: string }).id).toBe(
      (bound.json() as { principal: { id: string } }).principal.id,
    );
    const audit = await db.query(
      "SELECT 1 FROM audit_log WHERE action = 'oidc-binding.create' AND decision = 'allow'",
    );
    expect(audit.rows.length).toBe(1);
  } finally {
    await db.close();
  }
  const listed = await cli(
    "principal",
    "oidc-bindings",
    "train-bot",
    "--workspace",
    "acme",
    "--as",
    "root",
    "--json",
  );
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.json()).toMatchObject({
    bindings: [
      { issuer: ISSUER, subject: SUBJECT, conditions: { ref: "refs/heads/main" }, createdBy: "root" },
    ],
  });
  const unbound = await cli("principal", "unbind-oidc", "train-bot", ...args);
  expect(unbound.code, unbound.stderr).toBe(0);
  expect((await cli("principal", "unbind-oidc", "train-bot", ...args)).code).toBe(2);
  const after = await openStore({ kind: "pglite", home });
  try {
    const refused = await rejection(
      authenticate(after, await jwt({ claims: { ref: "refs/heads/main" } }), { oidc }),
    );
    expect(refused.message).toMatch(/no principal is bound/);
  } finally {
    await after.close();
  }
  const halfIssuer = await cli("serve", "--port", "0", "--oidc-issuer", ISSUER);
  expect(halfIssuer.code).toBe(2);
  expect(halfIssuer.stderr).toMatch(/--oidc-jwks/);
  const insecure = await cli(
    "serve",
    "--port",
    "0",
    "--oidc-issuer",
    ISSUER,
    "--oidc-jwks",
    "http://keys.example.test/jwks",
  );
  expect(insecure.code).toBe(2);
  expect(insecure.stderr).toMatch(/must be https/);
}, 120_000);
