import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { newId } from "../../src/core/ids.ts";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import { openStore, type StoreConfig } from "../../src/store/open.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { describeEachStore, type StoreKind } from "../support/stores.ts";
import { auditOf, httpCaller, twoTenants } from "./tenants.ts";

/** The rule a cross-tenant "not found" is audited under (spelled out: the test predates it). */
const NOT_VISIBLE_RULE = "tenant.not-visible";

type Call = ReturnType<typeof httpCaller>;
type Answer = Awaited<ReturnType<Call>>;

/** Every route under a workspace, with a valid body, and the path parameters acme really has. */
const PROBES: [method: string, template: string, body?: unknown][] = [
  ["GET", "/v1/workspaces/{ws}/datasets"],
  ["GET", "/v1/workspaces/{ws}/datasets/{dataset}/versions"],
  ["GET", "/v1/workspaces/{ws}/datasets/{dataset}/versions/1/report"],
  ["POST", "/v1/workspaces/{ws}/datasets/{dataset}/versions/1/approve", { purposes: ["cpt"] }],
  ["POST", "/v1/workspaces/{ws}/datasets/{dataset}/versions/1/revoke", { reason: "consent withdrawn" }],
  ["GET", "/v1/workspaces/{ws}/checkpoints"],
  ["GET", "/v1/workspaces/{ws}/checkpoints/{checkpoint}"],
  ["GET", "/v1/workspaces/{ws}/checkpoints/{checkpoint}/lineage"],
  ["POST", "/v1/workspaces/{ws}/checkpoints/{checkpoint}/approve"],
  ["GET", "/v1/workspaces/{ws}/runs"],
  ["POST", "/v1/workspaces/{ws}/runs", { recipe: "name: probe" }],
  ["GET", "/v1/workspaces/{ws}/runs/{run}"],
  ["POST", "/v1/workspaces/{ws}/runs/{run}/cancel"],
  ["GET", "/v1/workspaces/{ws}/runs/{run}/events"],
  ["GET", "/v1/workspaces/{ws}/principals"],
  ["POST", "/v1/workspaces/{ws}/principals", { name: "newbie", kind: "user" }],
  ["POST", "/v1/workspaces/{ws}/principals/{principal}/roles", { role: "auditor" }],
  ["POST", "/v1/workspaces/{ws}/principals/{principal}/disable"],
  ["POST", "/v1/workspaces/{ws}/principals/{principal}/enable"],
  ["DELETE", "/v1/workspaces/{ws}/principals/{principal}/roles/ml-engineer"],
  ["POST", "/v1/workspaces/{ws}/principals/{principal}/tokens/revoke"],
  [
    "POST",
    "/v1/workspaces/{ws}/principals/{principal}/oidc-bindings",
    { issuer: "https://issuer.example", subject: "repo:acme/app:ref:refs/heads/main" },
  ],
  [
    "PUT",
    "/v1/workspaces/{ws}/principals/{service}/token-bound",
    { max_lifetime_s: 3600, renew_until: "2030-01-01T00:00:00Z" },
  ],
  ["POST", "/v1/workspaces/{ws}/invitations", { name: "eli", roles: ["auditor"] }],
  ["GET", "/v1/workspaces/{ws}/invitations"],
  ["DELETE", "/v1/workspaces/{ws}/invitations/{invitation}"],
  ["GET", "/v1/workspaces/{ws}/principals/{principal}/oidc-bindings"],
  [
    "POST",
    "/v1/workspaces/{ws}/principals/{principal}/oidc-bindings/remove",
    { issuer: "https://issuer.example", subject: "repo:acme/app:ref:refs/heads/main" },
  ],
  ["GET", "/v1/workspaces/{ws}/audit"],
  ["GET", "/v1/workspaces/{ws}/audit/verify"],
];

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (_, key: string) => encodeURIComponent(values[key]!));
}

