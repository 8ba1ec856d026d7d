import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import { checkDocument } from "../../src/protocol/validate.ts";
import { runLocal } from "../../src/runners/local-runner.ts";
import { runTorchrun, runTorchrunFollower, torchrunLauncher } from "../../src/runners/torchrun-runner.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { freePort, makeTinyFixture, type TinyFixture, tinyCptSpec } from "../support/tiny-run.ts";

const python = trainerPython(process.env);
let fixture: TinyFixture;

beforeAll(() => {
  fixture = makeTinyFixture(python, "crucible-torchrun-");
}, 120_000);

/** The tiny 6-step CPT spec with batch 2 × accum 2: each of 2 ranks trains whole micro-batches. */
const cptSpec = (runId: string) =>
  tinyCptSpec(fixture, runId, {
    hyperparameters: {
      lr: 3e-3,
      warmup_steps: 1,
      budget: { steps: 6 },
      batch_size: 2,
      grad_accum: 2,
      seq_len: 32,
      adapter: { kind: "full" },
    },
  });

const losses = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === "progress" ? [e.loss] : []));

describe("torchrun runner with the real trainer (2 processes, gloo, CPU)", () => {
  it("runs a 2-process job to the same events, tokens and loss as one process, with a verified checkpoint", async () => {
    const events: TrainerEvent[] = [];
    const log: string[] = [];
    const outcome = await runTorchrun(cptSpec("ddp-2"), {
      python,
      nprocPerNode: 2,
      env: { OMP_NUM_THREADS: "1" },
      onEvent: (e) => events.push(e),
      onLog: (line) => log.push(line),
    });
    if (outcome.status !== "succeeded")
      throw new Error(`run failed: ${JSON.stringify(outcome)}\n${log.join("\n")}`);
    const started = events[0];
    expect(started?.type === "started" && started.world_size).toBe(2);
    expect(events.filter((e) => e.type === "started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "progress")).toHaveLength(6);
    expect(outcome.checkpoints.map((c) => c.step)).toEqual([3, 6]);
    expect(log.some((line) => line.includes("rank1 crucible_trainer rank 1 of 2"))).toBe(true);

    const manifest = JSON.parse(
      readFileSync(join(outcome.finished.checkpoint_path, "manifest.json"), "utf8"),
    );
    expect(checkDocument("checkpoint-manifest", manifest)).toEqual([]);
    expect(manifest.final).toBe(true);

    // One process on the same spec: each rank's share is one of its micro-batches, so the
    // arithmetic is the same and the curve matches to the last bit.
    const alone: TrainerEvent[] = [];
    const single = await runLocal(cptSpec("ddp-1"), { python, onEvent: (e) => alone.push(e) });
    if (single.status !== "succeeded") throw new Error(JSON.stringify(single));
    expect(outcome.finished.tokens_by_source).toEqual(single.finished.tokens_by_source);
    expect(losses(events)).toEqual(losses(alone));
  }, 180_000);

  it("joins two nodes through a static rendezvous; node 0 reports, the follower ends quietly", async () => {
    const spec = cptSpec("ddp-nodes");
    const rdzvEndpoint = `127.0.0.1:${await freePort()}`;
    const common = { python, nprocPerNode: 1, nnodes: 2, rdzvEndpoint, env: { OMP_NUM_THREADS: "1" } };
    const followerEvents: TrainerEvent[] = [];
    const [leader, follower] = await Promise.all([
      runTorchrun(spec, common),
      runTorchrunFollower(spec, { ...common, nodeRank: 1, onEvent: (e) => followerEvents.push(e) }),
    ]);
    if (leader.status !== "succeeded") throw new Error(JSON.stringify(leader));
    expect(leader.finished.step).toBe(6);
    expect(follower).toEqual({ status: "succeeded", checkpoints: [] });
    expect(followerEvents).toEqual([]);
  }, 180_000);

  it("cancels torchrun and every worker with it", async () => {
    const controller = new AbortController();
    const spec = cptSpec("ddp-cancel");
    spec.hyperparameters.budget = { steps: 100000 };
    spec.checkpoint = { every_steps: 100000 };
    const outcome = await runTorchrun(spec, {
      python,
      nprocPerNode: 2,
      env: { OMP_NUM_THREADS: "1" },
      signal: controller.signal,
      graceSeconds: 5,
      onEvent: (e) => {
        if (e.type === "progress") controller.abort();
      },
    });
    expect(outcome.status).toBe("cancelled");
    const left = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(join(spec.output_dir, "job.json")));
    expect(left).toEqual([]);
  }, 180_000);

  it("builds torchrun arguments and refuses a multi-node run it could not rendezvous", () => {
    expect(torchrunLauncher("r", { nprocPerNode: 4 }).pythonArgs).toEqual([
      "-m",
      "torch.distributed.run",
      "--nproc-per-node",
      "4",
      "--standalone",
    ]);
    expect(() => torchrunLauncher("r", { nprocPerNode: 0 })).toThrow(/nprocPerNode.*at least 1/);
    expect(() => torchrunLauncher("r", { nprocPerNode: 2, nnodes: 2 })).toThrow(/rdzvEndpoint/);
    expect(() =>
      torchrunLauncher("r", { nprocPerNode: 2, nnodes: 2, nodeRank: 2, rdzvEndpoint: "h:1" }),
    ).toThrow(/nodeRank.*\[0, 2\)/);
    expect(() =>
      runTorchrun(cptSpec("x"), { python, nprocPerNode: 1, nnodes: 2, nodeRank: 1, rdzvEndpoint: "h:1" }),
    ).toThrow(/runTorchrunFollower/);
  });
});
