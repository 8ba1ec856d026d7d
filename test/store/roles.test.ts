import { afterEach, describe, expect, inject, it } from "vitest";
import { newId } from "../../src/core/ids.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { auditTamperRights } from "../../src/store/privileges.ts";
import { initRoles, rolesSql } from "../../src/store/roles.ts";

const url = inject("postgresUrl");

/** Fresh role and schema names per test: roles are global to the server. */
function fresh() {
  const suffix = newId("r").toLowerCase().slice(-12);
  return { owner: `crt_owner_${suffix}`, app: `crt_app_${suffix}`, schema: `crt_roles_${suffix}` };
}

describe.skipIf(!url)("owner and application roles [postgres]", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(names: ReturnType<typeof fresh>): Promise<{ admin: Db; app: () => Promise<Db> }> {
    const admin = await openPostgres({ connectionString: url!, schema: names.schema, max: 1 });
    cleanups.push(async () => {
      await admin.exec(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`);
      for (const role of [names.owner, names.app]) {
        const found = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
        if (found.rows.length > 0) await admin.exec(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
      await admin.close();
    });
    const appUrl = Object.assign(new URL(url!), { username: names.app, password: "" }).toString();
    const app = async () => {
      const db = await openPostgres({ connectionString: appUrl, schema: names.schema, max: 1 });
      cleanups.push(() => db.close());
      return db;
    };
    return { admin, app };
  }

  it("hands an installation migrated before as another role over to the owner", async () => {
    const names = fresh();
    const { admin, app } = await setUp(names);
    await migrate(admin); // the old way: everything owned by whoever connected (a superuser)
    const steps = await initRoles(admin, names, () =>
      openPostgres({ connectionString: url!, schema: names.schema, role: names.owner, max: 1 }),
    );
    expect(steps).toContainEqual({ step: `migrations as ${names.owner}`, result: "up to date" });
    const { rows } = await admin.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
        WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'S')
       UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = $1::regnamespace`,
      [names.schema],
    );
    expect(rows.map((r) => r.owner)).toEqual([names.owner]);
    expect(await auditTamperRights(await app())).toEqual([]);
  });

  it("sets up the same rights from the printed SQL, run by an administrator", async () => {
    const names = fresh();
    const { admin, app } = await setUp(names);
    const [before, after] = rolesSql(names).split("-- 3. ");
    await admin.exec(before!);
    const owner = await openPostgres({
      connectionString: url!,
      schema: names.schema,
      role: names.owner,
      max: 1,
    });
    await migrate(owner);
    await owner.close();
    await admin.exec(`-- 3. ${after}`);
    const db = await app();
    expect(await migrate(db)).toEqual([]);
    expect(await auditTamperRights(db)).toEqual([]);
    await expect(db.query("UPDATE audit_log SET actor = 'x'")).rejects.toThrow(/permission denied/);
  });

  it("tells the application role to have the owner migrate when a migration is pending", async () => {
    const names = fresh();
    const { admin, app } = await setUp(names);
    await initRoles(admin, names, () =>
      openPostgres({ connectionString: url!, schema: names.schema, role: names.owner, max: 1 }),
    );
    const pending = { version: 9999, name: "later", sql: "CREATE TABLE later (id int)" };
    await expect(migrate(await app(), [pending])).rejects.toMatchObject({
      code: "failed_precondition",
      message: expect.stringMatching(/lacks migrations 9999.*crucible store migrate/),
    });
  });
});
