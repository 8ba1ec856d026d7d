/**
 * Line breaks a value may run across: a wrapped card number (`4111 1111 1111 11` / `11`), a
 * token cut by a pasted line break. A break is a candidate for bridging when it is a single
 * line break (with any spacing around it) between two non-space characters, and either digits
 * (or a number's separators) meet at it, unless the lines on both sides each hold only a number
 * (a column of numbers is not one number), or the non-space run through it looks like a value (a digit, `@`, `_`, `=`, `:`, `+`, `/`, or two capitals).
 * Whether a bridged reading counts is then up to the validators and the detector
 * (`continuesAcrossBreak`).
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

const BREAK = /[ \t]*(?:\r\n|[\r\n\u2028\u2029])[ \t]*/g;
const SPACE = /\s/;
const VALUE_LIKE = /[\d@_=:+/]|[A-Z][^A-Z]*[A-Z]/;
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
 * @example bridgeableBreaks("card 4111 1111\n1111 1111") // [{ start: 14, end: 15, joiner: "" }]
 */
export function bridgeableBreaks(text: string): LineBreak[] {
  if (text.indexOf("\n") === -1 && text.indexOf("\r") === -1 && text.indexOf("\u2028") === -1) return [];
  const breaks: LineBreak[] = [];
  for (const m of text.matchAll(BREAK)) {
    const start = m.index;
    const end = start + m[0].length;
    const before = text[start - 1];
    const after = text[end];
    if (before === undefined || after === undefined || SPACE.test(before) || SPACE.test(after)) continue;
    const digits = DIGITISH.test(before) && DIGITISH.test(after) && (DIGIT.test(before) || DIGIT.test(after));
    const [a, b] = runAround(text, start, end);
    if (digits ? numberColumn(text, start, end) : !valueLike(text.slice(a, start) + text.slice(end, b)))
      continue;
    const window: [number, number] = [
      Math.max(0, a - BEFORE),
      Math.min(text.length, Math.max(b, end + AFTER)),
    ];
    breaks.push({ start, end, joiner: m[0].length > 1 && m[0] !== "\r\n" ? " " : "", window });
  }
  return breaks;
}

/** Where the non-space runs touching the break on both sides start and end (at most RUN each way). */
function runAround(text: string, start: number, end: number): [number, number] {
  let a = start;
  while (a > 0 && start - a < RUN && !SPACE.test(text[a - 1]!)) a -= 1;
  let b = end;
  while (b < text.length && b - end < RUN && !SPACE.test(text[b]!)) b += 1;
  return [a, b];
}

function valueLike(run: string): boolean {
  return VALUE_LIKE.test(run);
}

/** Whether the lines on both sides of the break each hold nothing but a number. */
function numberColumn(text: string, start: number, end: number): boolean {
  let lineStart = start;
  while (lineStart > 0 && text[lineStart - 1] !== "\n" && text[lineStart - 1] !== "\r") lineStart -= 1;
  let lineEnd = end;
  while (lineEnd < text.length && text[lineEnd] !== "\n" && text[lineEnd] !== "\r") lineEnd += 1;
  return NUMBER_LINE.test(text.slice(lineStart, start)) && NUMBER_LINE.test(text.slice(end, lineEnd));
}