/** The answer with the one thing the caller typed (`value`, echoed back) blanked out. */
function shape(answer: Answer, asked: string[]): unknown {
  let text = JSON.stringify(answer.body);
  for (const a of asked) text = text.replaceAll(a, "<asked>");
  return { status: answer.status, body: JSON.parse(text) };
}

/** Which of `ids` the answers carry (an answer may echo what the caller typed: blank that first). */
function noneOf(answers: unknown[], ids: string[]): string[] {
  return answers.flatMap((a) => ids.filter((id) => JSON.stringify(a).includes(id)));
}

describeEachStore("security: a rogue workspace admin and other tenants", (open) => {
  it("lets beta's admin neither add acme's user to beta nor lock them out: joining is the user's accepted invitation", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const call = httpCaller(db);
      const bart = t.tokens.bart.secret;
      const grant = await call("POST", "/v1/workspaces/beta/principals/eli/roles", bart, { role: "auditor" });
      const grantNobody = await call("POST", "/v1/workspaces/beta/principals/nobody/roles", bart, {
        role: "auditor",
      });
      expect(shape(grant, ["eli"])).toEqual(shape(grantNobody, ["nobody"]));
      expect(grant.status).toBe(404);
      const lockout = await call("POST", "/v1/workspaces/beta/principals/eli/tokens/revoke", bart);
      expect(lockout.status).toBe(404);
      const one = await call("DELETE", `/v1/tokens/${t.tokens.eli.tokenId}`, bart);
      const none = await call("DELETE", "/v1/tokens/tok_doesnotexist", bart);
      expect(shape(one, [t.tokens.eli.tokenId])).toEqual(shape(none, ["tok_doesnotexist"]));
      expect((await call("GET", "/v1/me", t.tokens.eli.secret)).status).toBe(200);

      // the lawful way in: bart invites, eli accepts with his own token
      const invite = await call("POST", "/v1/workspaces/beta/invitations", bart, {
        name: "eli",
        roles: ["auditor"],
      });
      const inviteNobody = await call("POST", "/v1/workspaces/beta/invitations", bart, {
        name: "nobody",
        roles: ["auditor"],
      });
      expect(invite.status).toBe(201);
      expect(Object.keys(inviteNobody.body).sort()).toEqual(Object.keys(invite.body).sort());
      const invitation = invite.body.invitation_id as string;
      expect((await call("POST", `/v1/invitations/${invitation}/accept`, t.tokens.dana.secret)).status).toBe(
        404,
      );
      expect((await call("GET", "/v1/workspaces/beta/datasets", t.tokens.eli.secret)).status).toBe(404);
      const accepted = await call("POST", `/v1/invitations/${invitation}/accept`, t.tokens.eli.secret);
      expect(accepted).toMatchObject({ status: 200, body: { workspace: "beta", roles: ["auditor"] } });

      // eli now works in both: beta's admin alone may still not revoke his tokens or disable him
      const revoke = await call("POST", "/v1/workspaces/beta/principals/eli/tokens/revoke", bart);
      const disable = await call("POST", "/v1/workspaces/beta/principals/eli/disable", bart);
      for (const denied of [revoke, disable]) {
        expect(denied.status).toBe(403);
        expect(
          noneOf(
            [denied],
            t.ids.filter((id) => id !== t.eli),
          ),
        ).toEqual([]);
      }
      expect((await call("GET", "/v1/me", t.tokens.eli.secret)).status).toBe(200);
      // acme's log records what was tried on its member, and the invitation he accepted
      const acmeLog = await auditOf(db, t.acme);
      const tried = acmeLog.filter((e) => e.actor === t.bart && e.decision === "deny").map((e) => e.action);
      expect(tried).toEqual(expect.arrayContaining(["token.revoke", "principal.disable"]));
      expect(acmeLog.map((e) => e.action)).toEqual(
        expect.arrayContaining(["invitation.create", "invitation.accept"]),
      );
    } finally {
      await db.close();
    }
  });

  it("answers every route for another tenant's real ids and names exactly as for nonexistent ones, naming none of its ids", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const call = httpCaller(db);
      const real = {
        ws: "acme",
        dataset: "notes",
        checkpoint: t.checkpoint,
        run: t.run,
        principal: "eli",
        service: "ops-bot",
        invitation: t.invitation,
      };
      const fake = {
        ws: "acme",
        dataset: "nodata",
        checkpoint: "ckpt_nothing",
        run: "run_nothing",
        principal: "nobody",
        service: "no-bot",
        invitation: "inv_nothing",
      };
      const nowhere = { ...fake, ws: "nowhere" };
      const answers: Answer[] = [];
      for (const [method, template, body] of PROBES) {
        const [a, b, c] = [
          await call(method, fill(template, real), t.tokens.bart.secret, body),
          await call(method, fill(template, fake), t.tokens.bart.secret, body),
          await call(method, fill(template, nowhere), t.tokens.bart.secret, body),
        ];
        answers.push(a, b, c);
        expect([template, a.status]).toEqual([template, 404]);
        expect([template, shape(a, ["acme"])]).toEqual([template, shape(b, ["acme"])]);
        expect([template, shape(a, ["acme"])]).toEqual([template, shape(c, ["nowhere"])]);
      }
      expect(noneOf(answers, t.ids)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("gives principal and token names no oracle: foreign and nonexistent answer alike, and the refusals are audited in the caller's workspace", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const call = httpCaller(db);
      const bart = t.tokens.bart.secret;
      const pairs: [Answer, Answer, string, string][] = [];
      const both = async (
        method: string,
        build: (x: string) => string,
        body: (x: string) => unknown,
        real: string,
        fake: string,
      ) =>
        pairs.push([
          await call(method, build(real), bart, body(real)),
          await call(method, build(fake), bart, body(fake)),
          real,
          fake,
        ]);
      // names through beta's own routes
      for (const verb of ["disable", "enable", "tokens/revoke"])
        await both(
          "POST",
          (p) => `/v1/workspaces/beta/principals/${p}/${verb}`,
          () => undefined,
          "eli",
          "nobody",
        );
      await both(
        "DELETE",
        (p) => `/v1/workspaces/beta/principals/${p}/roles/ml-engineer`,
        () => undefined,
        "eli",
        "nobody",
      );
      await both(
        "POST",
        () => "/v1/workspaces/beta/principals",
        (o) => ({ name: "beta-bot", kind: "service", owner: o }),
        "eli",
        "nobody",
      );
      await both(
        "POST",
        () => "/v1/tokens",
        (p) => ({ for: p, ttl_s: 3600 }),
        "ops-bot",
        "no-bot",
      );
      // token ids
      const tok = t.botToken.tokenId;
      await both(
        "POST",
        (id) => `/v1/tokens/${id}/rotate`,
        () => ({}),
        tok,
        "tok_doesnotexist",
      );
      await both(
        "DELETE",
        (id) => `/v1/tokens/${id}`,
        () => undefined,
        tok,
        "tok_doesnotexist",
      );
      // acme's invitation, withdrawn through beta's own route
      await both(
        "DELETE",
        (id) => `/v1/workspaces/beta/invitations/${id}`,
        () => undefined,
        t.invitation,
        "inv_doesnotexist",
      );
      for (const [a, b, real, fake] of pairs) {
        expect(a.status).toBe(404);
        expect(shape(a, [real])).toEqual(shape(b, [fake]));
      }
      expect(
        noneOf(
          pairs.flatMap(([a, b, real, fake]) => [shape(a, [real]), shape(b, [fake])]),
          t.ids,
        ),
      ).toEqual([]);

      const betaLog = await auditOf(db, t.beta);
      const refused = betaLog.filter((e) => e.rules.includes(NOT_VISIBLE_RULE));
      expect(refused.every((e) => e.decision === "deny" && e.actor === t.bart)).toBe(true);
      // one refusal per probe, foreign and nonexistent alike: beta's auditors learn nothing more
      expect(refused.length).toBe(pairs.length * 2);
      // what beta's own admins read of those refusals names only what bart typed
      const auditView = await call("GET", "/v1/workspaces/beta/audit?limit=1000", bart);
      expect(auditView.status).toBe(200);
      const seen = (auditView.body.entries as { rules: string[] }[]).filter((e) =>
        e.rules.includes(NOT_VISIBLE_RULE),
      );
      expect(seen.length).toBe(refused.length);
      expect(
        noneOf(
          seen.map((e) => JSON.stringify(e).replaceAll(tok, "<asked>").replaceAll(t.invitation, "<asked>")),
          t.ids,
        ),
      ).toEqual([]);
      expect((await auditOf(db, t.acme)).some((e) => e.actor === t.bart)).toBe(false);
    } finally {
      await db.close();
    }
  });
});

