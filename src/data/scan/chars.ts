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
