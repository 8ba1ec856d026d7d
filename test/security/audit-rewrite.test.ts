// Attack family: whoever controls the database rewrites the audit chain (issue item 2). On a
// PostgreSQL server the application role may only append (the last block); an owner or
// superuser, and on PGlite whoever holds the files, can still rewrite everything, and
// `audit verify` must then catch it against heads signed earlier with the installation key.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApi } from "../../src/api/server.ts";
import { appendAudit } from "../../src/audit/append.ts";
import type { AuditEntry } from "../../src/audit/entry.ts";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../src/audit/export.ts";
import { signHead } from "../../src/audit/signed-head.ts";
import { auditHead } from "../../src/audit/store.ts";
import { newId } from "../../src/core/ids.ts";
import { loadPrincipal } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { generateSigningKey } from "../../src/provenance/keyring.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openStore } from "../../src/store/open.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { auditTamperRights } from "../../src/store/privileges.ts";
import { initRoles } from "../../src/store/roles.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { describeEachStore } from "../support/stores.ts";
import { appendMany, bypassing, chain, input, rewriteFrom } from "./support/audit-attacker.ts";

const key = generateSigningKey();

describeEachStore("audit chain rewritten by the database's owner", (open) => {
  it("names the signed head that a rewritten row and every hash after it contradict", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 10);
      const signed = [
        signHead({ seq: 5, hash: (await chain(db))[4]!.hash }, key),
        signHead(await auditHead(db), key),
      ];
      await appendMany(db, 10, 3);
      await rewriteFrom(db, 3, (e) => ({ ...e, actor: "usr_someone_else" }));
      // the rewrite is internally consistent: the chain alone cannot tell
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 13 });
      expect(await verifyAuditLog(db, { signedHeads: signed })).toMatchObject({
        ok: false,
        seq: 5,
        reason: expect.stringMatching(
          /entry at seq 5 has hash .* but the signed head seq 5 .*rewritten or forked/,
        ),
      });
    } finally {
      await db.close();
    }
  });

  it("answers the HTTP verify route against the signed heads the server knows, as the CLI does", async () => {
    const db = await open();
    try {
      const { admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
      const root = (await loadPrincipal(db, admin))!;
      const token = (await createToken(db, { principal: root, subject: admin, lifetimeS: 3600 })).secret;
      await appendMany(db, 0, 6);
      const signed = [signHead(await auditHead(db), key)];
      const verify = async (app: ReturnType<typeof buildApi>) => {
        const res = await app.request("/v1/workspaces/acme/audit/verify", {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        return res.json();
      };
      const withHeads = buildApi(db, { signedHeads: () => signed });
      expect(await verify(withHeads)).toMatchObject({ ok: true, signedHeads: 1 });
      await rewriteFrom(db, 4, (e) => ({ ...e, actor: "usr_someone_else" }));
      // without the heads the rewrite passes; with them the route names the head it breaks
      expect(await verify(buildApi(db))).toMatchObject({ ok: true });
      expect(await verify(withHeads)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/signed head seq \d+ .*rewritten or forked/),
      });
    } finally {
      await db.close();
    }
  });

  it("names the signed head that a cut tail, with the head row set back, falls short of", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 8);
      const signed = signHead(await auditHead(db), key);
      const kept = (await chain(db))[4]!;
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq > 5");
        await tx.query("UPDATE audit_head SET seq = 5, hash = $1", [kept.hash]);
      });
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 5 });
      expect(await verifyAuditLog(db, { signedHeads: [signed] })).toMatchObject({
        ok: false,
        seq: 6,
        reason: expect.stringMatching(
          /chain ends at seq 5, but the signed head seq 8 .*removed from the end/,
        ),
      });
    } finally {
      await db.close();
    }
  });

  it("catches forged rows that replace the tail after a signed head (a fork)", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 6);
      const signed = signHead(await auditHead(db), key);
      const entries = await chain(db);
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq >= 4");
        await tx.query("UPDATE audit_head SET seq = 3, hash = $1", [entries[2]!.hash]);
      });
      // honest-looking appends on the forged base: the chain verifies, the signed head does not
      await appendMany(db, 100, 4);
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 7 });
      expect(await verifyAuditLog(db, { signedHeads: [signed] })).toMatchObject({
        ok: false,
        seq: 6,
        reason: expect.stringContaining(`signed head seq 6 (hash ${signed.hash}`),
      });
    } finally {
      await db.close();
    }
  });

  it("turns a row inserted above the head into an error naming its seq, not a duplicate key", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 3);
      await db.query(
        `INSERT INTO audit_log (seq, time, workspace, actor, action, resource, decision, rules, prev_hash, hash)
         VALUES (4, now(), 'ws_acme', 'usr_forger', 'dataset.approve', 'x', 'allow', '{}', 'p', 'h')`,
      );
      const appending = db.transaction((tx) => appendAudit(tx, input(9)));
      await expect(appending).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringMatching(/row at seq 4, above its head seq 3.*audit verify/),
      });
      expect((await auditHead(db)).seq).toBe(3);
    } finally {
      await db.close();
    }
  });

  it("verifies an export only up to a signed head that its last entry reaches", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 6);
      const dir = mkdtempSync(join(tmpdir(), "audit-rewrite-"));
      const path = join(dir, "audit.jsonl");
      const head = await exportAuditJsonl(db, path, { key });
      const keys = key.publicKey;
      expect(await verifyAuditFile(path, { keys })).toMatchObject({ ok: true, count: 6 });
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      const write = (ls: readonly string[]) => writeFileSync(path, ls.length ? `${ls.join("\n")}\n` : "");

      write([]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/is empty/);

      write(lines.slice(0, 4)); // tail and head line dropped
      expect(await verifyAuditFile(path, { keys })).toMatchObject({
        ok: false,
        reason: /no signed head line/,
      });

      // tail cut, head line rewritten to match: the signature no longer verifies
      const cut = JSON.parse(lines[3]!) as AuditEntry;
      const envelope = JSON.parse(lines[6]!).signedHead;
      const forged = {
        ...envelope,
        payload: Buffer.from(JSON.stringify({ hash: cut.hash, seq: 4, time: head.time })).toString("base64"),
      };
      write([...lines.slice(0, 4), JSON.stringify({ signedHead: forged })]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/signature does not verify/);

      // the unsigned head line an older export wrote is refused
      write([...lines.slice(0, 4), JSON.stringify({ head: { seq: 4, hash: cut.hash } })]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/unsigned head line/);

      // an older, genuinely signed head makes the file an older export: a prefix, as of its time
      const older = signHead({ seq: 4, hash: cut.hash }, key, new Date(Date.parse(head.time) - 60_000));
      write([...lines.slice(0, 4), JSON.stringify({ signedHead: older.envelope })]);
      expect(await verifyAuditFile(path, { keys, signedHeads: [head] })).toMatchObject({
        ok: true,
        count: 4,
        signedAt: older.time,
      });
      // but a head over a cut chain signed after seq 6 was signed (an export after the cut) is caught
      const late = signHead({ seq: 4, hash: cut.hash }, key, new Date(Date.parse(head.time) + 60_000));
      write([...lines.slice(0, 4), JSON.stringify({ signedHead: late.envelope })]);
      expect(await verifyAuditFile(path, { keys, signedHeads: [head] })).toMatchObject({
        ok: false,
        reason: /chain ends at seq 4, but the signed head seq 6/,
      });

      // a member no export writes, even one the hash does not cover, is refused by name
      const extra = { ...JSON.parse(lines[1]!), note: "approved by the CISO" };
      write([lines[0]!, JSON.stringify(extra), ...lines.slice(2)]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(
        /:2 note: is not a member of an audit export line/,
      );
    } finally {
      await db.close();
    }
  });
});

