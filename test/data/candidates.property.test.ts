import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { branchOf, buildCandidatePattern, nextCandidate } from "../../src/data/scan/pattern.ts";
import { generateLabelledSet } from "../support/scan/labelled.ts";

const pattern = buildCandidatePattern([]);
/** The same combined pattern as a global regex: what the walk must reproduce exactly. */
const global = new RegExp(pattern.regex.source, "g");

/** Where, what, and which branch (its index in the combined pattern). */
type Match = [number, string, number];

const ofGlobal = (m: RegExpExecArray): Match => [m.index, m[0], m.slice(1).findIndex((g) => g !== undefined)];
const ofWalk = (m: RegExpExecArray): Match => [m.index, m[0], pattern.branches.indexOf(branchOf(m, pattern))];

/** Every candidate from `from`, resuming after each as the scanner's walk may (start + 1). */
function walk(
  text: string,
  next: (text: string, from: number) => RegExpExecArray | null,
  shape: (m: RegExpExecArray) => Match,
): Match[] {
  const out: Match[] = [];
  for (let m = next(text, 0); m !== null; m = next(text, m.index + 1)) out.push(shape(m));
  return out;
}

const viaRegex = (text: string, from: number) => {
  global.lastIndex = from;
  return global.exec(text);
};
const viaWalk = (text: string, from: number) => nextCandidate(text, from, pattern);

// Characters every branch starts with or looks behind at, plus prose, separators and non-ASCII.
const PIECES = [
  ..."AKIASBCDEFGXYZ0123456789_-:=+().@ abcdefghijklmnopqrstuvwxyz\"'é—\n",
  "AKIA",
  "ASIA",
  "ghp_",
  "github_pat_",
  "sk_live_",
  "rk_live_",
  "xoxb-",
  "sk-",
  "password=",
  "api_key: ",
  "AccountKey=",
  "fe80::",
  "DE89",
  "+1 415 ",
  "(202) ",
  "2025-03-14",
  "10.0.0.1",
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((parts) => parts.join(""));

describe("nextCandidate (the scanner's walk over character codes)", () => {
  it("reports the branch of each match", () => {
    const m = nextCandidate("call +1 415 555 2671", 0, pattern)!;
    expect(branchOf(m, pattern).kind).toBe("number");
  });

  it("property: finds exactly the matches of the global combined regex, at the same places", () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(walk(t, viaWalk, ofWalk)).toEqual(walk(t, viaRegex, ofGlobal));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with the regex on every example of the labelled set", () => {
    for (const { text: t } of generateLabelledSet({ seed: 11, perDetector: 60, negatives: 600 })) {
      expect(walk(t, viaWalk, ofWalk), t).toEqual(walk(t, viaRegex, ofGlobal));
    }
  });
});
