import { describe, expect, it } from "vitest";
import { Scanner } from "../../src/data/scan/scanner.ts";

const scanner = new Scanner({ canaries: ["crucible-canary-abc"] });
const SIZE = 500_000;

/**
 * Strings built to make a scanner do quadratic work: every anchor repeated, runs that almost
 * match, and very many real hits (which overlap resolution must handle in n log n). Before the
 * fixes these took 2–46 s per megabyte. The test compares the scanner with itself on a quarter of
 * the input: linear work takes about 4 times as long on 4 times the text, quadratic work 16 times,
 * so the ratio says which it is whatever the machine's speed or load.
 */
const HOSTILE: Record<string, string> = {
  "many @": "@".repeat(SIZE),
  "many e-mails": "jo@ex.io ".repeat(SIZE / 9),
  "eyJ runs with dots": "eyJaaaaaaaaa.".repeat(SIZE / 13),
  "many colons": ":".repeat(SIZE),
  "hex and colons": "a:".repeat(SIZE / 2),
  "PEM headers without END": "-----BEGIN RSA PRIVATE KEY-----\n".repeat(SIZE / 32),
  "digit groups": "1 ".repeat(SIZE / 2),
  "many phone numbers": "+1 415 555 2671 ".repeat(SIZE / 16),
  "key= chains": "token=".repeat(SIZE / 6),
  "IBAN-like runs": "AB12".repeat(SIZE / 4),
  "many canaries": "crucible-canary-ab".repeat(SIZE / 18),
  "line breaks in value-like runs": "ab12\ncd34\n".repeat(SIZE / 10),
  "many broken cards": "4111 1111 11\n11 1111 ".repeat(SIZE / 22),
  "zero-width characters everywhere": "4\u200b1 ".repeat(SIZE / 4),
};

describe("scanner on hostile strings", () => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`stays linear: ${name} (${(text.length / 1000).toFixed(0)} kB vs a quarter of it)`, () => {
      const quarter = text.slice(0, Math.floor(text.length / 4));
      const [whole, part] = fastest([() => scanner.scanText(text), () => scanner.scanText(quarter)]);
      const ratio = whole / Math.max(part, 0.5);
      expect(ratio, "4x the input should take about 4x the time, not 16x").toBeLessThan(9);
    });
  }
});

/**
 * The fastest of five runs of each function in CPU milliseconds, after a warm-up run of each;
 * the runs alternate, so a burst of other work on a shared machine does not land on one side.
 * CPU time, unlike the wall clock, does not count the time other processes hold the core.
 */
function fastest(fns: [() => void, () => void]): [number, number] {
  for (const fn of fns) fn();
  const best: [number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < 5; i++) {
    fns.forEach((fn, j) => {
      const start = process.cpuUsage();
      fn();
      const used = process.cpuUsage(start);
      best[j] = Math.min(best[j] ?? Number.POSITIVE_INFINITY, (used.user + used.system) / 1000);
    });
  }
  return best;
}
