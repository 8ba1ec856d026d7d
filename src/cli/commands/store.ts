import type { Command } from "commander";
import { CrucibleError } from "../../core/errors.ts";
import type { Db } from "../../store/db.ts";
import { loadMigrations, migrate } from "../../store/migrate.ts";
import { openStore, type StoreConfig, storeConfigFromEnv } from "../../store/open.ts";
import { openPostgres } from "../../store/postgres.ts";
import { initRoles, rolesSql } from "../../store/roles.ts";
import type { RunAction } from "../command.ts";
import { table } from "../io.ts";
import { withDb } from "../session.ts";

/**
 * `crucible store status|migrate|init-roles`: where the store is, its schema, and on a server
 * the two roles (owner runs migrations, the application only appends to the audit log).
 */
export function registerStore(store: Command, run: RunAction): void {
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

  store
    .command("migrate")
    .description(
      "apply pending migrations, on a server as the owner role: DATABASE_MIGRATION_URL (else DATABASE_URL)",
    )
    .action(
      run(async (ctx) => {
        const config = storeConfigFromEnv(ctx.env);
        const url = ctx.env.DATABASE_MIGRATION_URL || (config.kind === "postgres" ? config.url : undefined);
        const db = url
          ? await openPostgres({
              connectionString: url,
              ...(config.schema ? { schema: config.schema } : {}),
              max: 1,
            })
          : await openStore(config);
        try {
          // the embedded store migrated as it opened; a server is migrated here, as the owner
          const applied = url ? await migrate(db) : [];
          const status = await storeStatus(db, config);
          ctx.out.result({ applied, schema_version: status.schema_version }, () =>
            applied.length
              ? `applied migrations ${applied.join(", ")}`
              : `the schema is at version ${status.schema_version}`,
          );
        } finally {
          await db.close();
        }
      }),
    );

  store
    .command("init-roles")
    .description(
      "create the owner and application roles on a PostgreSQL server, give the owner the schema, migrate it as the owner and grant the application its rights (idempotent; connects as DATABASE_ADMIN_URL, else DATABASE_URL, a superuser)",
    )
    .option("--owner <role>", "role that owns the schema and runs migrations", "crucible_owner")
    .option("--app <role>", "role the application connects as", "crucible_app")
    .option("--sql", "print the SQL instead of running it")
    .action(
      run(async (ctx, options: { owner: string; app: string; sql?: boolean }) => {
        const config = storeConfigFromEnv(ctx.env);
        const names = { owner: options.owner, app: options.app, schema: config.schema ?? "public" };
        if (options.sql) {
          const sql = rolesSql(names);
          ctx.out.result({ sql }, () => sql);
          return;
        }
        const url = ctx.env.DATABASE_ADMIN_URL || (config.kind === "postgres" ? config.url : undefined);
        if (!url)
          throw new CrucibleError(
            "invalid_argument",
            "roles apply to a PostgreSQL server, and none is named",
            {
              field: "DATABASE_ADMIN_URL",
              fix: "Set DATABASE_ADMIN_URL (or DATABASE_URL) to a superuser's connection URL, or print the SQL with --sql",
            },
          );
        const admin = await openPostgres({ connectionString: url, schema: names.schema, max: 1 });
        try {
          const steps = await initRoles(admin, names, () =>
            openPostgres({ connectionString: url, schema: names.schema, role: names.owner, max: 1 }),
          );
          ctx.out.result({ ...names, steps }, () =>
            table(
              ["step", "result"],
              steps.map((s) => [s.step, s.result]),
            ),
          );
        } finally {
          await admin.close();
        }
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
