import { describe, expect, it } from "vitest";
import { ALL_DETECTORS } from "../../src/data/scan/detectors.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { scoreDetectors } from "../support/scan/evaluate.ts";
import { defaultCanaries, generateLabelledSet } from "../support/scan/labelled.ts";

const SEED = 20261126;
const examples = generateLabelledSet({ seed: SEED, perDetector: 200, negatives: 1500 });
const scanner = new Scanner({ canaries: defaultCanaries(SEED) });
const scores = scoreDetectors((text) => scanner.scanText(text), examples);

describe("labelled evaluation set", () => {
  it("is deterministic from its seed and changes with it", () => {
    expect(generateLabelledSet({ seed: SEED, perDetector: 5, negatives: 5 })).toEqual(
      generateLabelledSet({ seed: SEED, perDetector: 5, negatives: 5 }),
    );
    expect(generateLabelledSet({ seed: SEED + 1, perDetector: 5, negatives: 5 })).not.toEqual(
      generateLabelledSet({ seed: SEED, perDetector: 5, negatives: 5 }),
    );
  });

  it("labels point at the planted values and cover every detector", () => {
    const covered = new Set(examples.flatMap((e) => e.labels.map((l) => l.detector)));
    expect([...covered].sort()).toEqual([...ALL_DETECTORS].sort());
    for (const { text, labels } of examples) {
      for (const l of labels) {
        expect(l.end).toBeGreaterThan(l.start);
        expect(l.end).toBeLessThanOrEqual(text.length);
      }
    }
    expect(examples.filter((e) => e.labels.length === 0)).toHaveLength(1500);
  });

  for (const detector of ALL_DETECTORS) {
    it(`${detector}: recall >= 0.95 at precision >= 0.90`, () => {
      const score = scores.find((s) => s.detector === detector)!;
      expect(score.truePositives + score.falseNegatives, "positives in the set").toBe(200);
      expect(score.recall, JSON.stringify(score)).toBeGreaterThanOrEqual(0.95);
      expect(score.precision, JSON.stringify(score)).toBeGreaterThanOrEqual(0.9);
    });
  }

  it("the scoring counts misses and false alarms (a scanner that finds nothing, or everything, fails)", () => {
    const silent = scoreDetectors(() => [], examples);
    expect(silent.every((s) => s.recall === 0)).toBe(true);
    const noisy = scoreDetectors(
      (text) => [{ detector: "email", start: 0, end: text.length, confidence: 1 }],
      examples,
    );
    expect(noisy.find((s) => s.detector === "email")!.precision).toBeLessThan(0.1);
  });
});
