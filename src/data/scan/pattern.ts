/**
 * The one combined candidate pattern the scanner runs over each string, plus a few literal
 * anchors that `Scanner` finds by native substring search (`@`, `eyJ`, `-----BEGIN`) and a
 * literal-only canary pattern. Every regex branch starts with a narrow set of characters — a
 * fixed prefix (`AKIA`, `ghp_`, `sk-`…), a rare separator (`:`, `=`) whose context is checked by
 * a lookbehind placed after it, a digit or an upper-case letter pair. `nextCandidate` walks the
 * string's character codes and enters the (sticky) regex only where such a start is possible,
 * so prose passes at the cost of a table lookup per character. Word-boundary checks, the
 * expansion of anchors into e-mails, IPv6 addresses and `key = value` pairs, and all
 * validation happen afterwards (`anchors.ts`, `checks/`). One pass replaces a dozen separate
 * regex passes.
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
 * The characters any branch can start with; `STARTS` and `mayStart` below say the same in
 * code, more narrowly. Keep all three in step with SOURCES.
 */
const GATE = "(?=[A-Z_\\-:=\\d+(])";

export interface CandidatePattern {
  /** The combined pattern, sticky: `nextCandidate` runs it only where a branch can start. */
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
    regex: new RegExp(`${GATE}(?:${SOURCES.map(([, s]) => `(${s})`).join("|")})`, "y"),
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

/** What can start at a character (by code, ASCII only): the first-character classes of SOURCES. */
enum Start {
  None = 0,
  Upper = 1,
  Digit = 2,
  Underscore = 3,
  Hyphen = 4,
  Separator = 5,
  PlusParen = 6,
}

const STARTS = (() => {
  const table = new Uint8Array(128);
  for (let c = 65; c <= 90; c += 1) table[c] = Start.Upper;
  for (let c = 48; c <= 57; c += 1) table[c] = Start.Digit;
  table[95] = Start.Underscore;
  table[45] = Start.Hyphen;
  table[58] = Start.Separator;
  table[61] = Start.Separator;
  table[43] = Start.PlusParen;
  table[40] = Start.PlusParen;
  return table;
})();

/** `[\w.+$-]`: what the number branch may not follow. */
const NOT_BEFORE_NUMBER = (() => {
  const table = new Uint8Array(128);
  for (const c of "._+$-") table[c.charCodeAt(0)] = 1;
  for (let c = 48; c <= 57; c += 1) table[c] = 1;
  for (let c = 65; c <= 90; c += 1) table[c] = 1;
  for (let c = 97; c <= 122; c += 1) table[c] = 1;
  return table;
})();

const isUpper = (c: number) => c >= 65 && c <= 90;
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Whether a branch of SOURCES can match at `at`: a necessary condition on a few characters
 * around it, read from each branch's fixed start (`A` of `AKIA…` or an IBAN's two letters and
 * two digits; a digit, `+` or `(` not glued to a word; a token prefix before `_` or `-`; `:`
 * and `=` always). Most positions fail here, in a table lookup, without entering the regex.
 */
function mayStart(text: string, at: number, kind: Start): boolean {
  switch (kind) {
    case Start.Upper: {
      const next = text.charCodeAt(at + 1);
      if (text.charCodeAt(at) === 65 && (next === 75 || next === 83 || next === 66 || next === 67))
        return true;
      return isUpper(next) && isDigit(text.charCodeAt(at + 2)) && isDigit(text.charCodeAt(at + 3));
    }
    case Start.Digit:
    case Start.PlusParen: {
      const before = text.charCodeAt(at - 1);
      return !(before < 128 && NOT_BEFORE_NUMBER[before] === 1);
    }
    case Start.Underscore: {
      // gh[pousr]_, github_ (pat_), [sr]k_ (live_)
      const before = text[at - 1];
      return before !== undefined && "pousrbk".includes(before);
    }
    case Start.Hyphen: {
      // xox[abpr]-, sk-
      const before = text[at - 1];
      return before !== undefined && "abprk".includes(before);
    }
    default:
      return true;
  }
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
  const { regex } = pattern;
  for (let at = from; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 128) continue;
    const kind = STARTS[code] as Start;
    if (kind === Start.None || !mayStart(text, at, kind)) continue;
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
export function countCandidates(text: string, pattern: CandidatePattern): number {
  let count = 0;
  for (
    let m = nextCandidate(text, 0, pattern);
    m !== null;
    m = nextCandidate(text, m.index + m[0].length, pattern)
  ) {
    count += 1;
  }
  const add = () => {
    count += 1;
  };
  forEachIndex(text, "@", add);
  forEachIndex(text, "yJ", (at) => {
    if (text.charCodeAt(at - 1) === 101) add();
  });
  forEachIndex(text, "-----BEGIN", add);
  const { canaries } = pattern;
  if (canaries) {
    canaries.lastIndex = 0;
    while (canaries.exec(text) !== null) count += 1;
  }
  return count;
}
