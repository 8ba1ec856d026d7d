/**
 * The runs issue's "done when", on both stores, through real processes: the pipeline recipe (cpt
 * 30/70 from nano@mid, then sft) runs through `crucible run start` with live progress; a second
 * run of it survives a worker killed with SIGKILL mid-stage (another worker takes the job over
 * once the lease expires and resumes from the last checkpoint) and ends with weights bitwise
 * equal to the uninterrupted run's; its final checkpoint's lineage shows the base, the run and
 * the datasets with the tokens each gave.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { ancestryOf } from "../../src/lineage/ancestry.ts";
import type { Db } from "../../src/store/db.ts";
import { openStore } from "../../src/store/open.ts";
import { pipelineRecipe } from "../runs/support/recipes.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";
import { type CliProcess, crucible, crucibleOk, sleep } from "./support/processes.ts";

/** Where the time goes on a busy machine: one line per phase on stderr. */
const t0 = Date.now();
const trace = (what: string) =>
  process.stderr.write(`[run.test ${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}\n`);

const CPT_STEPS = 24;
const SFT_STEPS = 8;
const LEASE_S = "5";

let nanoHome: string;
beforeAll(() => {
  nanoHome = nanoTinyHome();
}, 600_000);

interface Store {
  home: string;
  env: Record<string, string>;
  open: () => Promise<Db>;
  /** CLI identity: --as in embedded mode, a token on a server. */
  who: string[];
}

async function pgliteStore(): Promise<Store> {
  const home = mkdtempSync(join(tmpdir(), "crucible-e2e-"));
  return {
    home,
    env: { CRUCIBLE_HOME: home },
    open: () => openStore({ kind: "pglite", home }),
    who: ["--as", "eli"],
  };
}

