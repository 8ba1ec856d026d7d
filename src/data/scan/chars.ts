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

const LINE_BREAK = /[ \t]*(?:\r\n|[\r\n])[ \t]*/g;
const BREAK_IN_WORD = /(\S)(?:\r\n|[\r\n])(?=\S)/g;

/**
 * Whether `label` matches the `length` characters before `start`, read as they are, with line
 * breaks as spaces, or with a break between two non-space characters dropped (a label word
 * broken by a break: `versio` / `n 1.2.3.4`, `No` / `. 415…`).
 * @example labelBefore(/order no\. $/i, "Or\nder No. 415", 11, 28) // true
 */
export function labelBefore(label: RegExp, text: string, start: number, length: number): boolean {
  const before = text.slice(Math.max(0, start - length), start);
  if (label.test(before)) return true;
  if (before.indexOf("\n") === -1 && before.indexOf("\r") === -1) return false;
  return (
    label.test(before.replace(LINE_BREAK, " ")) ||
    label.test(before.replace(BREAK_IN_WORD, "$1").replace(LINE_BREAK, " "))
  );
}
