import type { Command } from "commander";
import type { Db } from "../../store/db.ts";
import { loadMigrations } from "../../store/migrate.ts";
import { type StoreConfig, storeConfigFromEnv } from "../../store/open.ts";
import { table } from "../io.ts";
import type { RunAction } from "../main.ts";
import { withDb } from "../session.ts";

/** `crucible store status`: where the store is and which schema it has (opening it migrates). */
export function registerStore(program: Command, run: RunAction): void {
  const store = program.command("store").description("the database: embedded PGlite or a PostgreSQL server");

  store
    .command("status")
    .description("show where the store is and which migrations it has")
    .action(
      run(async (ctx) => {
        const config = storeConfigFromEnv(ctx.env);
        const status = await withDb(ctx, (db) => storeStatus(db, config));
        const { out } = ctx;
        out.result(status, () =>
          [
            `store     ${status.kind} at ${status.location}`,
            `schema    version ${status.schema_version} of ${status.latest_version}`,
            "",
            table(
              ["version", "name", "applied"],
              status.migrations.map((m) => [String(m.version), m.name, m.applied_at]),
            ),
          ].join("\n"),
        );
      }),
    );
}

interface StoreStatus {
  kind: Db["kind"];
  location: string;
  schema_version: number;
  latest_version: number;
  migrations: { version: number; name: string; applied_at: string }[];
}

async function storeStatus(db: Db, config: StoreConfig): Promise<StoreStatus> {
  const { rows } = await db.query<{ version: number; name: string; applied_at: Date }>(
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
  );
  return {
    kind: db.kind,
    location: describeLocation(config),
    schema_version: rows.at(-1)?.version ?? 0,
    latest_version: loadMigrations().at(-1)?.version ?? 0,
    migrations: rows.map((r) => ({ ...r, applied_at: new Date(r.applied_at).toISOString() })),
  };
}

/** Where the store is, without credentials. */
export function describeLocation(config: StoreConfig): string {
  if (config.kind === "pglite") return config.home;
  if (config.kind === "pglite-memory") return "memory";
  const url = new URL(config.url);
  if (url.password) url.password = "***";
  return config.schema ? `${url.toString()} (schema ${config.schema})` : url.toString();
}
