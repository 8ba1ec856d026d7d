/**
 * Line breaks a value may run across: a wrapped card number (`4111 1111 1111 11` / `11`), a
 * token cut by a pasted line break. A break is a candidate for bridging when it is a single
 * line break (with any spacing around it) between two characters that values are made of (not
 * `;`, `,`, quotes or brackets: code and prose lines mostly end in those), and either digits
 * (or a number's separators) meet at it, unless the lines on both sides each hold only a number
 * (a column of numbers is not one number), or the non-space run through it looks like a value
 * (a digit, `@`, `_`, `=`, `:`, `+`, `/`, or two capitals in a row). Whether a bridged reading
 * counts is then up to the validators and `crossesBreak` in scanner.ts.
 */

export interface LineBreak {
  /** The break with the spacing around it: `[start, end)` of the view. */
  start: number;
  end: number;
  /** What stands in its place when bridged: nothing, or one space when there was spacing. */
  joiner: "" | " ";
  /** The stretch of the view re-read with the break bridged: the runs through it plus some context. */
  window: [number, number];
}

/** Characters no value ends with: the break after one is inside a value. */
export const OPEN_END = /[.@:]/;
/** A lower-case word of three or more letters, then a space or a clause's punctuation. */
const NEXT_WORD = /^[a-z]{3,}(?:[\s,;!?'")\]]|$)/;
const SPACE = /\s/;
/** Characters any detector's value may hold: letters, digits and the punctuation of e-mails, keys, numbers and secrets. */
const VALUE_CHAR = /[A-Za-z0-9+/=_@.:()\\%~!#$^&*-]/;
const VALUE_LIKE = /[\d@_=:+/]|[A-Z]{2}/;
const NUMBER_LINE = /^[\s\d().+-]*$/;
const DIGITISH = /[\d().+-]/;
const DIGIT = /\d/;
/** How far a non-space run is followed: the longest token a break is looked for in. */
const RUN = 256;
/** Context read before the run through a break: numbers with spaces, the key before a `=` (up to 64), label words. */
const BEFORE = 80;
/** Context read after it: enough for a PEM header's first body characters (the whole string is read when something is found). */
const AFTER = 96;

/**
 * The breaks of `text` worth bridging, in order. Text without a line break costs one search.
 * @example bridgeableBreaks("card 4111 1111\n1111 1111")[0] // { start: 14, end: 15, joiner: "", window: [0, 24] }
 */
export function bridgeableBreaks(text: string): LineBreak[] {
  let nl = text.indexOf("\n");
  let cr = text.indexOf("\r");
  if (nl === -1 && cr === -1) return [];
  const breaks: LineBreak[] = [];
  while (nl !== -1 || cr !== -1) {
    const at = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
    const breakEnd = text[at] === "\r" && text[at + 1] === "\n" ? at + 2 : at + 1;
    if (nl !== -1 && nl < breakEnd) nl = text.indexOf("\n", breakEnd);
    if (cr !== -1 && cr < breakEnd) cr = text.indexOf("\r", breakEnd);
    let start = at;
    while (start > 0 && (text[start - 1] === " " || text[start - 1] === "\t")) start -= 1;
    let end = breakEnd;
    while (end < text.length && (text[end] === " " || text[end] === "\t")) end += 1;
    const brk = bridgeable(text, start, end, start < at || end > breakEnd);
    if (brk) breaks.push(brk);
  }
  return breaks;
}

function bridgeable(text: string, start: number, end: number, spaced: boolean): LineBreak | undefined {
  const before = text[start - 1];
  const after = text[end];
  if (before === undefined || after === undefined || !VALUE_CHAR.test(before) || !VALUE_CHAR.test(after))
    return undefined;
  // A lower-case word on the next line (`…ORD-2025-118734` / `and we`) is not read into a value,
  // unless the line ends where no value can (`jane@uni.` / `edu`).
  if (!OPEN_END.test(before) && NEXT_WORD.test(text.slice(end, end + 32))) return undefined;
  const digits = DIGITISH.test(before) && DIGITISH.test(after) && (DIGIT.test(before) || DIGIT.test(after));
  const [a, b] = runAround(text, start, end);
  if (digits ? numberColumn(text, start, end) : !VALUE_LIKE.test(text.slice(a, start) + text.slice(end, b)))
    return undefined;
  const window: [number, number] = [Math.max(0, a - BEFORE), Math.min(text.length, Math.max(b, end + AFTER))];
  return { start, end, joiner: spaced ? " " : "", window };
}

/** Where the non-space runs touching the break on both sides start and end (at most RUN each way). */
function runAround(text: string, start: number, end: number): [number, number] {
  let a = start;
  while (a > 0 && start - a < RUN && !SPACE.test(text[a - 1]!)) a -= 1;
  let b = end;
  while (b < text.length && b - end < RUN && !SPACE.test(text[b]!)) b += 1;
  return [a, b];
}

/** Whether the lines on both sides of the break each hold nothing but a number. */
function numberColumn(text: string, start: number, end: number): boolean {
  let lineStart = start;
  while (lineStart > 0 && text[lineStart - 1] !== "\n" && text[lineStart - 1] !== "\r") lineStart -= 1;
  let lineEnd = end;
  while (lineEnd < text.length && text[lineEnd] !== "\n" && text[lineEnd] !== "\r") lineEnd += 1;
  return NUMBER_LINE.test(text.slice(lineStart, start)) && NUMBER_LINE.test(text.slice(end, lineEnd));
}
