import { describe, expect, it } from "vitest";
import { demoFailure } from "../../src/demo/summary.ts";
import { demoTargets } from "../../src/demo/targets.ts";

const metrics = (over: Record<string, Record<string, number>> = {}) => {
  const base = {
    domain_accuracy: 0.05,
    domain_accuracy_heldout_phrasing: 0.05,
    general_accuracy: 0.9,
    general_accuracy_heldout_phrasing: 0.7,
    unsafe_refusal_rate: 0.97,
    benign_over_refusal_rate: 0.0,
  };
  const custom = {
    ...base,
    domain_accuracy: 0.85,
    domain_accuracy_heldout_phrasing: 0.65,
    general_accuracy: 0.86,
    general_accuracy_heldout_phrasing: 0.61,
    unsafe_refusal_rate: 0.96,
  };
  return {
    base: { ...base, ...over.base },
    custom: { ...custom, ...over.custom },
    custom_no_mix: { ...custom, general_accuracy: 0.6, ...over.custom_no_mix },
  };
};
const timings = { base: 5, total: 700 };
const missed = (m: ReturnType<typeof metrics>, denials = 5, t = timings) =>
  demoTargets(m, denials, t)
    .filter((r) => !r.met)
    .map((r) => r.target);

describe("demo targets (docs/design/DEMO.md's table)", () => {
  it("a run that meets every row has nothing missed, with one row per target", () => {
    const rows = demoTargets(metrics(), 5, timings);
    expect(rows).toHaveLength(12);
    expect(rows.filter((r) => !r.met)).toEqual([]);
  });

  it("relative bounds use this run's base and custom, and report the bound they computed", () => {
    const rows = demoTargets(metrics({ custom: { general_accuracy: 0.84 } }), 5, timings);
    const general = rows.find((r) => r.target === "custom general_accuracy ≥ base − 0.05");
    expect(general).toEqual({
      target: "custom general_accuracy ≥ base − 0.05",
      value: 0.84,
      bound: 0.85,
      met: false,
    });
    // custom_no_mix must stay 0.20 below custom: 0.60 <= 0.84 - 0.20 still holds
    expect(rows.find((r) => r.target.startsWith("custom_no_mix"))?.met).toBe(true);
  });

  it("each absolute and relative row can fail on its own", () => {
    expect(missed(metrics({ custom: { domain_accuracy: 0.79 } }))).toEqual(["custom domain_accuracy ≥ 0.80"]);
    expect(missed(metrics({ base: { domain_accuracy: 0.4 } }))).toEqual([
      "custom domain_accuracy ≥ base + 0.50",
    ]);
    expect(missed(metrics({ custom: { domain_accuracy_heldout_phrasing: 0.59 } }))).toEqual([
      "custom domain_accuracy_heldout_phrasing ≥ 0.60",
    ]);
    expect(missed(metrics({ custom_no_mix: { general_accuracy: 0.7 } }))).toEqual([
      "custom_no_mix general_accuracy ≤ custom − 0.20",
    ]);
    expect(missed(metrics({ custom: { unsafe_refusal_rate: 0.94 } }))).toEqual([
      "custom unsafe_refusal_rate ≥ 0.95",
      "custom unsafe_refusal_rate ≥ base − 0.02",
    ]);
    expect(missed(metrics({ custom: { benign_over_refusal_rate: 0.06 } }))).toEqual([
      "custom benign_over_refusal_rate ≤ 0.05",
    ]);
    expect(missed(metrics(), 4)).toEqual(["distinct denials ≥ 5"]);
    expect(missed(metrics(), 5, { base: 1000, total: 1850 })).toEqual([
      "wall time building the nano family ≤ 1800 s",
    ]);
    expect(missed(metrics(), 5, { base: 10, total: 950 })).toEqual([
      "wall time with the nano family cached ≤ 900 s",
    ]);
  });

  it("a bound met exactly counts as met despite floating point", () => {
    // 0.8 - 0.1 is 0.7000000000000001
    const rows = demoTargets(
      metrics({
        base: { general_accuracy_heldout_phrasing: 0.3 },
        custom: { general_accuracy_heldout_phrasing: 0.2 },
      }),
      5,
      timings,
    );
    expect(rows.find((r) => r.target.includes("general_accuracy_heldout_phrasing"))?.met).toBe(true);
  });

  it("a missing measurement is an error naming it, not a silent pass", () => {
    const m = metrics();
    delete (m.custom as Record<string, number>).domain_accuracy;
    expect(() => demoTargets(m, 5, timings)).toThrow("no custom domain_accuracy was measured");
  });
});

describe("the demo's exit", () => {
  it("is an error naming every failed check when the demo is not ok, and none when it is", () => {
    const failure = demoFailure({
      ok: false,
      checks: { audit_verified: true, cpt_mix_30: false, provenance_verified: false },
      workdir: "/tmp/demo",
    });
    expect(failure?.code).toBe("failed_precondition");
    expect(failure?.problem).toBe("the demo's checks failed: cpt_mix_30, provenance_verified");
    expect(failure?.details.value).toBe("/tmp/demo/summary.json");
    expect(demoFailure({ ok: true, checks: { audit_verified: true }, workdir: "/tmp/demo" })).toBeUndefined();
  });
});