describe("audit chain cut on an embedded store, through the CLI [pglite]", () => {
  it("signs heads into the home and prints them, and verify names the head a cut tail falls short of", async () => {
    const home = tempHome();
    const cli = (...argv: string[]) => runCli(argv, { CRUCIBLE_HOME: home });
    expect((await cli("init", "--workspace", "acme", "--admin", "root")).code).toBe(0);
    for (const name of ["eli", "dana"])
      expect((await cli("principal", "create", name, "--workspace", "acme", "--as", "root")).code).toBe(0);
    const head = await cli("audit", "head", "--json");
    expect(head.code, head.stderr).toBe(0);
    const { seq, envelope } = head.json() as { seq: number; envelope: object };
    expect(seq).toBeGreaterThanOrEqual(3);
    expect(
      readFileSync(join(home, "audit", "heads.jsonl"), "utf8")
        .trimEnd()
        .split("\n")
        .at(-1),
    ).toBe(JSON.stringify(envelope));
    const elsewhere = join(tempHome(), "heads.jsonl");
    writeFileSync(elsewhere, `${JSON.stringify(envelope)}\n`);
    // whoever holds the files cuts the last two entries and sets the head back
    const db = await openStore({ kind: "pglite", home });
    try {
      const kept = (await chain(db))[seq - 3]!;
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq > $1", [kept.seq]);
        await tx.query("UPDATE audit_head SET seq = $1, hash = $2", [kept.seq, kept.hash]);
      });
    } finally {
      await db.close();
    }
    rmSync(join(home, "audit"), { recursive: true }); // and the local heads file with it
    const verify = (...extra: string[]) =>
      cli("audit", "verify", "--workspace", "acme", "--as", "root", ...extra);
    const cut = await verify("--head", elsewhere);
    expect(cut.code).toBe(1);
    // (verify's own audit.read decision is appended first, on the cut chain: a fork as well)
    expect(cut.stderr).toMatch(new RegExp(`chain ends at seq \\d+, but the signed head seq ${seq} `));
  });
});

