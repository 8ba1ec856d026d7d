import { labelBefore } from "./chars.ts";
import type { DigitRun } from "./checks/numbers.ts";
import type { DetectorSpec, DigitsFinder } from "./detector.ts";

/**
 * The shared number branch of the combined pattern: not glued to a word, a version or a label
 * (v1.2.3, ORD-2025-…, ES6$25.4), at least seven digits (or a dotted quad) ahead, and not an ISO
 * date: shorter runs (years, prices, ticket numbers) are never PII, so they never reach code.
 * The digit detectors (`DigitsFinder`) judge the runs it finds.
 */
export const NUMBER_BRANCH = {
  source: String.raw`(?<![\w.+$-])(?=[+(]{0,2}\d(?:[ ().+-]{0,2}\d){6}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d)(?!\d{4}-\d\d-\d\d(?!\d))(?:\+|\(\+?)?\d{1,19}(?:(?:\) ?|[ .-]\(?|\()\d{1,19}){0,9}`,
  starts: "0-9+(",
  notBefore: "A-Za-z0-9_.+$-",
};

export type DigitsDetector = DetectorSpec & { finder: DigitsFinder };

export interface NumberHit {
  detector: DigitsDetector;
  /** Offsets into the candidate text. */
  start: number;
  end: number;
  confidence: number;
}

/** Digit groups of a candidate: offsets, and the separator written before each group. */
interface Groups {
  starts: number[];
  ends: number[];
  /** `seps[i]` is the text between group i-1 and group i (`""` for the first). */
  seps: string[];
  /** `digitsBefore[i]`: digits in groups 0..i-1. */
  digitsBefore: number[];
}

/**
 * Classifies a numeric candidate such as `(202) 555-0143` or `4111-1111-1111-1111 5555-…`.
 * Runs of groups can hold several numbers, or a number next to unrelated digits, so it takes,
 * from left to right, the longest sub-run of groups that validates as a card, an SSN, an IPv4
 * address or a phone number. `after` is the character following the candidate.
 * @example classifyNumber("(202) 867-5309", "") // [{ detector: "phone", start: 0, end: 14, ... }]
 */
export function classifyNumber(
  text: string,
  after: string,
  detectors: readonly DigitsDetector[],
): NumberHit[] {
  const g = digitGroups(text);
  const count = g.starts.length;
  const total = g.digitsBefore[count] ?? 0;
  // Fast exit: nothing we look for has fewer than 8 digits, except a dotted IPv4 address.
  if (total < 8 && !(count === 4 && text.split(".").length === 4)) return [];
  const hits: NumberHit[] = [];
  let from = 0;
  while (from < count) {
    let found: NumberHit | undefined;
    for (let to = count - 1; to >= from && !found; to -= 1) {
      const end = g.ends[to]!;
      const nextChar = to === count - 1 ? after : text[end];
      if (nextChar !== undefined && /\w/.test(nextChar)) continue;
      if (!worthClassifying(text, g, from, to) || !standsApart(g, from, to, count)) continue;
      const start = from === 0 ? 0 : g.starts[from]!;
      const verdict = classify(runOf(text, g, from, to, start, end), detectors);
      if (verdict) {
        found = { ...verdict, start, end };
        from = to + 1;
      }
    }
    if (found) hits.push(found);
    else from += 1;
  }
  return hits;
}

function digitGroups(text: string): Groups {
  const g: Groups = { starts: [], ends: [], seps: [], digitsBefore: [0] };
  let i = 0;
  let lastEnd = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      const start = i;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i += 1;
      g.seps.push(g.starts.length === 0 ? "" : text.slice(lastEnd, start));
      g.starts.push(start);
      g.ends.push(i);
      g.digitsBefore.push((g.digitsBefore[g.digitsBefore.length - 1] ?? 0) + i - start);
      lastEnd = i;
    } else i += 1;
  }
  return g;
}

/** Cheap digit-count bounds before building a run: IPv4 4–12, E.164 8–15, others 9–19. */
function worthClassifying(text: string, g: Groups, from: number, to: number): boolean {
  const digits = g.digitsBefore[to + 1]! - g.digitsBefore[from]!;
  if (to - from === 3 && digits <= 12) return true;
  const plus = from === 0 && (text[0] === "+" || text[1] === "+");
  return digits <= 19 && digits >= (plus ? 8 : 9);
}

/**
 * A part of a longer run counts only when the separators around it differ from those inside it
 * (`4111-1111-1111-1111 5555-…`), not when it is a slice of one uniformly written number such
 * as a 22-digit tracking number in groups of four, nor when a "." joins it to its neighbour.
 */
function standsApart(g: Groups, from: number, to: number, count: number): boolean {
  // Digits after or before a lone "." belong to a decimal number (328.56166600000006).
  if ((from > 0 && g.seps[from] === ".") || (to < count - 1 && g.seps[to + 1] === ".")) return false;
  if (from === to || (from === 0 && to === count - 1)) return true;
  const inside = g.seps.slice(from + 1, to + 1);
  if (from > 0 && inside.includes(g.seps[from]!)) return false;
  return !(to < count - 1 && inside.includes(g.seps[to + 1]!));
}

function runOf(text: string, g: Groups, from: number, to: number, start: number, end: number): DigitRun {
  let digits = "";
  const groups: number[] = [];
  for (let i = from; i <= to; i += 1) {
    digits += text.slice(g.starts[i], g.ends[i]);
    groups.push(g.ends[i]! - g.starts[i]!);
  }
  const runText = text.slice(start, end);
  return {
    text: runText,
    digits,
    groups,
    separators: g.seps.slice(from + 1, to + 1),
    plus: from === 0 && (runText.startsWith("+") || runText.startsWith("(+")),
  };
}

function classify(
  run: DigitRun,
  detectors: readonly DigitsDetector[],
): Omit<NumberHit, "start" | "end"> | undefined {
  for (const detector of detectors) {
    const verdict = detector.finder.digits(run);
    if (verdict !== false) return { detector, confidence: verdict === true ? detector.confidence : verdict };
  }
  return undefined;
}

/**
 * A number right after a word that labels an identifier (`Invoice No. 415-867-5309`,
 * `SKU 4006381333931`, `part #512-34-8876`) is that identifier, whatever its shape.
 */
const IDENTIFIER_BEFORE =
  /\b(?:order|invoice|inv|ref|reference|tracking|serial|part|sku|ean|gtin|upc|isbn|ticket|case|item|model|po)\.?(?:\s*(?:no\.?|num(?:ber)?|id|#))?\s*[:#]?\s*#?$/i;

/**
 * Whether the number starting at `start` follows an identifier label.
 * @example labelledIdentifier("SKU 4006381333931", 4) // true
 */
export function labelledIdentifier(text: string, start: number): boolean {
  return labelBefore(IDENTIFIER_BEFORE, text, start, 28);
}