const dropped: string[] = [];
/** A database of its own on the test server, so that CLI processes see exactly this test's rows. */
async function serverStore(): Promise<Store> {
  const base = inject("postgresUrl")!;
  const name = `crucible_e2e_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropped.push(name);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const home = mkdtempSync(join(tmpdir(), "crucible-e2e-"));
  return {
    home,
    env: { CRUCIBLE_HOME: home, DATABASE_URL: url.toString() },
    open: () => openStore({ kind: "postgres", url: url.toString() }),
    who: [],
  };
}

afterAll(async () => {
  const base = inject("postgresUrl");
  if (!base || dropped.length === 0) return;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  for (const name of dropped) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

/** A stage's checkpoint at `step`, in whichever lease's directory wrote it (each lease has its own). */
const checkpointDirs = (home: string, runId: string, stage: string, step: number): string[] => {
  const root = join(home, "runs", runId, stage);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((lease) => lease.startsWith("lease-"))
    .map((lease) => join(root, lease, "checkpoints", `step-${String(step).padStart(8, "0")}`))
    .filter((dir) => existsSync(join(dir, "manifest.json")));
};

/** SHA-256 of every safetensors file of a checkpoint directory, by file name. */
function weightDigests(dir: string): Record<string, string> {
  const files = readdirSync(dir).filter((f) => f.endsWith(".safetensors"));
  expect(files.length, dir).toBeGreaterThan(0);
  return Object.fromEntries(
    files.map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(dir, f)))
        .digest("hex"),
    ]),
  );
}

async function seed(store: Store): Promise<Record<string, string>> {
  const db = await store.open();
  try {
    const artifacts = new ArtifactStore(join(store.home, "artifacts"));
    const ws = await seedAcmeWorkspace(db, { nanoHome, artifacts, acmeDir: join(store.home, "acme-src") });
    if (store.who.length > 0) return store.env;
    const { secret } = await createToken(db, { principal: ws.eli, subject: ws.eli.id, lifetimeS: 3600 });
    return { ...store.env, CRUCIBLE_TOKEN: secret };
  } finally {
    await db.close();
  }
}

/** Kills the worker that holds the run's job (by the owner it leases as), once its first checkpoint exists. */
async function killHolder(
  store: Store,
  env: Record<string, string>,
  runId: string,
  workers: Map<string, CliProcess>,
) {
  const deadline = Date.now() + 120_000;
  while (checkpointDirs(store.home, runId, "0-cpt", 4).length === 0) {
    if (Date.now() > deadline) throw new Error(`no cpt step-4 checkpoint of ${runId} after 120 s`);
    await sleep(50);
  }
  expect(checkpointDirs(store.home, runId, "0-cpt", CPT_STEPS), "the kill must land mid-stage").toEqual([]);
  let owner = [...workers.keys()][0]!;
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    client.on("error", () => undefined); // afterAll drops the database under it
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT lease_owner FROM jobs WHERE run_id = $1 AND status = 'leased'",
        [runId],
      );
      owner = rows[0]!.lease_owner;
    } finally {
      await client.end();
    }
  }
  trace(`killing ${owner}`);
  const victim = workers.get(owner)!;
  victim.child.kill("SIGKILL");
  expect((await victim.exited).signal).toBe("SIGKILL");
  workers.delete(owner);
}

async function checkRuns(store: Store, survivor: string, name: string) {
  const db = await store.open();
  try {
    const finals = await db.query<{ stage_idx: number; id: string }>(
      "SELECT stage_idx, id FROM checkpoints WHERE run_id = $1 AND final ORDER BY stage_idx",
      [survivor],
    );
    expect(finals.rows.map((r) => Number(r.stage_idx))).toEqual([0, 1]);
    // the cpt stage was leased twice and the second trainer resumed from a checkpoint
    const attempts = await db.query<{ attempts: number }>(
      "SELECT attempts FROM jobs WHERE run_id = $1 ORDER BY stage_idx",
      [survivor],
    );
    expect(attempts.rows.map((r) => Number(r.attempts))).toEqual([2, 1]);
    // (the killed worker's last events may never have been written: it died before its next batch)
    const starts = await db.query<{ body: { step: number; resumed_from?: string } }>(
      "SELECT body FROM run_events WHERE run_id = $1 AND stage_idx = 0 AND type = 'started' ORDER BY seq DESC LIMIT 1",
      [survivor],
    );
    expect(starts.rows[0]!.body.resumed_from).toContain("checkpoints/step-");
    expect(starts.rows[0]!.body.step).toBeGreaterThanOrEqual(4);
    // full lineage of the final checkpoint: the run, the cpt checkpoint it grew from, the base, the data with tokens
    const sft = finals.rows[1]!;
    const edges = await ancestryOf(db, { kind: "checkpoint", id: sft.id });
    const names = await db.query<{ id: string; name: string }>("SELECT id, name FROM checkpoints");
    const nameOf = new Map(names.rows.map((r) => [r.id, r.name]));
    const versions = await db.query<{ id: string; ref: string }>(
      "SELECT v.id, d.name || '@v' || v.version AS ref FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id",
    );
    const refOf = new Map(versions.rows.map((r) => [r.id, r.ref]));
    const label = (n: { kind: string; id: string }) =>
      n.kind === "checkpoint" ? nameOf.get(n.id) : n.kind === "dataset_version" ? refOf.get(n.id) : n.kind;
    const text = edges.map((e) => `${label(e.from)} -> ${label(e.to)}${e.tokens ? " (tokens)" : ""}`);
    expect(text).toEqual(
      expect.arrayContaining([
        `run -> ${name}/sft/step-${SFT_STEPS}`,
        `${name}/cpt/step-${CPT_STEPS} -> ${name}/sft/step-${SFT_STEPS}`,
        "nano@mid -> run",
        "acme-handbook@v2 -> run (tokens)",
        "nano-pre@v1 -> run (tokens)",
        "acme-qa@v1 -> run (tokens)",
        "nano-post@v1 -> run (tokens)",
      ]),
    );
  } finally {
    await db.close();
  }
}

/** Final weights of the uninterrupted run, per stage: the same inputs give the same bits on either store. */
let reference: Record<number, Record<string, string>> | undefined;
const stageDir = (home: string, runId: string, idx: number) => {
  const [stage, steps] = idx === 0 ? ["cpt", CPT_STEPS] : ["sft", SFT_STEPS];
  const finals = checkpointDirs(home, runId, `${idx}-${stage}`, steps as number);
  expect(finals, `one lease wrote the final ${stage} checkpoint`).toHaveLength(1);
  return finals[0]!;
};

for (const kind of ["pglite", "postgres"] as const) {
  describe.skipIf(kind === "postgres" && inject("postgresUrl") === null)(
    `run start, SIGKILL, resume [${kind}]`,
    () => {
      it("runs the pipeline with live progress, survives a SIGKILLed worker with bitwise-equal weights, and shows full lineage", async () => {
        const store = kind === "pglite" ? await pgliteStore() : await serverStore();
        trace(`${kind}: seeding`);
        const env = await seed(store);
        trace(`${kind}: seeded`);
        const recipe = join(store.home, "pipeline-acme.yaml");
        writeFileSync(
          recipe,
          pipelineRecipe({ cptSteps: CPT_STEPS, sftSteps: SFT_STEPS, every: 4, batch: 2 }),
        );
        const workers = new Map<string, CliProcess>();
        const worker = (owner: string, drain: boolean) =>
          workers.set(
            owner,
            crucible(
              ["worker", "--owner", owner, "--lease-seconds", LEASE_S, ...(drain ? ["--drain"] : [])],
              env,
            ),
          );
        // on a server, workers run elsewhere and `run start` follows; embedded, `run start` works in-process
        if (kind === "postgres") for (const name of ["w1", "w2"]) worker(name, false);
        try {
          let n = 1;
          if (!reference) {
            // the uninterrupted run (once, on the first store tested): `run start` with live progress
            const a = await crucibleOk(["run", "start", recipe, ...store.who, "--json"], env);
            expect(a.stderr).toMatch(new RegExp(`cpt: step ${CPT_STEPS}/${CPT_STEPS}  loss \\d`));
            expect(a.stderr).toMatch(new RegExp(`sft: step ${SFT_STEPS}/${SFT_STEPS}  loss \\d`));
            const done = JSON.parse(a.stdout);
            expect(done).toMatchObject({ name: "pipeline-acme-1", status: "succeeded" });
            reference = {
              0: weightDigests(stageDir(store.home, done.id, 0)),
              1: weightDigests(stageDir(store.home, done.id, 1)),
            };
            n = 2;
          }
          trace(`${kind}: reference done`);
          const name = `pipeline-acme-${n}`;
          let survivor: string;
          if (kind === "pglite") {
            const b = JSON.parse(
              (await crucibleOk(["run", "start", recipe, ...store.who, "--detach", "--json"], env)).stdout,
            );
            worker("w1", true);
            await killHolder(store, env, b.id, workers);
            await sleep(Number(LEASE_S) * 1000 + 500); // the lease must expire before another worker may take over
            const summary = JSON.parse(
              (await crucibleOk(["worker", "--drain", "--lease-seconds", LEASE_S, "--json"], env)).stdout,
            );
            expect(summary).toMatchObject({ jobs: 2, ended: { succeeded: 2 } });
            survivor = b.id;
          } else {
            const follower = crucible(["run", "start", recipe, ...store.who, "--json"], env);
            const queued = new RegExp(`queued ${name} \\((run_[0-9a-z]+)\\)`);
            const deadline = Date.now() + 60_000;
            while (!queued.test(follower.stderr()) && Date.now() < deadline) await sleep(50);
            survivor = queued.exec(follower.stderr())![1]!;
            const logs = crucible(["run", "logs", name, "-f", ...store.who], env);
            await killHolder(store, env, survivor, workers);
            const { code } = await follower.exited;
            expect((await logs.exited).code, logs.stderr()).toBe(0);
            expect(logs.stdout()).toMatch(
              /\[0\] started cpt at step [1-9]\d* of \d+ on cpu, resumed from \S+step-/,
            );
            expect(logs.stdout()).toContain(`[1] finished at step ${SFT_STEPS}`);
            expect(code, follower.stderr()).toBe(0);
            expect(JSON.parse(follower.stdout())).toMatchObject({ name, status: "succeeded" });
            expect(follower.stderr()).toMatch(new RegExp(`sft: step ${SFT_STEPS}/${SFT_STEPS}  loss \\d`));
          }
          const shown = JSON.parse(
            (await crucibleOk(["run", "show", name, ...store.who, "--json"], env)).stdout,
          );
          expect(shown.status).toBe("succeeded");
          expect(shown.datasets.every((d: { tokens: number }) => d.tokens > 0)).toBe(true);
          for (const idx of [0, 1])
            expect(weightDigests(stageDir(store.home, survivor, idx)), `stage ${idx} weights`).toEqual(
              reference[idx],
            );
          for (const w of workers.values()) w.child.kill("SIGTERM");
          await Promise.all([...workers.values()].map((w) => w.exited));
          await checkRuns(store, survivor, name);
        } finally {
          for (const w of workers.values()) w.child.kill("SIGKILL");
        }
      }, 420_000);
    },
  );
}
