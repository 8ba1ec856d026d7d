import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";

/** A tiny random-init Llama and two JSONL sources (acme, replay), from make_tiny_model.py. */
export interface TinyFixture {
  root: string;
  base: { path: string; digest: string };
  sources: Record<"acme" | "replay", { path: string; digest: string }>;
}

/** Builds the tiny model and data in a fresh temporary directory (a few seconds). */
export function makeTinyFixture(python: string, prefix: string): TinyFixture {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const script = new URL("./make_tiny_model.py", import.meta.url).pathname;
  return { root, ...JSON.parse(execFileSync(python, [script, root], { encoding: "utf8" })) };
}

/** A 6-step 30/70 CPT spec on the tiny model, checkpointing every 3 steps, CPU, one thread. */
export function tinyCptSpec(fixture: TinyFixture, runId: string, overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    protocol_version: 1,
    run_id: runId,
    stage: "cpt",
    base: fixture.base,
    data: {
      sources: [
        { name: "acme", ...fixture.sources.acme, share: 0.3, format: "text" },
        { name: "replay", ...fixture.sources.replay, share: 0.7, format: "text" },
      ],
    },
    hyperparameters: {
      lr: 3e-3,
      warmup_steps: 1,
      budget: { steps: 6 },
      batch_size: 2,
      seq_len: 32,
      weight_decay: 0.01,
      adapter: { kind: "full" },
    },
    seed: 3,
    checkpoint: { every_steps: 3 },
    output_dir: join(fixture.root, runId),
    runtime: { device: "cpu", threads: 1 },
    ...overrides,
  } as JobSpec;
}

/** A TCP port free on 127.0.0.1 right now (for torchrun's rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
