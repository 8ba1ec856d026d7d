/**
 * The one combined candidate pattern the scanner runs over each string, plus the literal
 * anchors that `Scanner` finds by native substring search (`@`, `yJ`, `-----BEGIN`) and a
 * literal-only canary pattern, all built from the detector registry (`detectors.ts`). Every
 * regex branch starts with a narrow set of characters — a fixed prefix (`AKIA`, `ghp_`, `sk-`…),
 * a rare separator (`:`, `=`) whose context is checked by a lookbehind placed after it, a digit
 * or an upper-case letter pair — which each branch declares (`starts`, `mayStart`).
 * `nextCandidate` walks the string's character codes and enters the (sticky) regex only where
 * such a start is possible, so prose passes at the cost of a table lookup per character.
 * Word-boundary checks, the expansion of anchors into e-mails, IPv6 addresses and `key = value`
 * pairs, and all validation happen afterwards (the detectors' `find`). One pass replaces a dozen
 * separate regex passes.
 */
import {
  type AnchorFinder,
  type BranchFinder,
  type DetectorSpec,
  isAnchor,
  isBranch,
  isDigits,
  isKeyValue,
} from "./detector.ts";
import { DETECTORS } from "./detectors.ts";
import { type DigitsDetector, NUMBER_BRANCH } from "./digit-runs.ts";
import { KEY_VALUE_BRANCH, type KeyValueDetector } from "./key-value.ts";

export type BranchDetector = DetectorSpec & { finder: BranchFinder };
export type AnchorDetector = DetectorSpec & { finder: AnchorFinder };

/** A branch of the combined pattern: a detector's own, or one of the two shared ones. */
export type Branch =
  | { kind: "detector"; detector: BranchDetector }
  | { kind: "number" }
  | { kind: "keyValue" };

interface BranchSource {
  source: string;
  starts: string;
  mayStart?: ((text: string, at: number) => boolean) | undefined;
}

/** What the registry asks of the scanner, grouped by how candidates are found. */
export interface ScanPlan {
  /** In alternation order: `key = value` first, the detectors' own in registry order, numbers last. */
  branches: ReadonlyArray<Branch & BranchSource>;
  /** Each literal once, with the detectors that expand it, in registry order. */
  anchors: ReadonlyArray<{ literal: string; detectors: readonly AnchorDetector[] }>;
  digits: readonly DigitsDetector[];
  keyValues: readonly KeyValueDetector[];
  byId: ReadonlyMap<string, DetectorSpec>;
}

function planOf(detectors: readonly DetectorSpec[]): ScanPlan {
  const own = detectors.filter((d): d is BranchDetector => isBranch(d.finder));
  const anchors = new Map<string, AnchorDetector[]>();
  for (const d of detectors) {
    if (isAnchor(d.finder))
      anchors.set(d.finder.anchor, [...(anchors.get(d.finder.anchor) ?? []), d as AnchorDetector]);
  }
  return {
    branches: [
      { kind: "keyValue", ...KEY_VALUE_BRANCH },
      ...own.map((detector) => ({ kind: "detector" as const, detector, ...detector.finder.branch })),
      { kind: "number", ...NUMBER_BRANCH },
    ],
    anchors: [...anchors].map(([literal, ds]) => ({ literal, detectors: ds })),
    digits: detectors.filter((d): d is DigitsDetector => isDigits(d.finder)),
    keyValues: detectors.filter((d): d is KeyValueDetector => isKeyValue(d.finder)),
    byId: new Map(detectors.map((d) => [d.id, d])),
  };
}

/** The registry's plan, built once. */
export const PLAN: ScanPlan = planOf(DETECTORS);

export interface CandidatePattern {
  /** The combined pattern, sticky: `nextCandidate` runs it only where a branch can start. */
  regex: RegExp;
  /** The branches, by capture group number minus one. */
  branches: ScanPlan["branches"];
  /** Per ASCII code: 0 when no branch starts there, else 1 + index into `gates`. */
  gateOf: Uint8Array;
  /** Per start character: whether some branch can match here (its `mayStart`, or always). */
  gates: ReadonlyArray<(text: string, at: number) => boolean>;
  /**
   * All canaries as one alternation of literals, longest first (undefined without canaries):
   * one pass whatever their number, where an indexOf per canary would grow with it (measured:
   * 15 ms for 3 or 50 canaries over 20 MB, against 38 and 320 ms).
   */
  canaries: RegExp | undefined;
}