const serverUrl = inject("postgresUrl");

describe.skipIf(!serverUrl)("audit chain attacked through the application's own role [postgres]", () => {
  const suffix = newId("r").toLowerCase().slice(-12);
  const names = { owner: `crt_owner_${suffix}`, app: `crt_app_${suffix}`, schema: `crt_audit_${suffix}` };
  const url = serverUrl!;
  const appUrl = Object.assign(new URL(url), { username: names.app, password: "" }).toString();
  let admin: Db;
  let app: Db;

  beforeAll(async () => {
    admin = await openPostgres({ connectionString: url, schema: names.schema, max: 1 });
    await initRoles(admin, names, () =>
      openPostgres({ connectionString: url, schema: names.schema, role: names.owner, max: 1 }),
    );
    app = await openPostgres({ connectionString: appUrl, schema: names.schema, max: 2 });
    expect(await migrate(app)).toEqual([]); // opens the owner's migrated schema without DDL
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await admin.exec(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`);
    await admin.exec(`DROP OWNED BY ${names.owner}, ${names.app}`);
    await admin.exec(`DROP ROLE IF EXISTS ${names.app}`);
    await admin.exec(`DROP ROLE IF EXISTS ${names.owner}`);
    await admin.close();
  });

  it("appends as the application role, which has no right to rewrite (the superuser has)", async () => {
    await app.transaction((tx) => appendAudit(tx, input(0)));
    await app.transaction((tx) => appendAudit(tx, input(1)));
    expect(await verifyAuditLog(app)).toMatchObject({ ok: true, count: 2 });
    expect(await auditTamperRights(app)).toEqual([]);
    expect(await auditTamperRights(admin)).toEqual([expect.stringMatching(/is a superuser/)]);
  });

  it.each([
    [
      "disabling the append-only trigger",
      "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
      /must be owner/,
    ],
    [
      "disabling the head's guard",
      "ALTER TABLE audit_head DISABLE TRIGGER audit_head_guard",
      /must be owner/,
    ],
    ["replica mode (skips every trigger)", "SET session_replication_role = replica", /permission denied/],
    ["updating a row", "UPDATE audit_log SET actor = 'usr_mallory'", /permission denied/],
    ["deleting rows", "DELETE FROM audit_log WHERE seq > 1", /permission denied/],
    ["truncating the log", "TRUNCATE audit_log", /permission denied/],
    ["deleting the head", "DELETE FROM audit_head", /permission denied/],
    ["setting the head back", "UPDATE audit_head SET seq = 1", /only moves forward/],
    [
      "replacing the guard function",
      "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
      /must be owner|permission denied/,
    ],
  ])("refuses the application role %s", async (_what, sql, refusal) => {
    const before = await chain(app);
    await expect(app.query(sql)).rejects.toThrow(refusal);
    expect(await chain(app)).toEqual(before);
  });

  it("has doctor warn when the application connects as a role that can rewrite, and not when it cannot", async () => {
    const env = { CRUCIBLE_HOME: tempHome(), CRUCIBLE_PG_SCHEMA: names.schema };
    const checks = async (databaseUrl: string) =>
      (
        (await runCli(["doctor", "--json"], { ...env, DATABASE_URL: databaseUrl })).json() as {
          checks: { name: string; warn?: boolean; detail: string }[];
        }
      ).checks.find((c) => c.name === "audit roles");
    expect(await checks(url)).toMatchObject({ warn: true, detail: expect.stringMatching(/superuser/) });
    expect(await checks(appUrl)).toMatchObject({ detail: expect.stringMatching(/may only append/) });
    expect((await checks(appUrl))?.warn).toBeUndefined();
  });

  it("sets the roles up again through the CLI, idempotently, and says what it did", async () => {
    const again = await runCli(
      ["store", "init-roles", "--owner", names.owner, "--app", names.app, "--json"],
      {
        CRUCIBLE_HOME: tempHome(),
        DATABASE_URL: url,
        CRUCIBLE_PG_SCHEMA: names.schema,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({
      steps: expect.arrayContaining([
        { step: `role ${names.owner}`, result: "already there" },
        { step: `migrations as ${names.owner}`, result: "up to date" },
      ]),
    });
    expect(await auditTamperRights(app)).toEqual([]);
  });
});
