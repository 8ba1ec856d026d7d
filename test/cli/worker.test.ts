import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readHeadFile } from "../../src/audit/signed-head.ts";
import { auditHead } from "../../src/audit/store.ts";
import { newId } from "../../src/core/ids.ts";
import { loadOrCreateSigningKey } from "../../src/provenance/signing-key.ts";
import type { Db } from "../../src/store/db.ts";
import { openStore } from "../../src/store/open.ts";
import { appendMany } from "../security/support/audit-attacker.ts";
import { runCli, tempHome } from "../support/cli.ts";

const serverUrl = inject("postgresUrl");

it("crucible worker refuses bad flags with exit 2, the flag named, and one JSON document", async () => {
  const home = tempHome();
  for (const [flag, value] of [
    ["--lease-seconds", "0"],
    ["--lease-seconds", "soon"],
    ["--poll-ms", "-5"],
  ] as const) {
    const result = await runCli(["worker", "--drain", flag, value, "--json"], { CRUCIBLE_HOME: home });
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code: "invalid_argument", field: flag, value } });
  }
  const empty = await runCli(["worker", "--owner", " ", "--json"], { CRUCIBLE_HOME: home });
  expect(empty.code).toBe(2);
  expect(empty.json()).toMatchObject({ error: { field: "--owner" } });
});

/** Runs `fn` against the server schema the worker uses, as another process would. */
async function withServerStore<T>(schema: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore({ kind: "postgres", url: serverUrl ?? "", schema });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("crucible worker says, where the installation key is not on its host, that audit heads are signed elsewhere", async () => {
  const home = tempHome();
  const elsewhere = await runCli(["worker", "--drain"], { CRUCIBLE_HOME: home });
  expect(elsewhere.code, elsewhere.stderr).toBe(0);
  expect(elsewhere.stderr).toContain("audit heads are signed elsewhere");
  expect(existsSync(join(home, "keys"))).toBe(false); // it never makes a key of its own
  loadOrCreateSigningKey(join(home, "keys"));
  const here = await runCli(["worker", "--drain", "--json"], { CRUCIBLE_HOME: home });
  expect(here.code, here.stderr).toBe(0);
  expect(here.stderr).toContain('"event":"audit_heads","signed_here":true');
});

describe.skipIf(serverUrl === null)("crucible worker on a PostgreSQL server", () => {
  it("signs the audit head on its cadence while it runs and at shutdown, leaving no unsigned tail", async () => {
    const home = tempHome();
    const schema = newId("t").toLowerCase();
    const key = loadOrCreateSigningKey(join(home, "keys"));
    const env = {
      CRUCIBLE_HOME: home,
      DATABASE_URL: serverUrl ?? "",
      CRUCIBLE_PG_SCHEMA: schema,
      CRUCIBLE_AUDIT_HEAD_SECONDS: "1",
      CRUCIBLE_AUDIT_HEAD_EVERY: "1000",
    };
    const headsFile = join(home, "audit", "heads.jsonl");
    const signed = () => (existsSync(headsFile) ? readHeadFile(headsFile, key.publicKey) : []);
    try {
      await withServerStore(schema, (db) => appendMany(db, 0, 3));
      const before = new Set(process.listeners("SIGTERM"));
      const worker = runCli(["worker", "--poll-ms", "50"], env);
      // a long run appends while the worker is up: its heads anchor them without waiting for the end
      const running = await until("the worker's first signed head", () => signed().find((h) => h.seq >= 3));
      await withServerStore(schema, (db) => appendMany(db, 3, 2));
      await until("a head over the entries appended while it ran", () => signed().find((h) => h.seq >= 5));
      await withServerStore(schema, (db) => appendMany(db, 5, 1));
      const stop = process.listeners("SIGTERM").find((l) => !before.has(l));
      expect(stop, "the worker listens for SIGTERM").toBeDefined();
      (stop as (signal: NodeJS.Signals) => void)("SIGTERM");
      const done = await worker;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain("audit heads signed here");
      expect(running.seq).toBeGreaterThanOrEqual(3);
      const head = await withServerStore(schema, (db) => auditHead(db));
      expect(signed().at(-1)).toMatchObject({ seq: head.seq, hash: head.hash, keyid: key.keyid });
    } finally {
      await withServerStore(schema, (db) => db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    }
  }, 60_000);
});