const escapeChar = (c: string) => (/[\\\]^-]/.test(c) ? `\\${c}` : c);

/**
 * Builds the combined pattern, its start-character gates and the canary pattern.
 * @example buildCandidatePattern(["zebra-canary-17"]).canaries?.test("a zebra-canary-17") // true
 */
export function buildCandidatePattern(canaries: readonly string[], plan: ScanPlan = PLAN): CandidatePattern {
  const startChars = new Set(plan.branches.flatMap((b) => [...b.starts]));
  const gate = `(?=[${[...startChars].map(escapeChar).join("")}])`;
  const gateOf = new Uint8Array(128);
  const gates: Array<(text: string, at: number) => boolean> = [];
  for (const c of startChars) {
    const code = c.charCodeAt(0);
    if (code >= 128)
      throw new Error(`detector branch start ${JSON.stringify(c)} is not ASCII; start on ASCII`);
    const conditions = plan.branches.filter((b) => b.starts.includes(c)).map((b) => b.mayStart);
    const checks = conditions.filter((f): f is (text: string, at: number) => boolean => f !== undefined);
    gates.push(
      checks.length < conditions.length
        ? () => true
        : checks.length === 1
          ? checks[0]!
          : (text, at) => checks.some((f) => f(text, at)),
    );
    gateOf[code] = gates.length;
  }
  return {
    regex: new RegExp(`${gate}(?:${plan.branches.map((b) => `(${b.source})`).join("|")})`, "y"),
    branches: plan.branches,
    gateOf,
    gates,
    canaries: canaryPattern(canaries),
  };
}

function canaryPattern(canaries: readonly string[]): RegExp | undefined {
  const literals = [...new Set(canaries.filter((c) => c.length > 0))].sort((a, b) => b.length - a.length);
  if (literals.length === 0) return undefined;
  return new RegExp(literals.map((c) => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|"), "g");
}

/**
 * Calls `visit` with each position of `needle` in `text` (non-overlapping, left to right).
 * @example forEachIndex("a@b@c", "@", (i) => seen.push(i)) // seen: [1, 3]
 */
export function forEachIndex(text: string, needle: string, visit: (at: number) => void): void {
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) visit(at);
}

/** Which branch a match of the combined pattern came from. */
export function branchOf(m: RegExpExecArray, pattern: CandidatePattern): ScanPlan["branches"][number] {
  for (let g = 1; g < m.length; g += 1) if (m[g] !== undefined) return pattern.branches[g - 1]!;
  throw new Error("combined pattern matched no branch");
}

/**
 * The next candidate of the combined pattern at or after `from`, as `RegExp.exec` on the
 * global pattern would find it: the same match at the same position, because every position
 * skipped here fails a condition that each branch needs (`mayStart`), and the sticky pattern
 * decides the rest. A plain loop over character codes passes prose far faster than the regex
 * engine's own scan, which tries the gate and the branches at every position.
 * @example nextCandidate("call +1 415 555 2671", 0, buildCandidatePattern([]))?.index // 5
 */
export function nextCandidate(text: string, from: number, pattern: CandidatePattern): RegExpExecArray | null {
  const { regex, gateOf, gates } = pattern;
  for (let at = from; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 128) continue;
    const gate = gateOf[code]!;
    if (gate === 0 || !gates[gate - 1]!(text, at)) continue;
    regex.lastIndex = at;
    const m = regex.exec(text);
    if (m !== null) return m;
  }
  return null;
}

/**
 * Candidates only, no validation: the regex pass plus the literal anchors. The benchmark uses
 * it as the ceiling that the full scan is compared with.
 * @example countCandidates("mail a@b.io, call +1 415 555 2671", buildCandidatePattern([])) // 2
 */
export function countCandidates(text: string, pattern: CandidatePattern, plan: ScanPlan = PLAN): number {
  let count = 0;
  for (
    let m = nextCandidate(text, 0, pattern);
    m !== null;
    m = nextCandidate(text, m.index + m[0].length, pattern)
  ) {
    count += 1;
  }
  for (const { literal } of plan.anchors) {
    forEachIndex(text, literal, () => {
      count += 1;
    });
  }
  const { canaries } = pattern;
  if (canaries) {
    canaries.lastIndex = 0;
    while (canaries.exec(text) !== null) count += 1;
  }
  return count;
}
