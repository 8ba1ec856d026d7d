/**
 * Attack family: a worker cut off from the database (issue item 7). Its lease runs out while its
 * trainer still writes in the stage's directory; another worker takes the stage over. Fencing
 * keeps the database clean; these tests hold the files, the process and the server to the same.
 *
 * PostgreSQL server only: PGlite runs inside the process, so it has no connection to cut, no
 * backend to terminate and no second worker to take over.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { verifyCheckpointDir } from "../../src/checkpoints/index.ts";
import { newId } from "../../src/core/ids.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { loadPrincipal } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { runWorker, type WorkerEvent } from "../../src/queue/worker.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { parseRecipe } from "../../src/runs/recipe.ts";
import { showRun } from "../../src/runs/run-read.ts";
import { startRun } from "../../src/runs/runs.ts";
import { trainStageHandler } from "../../src/runs/train-stage.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { pipelineRecipe } from "../runs/support/recipes.ts";
import { tempHome } from "../support/cli.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";
import { testStoreOpener } from "../support/stores.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";

const url = inject("postgresUrl");
const python = trainerPython(process.env);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Live processes whose command line names `needle` (the trainer's argv holds its spec path). */
function processesNaming(needle: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) found.push(Number(pid));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!url)("stale worker cut off from PostgreSQL [postgres]", () => {
  let nanoHome: string;
  const acmeDir = mkdtempSync(join(tmpdir(), "crucible-acme-"));
  beforeAll(() => {
    nanoHome = nanoTinyHome();
  }, 600_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    // bounded: without client timeouts a cut-off pool never finishes closing
    for (const clean of cleanups.splice(0).reverse())
      await Promise.race([clean().catch(() => undefined), sleep(10_000)]);
  }, 120_000);

  it("a partitioned worker's trainer stops by the lease deadline, and the takeover trains in its own lease directory from the stale lease's newest checkpoint, its registered checkpoints untouched by the stale attempt", async () => {
    const direct = await testStoreOpener("postgres")();
    cleanups.push(() => direct.close());
    const home = mkdtempSync(join(tmpdir(), "crucible-stale-"));
    const artifacts = new ArtifactStore(join(home, "artifacts"));
    const { workspace, eli } = await seedAcmeWorkspace(direct, { nanoHome, artifacts, acmeDir });
    const recipe = parseRecipe(pipelineRecipe({ cptSteps: 48, sftSteps: 2, every: 4 }));
    const run = await startRun(direct, eli, { workspace, recipe, target: "local" });
    const runDir = join(home, "runs", run.id);
    const handlers = { train_stage: trainStageHandler({ python, home, env: process.env, graceSeconds: 1 }) };
    cleanups.push(async () => {
      for (const pid of processesNaming(runDir)) process.kill(pid, "SIGKILL");
    });

    const proxy = await TcpProxy.open(new URL(url!));
    cleanups.push(() => proxy.close());
    const cut = await openPostgres({
      connectionString: proxy.url,
      schema: direct.schema,
      max: 3,
      timeouts: { connectMs: 1000, statementMs: 2000, queryMs: 2500, idleInTransactionMs: 3000 },
    });
    cleanups.push(() => cut.close());
    const stopStale = new AbortController();
    const staleEvents: WorkerEvent[] = [];
    const stale = runWorker(cut, {
      owner: "stale",
      leaseSeconds: 4,
      heartbeatSeconds: 1,
      pollMs: 200,
      signal: stopStale.signal,
      handlers,
      onEvent: (e) => staleEvents.push(e),
    });
    cleanups.push(async () => {
      stopStale.abort();
      await Promise.race([stale, sleep(10_000)]);
    });

    const registered = async () =>
      (
        await direct.query<{ path: string; step: number; manifest_digest: string; final: boolean }>(
          "SELECT path, step, manifest_digest, final FROM checkpoints WHERE run_id = $1 AND stage_idx = 0 ORDER BY step",
          [run.id],
        )
      ).rows;
    await until(
      "the stale worker's first registered checkpoint",
      async () => (await registered()).length > 0,
      120_000,
    );
    expect(processesNaming(runDir).length, "its trainer is still training").toBeGreaterThan(0);

    proxy.blackhole();
    await sleep(200); // a heartbeat already on the wire may still have landed
    const job = await direct.query<{ lease_expires_at: Date }>(
      "SELECT lease_expires_at FROM jobs WHERE run_id = $1 AND stage_idx = 0",
      [run.id],
    );
    const expiresAt = new Date(job.rows[0]!.lease_expires_at).getTime();
    const beforeTakeover = await registered();
    const staleDir = dirname(dirname(beforeTakeover[0]!.path));

    // SIGTERM at the deadline; 1.5 s for the signal to land on a machine this busy
    await until(
      "the stale trainer to stop",
      () => processesNaming(runDir).length === 0,
      expiresAt - Date.now() + 1500,
    );
    expect(Date.now()).toBeLessThanOrEqual(expiresAt + 1500);

    await sleep(Math.max(0, expiresAt - Date.now()) + 100); // the lease is the server's to expire
    const ended: string[] = [];
    const takeover = await runWorker(direct, {
      owner: "takeover",
      drain: true,
      leaseSeconds: 30,
      handlers,
      onEvent: (e) => void (e.event === "ended" && ended.push(`${e.end}: ${e.error ?? ""}`)),
    });
    expect(takeover.jobs, ended.join("\n")).toBe(2);
    const shown = await showRun(direct, eli, workspace, run.name);
    expect(shown.status, shown.failureReason ?? "").toBe("succeeded");

    const all = await registered();
    const taken = all.filter((c) => !beforeTakeover.some((b) => b.path === c.path));
    expect(taken.length).toBeGreaterThan(0);
    for (const c of taken) {
      // the takeover's checkpoints live where the stale attempt never wrote or pruned
      expect(c.path.startsWith(`${staleDir}/`), c.path).toBe(false);
      expect(c.step).toBeGreaterThan(beforeTakeover.at(-1)!.step);
    }
    expect(taken.at(-1)!.final).toBe(true);
    // what keep_last left of them is what was registered, byte for byte (the final one at least)
    for (const c of all.filter((r) => r.final || existsSync(r.path))) {
      const verified = await verifyCheckpointDir(c.path);
      expect(verified.manifestDigest, c.path).toBe(c.manifest_digest);
    }
    const started = await direct.query<{ body: { step: number; resumed_from?: string } }>(
      "SELECT body FROM run_events WHERE run_id = $1 AND stage_idx = 0 AND type = 'started' ORDER BY seq",
      [run.id],
    );
    const resumed = started.rows.at(-1)!.body;
    expect(
      resumed.step,
      "the takeover resumed from the stale lease's last checkpoint",
    ).toBeGreaterThanOrEqual(beforeTakeover.at(-1)!.step);
    expect(resumed.resumed_from!.startsWith(`${staleDir}/`)).toBe(false);
  }, 300_000);

  it("terminating the connection of a transaction in flight fails that transaction, and the process carries on", async () => {
    const direct = await testStoreOpener("postgres")();
    cleanups.push(() => direct.close());
    const script = new URL("./support/terminate-in-transaction.mjs", import.meta.url).pathname;
    const child = spawn(process.execPath, [script, url!, direct.schema], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, `the process died: ${stderr}`).toBe(0);
    const result = JSON.parse(stdout) as { failed: string | null; after: number; again: number };
    expect(result.failed).toMatch(/terminat|connection error/i);
    // the dead connection was not handed back: the pool opened a new one
    expect(result).toMatchObject({ after: 1, again: 2 });
  });

  it("`crucible serve` survives its backends being terminated under load: the requests they served fail closed (5xx), and it reconnects", async () => {
    const direct = await testStoreOpener("postgres")();
    cleanups.push(() => direct.close());
    const { admin } = await bootstrap(direct, { workspace: "acme", admin: "root" });
    const root = (await loadPrincipal(direct, admin))!;
    const token = (await createToken(direct, { principal: root, subject: admin, lifetimeS: 3600 })).secret;
    const app = newId("serve").toLowerCase(); // how this test finds the server's own backends
    const child = spawn(process.execPath, ["bin/crucible.js", "serve", "--port", "0"], {
      env: {
        ...process.env,
        CRUCIBLE_HOME: tempHome(),
        DATABASE_URL: url!,
        CRUCIBLE_PG_SCHEMA: direct.schema,
        PGAPPNAME: app,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await exited;
    });
    await until("serve to listen", () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr), 30_000);
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
    const get = async (path: string) =>
      (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await get("/v1/workspaces/acme/runs")).toBe(200);

    let loading = true;
    const statuses: number[] = [];
    const load = async () => {
      while (loading) {
        statuses.push(await get("/v1/workspaces/acme/runs").catch(() => 0));
        statuses.push(await get("/v1/me").catch(() => 0));
      }
    };
    const clients = [load(), load(), load(), load()];
    let terminated = 0;
    const until2s = Date.now() + 2000;
    while (Date.now() < until2s) {
      const { rows } = await direct.query<{ ended: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1",
        [app],
      );
      terminated += rows.filter((r) => r.ended).length;
      await sleep(20);
    }
    loading = false;
    await Promise.all(clients);

    expect(terminated, "the test terminated some of the server's backends").toBeGreaterThan(0);
    expect(child.exitCode, stderr).toBeNull();
    // every request either was served or failed closed; none reached a dead server (0)
    expect(
      statuses.filter((s) => s !== 200 && (s < 500 || s > 503)),
      stderr,
    ).toEqual([]);
    expect(await get("/v1/workspaces/acme/runs")).toBe(200);
    expect(await get("/v1/me")).toBe(200);
  }, 120_000);
});
