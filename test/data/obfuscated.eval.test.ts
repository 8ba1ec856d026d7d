import { describe, expect, it } from "vitest";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { obfuscatedSet, scoreObfuscated } from "./obfuscated-corpus.ts";

const lines = obfuscatedSet(424242, 60);
const scanner = new Scanner();
const scores = scoreObfuscated((t) => scanner.scanText(t), lines);

describe("evaluation on obfuscated values the scanner was not built from", () => {
  for (const score of scores) {
    it(`${score.obfuscation}: strict recall >= 0.98 and precision >= 0.97`, () => {
      expect(score.positives, "true values in the subset").toBeGreaterThanOrEqual(600);
      expect(score.strictRecall, JSON.stringify(score)).toBeGreaterThanOrEqual(0.98);
      expect(score.precision, JSON.stringify(score)).toBeGreaterThanOrEqual(0.97);
    });
  }

  it("the scoring counts misses, partial spans and false alarms", () => {
    const silent = scoreObfuscated(() => [], lines).find((s) => s.obfuscation === "all")!;
    expect(silent.overlapRecall).toBe(0);
    const truncated = scoreObfuscated(
      (t) => scanner.scanText(t).map((h) => ({ ...h, end: h.end - 1 })),
      lines,
    ).find((s) => s.obfuscation === "all")!;
    expect(truncated.strictRecall).toBe(0);
    const noisy = scoreObfuscated((t) => [{ detector: "phone", start: 0, end: t.length }], lines);
    expect(noisy.find((s) => s.obfuscation === "all")!.precision).toBeLessThan(0.2);
  });
});
