/**
 * The hostile trainer: training code is untrusted (a customer's data loader, model code), so the
 * trainer must not reach the worker's secrets. A stand-in trainer, started by the real worker
 * and train_stage handler on both stores, prints its environment and tries to read the signing
 * key and the embedded store; it finds no secret and is refused both. A real tiny job then
 * trains under the same isolation, to show training still works with it.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE } from "../../src/provenance/signing-key.ts";
import { runWorker } from "../../src/queue/worker.ts";
import { prepareJobSpec, runLocal } from "../../src/runners/local-runner.ts";
import { TRAINER_ENV_ALLOWLIST } from "../../src/runners/trainer-env.ts";
import { DROP_CAPABILITIES, isolationLine, trainerIsolation } from "../../src/runners/trainer-user.ts";
import { jobHandlers } from "../../src/runs/handlers.ts";
import { parseRecipe } from "../../src/runs/recipe.ts";
import { startRun } from "../../src/runs/runs.ts";
import { stageOutputDir } from "../../src/runs/stage-spec.ts";
import { pipelineRecipe } from "../runs/support/recipes.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";
import { describeEachStore } from "../support/stores.ts";
import { makeTinyFixture, type TinyFixture, tinyCptSpec } from "../support/tiny-run.ts";
import { AS_ROOT, DROP_BLOCKER, isolatedPython, openTempDir, TRAINER } from "./support/trainer-user.ts";

/** What the stand-in found, as it writes it to <its run directory>/probe.json. */
interface Probe {
  uid: number;
  env: Record<string, string>;
  key: string;
  store: string;
  home_write: string;
}

/** Secrets a worker holds in its environment that a trainer must never see. */
const PLANTED = {
  AWS_SECRET_ACCESS_KEY: "planted-aws-secret",
  PGPASSWORD: "planted-pg-password",
  CRUCIBLE_TOKEN: "crt_planted_operator_token",
};

let nanoHome: string;
let python: string;
beforeAll(() => {
  nanoHome = nanoTinyHome();
  // the operator's step (docs/operations/trainer-isolation.md): the trainer's user may read the
  // bases it trains from (safetensors writes weights 0600)
  execFileSync("chmod", ["-R", "o+rX", join(nanoHome, "bases")]);
  python = isolatedPython();
}, 600_000);

/**
 * A stand-in for `python -m crucible_trainer run --spec <file>`: the hostile trainer. It reads
 * what a customer's data loader could, writes its findings into its run directory, and exits
 * without a finished event (its run then fails: it trained nothing).
 */
function hostileTrainer(dir: string, home: string): string {
  const script = join(dir, "hostile-trainer");
  writeFileSync(
    script,
    `#!${python}
import errno, json, os, sys
spec = sys.argv[sys.argv.index("--spec") + 1]
home = ${JSON.stringify(home)}
def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
found = {
    "uid": os.getuid(),
    "env": dict(os.environ),
    "key": attempt(lambda: open(os.path.join(home, "keys", ${JSON.stringify(PRIVATE_KEY_FILE)}), "rb").read()),
    "store": attempt(lambda: open(os.path.join(home, "db", "PG_VERSION"), "rb").read()),
    "home_write": attempt(lambda: open(os.path.join(home, "planted-by-trainer"), "w").write("x")),
}
with open(os.path.join(os.path.dirname(spec), "probe.json"), "w") as f:
    json.dump(found, f)
`,
    { mode: 0o755 },
  );
  return script;
}

