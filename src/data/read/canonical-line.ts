/**
 * The canonical line of a single-field text record, taken straight from its JSONL source when
 * that is provably what re-serialising would produce, or undefined.
 *
 * `JSON.stringify` of a string escapes exactly `"`, `\`, control characters (as `\b \f \n \r \t`
 * or lower-case `\u00XX`) and lone surrogates (lower-case `\uDXXX`), and writes everything else
 * literally. A source string literal without `\u` and `\/` escapes therefore re-serialises to
 * itself: JSON.parse would have rejected raw control characters, and every other escape it
 * accepts (`\" \\ \b \f \n \r \t`) is the one stringify writes. So for a line
 * `{ "text" : "<literal>" }` (whitespace allowed) whose object has no other key, the canonical
 * line is `{"text":"<literal>"}` — no re-serialisation needed. This is the hot path of intake:
 * it saves a string copy per record.
 * @example canonicalTextLine('{"text": "a\\nb"}') // '{"text":"a\\nb"}\n'
 */
export function canonicalTextLine(rawLine: string): string | undefined {
  const open = SINGLE_TEXT_KEY.exec(rawLine);
  if (!open) return undefined;
  let close = rawLine.length - 1;
  while (close > 0 && isJsonSpace(rawLine.charCodeAt(close))) close -= 1;
  if (rawLine[close] !== "}") return undefined;
  close -= 1;
  while (close > 0 && isJsonSpace(rawLine.charCodeAt(close))) close -= 1;
  if (rawLine[close] !== '"') return undefined;
  const literal = rawLine.slice(open[0].length, close);
  if (literal.includes('"') || literal.includes("\\u") || literal.includes("\\/")) return undefined;
  return `{"text":"${literal}"}\n`;
}

/** `{`, optional whitespace, the key `"text"` written plainly, `:`, the opening quote. */
const SINGLE_TEXT_KEY = /^[ \t\r\n]*\{[ \t\r\n]*"text"[ \t\r\n]*:[ \t\r\n]*"/;

function isJsonSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}
