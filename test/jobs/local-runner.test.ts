import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runLocal } from "../../src/jobs/local-runner.ts";
import { trainerPython } from "../../src/jobs/trainer-python.ts";
import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { makeTinyFixture, type TinyFixture, tinyCptSpec } from "../support/tiny-run.ts";

const python = trainerPython(process.env);
let fixture: TinyFixture;

beforeAll(() => {
  fixture = makeTinyFixture(python, "crucible-runner-");
}, 120_000);

const cptSpec = (runId: string, overrides: Partial<JobSpec> = {}) => tinyCptSpec(fixture, runId, overrides);

describe("local runner with the real trainer", () => {
  it("runs a 30/70 CPT job to completion, passing every event and the log through", async () => {
    const events: TrainerEvent[] = [];
    const outcome = await runLocal(cptSpec("cpt-ok"), { python, onEvent: (e) => events.push(e) });
    expect(outcome.status).toBe("succeeded");
    expect(events[0]?.type).toBe("started");
    expect(events.at(-1)?.type).toBe("finished");
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.length).toBeGreaterThan(0);
    if (outcome.status !== "succeeded") throw new Error("unreachable");
    const seen = outcome.finished.tokens_by_source as Record<string, number>;
    const total = (seen.acme ?? 0) + (seen.replay ?? 0);
    expect(Math.abs((seen.acme ?? 0) / total - 0.3)).toBeLessThan(0.05);
    expect(outcome.checkpoints.map((c) => c.step)).toEqual([3, 6]);
    const manifest = JSON.parse(
      readFileSync(join(outcome.checkpoints.at(-1)!.path, "manifest.json"), "utf8"),
    );
    expect(manifest.protocol_version).toBe(1);
  });

  it("turns a trainer failure into a failed outcome with the trainer's reason", async () => {
    const spec = cptSpec("cpt-bad-digest");
    spec.data.sources[0]!.digest = `sha256:${"0".repeat(64)}`;
    const outcome = await runLocal(spec, { python });
    expect(outcome.status).toBe("failed");
    if (outcome.status !== "failed") throw new Error("unreachable");
    expect(outcome.reason).toMatch(/digest/i);
  });

  it("refuses a spec that breaks the protocol before starting anything", async () => {
    const spec = cptSpec("cpt-bad-share");
    spec.data.sources[0]!.format = "yaml" as "text";
    await expect(runLocal(spec, { python })).rejects.toThrow(/\$\.data\.sources\[0\]\.format/);
  });

  it("cancels a running job with SIGTERM and reports it cancelled", async () => {
    const controller = new AbortController();
    const spec = cptSpec("cpt-cancel", { checkpoint: { every_steps: 1000 } });
    spec.hyperparameters.budget = { steps: 100000 };
    const outcome = await runLocal(spec, {
      python,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "progress") controller.abort();
      },
    });
    expect(outcome.status).toBe("cancelled");
  });
});