describeEachStore("security: principal names are installation-wide handles", (open) => {
  it("answers a name taken in another workspace as taken, never where, and records the probe in the prober's workspace", async () => {
    const db = await open();
    try {
      const t = await twoTenants(db);
      const call = httpCaller(db);
      const bart = t.tokens.bart.secret;
      const create = (name: string, kind: "user" | "service") =>
        call("POST", "/v1/workspaces/beta/principals", bart, {
          name,
          kind,
          ...(kind === "service" ? { owner: "bart" } : {}),
        });
      const user = await create("eli", "user");
      const service = await create("ops-bot", "service");
      for (const taken of [user, service]) {
        expect(taken.status).toBe(409);
        expect(taken.body).toMatchObject({ error: { code: "already_exists", field: "name" } });
        expect(noneOf([taken], t.ids)).toEqual([]);
        expect(JSON.stringify(taken.body)).not.toContain("acme");
      }
      const probes = (await auditOf(db, t.beta)).filter((e) => e.rules.includes("principal.name-taken"));
      expect(probes.map((e) => [e.actor, e.action, e.decision, e.resource])).toEqual([
        [t.bart, "principal.create", "deny", 'PrincipalName::"eli"'],
        [t.bart, "principal.create", "deny", 'PrincipalName::"ops-bot"'],
      ]);
      expect((await auditOf(db, t.acme)).some((e) => e.actor === t.bart)).toBe(false);
      expect((await create("beta-bot", "service")).status).toBe(201);
    } finally {
      await db.close();
    }
  });
});

