import { newId } from "../../../src/core/ids.ts";
import type { Queryable } from "../../../src/store/db.ts";

/** A workspace, its user and `runs` rows for them: what jobs and run events reference. */
export interface Seeded {
  workspace: string;
  principal: string;
  runs: string[];
}

/**
 * Writes the rows the queue's foreign keys need, straight into the store under test.
 * @example const { workspace, runs } = await seedRuns(db, 2);
 */
export async function seedRuns(q: Queryable, count: number): Promise<Seeded> {
  const workspace = newId("ws");
  const principal = newId("pr");
  await q.query("INSERT INTO workspaces (id, name, created_by) VALUES ($1, $1, 'test')", [workspace]);
  await q.query("INSERT INTO principals (id, kind, name, created_by) VALUES ($1, 'user', $1, 'test')", [
    principal,
  ]);
  const runs: string[] = [];
  for (let i = 0; i < count; i++) {
    const run = newId("run");
    await q.query(
      `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
       VALUES ($1, $2, $1, '{}', 'sha256:0', 'local', $3)`,
      [run, workspace, principal],
    );
    runs.push(run);
  }
  return { workspace, principal, runs };
}
