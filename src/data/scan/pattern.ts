/**
 * The one combined candidate pattern the scanner runs over each string. Each branch is cheap to
 * reject at most positions (it starts with a rare character, a fixed prefix, or a lookbehind
 * that only lets it start at a token boundary); candidates are then confirmed by validators in
 * `checks/`. One pass of this pattern replaces a dozen separate regex passes.
 */

/** Branch names, in the order of their capture groups. `kvValue` is captured inside `kv`. */
export type Branch =
  | "canary"
  | "pkey"
  | "azure"
  | "jwt"
  | "token"
  | "kv"
  | "kvValue"
  | "email"
  | "iban"
  | "ipv6"
  | "number";

/** Case-insensitive spelling of a lower-case word without the `i` flag (which would slow every branch). */
function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

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

const SOURCES: ReadonlyArray<[Exclude<Branch, "kvValue" | "canary">, string]> = [
  ["pkey", "-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY-----"],
  ["azure", "AccountKey=[A-Za-z0-9+/]{86}=="],
  ["jwt", String.raw`(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`],
  [
    "token",
    String.raw`(?<![\w-])(?:A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}|gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{60,240}|xox[abpr]-[A-Za-z0-9-]{20,250}|[sr]k_live_[A-Za-z0-9]{24,247}|sk-[A-Za-z0-9_-]{32,260})(?![\w-])`,
  ],
  [
    "kv",
    String.raw`(?:${KEYWORDS.join("|")})[\w.-]{0,24}["']?\s{0,3}(?:=>|:=|[:=])\s{0,3}["'\x60]?([A-Za-z0-9+/=_\-.~!@#$%^&*]{8,200})`,
  ],
  [
    "email",
    String.raw`(?<![\w.%+-])[A-Za-z0-9][\w.%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])`,
  ],
  ["iban", String.raw`(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?`],
  ["ipv6", String.raw`(?<![\w:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{2,45}(?![\w:])`],
  ["number", String.raw`(?<![\w.+-])(?:\+|\(\+?)?\d{1,19}(?:(?:\) ?|[ .-]\(?|\()\d{1,19}){0,9}`],
];

export interface CandidatePattern {
  regex: RegExp;
  /** Capture group number of each branch. */
  group: Record<Branch, number>;
}

/**
 * Builds the combined pattern; canary strings (matched literally, longest first) come first.
 * @example buildCandidatePattern(["zebra-canary-17"]).regex.test("has zebra-canary-17") // true
 */
export function buildCandidatePattern(canaries: readonly string[]): CandidatePattern {
  const literals = [...new Set(canaries.filter((c) => c.length > 0))].sort((a, b) => b.length - a.length);
  const branches: Array<[Branch, string]> = [];
  // A never-matching canary branch keeps group numbers stable when there are no canaries.
  branches.push(["canary", literals.length > 0 ? literals.map(escapeRegExp).join("|") : "(?!)"]);
  branches.push(...SOURCES);
  const group = {} as Record<Branch, number>;
  let next = 1;
  for (const [name] of branches) {
    group[name] = next;
    next += 1;
    if (name === "kv") {
      group.kvValue = next;
      next += 1;
    }
  }
  const source = branches.map(([, s]) => `(${s})`).join("|");
  return { regex: new RegExp(source, "g"), group };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