/**
 * Every CLI command family that takes `--workspace NAME`, with the references acme really has.
 * `{ws}` is the workspace asked for; `{dir}` a scratch directory.
 */
const CLI_PROBES: string[][] = [
  ["audit", "verify", "--workspace", "{ws}"],
  ["audit", "export", "--workspace", "{ws}", "--out", "{dir}/acme.jsonl"],
  ["policy", "show", "--workspace", "{ws}"],
  ["policy", "propose", "{dir}/policy.cedar", "--workspace", "{ws}"],
  ["policy", "approve", "1", "--workspace", "{ws}"],
  ["dataset", "list", "--workspace", "{ws}"],
  ["dataset", "versions", "notes", "--workspace", "{ws}"],
  ["dataset", "show", "notes@v1", "--workspace", "{ws}"],
  ["dataset", "report", "notes@v1", "--workspace", "{ws}"],
  ["dataset", "approve", "notes@v1", "--purpose", "cpt", "--workspace", "{ws}"],
  ["dataset", "revoke", "notes@v1", "--reason", "consent withdrawn", "--workspace", "{ws}"],
  ["canary", "list", "--workspace", "{ws}"],
  ["canary", "add", "crucible-canary-0123456789ab", "--workspace", "{ws}"],
  ["checkpoint", "list", "--workspace", "{ws}"],
  ["checkpoint", "show", "{checkpoint}", "--workspace", "{ws}"],
  ["checkpoint", "approve", "{checkpoint}", "--workspace", "{ws}"],
  ["run", "list", "--workspace", "{ws}"],
  ["run", "show", "{run}", "--workspace", "{ws}"],
  ["run", "cancel", "{run}", "--workspace", "{ws}"],
  ["base", "list", "--workspace", "{ws}"],
  ["lineage", "impact", "dataset:notes@v1", "--workspace", "{ws}"],
  ["lineage", "show", "{checkpoint}", "--workspace", "{ws}"],
  ["workspace", "invitations", "--workspace", "{ws}"],
  ["workspace", "withdraw", "{invitation}", "--workspace", "{ws}"],
  ["principal", "oidc-bindings", "eli", "--workspace", "{ws}"],
  ...["bind-oidc", "unbind-oidc"].map((verb) => [
    "principal",
    verb,
    "eli",
    "--workspace",
    "{ws}",
    "--issuer",
    "https://issuer.example",
    "--subject",
    "repo:acme/app:ref:refs/heads/main",
  ]),
];

