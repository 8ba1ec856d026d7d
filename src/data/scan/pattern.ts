/**
 * The one combined candidate pattern the scanner runs over each string, plus the literal
 * anchors that `Scanner` finds by native substring search (`@`, `yJ`, `-----BEGIN`) and a
 * literal-only canary pattern, all built from the detector registry (`detectors.ts`). Every
 * regex branch starts with a narrow set of characters — a fixed prefix (`AKIA`, `ghp_`, `sk-`…),
 * a rare separator (`:`, `=`) whose context is checked by a lookbehind placed after it, a digit
 * or an upper-case letter pair — which each branch declares with the conditions around it
 * (`gate.ts`).
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
import { charSet, compileGate, type GateSpec } from "./gate.ts";
import { KEY_VALUE_BRANCH, type KeyValueDetector } from "./key-value.ts";
import { viewChanges } from "./view.ts";

export type BranchDetector = DetectorSpec & { finder: BranchFinder };
export type AnchorDetector = DetectorSpec & { finder: AnchorFinder };

/** A branch of the combined pattern: a detector's own, or one of the two shared ones. */
export type Branch =
  | { kind: "detector"; detector: BranchDetector }
  | { kind: "number" }
  | { kind: "keyValue" };

type BranchSource = GateSpec & { source: string };

/** What the registry asks of the scanner, grouped by how candidates are found. */
export interface ScanPlan {
  /**
   * In alternation order: numbers first (the commonest candidates; nothing else starts with a
   * digit, `+` or `(`), then `key = value` (before the other branches starting at `:` or `=`),
   * then the detectors' own in registry order.
   */
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
      { kind: "number", ...NUMBER_BRANCH },
      { kind: "keyValue", ...KEY_VALUE_BRANCH },
      ...own.map((detector) => ({ kind: "detector" as const, detector, ...detector.finder.branch })),
    ],
    anchors: [...anchors].map(([literal, ds]) => ({ literal, detectors: ds })),
    digits: detectors.filter((d): d is DigitsDetector => isDigits(d.finder)),
    keyValues: detectors.filter((d): d is KeyValueDetector => isKeyValue(d.finder)),
    byId: new Map(detectors.map((d) => [d.id, d])),
  };
}

/** The registry's plan, built once. */
export const PLAN: ScanPlan = planOf(DETECTORS);

// The branches' start conditions as module constants: the walk reads them on every character
// that can start a branch, and constant typed arrays are the cheapest thing for it to read.
const {
  start: START,
  before: BEFORE,
  beforeAny: BEFORE_ANY,
  next: NEXT,
  nextFrom: NEXT_FROM,
} = compileGate(PLAN.branches);
const [NEXT1, NEXT2, NEXT3] = NEXT as [Uint32Array, Uint32Array, Uint32Array];
const [FROM1, FROM2, FROM3] = [NEXT_FROM[0]!, NEXT_FROM[1]!, NEXT_FROM[2]!];

/**
 * Whether a branch starting with the character at `at` (the branches in `mask`) can match
 * there: the character before, then up to three after, each narrowing `mask`; a branch with no
 * condition left passes at once.
 */
/**
 * A character code's table index: codes past ASCII share the last slot; NaN (outside the
 * string) becomes 0, NUL, which no condition names. Written out here so it inlines.
 */
const ix = (code: number) => Math.min(code | 0, 128);

function gatePasses(text: string, at: number, mask: number): boolean {
  let m = mask;
  if ((m & BEFORE_ANY) !== 0) {
    m &= BEFORE[ix(text.charCodeAt(at - 1))]!;
    if (m === 0) return false;
  }
  if ((m & ~FROM1) !== 0) return true;
  m &= NEXT1[ix(text.charCodeAt(at + 1))]!;
  if (m === 0) return false;
  if ((m & ~FROM2) !== 0) return true;
  m &= NEXT2[ix(text.charCodeAt(at + 2))]!;
  if (m === 0) return false;
  if ((m & ~FROM3) !== 0) return true;
  return (m & NEXT3[ix(text.charCodeAt(at + 3))]!) !== 0;
}

/** The branches that can start at one character, in alternation order, as one sticky regex. */
interface StartRegex {
  regex: RegExp;
  /** By capture group number minus one. */
  branches: ScanPlan["branches"];
}

