/**
 * True when `c` is an ASCII word character (`[A-Za-z0-9_]`), or one of `extra`.
 * @example isWordChar("-", ".-") // true
 */
export function isWordChar(c: string | undefined, extra = ""): boolean {
  if (c === undefined || c === "") return false;
  const code = c.charCodeAt(0);
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    extra.includes(c)
  );
}

export const isUpper = (c: number) => c >= 65 && c <= 90;
export const isDigit = (c: number) => c >= 48 && c <= 57;

const BROKEN_WORD = /(\S)(?:\r\n|[\r\n])(?=\S)/g;
const LINE_BREAK = /[ \t]*(?:\r\n|[\r\n])[ \t]*/g;

/**
 * The `length` characters before `start`, as a label check reads them: a line break between two
 * non-space characters is dropped (`versio` / `n 1.2.3.4`, `No` / `. 415…`), any other break
 * reads as one space.
 * @example lookBehind("Or\nder No. 415", 11, 28) // "Order No. "
 */
export function lookBehind(text: string, start: number, length: number): string {
  const before = text.slice(Math.max(0, start - length), start);
  if (before.indexOf("\n") === -1 && before.indexOf("\r") === -1) return before;
  return before.replace(BROKEN_WORD, "$1").replace(LINE_BREAK, " ");
}
