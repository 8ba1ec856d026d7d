import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { checkDocument } from "../../src/protocol/validate.ts";
import { openStore } from "../../src/store/open.ts";
import { pipelineRecipe } from "../runs/support/recipes.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";

let home: string;
beforeAll(async () => {
  const nanoHome = nanoTinyHome();
  home = tempHome();
  const db = await openStore({ kind: "pglite", home });
  try {
    await seedAcmeWorkspace(db, {
      nanoHome,
      artifacts: new ArtifactStore(join(home, "artifacts")),
      acmeDir: join(home, "acme-src"),
    });
  } finally {
    await db.close();
  }
}, 600_000);

const cli = (...argv: string[]) => runCli([...argv, "--json"], { CRUCIBLE_HOME: home });

it("run start refuses a bad recipe with exit 2 and every problem in one JSON document", async () => {
  const file = join(home, "bad.yaml");
  writeFileSync(
    file,
    "name: Bad\nstage: cpt\nbase: nano@mid\ndata:\n  - dataset: acme-handbook\n    share: 0.5\n",
  );
  const result = await cli("run", "start", file, "--as", "eli");
  expect(result.code).toBe(2);
  const { error } = result.json() as { error: { field: string; issues: { path: string; line: number }[] } };
  expect(error.field).toBe(file);
  expect(error.issues.map((i) => `${i.line} ${i.path}`)).toEqual([
    "1 $.hyperparameters",
    "1 $.checkpoint",
    "1 $.name",
    "5 $.data",
    "5 $.data[0].dataset",
  ]);
  expect(result.stderr).toContain(`${file}: the recipe has 5 problems`);
  expect((await cli("run", "start", join(home, "missing.yaml"), "--as", "eli")).code).toBe(2);
});

it("run start exits 3 naming the rule when policy denies it, and queues nothing", async () => {
  const file = join(home, "unapproved.yaml");
  writeFileSync(file, pipelineRecipe().replace("dataset: nano-post@v1", "dataset: acme-handbook@v2"));
  const denied = await cli("run", "start", file, "--as", "eli");
  expect(denied.code).toBe(3);
  expect((denied.json() as { error: { rule: string } }).error.rule).toContain("dataset.unapproved");
  const dana = await cli("run", "start", join(home, "unapproved.yaml"), "--as", "dana");
  expect(dana.code).toBe(3);
  expect(((await cli("run", "list", "--as", "eli")).json() as { runs: unknown[] }).runs).toEqual([]);
});

it("run start --detach queues; list, show, logs and cancel act on it", async () => {
  const file = join(home, "pipeline.yaml");
  writeFileSync(file, pipelineRecipe());
  const started = await cli("run", "start", file, "--as", "eli", "--detach");
  expect(started.code, started.stderr).toBe(0);
  expect(started.json()).toMatchObject({
    name: "pipeline-acme-1",
    status: "queued",
    base: { name: "nano@mid" },
    stages: [
      { stage: "cpt", status: "pending" },
      { stage: "sft", status: "pending" },
    ],
  });
  const listed = (await cli("run", "list", "--as", "audra")).json() as {
    runs: { name: string; status: string }[];
  };
  expect(listed.runs.map((r) => [r.name, r.status])).toEqual([["pipeline-acme-1", "queued"]]);
  expect((await cli("run", "show", "pipeline-acme-1", "--as", "audra")).json()).toMatchObject({
    datasets: [
      { ref: "acme-handbook@v2", tokens: null },
      { ref: "acme-qa@v1", tokens: null },
      { ref: "nano-post@v1", tokens: null },
      { ref: "nano-pre@v1", tokens: null },
    ],
  });
  expect((await cli("run", "logs", "pipeline-acme-1", "--as", "eli")).json()).toEqual({
    run: "pipeline-acme-1",
    status: "queued",
    lines: [],
  });
  expect((await cli("run", "cancel", "pipeline-acme-1", "--as", "audra")).code).toBe(3);
  const cancelled = await cli("run", "cancel", "pipeline-acme-1", "--as", "eli");
  expect(cancelled.json()).toMatchObject({ name: "pipeline-acme-1", status: "cancelled" });
  expect((await cli("run", "show", "nope-1", "--as", "eli")).code).toBe(2);
  // a worker finds nothing to do: the cancelled run's job is no longer in the queue
  expect((await cli("worker", "--drain")).json()).toMatchObject({ jobs: 0 });
}, 120_000);

