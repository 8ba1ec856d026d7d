import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A dump of a fresh PGlite data directory: loading it skips initdb (4 s -> under 1 s). */
    pgliteTemplate: string;
    /** The PostgreSQL server the tests use, or null where none answers (never under CI=true). */
    postgresUrl: string | null;
  }
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject): Promise<void> {
  project.provide("pgliteTemplate", await pgliteTemplate());
  project.provide("postgresUrl", await probePostgres(process.env.CRUCIBLE_TEST_DATABASE_URL || DEFAULT_URL));
}

async function pgliteTemplate(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const { version } = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  const dir = join(tmpdir(), "crucible-test");
  const path = join(dir, `pglite-${version}.tar`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const db = new PGlite();
    await db.waitReady;
    const dump = await db.dumpDataDir("none");
    await db.close();
    const tmp = `${path}.${process.pid}`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
  }
  return path;
}

async function probePostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return url;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (process.env.CI === "true") {
      throw new Error(
        `CI=true but no PostgreSQL server answers at ${url}: ${reason}. Start it; CI must run both stores.`,
      );
    }
    const bar = "!".repeat(100);
    process.stderr.write(
      `\n${bar}\n!! PostgreSQL server variant SKIPPED: nothing answers at ${url} (${reason}).\n` +
        "!! Only the PGlite variant of the store tests runs. Set CRUCIBLE_TEST_DATABASE_URL or start a server.\n" +
        `${bar}\n\n`,
    );
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
