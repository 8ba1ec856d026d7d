/**
 * The one combined candidate pattern the scanner runs over each string, plus a few literal
 * anchors found by native substring search (`@`, `eyJ`, `-----BEGIN`) and a literal-only canary
 * pattern. Every regex
 * branch starts with a narrow set of characters — a fixed prefix (`AKIA`, `ghp_`, `sk-`…), a
 * rare separator (`:`, `=`) whose context is checked by a lookbehind placed after it, a
 * digit or an upper-case letter pair — so the engine rejects most positions at their first
 * character, and few candidates reach code. Word-boundary checks, the expansion of anchors
 * into e-mails, IPv6 addresses and `key = value` pairs, and all validation happen afterwards
 * (`anchors.ts`, `checks/`). One pass of this pattern replaces a dozen separate regex passes.
 */

/** Branch names, in the order of their capture groups. */
export type Branch = "token" | "keySeparator" | "hexColon" | "azureKey" | "iban" | "number";

/** Case-insensitive spelling of a lower-case word without the `i` flag. */
function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

/** Words that make the identifier before `=` or `:` key-ish (`DB_PASSWORD`, `aws_secret_access_key`). */
const KEYWORDS = [
  "pass(?:word|wd|phrase)?",
  "pwd",
  "secret",
  "token",
  "api[_-]?key",
  "access[_-]?key",
  "private[_-]?key",
  "auth",
  "credential",
  "[_-]key",
].map((k) => k.replace(/(?<![[\\])[a-z]+/g, (w) => anyCase(w)));

const SOURCES: ReadonlyArray<[Branch, string]> = [
  [
    // Lower-case prefixes are anchored on their `_` or `-` (rare in prose) with a lookbehind for
    // the rest, so common letters like s and r stay out of the gate; the scanner walks back to
    // the token's start (see tokenStart).
    "token",
    "A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}|_(?:(?<=gh[pousr]_)[A-Za-z0-9]{36,251}|(?<=github_)pat_[A-Za-z0-9_]{60,240}|(?<=[sr]k_)live_[A-Za-z0-9]{24,247})|-(?:(?<=xox[abpr]-)[A-Za-z0-9-]{20,250}|(?<=sk-)[A-Za-z0-9_-]{32,260})",
  ],
  // The lookbehinds sit after the separator, so they run only where a separator is.
  ["keySeparator", String.raw`[:=](?<=(?:${KEYWORDS.join("|")})[\w.-]{0,24}["']?\s{0,3}[:=])`],
  // A colon with another colon close after it: IPv6 has at least two, times like 09:30 one.
  ["hexColon", ":(?=[0-9A-Fa-f]{0,4}:)(?<=[0-9A-Fa-f:]:)|:(?=:[0-9A-Fa-f])"],
  ["azureKey", "=(?<=AccountKey=)"],
  ["iban", String.raw`[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?`],
  // Not glued to a word, a version or a label (v1.2.3, ORD-2025-…, ES6$25.4), at least seven digits (or a dotted
  // quad) ahead, and not an ISO date: shorter runs (years, prices, ticket numbers) are never
  // PII, so they never reach code.
  [
    "number",
    String.raw`(?<![\w.+$-])(?=[+(]{0,2}\d(?:[ ().+-]{0,2}\d){6}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d)(?!\d{4}-\d\d-\d\d(?!\d))(?:\+|\(\+?)?\d{1,19}(?:(?:\) ?|[ .-]\(?|\()\d{1,19}){0,9}`,
  ],
];

/**
 * Anchors found with native substring search (`indexOf`) instead of the regex: fixed strings
 * cost nothing to find that way, and every branch taken out of the regex makes each of its
 * positions cheaper. `Scanner` searches exactly these.
 */
export const LITERAL_ANCHORS = ["@", "eyJ", "-----BEGIN"] as const;

export type LiteralAnchor = (typeof LITERAL_ANCHORS)[number];

/**
 * The characters any branch can start with. Checked first, once per position, it lets the
 * engine pass over the lower-case prose that makes up most text without trying each branch
 * (measured: about 1.4x faster candidate pass; anchoring lower-case token prefixes on `_`/`-`
 * so that s, r, g and x leave the gate, another 1.2x). Keep it in step with SOURCES.
 */
const GATE = "(?=[A-Z_\\-:=\\d+(])";

export interface CandidatePattern {
  regex: RegExp;
  /** Capture group number of each branch. */
  group: Record<Branch, number>;
  /**
   * All canaries as one alternation of literals, longest first (undefined without canaries):
   * one pass whatever their number, where an indexOf per canary would grow with it (measured:
   * 15 ms for 3 or 50 canaries over 20 MB, against 38 and 320 ms).
   */
  canaries: RegExp | undefined;
}

/**
 * Builds the combined pattern and the canary pattern.
 * @example buildCandidatePattern(["zebra-canary-17"]).canaries?.test("a zebra-canary-17") // true
 */
export function buildCandidatePattern(canaries: readonly string[]): CandidatePattern {
  const group = {} as Record<Branch, number>;
  SOURCES.forEach(([name], i) => {
    group[name] = i + 1;
  });
  return {
    regex: new RegExp(`${GATE}(?:${SOURCES.map(([, s]) => `(${s})`).join("|")})`, "g"),
    group,
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

/**
 * Candidates only, no validation: the regex pass plus the literal anchors. The benchmark uses
 * it as the ceiling that the full scan is compared with.
 * @example countCandidates("mail a@b.io, call +1 415 555 2671", buildCandidatePattern([])) // 2
 */
export function countCandidates(text: string, pattern: CandidatePattern): number {
  let count = 0;
  const { regex } = pattern;
  regex.lastIndex = 0;
  while (regex.exec(text) !== null) count += 1;
  const add = () => {
    count += 1;
  };
  for (const needle of LITERAL_ANCHORS) forEachIndex(text, needle, add);
  const { canaries } = pattern;
  if (canaries) {
    canaries.lastIndex = 0;
    while (canaries.exec(text) !== null) count += 1;
  }
  return count;
}
