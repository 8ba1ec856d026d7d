import { CrucibleError } from "../core/errors.ts";
import { NANO_REPLAY } from "../nano/nano-replay.ts";
import type { Denial } from "./denials.ts";
import type { ApprovalSummary } from "./story-approve.ts";
import type { StoryData } from "./story-data.ts";
import type { Measured } from "./story-eval.ts";
import type { RevocationSummary } from "./story-revoke.ts";
import type { DemoRun } from "./story-runs.ts";
import type { TargetResult } from "./targets.ts";

/** The denials the story stages, each with a rule that must be among those that decided it. */
export const EXPECTED_DENIALS: Record<string, string> = {
  "train-unapproved-data": "dataset.unapproved",
  "self-approve-data": "sod.dataset-uploader",
  "self-approve-checkpoint": "sod.checkpoint-run-starter",
  "train-revoked-data": "dataset.revoked",
};

/** nano's replay corpora a cpt stage reads, as the demo's recipes name them (first versions). */
const CPT_REPLAY = NANO_REPLAY.filter((r) => r.purpose === "cpt").map((r) => `${r.dataset}@v1`);

/** What a demo run measured; every value comes from this run. */
export interface DemoFacts {
  workdir: string;
  /** Registered base name → manifest digest. */
  base: Record<string, string>;
  data: StoryData["summary"];
  denials: Denial[];
  runs: Record<string, DemoRun>;
  /** Label (base, custom, custom_no_mix) → metric → value, as docs/design/DEMO.md's summary shows them. */
  metrics: Record<string, Record<string, number>>;
  /** The same with each metric's item count and 95% interval. */
  metric_details: Record<string, Record<string, Measured>>;
  provenance: ApprovalSummary;
  revocation: RevocationSummary;
  audit: { verified: boolean; entries: number };
  timings_s: Record<string, number>;
  /** docs/design/DEMO.md's targets judged on this run (the full demo's goal; `--fast` learns too little). */
  targets: TargetResult[];
  steps_not_yet_built: string[];
}

export interface DemoSummary extends DemoFacts {
  /** Every check passed. */
  ok: boolean;
  /** What `ok` is made of, by name, so a failed demo says which fact was wrong. */
  checks: Record<string, boolean>;
}

/**
 * The story's claims, checked against what happened: redaction left no findings; each staged
 * denial happened with its rule; both runs succeeded through the queue; custom's cpt read the
 * handbook at ~30% (the rest replay) and the ablation's at 100%; the approved checkpoint's
 * provenance verified; the revocation tainted checkpoints, the approved one among them; the
 * audit chain verified; at full size, every docs/design/DEMO.md target met.
 * @example const checks = demoChecks(facts, "acme-handbook@v2", false); const ok = Object.values(checks).every(Boolean);
 */
export function demoChecks(facts: DemoFacts, handbook: string, full: boolean): Record<string, boolean> {
  const share = (run: DemoRun | undefined) => {
    const t = run?.tokens_by_source ?? {};
    const acme = t[handbook] ?? 0;
    const replay = CPT_REPLAY.reduce((sum, ref) => sum + (t[ref] ?? 0), 0);
    return acme / (acme + replay || 1);
  };
  // a denial names every rule that decided it, comma-separated (a gate and the reason it failed)
  const rules = (step: string) => facts.denials.find((d) => d.step === step)?.rule.split(",") ?? [];
  return {
    redaction_clean: facts.data.rescan_findings === 0,
    denials_with_rules: Object.entries(EXPECTED_DENIALS).every(([step, rule]) => rules(step).includes(rule)),
    runs_succeeded: ["custom", "custom_no_mix"].every((l) => facts.runs[l]?.status === "succeeded"),
    custom_mix_30_70: Math.abs(share(facts.runs.custom) - 0.3) < 0.05,
    no_mix_all_acme: share(facts.runs.custom_no_mix) === 1,
    provenance_verified: facts.provenance.verified,
    revocation_tainted:
      facts.revocation.tainted_checkpoints > 0 && facts.revocation.approved_checkpoint_tainted,
    audit_verified: facts.audit.verified,
    ...(full ? { targets_met: facts.targets.every((t) => t.met) } : {}),
  };
}

/**
 * The error `crucible demo` exits with when any of its checks failed (exit 1, so a script or CI can
 * tell), naming every failed check; undefined when the demo is ok.
 * @example demoFailure({ ok: false, checks: { audit_verified: false }, workdir: "/tmp/d" })?.problem // "the demo's checks failed: audit_verified"
 */
export function demoFailure(
  summary: Pick<DemoSummary, "ok" | "checks" | "workdir">,
): CrucibleError | undefined {
  if (summary.ok) return undefined;
  const failed = Object.entries(summary.checks)
    .filter(([, passed]) => !passed)
    .map(([name]) => name);
  return new CrucibleError(
    "failed_precondition",
    `the demo's checks failed: ${failed.join(", ") || "(none named)"}`,
    {
      field: "checks",
      value: `${summary.workdir}/summary.json`,
      fix: "Each failed check is a fact of the story that did not hold: see its value in summary.json and the lines above",
    },
  );
}