describeEachStore("a hostile trainer started by the worker", (open, kind) => {
  it.skipIf(DROP_BLOCKER !== undefined)(
    "runs as the trainer user with only allowlisted variables and the workload token, and cannot read the signing key or the store",
    async () => {
      const db = await open();
      try {
        const home = openTempDir("crucible-hostile-");
        // the operator's step (docs/operations/trainer-isolation.md): others may pass, not list
        chmodSync(home, 0o711);
        loadOrCreateSigningKey(join(home, "keys"));
        const embedded = new PGlite(join(home, "db")); // PGlite makes its files 0666
        await embedded.close();
        const artifacts = new ArtifactStore(join(home, "artifacts"));
        const ws = await seedAcmeWorkspace(db, {
          nanoHome,
          artifacts,
          acmeDir: openTempDir("crucible-acme-"),
        });
        const recipe = parseRecipe(
          pipelineRecipe({ cptSteps: 2, sftSteps: 2, every: 2 }),
          "pipeline-acme.yaml",
        );
        const run = await startRun(db, ws.eli, { workspace: ws.workspace, recipe, target: "local" });

        const workerEnv = {
          ...process.env,
          ...PLANTED,
          CRUCIBLE_HOME: home,
          DATABASE_URL: kind === "postgres" ? inject("postgresUrl")! : "postgres://planted@db/crucible",
        };
        const handlers = jobHandlers({
          python: hostileTrainer(openTempDir("crucible-stand-in-"), home),
          home,
          env: workerEnv,
          trainerUser: TRAINER,
        });
        expect(await runWorker(db, { owner: "w1", handlers, drain: true, leaseSeconds: 30 })).toEqual({
          jobs: 1,
        });

        // the one lease of the stage trained in a directory of its own (lease-dir.ts)
        const stageDir = stageOutputDir(home, run.id, 0, "cpt");
        const leases = readdirSync(stageDir).filter((name) => name.startsWith("lease-"));
        expect(leases).toHaveLength(1);
        const outputDir = join(stageDir, leases[0]!);
        const probe = JSON.parse(readFileSync(join(outputDir, "probe.json"), "utf8")) as Probe;
        const allowed = new Set<string>([...TRAINER_ENV_ALLOWLIST, "CRUCIBLE_TOKEN", "CRUCIBLE_RUN_ID"]);
        expect(Object.keys(probe.env).filter((name) => !allowed.has(name))).toEqual([]);
        for (const name of ["DATABASE_URL", "CRUCIBLE_HOME", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD"])
          expect(probe.env[name], `${name} reached the trainer`).toBeUndefined();
        expect(probe.env.CRUCIBLE_TOKEN, "the trainer gets its workload token, not the worker's").not.toBe(
          PLANTED.CRUCIBLE_TOKEN,
        );
        expect(probe.env.CRUCIBLE_TOKEN).toMatch(/^crt_/);
        expect(probe.env.CRUCIBLE_RUN_ID).toBe(run.id);
        expect(probe.env.HOME).toBe(outputDir);
        expect(probe.uid).toBe(TRAINER.uid);
        expect(probe.key, "the trainer read the provenance signing key").toBe("EACCES");
        expect(probe.store, "the trainer read the embedded store").toBe("EACCES");
        expect(probe.home_write, "the trainer wrote into the Crucible home").toBe("EACCES");
        expect(statSync(join(home, "keys")).mode & 0o777).toBe(0o700);
        expect(statSync(join(home, "db")).mode & 0o777).toBe(0o700);
        expect(statSync(outputDir).uid, "the run directory is the trainer's").toBe(TRAINER.uid);
      } finally {
        await db.close();
      }
    },
    240_000,
  );
});

describe.skipIf(DROP_BLOCKER !== undefined)("the trainer as its own user", () => {
  let fixture: TinyFixture;
  beforeAll(() => {
    fixture = makeTinyFixture(python, "crucible-isolated-run-");
    // the operator's step: the trainer's user may read its base (safetensors writes it 0600)
    execFileSync("chmod", ["-R", "o+rX", fixture.root]);
  }, 120_000);

  it("trains a real tiny job with the allowlisted environment and the dropped user", async () => {
    const outcome = await runLocal(tinyCptSpec(fixture, "isolated"), {
      python,
      inherit: { ...process.env, ...PLANTED },
      env: { OMP_NUM_THREADS: "1" },
      runAs: TRAINER,
    });
    expect(outcome.status, outcome.status === "failed" ? outcome.reason : "").toBe("succeeded");
    expect(outcome.checkpoints.map((c) => c.step)).toEqual([3, 6]);
    const manifest = join(outcome.checkpoints.at(-1)!.path, "manifest.json");
    expect(statSync(manifest).uid, "the trainer wrote its checkpoints as its own user").toBe(TRAINER.uid);
  }, 180_000);

  it("refuses to start it where its user cannot reach an input, naming the closed directory", async () => {
    const closed = mkdtempSync(join(tmpdir(), "crucible-closed-")); // 0700, the worker's
    const data = join(closed, "acme.jsonl");
    copyFileSync(fixture.sources.acme.path, data);
    const spec = tinyCptSpec(fixture, "closed");
    spec.data.sources[0]!.path = data;
    await expect(runLocal(spec, { python, runAs: TRAINER })).rejects.toMatchObject({
      code: "failed_precondition",
      details: { field: "trainer user", value: data, fix: expect.stringContaining(`chmod o+x ${closed}`) },
    });
  });

  it("hands over the run directory, never what a trainer linked into it from the worker's files", () => {
    const workers = openTempDir("crucible-worker-");
    const secret = join(workers, "secret");
    writeFileSync(secret, "the worker's", { mode: 0o600 });
    const spec = tinyCptSpec(fixture, "handover");
    mkdirSync(spec.output_dir, { recursive: true });
    linkSync(secret, join(spec.output_dir, "planted-link"));
    symlinkSync(workers, join(spec.output_dir, "planted-dir"));
    // a resume point the worker linked in for this lease: its directory is the trainer's to
    // write beside and prune, its hard-linked weights are not handed over
    const resume = join(spec.output_dir, "checkpoints", "step-00000002");
    mkdirSync(resume, { recursive: true });
    const weights = join(workers, "weights");
    writeFileSync(weights, "w", { mode: 0o644 });
    linkSync(weights, join(resume, "model.safetensors"));
    prepareJobSpec(spec, { python, runAs: TRAINER });
    expect(statSync(join(spec.output_dir, "checkpoints")).uid).toBe(TRAINER.uid);
    expect(statSync(resume).uid).toBe(TRAINER.uid);
    expect(statSync(weights).uid, "a hard-linked file was chowned to the trainer").toBe(0);
    expect(statSync(secret).uid, "a file linked into the run directory was chowned to the trainer").toBe(0);
    expect(statSync(workers).uid, "a directory linked into the run directory was chowned").toBe(0);
    expect(statSync(spec.output_dir).uid).toBe(TRAINER.uid);
    expect(statSync(join(spec.output_dir, "job.json")).uid).toBe(TRAINER.uid);
  });
});

describe("where the worker cannot switch users", () => {
  const user = { uid: 999, gid: 999, name: "crucible-trainer" };

  it("decides no isolation and says why, rather than isolating nothing silently", () => {
    const unprivileged = { uid: 1000, capabilities: new Set<string>(["CAP_SETUID"]) };
    const none = trainerIsolation(user, unprivileged);
    expect(none).toMatchObject({ kind: "none", reason: expect.stringContaining("lacks CAP_CHOWN") });
    expect(isolationLine(none)).toMatch(
      /^trainer isolation: none .* the trainer runs as this user and could read the signing key and the store; run the worker as root/,
    );
    const capable = { uid: 1000, capabilities: new Set<string>(DROP_CAPABILITIES) };
    expect(trainerIsolation(user, capable)).toEqual({ kind: "user", user });
    expect(trainerIsolation(undefined, { uid: 0, capabilities: new Set() })).toEqual({
      kind: "none",
      reason: "no trainer user is configured",
    });
    for (const same of [
      { ...user, uid: 0 },
      { ...user, uid: 1000 },
    ])
      expect(() => trainerIsolation(same, unprivileged)).toThrow(/isolates nothing/);
  });

  it("still gives the trainer only the allowlisted environment (it could read the key, as the line warns)", async () => {
    const home = openTempDir("crucible-unisolated-");
    loadOrCreateSigningKey(join(home, "keys"));
    const dir = openTempDir("crucible-unisolated-run-");
    const spec = tinyCptSpec(
      {
        root: dir,
        base: { path: dir, digest: `sha256:${"0".repeat(64)}` },
        sources: {
          acme: { path: join(dir, "a.jsonl"), digest: `sha256:${"1".repeat(64)}` },
          replay: { path: join(dir, "b.jsonl"), digest: `sha256:${"2".repeat(64)}` },
        },
      },
      "unisolated",
    );
    await runLocal(spec, {
      python: hostileTrainer(dir, home),
      inherit: {
        ...process.env,
        ...PLANTED,
        DATABASE_URL: "postgres://planted@db/crucible",
        CRUCIBLE_HOME: home,
      },
      env: { CRUCIBLE_RUN_ID: "unisolated" },
    });
    const probe = JSON.parse(readFileSync(join(spec.output_dir, "probe.json"), "utf8")) as Probe;
    const allowed = new Set<string>([...TRAINER_ENV_ALLOWLIST, "CRUCIBLE_RUN_ID"]);
    expect(Object.keys(probe.env).filter((name) => !allowed.has(name))).toEqual([]);
    if (AS_ROOT) expect(probe.key).toBe("ok");
  });

  it("crucible doctor warns, and crucible worker says so when it starts", async () => {
    const home = tempHome();
    const doctor = await runCli(["doctor", "--json"], { CRUCIBLE_HOME: home });
    const checks = (
      doctor.json() as { checks: { name: string; ok: boolean; warn?: boolean; detail: string }[] }
    ).checks;
    expect(checks.find((c) => c.name === "trainer isolation")).toMatchObject({
      ok: true,
      warn: true,
      detail: expect.stringMatching(
        /^trainer isolation: none \(no trainer user is configured\) — the trainer runs as this user and could read the signing key/,
      ),
    });
    const worker = await runCli(["worker", "--drain"], { CRUCIBLE_HOME: home });
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(
      /crucible worker: trainer isolation: none \(no trainer user is configured\)/,
    );
    if (!AS_ROOT) return;
    const isolated = await runCli(["worker", "--drain", "--trainer-user", "65534:65534"], {
      CRUCIBLE_HOME: home,
    });
    expect(isolated.stderr).toMatch(
      /crucible worker: trainer isolation: user 65534:65534 \(uid 65534, gid 65534\)/,
    );
  }, 120_000);
});
