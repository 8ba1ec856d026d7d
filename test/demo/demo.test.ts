import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("runs `crucible demo --fast` end to end through the real binary, queue, trainer and store", async () => {
  const home = mkdtempSync(join(tmpdir(), "crucible-demo-"));
  const { stdout, stderr } = await run(process.execPath, ["bin/crucible.js", "demo", "--fast", "--json"], {
    env: { ...process.env, CRUCIBLE_HOME: home },
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = JSON.parse(stdout);
  expect(summary.ok, stderr).toBe(true);
  expect(existsSync(join(summary.workdir, "summary.json"))).toBe(true);
  expect(JSON.parse(readFileSync(join(summary.workdir, "summary.json"), "utf8"))).toEqual(summary);
  // the pre-screen found the planted PII, secrets and canaries, and redaction removed them all
  expect(summary.data.findings).toMatchObject({
    email: expect.any(Number),
    aws_access_key_id: expect.any(Number),
    canary: expect.any(Number),
  });
  expect(summary.data.rescan_findings).toBe(0);
  // both candidates ran as recipes through startRun and the queue, and succeeded
  expect(summary.runs.custom).toMatchObject({ run: "custom-1", status: "succeeded" });
  expect(summary.runs.custom_no_mix).toMatchObject({ run: "custom-no-mix-1", status: "succeeded" });
  expect(summary.runs.custom.stages.map((s: { stage: string }) => s.stage)).toEqual(["cpt", "sft"]);
  // the mixes hold on the tokens the platform recorded per dataset version: custom's cpt read
  // the handbook at 30% and nano's pre and mid text at 50% and 20%, the ablation's at 100%
  const custom = summary.runs.custom.tokens_by_source;
  const cpt = custom["acme-handbook@v2"] + custom["nano-pre@v1"] + custom["nano-mid@v1"];
  expect(Math.abs(custom["acme-handbook@v2"] / cpt - 0.3)).toBeLessThan(0.05);
  expect(Math.abs(custom["nano-mid@v1"] / cpt - 0.2)).toBeLessThan(0.05);
  const noMix = summary.runs.custom_no_mix.tokens_by_source;
  expect(noMix["acme-handbook@v2"]).toBeGreaterThan(0);
  expect(noMix["nano-pre@v1"]).toBeUndefined();
  expect(noMix["nano-mid@v1"]).toBeUndefined();
  for (const run of [custom, noMix]) {
    expect(run["acme-qa@v1"]).toBeGreaterThan(0);
    expect(run["nano-post@v1"]).toBeGreaterThan(0);
  }
  // every staged denial happened, decided by the rule the story names
  const rules = Object.fromEntries(
    summary.denials.map((d: { step: string; rule: string }) => [d.step, d.rule.split(",")]),
  );
  expect(rules["train-unapproved-data"]).toContain("gate.run-inputs-approved");
  expect(rules["self-approve-data"]).toContain("sod.dataset-uploader");
  expect(rules["self-approve-checkpoint"]).toEqual(["sod.checkpoint-run-starter"]);
  expect(rules["train-revoked-data"]).toContain("dataset.revoked");
  // mara approved custom's candidate; its signed provenance verified offline
  expect(summary.provenance).toMatchObject({
    checkpoint: summary.runs.custom.checkpoint,
    approved_by: "mara",
    verified: true,
  });
  expect(existsSync(summary.provenance.envelope)).toBe(true);
  // revoking the handbook reached both runs and tainted their checkpoints, the approved one too
  expect(summary.revocation.runs.sort()).toEqual(["custom-1", "custom-no-mix-1"]);
  expect(summary.revocation.tainted_checkpoints).toBeGreaterThan(0);
  expect(summary.revocation.approved_checkpoint_tainted).toBe(true);
  expect(summary.audit).toMatchObject({ verified: true });
  expect(summary.audit.entries).toBeGreaterThan(20);
  expect(Object.values(summary.checks)).not.toContain(false);
  expect(summary.steps_not_yet_built).not.toContain("revocation");
  // base and both candidates answered the same held-out suites (tiny models learn little: the
  // values are shares in [0, 1] over every item of each suite, not targets)
  const suites = [
    "general_accuracy",
    "general_accuracy_heldout_phrasing",
    "unsafe_refusal_rate",
    "benign_over_refusal_rate",
    "domain_accuracy",
    "domain_accuracy_heldout_phrasing",
  ];
  for (const label of ["base", "custom", "custom_no_mix"]) {
    expect(Object.keys(summary.metrics[label]).sort()).toEqual([...suites].sort());
    for (const name of suites) {
      const m = summary.metric_details[label][name];
      expect(m.n).toBeGreaterThan(0);
      expect(m.value).toBe(summary.metrics[label][name]);
      expect(m.interval[0]).toBeLessThanOrEqual(m.value);
      expect(m.interval[1]).toBeGreaterThanOrEqual(m.value);
    }
    // each item's verdict is kept beside the summary, and the shares are counted from them
    const lines = readFileSync(join(summary.workdir, "eval", `${label}.jsonl`), "utf8")
      .trim()
      .split("\n");
    const verdicts = lines.map(
      (line) => JSON.parse(line) as { metric: string; hit: boolean; completion: string },
    );
    for (const name of suites) {
      const mine = verdicts.filter((v) => v.metric === name);
      expect(mine).toHaveLength(summary.metric_details[label][name].n);
      expect(mine.filter((v) => v.hit).length / mine.length).toBeCloseTo(summary.metrics[label][name], 10);
    }
  }
  // docs/design/DEMO.md's targets are judged and reported, but only the full demo must meet them
  expect(summary.targets).toHaveLength(12);
  expect("targets_met" in summary.checks).toBe(false);
  expect(stderr).toMatch(/target (met {3}|missed) custom domain_accuracy ≥ 0\.80/);
  expect(stderr).toContain("eval: custom: general_accuracy");
  expect(stderr).toContain("custom-1/cpt: step");
  expect(stderr).toContain("custom-no-mix-1/sft: step");
}, 600_000);