const serverUrl = inject("postgresUrl");

/**
 * The CLI acting on the store directly (`--as` on the embedded store, a bearer token on a server):
 * beta's admin names acme in every command family, and is answered as for a workspace that does
 * not exist.
 */
function cliProbes(kind: StoreKind): void {
  it("answers every command for another tenant's workspace exactly as for a nonexistent one, audited in the caller's workspace", async () => {
    const home = tempHome();
    const schema = newId("t").toLowerCase();
    const config: StoreConfig =
      kind === "pglite" ? { kind: "pglite", home } : { kind: "postgres", url: serverUrl ?? "", schema };
    const env = {
      CRUCIBLE_HOME: home,
      ...(kind === "postgres" ? { DATABASE_URL: serverUrl ?? "", CRUCIBLE_PG_SCHEMA: schema } : {}),
    };
    try {
      let db = await openStore(config);
      const t = await twoTenants(db);
      await db.close();
      writeFileSync(join(home, "policy.cedar"), "// nothing allowed\n");
      // on the control plane's host, where the installation key is (checkpoint approve signs with it)
      loadOrCreateSigningKey(join(home, "keys"));
      const bart = (argv: string[]) =>
        kind === "pglite"
          ? runCli([...argv, "--as", "bart", "--json"], env)
          : runCli([...argv, "--json"], { ...env, CRUCIBLE_TOKEN: t.tokens.bart.secret });
      const fill = (argv: string[], ws: string) =>
        argv.map((a) =>
          a
            .replace("{ws}", ws)
            .replace("{dir}", home)
            .replace("{checkpoint}", t.checkpoint)
            .replace("{run}", t.run)
            .replace("{invitation}", t.invitation),
        );
      const outputs: string[] = [];
      for (const probe of CLI_PROBES) {
        const real = await bart(fill(probe, "acme"));
        const none = await bart(fill(probe, "nowhere"));
        const what = probe.slice(0, 2).join(" ");
        outputs.push(real.stdout, real.stderr);
        expect([what, real.code, real.json()]).toMatchObject([
          what,
          2,
          { error: { code: "not_found", field: "workspace", value: "acme" } },
        ]);
        expect([what, real.code, real.stdout.replaceAll("acme", "<asked>")]).toEqual([
          what,
          none.code,
          none.stdout.replaceAll("nowhere", "<asked>"),
        ]);
      }
      expect(noneOf(outputs, t.ids)).toEqual([]);

      db = await openStore(config);
      try {
        const refused = (await auditOf(db, t.beta)).filter((e) => e.rules.includes(NOT_VISIBLE_RULE));
        expect(refused.length).toBe(CLI_PROBES.length * 2);
        expect(refused.every((e) => e.actor === t.bart && e.decision === "deny")).toBe(true);
        expect((await auditOf(db, t.acme)).some((e) => e.actor === t.bart)).toBe(false);
      } finally {
        await db.close();
      }
    } finally {
      if (kind === "postgres") await dropSchema(schema);
    }
  }, 180_000);
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl ?? "" });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

describe("security: another tenant's workspace through the CLI [pglite]", () => cliProbes("pglite"));
describe.skipIf(serverUrl === null)("security: another tenant's workspace through the CLI [postgres]", () =>
  cliProbes("postgres"),
);
