import { expect, it } from "vitest";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { describeEachStore } from "../support/stores.ts";

describeEachStore("store", (open) => {
  it("applies every migration once, and a second migrate applies none", async () => {
    const db = await open();
    try {
      const { rows } = await db.query<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
      expect(await migrate(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    const db = await open();
    try {
      await db.exec("CREATE TABLE t (id int PRIMARY KEY, doc jsonb NOT NULL)");
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ($1, $2)", [1, { a: [1, 2] }]);
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO t VALUES ($1, $2)", [2, { a: [] }]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const { rows } = await db.query<{ id: number; doc: unknown }>("SELECT id, doc FROM t");
      expect(rows).toEqual([{ id: 1, doc: { a: [1, 2] } }]);
    } finally {
      await db.close();
    }
  });

  it("returns int8 as a number and reports affected rows", async () => {
    const db = await open();
    try {
      await db.exec("CREATE TABLE n (v int8); INSERT INTO n VALUES (1), (2), (3)");
      const updated = await db.query("UPDATE n SET v = v + 1 WHERE v > 1");
      expect(updated.rowCount).toBe(2);
      const { rows } = await db.query<{ c: number }>("SELECT count(*) AS c FROM n");
      expect(rows[0]?.c).toBe(3);
    } finally {
      await db.close();
    }
  });

  it("keeps each test's schema apart from every other", async () => {
    const a = await open();
    const b = await open();
    try {
      await a.exec("CREATE TABLE only_in_a (x int)");
      await expect(b.query("SELECT * FROM only_in_a")).rejects.toThrow(/only_in_a/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
