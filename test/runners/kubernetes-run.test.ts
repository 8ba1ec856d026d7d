import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigMap } from "kubernetes-models/v1";
import { expect, it } from "vitest";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { checkDocument } from "../../src/protocol/validate.ts";
import { type PyTorchJob, renderKubernetesManifests } from "../../src/runners/kubernetes.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { freePort, makeTinyFixture } from "../support/tiny-run.ts";

const python = trainerPython(process.env);

function run(
  command: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The rendered PyTorchJob's own command and environment, on this machine: the two replicas run
 * side by side with the variables the Kubeflow training operator would set (PET_NNODES,
 * PET_NODE_RANK, PET_NPROC_PER_NODE, PET_MASTER_ADDR/PORT, WORLD_SIZE, RANK). The mount path is
 * the test's directory, so the spec's paths are real; only the ConfigMap mount is replaced by a
 * file. This checks that torchrun really takes its topology from the operator's variables.
 */
it("runs the rendered PyTorchJob's command as two nodes with the operator's variables", async () => {
  const fixture = makeTinyFixture(python, "crucible-k8s-");
  const root = fixture.root;
  const spec = {
    protocol_version: 1,
    run_id: "k8s-two-nodes",
    stage: "cpt",
    base: fixture.base,
    data: { sources: [{ name: "acme", ...fixture.sources.acme, share: 1, format: "text" }] },
    hyperparameters: {
      lr: 3e-3,
      budget: { steps: 4 },
      batch_size: 2,
      seq_len: 32,
      adapter: { kind: "full" },
    },
    seed: 3,
    checkpoint: { every_steps: 2 },
    output_dir: join(root, "out"),
    runtime: { device: "cpu", threads: 1 },
  } as JobSpec;
  const [configMap, job] = renderKubernetesManifests({
    spec,
    runId: "run_k8s",
    workspace: "ws_test",
    image: "crucible-trainer:test",
    nodes: 2,
    mountPath: root,
  }) as [ConfigMap, PyTorchJob];
  const specFile = join(root, "job.json");
  writeFileSync(specFile, configMap.data!["job.json"]!);

  const port = String(await freePort());
  const node = (replica: "Master" | "Worker", rank: number) => {
    const container = job.spec.pytorchReplicaSpecs[replica].template.spec!.containers[0]!;
    const command = container.command!.map((a) =>
      a === "python" ? python : a === "/etc/crucible/job.json" ? specFile : a,
    );
    const env = Object.fromEntries(
      (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
    return run(command, {
      ...env,
      OMP_NUM_THREADS: "1",
      MASTER_ADDR: "127.0.0.1",
      MASTER_PORT: port,
      PET_MASTER_ADDR: "127.0.0.1",
      PET_MASTER_PORT: port,
      PET_NNODES: "2",
      PET_NODE_RANK: String(rank),
      PET_NPROC_PER_NODE: job.spec.nprocPerNode,
      WORLD_SIZE: "2",
      RANK: String(rank),
    });
  };
  const [master, worker] = await Promise.all([node("Master", 0), node("Worker", 1)]);
  expect(master.code, master.stderr.slice(-3000)).toBe(0);
  expect(worker.code, worker.stderr.slice(-3000)).toBe(0);
  const events = master.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  for (const event of events) expect(checkDocument("events", event)).toEqual([]);
  expect(events[0]).toMatchObject({ type: "started", world_size: 2 });
  expect(events.at(-1)).toMatchObject({ type: "finished", step: 4 });
  expect(worker.stdout).toBe("");
}, 180_000);
