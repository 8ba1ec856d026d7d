import { isWordChar } from "./chars.ts";
import { type BranchResult, MISS } from "./detector.ts";

/**
 * The `find` of a prefixed-token branch. Lower-case prefixes are anchored on their `_` or `-`
 * (rare in prose) with a lookbehind for the rest, so `startOf` walks back from the match to the
 * token's first character. A token glued to a word is no token; `validate` checks the whole
 * token (true, or a confidence).
 * @example tokenFinder((_, at) => at - 3, (t) => /^ghp_/.test(t))
 */
export function tokenFinder(
  startOf: (text: string, at: number) => number,
  validate: (token: string) => boolean | number,
): (text: string, at: number, match: string) => BranchResult {
  return (text, at, match) => {
    const start = startOf(text, at);
    const end = at + match.length;
    if (isWordChar(text[start - 1], "-") || isWordChar(text[end], "-")) return MISS;
    const verdict = validate(text.slice(start, end));
    if (verdict === false) return MISS;
    return { hit: verdict === true ? { start, end } : { start, end, confidence: verdict } };
  };
}
