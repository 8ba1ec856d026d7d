import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { TrainerEvent } from "../../src/protocol/types/events.gen.ts";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { runLocal } from "../../src/runners/local-runner.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
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

  it("a crashed trainer's reason carries its last stderr lines, each bounded and with tokens masked", async () => {
    // a trainer double: the crash's words are the point, not training
    const dir = mkdtempSync(join(tmpdir(), "crucible-crash-"));
    const fake = join(dir, "python");
    const token = `crt_${"A".repeat(43)}`;
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        'for i in 1 2 3 4 5 6 7 8; do echo "early line $i" >&2; done',
        `echo "token in a traceback: ${token}" >&2`,
        `echo "${"x".repeat(1000)}" >&2`,
        'echo "Traceback (most recent call last):" >&2',
        'echo "torch.OutOfMemoryError: CUDA out of memory" >&2',
        "exit 3",
      ].join("\n"),
    );
    chmodSync(fake, 0o755);
    const outcome = await runLocal(cptSpec("cpt-crash"), { python: fake });
    if (outcome.status !== "failed") throw new Error(`expected a failure, got ${outcome.status}`);
    expect(outcome.code).toBe("trainer_crashed");
    expect(outcome.reason).toMatch(
      /^the trainer exited with code 3 without saying why; its last stderr lines: /,
    );
    expect(outcome.reason).toContain("torch.OutOfMemoryError: CUDA out of memory");
    expect(outcome.reason).toContain("early line 8");
    expect(outcome.reason).not.toContain("early line 7"); // five lines, the last ones
    expect(outcome.reason).not.toContain(token);
    expect(outcome.reason.length).toBeLessThan(5 * 310 + 120);
  });
});