export interface CandidatePattern {
  /**
   * The combined pattern (every branch, behind a lookahead for their start characters): what
   * the walk finds is exactly what this finds run globally. The walk itself runs, at each
   * position, the sticky regex of the branches that can start with that character, in the same
   * order: only those can match there, so the match is the same, without trying the others.
   */
  regex: RegExp;
  /** The branches, by capture group number of `regex` minus one. */
  branches: ScanPlan["branches"];
  /** Per ASCII code that starts a branch: its index into `starting`. */
  startingAt: Uint8Array;
  starting: readonly StartRegex[];
  /** The branches of the match `nextCandidate` returned last (the regex it came from). */
  lastBranches: ScanPlan["branches"];
  /**
   * All canaries as one alternation of literals, longest first (undefined without canaries):
   * one pass whatever their number, where an indexOf per canary would grow with it (measured:
   * 15 ms for 3 or 50 canaries over 20 MB, against 38 and 320 ms).
   */
  canaries: RegExp | undefined;
  /**
   * Set by `nextCandidate` when it passes a character the normalised view changes (a format
   * character, a full-width digit…): the scanner then reads the string again in its view.
   */
  sawChange: boolean;
}

const escapeChar = (c: string) => (/[\\\]^-]/.test(c) ? `\\${c}` : c);

/**
 * Builds the combined pattern, its start-character gates and the canary pattern.
 * @example buildCandidatePattern(["zebra-canary-17"]).canaries?.test("a zebra-canary-17") // true
 */
export function buildCandidatePattern(canaries: readonly string[]): CandidatePattern {
  const plan = PLAN;
  const startChars = new Set(plan.branches.flatMap((b) => [...charSet(b.starts)]));
  const alternation = (branches: ScanPlan["branches"]) => branches.map((b) => `(${b.source})`).join("|");
  const startingAt = new Uint8Array(128);
  const starting: StartRegex[] = [];
  const byKey = new Map<string, number>();
  for (const c of startChars) {
    const branches = plan.branches.filter((b) => charSet(b.starts).includes(c));
    const key = branches.map((b) => plan.branches.indexOf(b)).join();
    if (!byKey.has(key)) {
      starting.push({ regex: new RegExp(alternation(branches), "y"), branches });
      byKey.set(key, starting.length - 1);
    }
    startingAt[c.charCodeAt(0)] = byKey.get(key)!;
  }
  return {
    regex: new RegExp(
      `(?=[${[...startChars].map(escapeChar).join("")}])(?:${alternation(plan.branches)})`,
      "y",
    ),
    branches: plan.branches,
    startingAt,
    starting,
    lastBranches: plan.branches,
    canaries: canaryPattern(canaries),
    sawChange: false,
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

/** Which branch the match `nextCandidate` returned last came from. */
export function branchOf(m: RegExpExecArray, pattern: CandidatePattern): ScanPlan["branches"][number] {
  for (let g = 1; g < m.length; g += 1) if (m[g] !== undefined) return pattern.lastBranches[g - 1]!;
  throw new Error("candidate pattern matched no branch");
}

/**
 * The next candidate of the combined pattern at or after `from`, as `RegExp.exec` on the
 * global pattern would find it: the same match at the same position, because every position
 * skipped here fails a condition that each branch needs (its gate), and the sticky pattern
 * decides the rest. A plain loop over character codes passes prose far faster than the regex
 * engine's own scan, which tries the gate and the branches at every position.
 * @example nextCandidate("call +1 415 555 2671", 0, buildCandidatePattern([]))?.index // 5
 */
export function nextCandidate(text: string, from: number, pattern: CandidatePattern): RegExpExecArray | null {
  const { startingAt, starting } = pattern;
  for (let at = from; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 128) {
      if (!pattern.sawChange) pattern.sawChange = viewChanges(text, at);
      continue;
    }
    const mask = START[code]!;
    if (mask === 0 || !gatePasses(text, at, mask)) continue;
    const { regex, branches } = starting[startingAt[code]!]!;
    regex.lastIndex = at;
    const m = regex.exec(text);
    if (m !== null) {
      pattern.lastBranches = branches;
      return m;
    }
  }
  return null;
}

/**
 * Candidates only, no validation: the regex pass plus the literal anchors. The benchmark uses
 * it as the ceiling that the full scan is compared with.
 * @example countCandidates("mail a@b.io, call +1 415 555 2671", buildCandidatePattern([])) // 2
 */
export function countCandidates(text: string, pattern: CandidatePattern): number {
  const plan = PLAN;
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