it("run list --status lists only the runs in that status, and names the statuses when given another", async () => {
  const file = join(home, "pipeline.yaml");
  writeFileSync(file, pipelineRecipe());
  const started = await cli("run", "start", file, "--as", "eli", "--detach");
  expect(started.code, started.stderr).toBe(0);
  const names = async (status: string) => {
    const listed = await cli("run", "list", "--status", status, "--as", "eli");
    expect(listed.code, listed.stderr).toBe(0);
    return (listed.json() as { runs: { name: string; status: string }[] }).runs.map((r) => [
      r.name,
      r.status,
    ]);
  };
  expect(await names("queued")).toEqual([["pipeline-acme-2", "queued"]]);
  expect(await names("cancelled")).toEqual([["pipeline-acme-1", "cancelled"]]);
  expect(await names("succeeded")).toEqual([]);
  const wrong = await cli("run", "list", "--status", "done", "--as", "eli");
  expect(wrong.code).toBe(2);
  expect(wrong.json()).toMatchObject({ error: { field: "--status", value: "done" } });
  expect(wrong.stderr).toContain("Use one of queued, running, succeeded, failed, cancelled");
  expect((await cli("run", "cancel", "pipeline-acme-2", "--as", "eli")).code).toBe(0);
  expect(await names("queued")).toEqual([]);
}, 120_000);

it("run start --target kubernetes --dry-run prints the first stage's manifests and queues nothing", async () => {
  const file = join(home, "k8s.yaml");
  writeFileSync(file, pipelineRecipe());
  const flags = ["--target", "kubernetes", "--dry-run", "--mount-path", tmpdir()];
  const rendered = await cli(
    "run",
    "start",
    file,
    "--as",
    "eli",
    ...flags,
    "--image",
    "ghcr.io/acme/trainer:0.1",
  );
  expect(rendered.code, rendered.stderr).toBe(0);
  const doc = rendered.json() as {
    run_id: string;
    kind: string;
    later_stages: string[];
    manifests: { kind: string; data?: Record<string, string> }[];
  };
  expect(doc).toMatchObject({ kind: "Job", later_stages: ["sft"] });
  expect(doc.manifests.map((m) => m.kind)).toEqual(["ConfigMap", "Job"]);
  const spec = JSON.parse(doc.manifests[0]!.data!["job.json"]!);
  expect(checkDocument("job-spec", spec)).toEqual([]);
  expect(spec).toMatchObject({ stage: "cpt", resume: true, run_id: doc.run_id });
  expect(spec.data.sources.map((s: { name: string; share: number }) => [s.name, s.share])).toEqual([
    ["acme-handbook", 0.3],
    ["nano-pre", 0.7],
  ]);
  expect((await cli("run", "show", doc.run_id, "--as", "eli")).code).toBe(2);
  expect((await cli("run", "start", file, "--as", "eli", ...flags)).code).toBe(2);
  const unapproved = join(home, "k8s-unapproved.yaml");
  writeFileSync(
    unapproved,
    pipelineRecipe().replace("dataset: acme-handbook@v2", "dataset: acme-handbook@v1"),
  );
  expect((await cli("run", "start", unapproved, "--as", "eli", ...flags, "--image", "i:1")).code).toBe(3);
  expect((await cli("run", "start", file, "--as", "eli", "--target", "kubernetes")).code).toBe(1);
});
